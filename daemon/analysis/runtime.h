// The analysis runtime: which libtorch sigmad trains with, and how many threads it uses.
//
// This module is the only one that includes torch headers (they are heavy and slow to
// compile); everything else sees plain C++ types. The first call loads libtorch's
// thread pool; later calls are cheap.
// Thread-safety: safe from any thread.
#pragma once

#include <string>

namespace sigmad::analysis {

struct RuntimeInfo {
  std::string torch_version;  // e.g. "1.13.1"
  int intra_op_threads = 0;   // CPU threads one training or prediction step may use
  std::string device;         // "cpu"
};

RuntimeInfo Runtime();

}  // namespace sigmad::analysis
