// What the benchmarks in bench/ share beyond the timing harness: their error, a
// temporary directory, and the machine's description for the report.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "common/status.h"

namespace sigmad::bench {

// A benchmark's own failure.
inline Status Fail(const std::string& what) { return Status::Error("bench", what); }

// A new directory PREFIX.XXXXXX under a parent, removed with its contents when this
// goes out of scope, unless kept.
class TempDir {
 public:
  static Result<std::unique_ptr<TempDir>> Make(const std::filesystem::path& parent,
                                               const std::string& prefix);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  void Keep() { keep_ = true; }

 private:
  explicit TempDir(std::filesystem::path path) : path_(std::move(path)) {}
  std::filesystem::path path_;
  bool keep_ = false;
};

// The CPU's model name from /proc/cpuinfo, or "unknown".
std::string CpuModel();

// CPU seconds (user + system) of this process, all its threads, and of its waited-for
// children (the peers) so far.
double OwnCpuSeconds();

}  // namespace sigmad::bench
