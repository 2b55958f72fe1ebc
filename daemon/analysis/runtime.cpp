#include "analysis/runtime.h"

#include <ATen/Parallel.h>
#include <torch/version.h>

namespace sigmad::analysis {

RuntimeInfo Runtime() {
  RuntimeInfo info;
  info.torch_version = TORCH_VERSION;
  info.intra_op_threads = at::get_num_threads();
  info.device = "cpu";
  return info;
}

}  // namespace sigmad::analysis
