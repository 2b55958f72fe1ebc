#include "analysis/runtime.h"

#include <sched.h>

#include <ATen/Parallel.h>
#include <torch/version.h>

#include <atomic>
#include <string>

#include "analysis/runtime_internal.h"

namespace sigmad::analysis {
namespace {

// 0: not set, libtorch's default stands.
std::atomic<int> configured_threads{0};

}  // namespace

RuntimeInfo Runtime() {
  ApplyThreads();
  RuntimeInfo info;
  info.torch_version = TORCH_VERSION;
  info.intra_op_threads = at::get_num_threads();
  info.device = "cpu";
  return info;
}

int AvailableCpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  const int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}

Status SetThreads(int threads) {
  if (threads < 0 || threads > kMaxThreads) {
    return Status::Error("invalid_argument", "threads must be in 0.." +
                                                 std::to_string(kMaxThreads) + ", not " +
                                                 std::to_string(threads));
  }
  configured_threads.store(threads == 0 ? AvailableCpus() : threads);
  ApplyThreads();
  return Status::Ok();
}

void ApplyThreads() {
  const int want = configured_threads.load();
  if (want > 0 && at::get_num_threads() != want) at::set_num_threads(want);
}

}  // namespace sigmad::analysis
