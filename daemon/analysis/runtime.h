// The analysis runtime: which libtorch sigmad trains with, and how many threads it uses.
//
// This module is the only one that includes torch headers (they are heavy and slow to
// compile); everything else sees plain C++ types. The first call loads libtorch's
// thread pool; later calls are cheap.
//
// Threads. libtorch's intra-op parallelism here is OpenMP, whose thread count is a
// per-thread setting: at::set_num_threads reaches threads started later, but a thread
// that already ran torch work keeps its count. SetThreads sets the count every later
// Train and Predict uses, on whatever thread they run (each applies it on its own
// thread first), so job workers need no set-up of their own. Until SetThreads is
// called they use libtorch's default, which on some machines is fewer than the CPUs
// (it counts physical cores).
// Thread-safety: safe from any thread.
#pragma once

#include <string>

#include "common/status.h"

namespace sigmad::analysis {

struct RuntimeInfo {
  std::string torch_version;  // e.g. "1.13.1"
  int intra_op_threads = 0;   // CPU threads one training or prediction step may use
  std::string device;         // "cpu"
};

RuntimeInfo Runtime();

inline constexpr int kMaxThreads = 256;

// The CPUs this process may run on (its affinity mask, e.g. systemd's CPUAffinity=),
// at least 1.
int AvailableCpus();

// Makes later Train and Predict calls use `threads` intra-op threads; 0 means
// AvailableCpus(). Errors: "invalid_argument" outside 0..kMaxThreads.
Status SetThreads(int threads);

}  // namespace sigmad::analysis
