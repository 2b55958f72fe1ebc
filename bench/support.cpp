#include "support.h"

#include <stdlib.h>
#include <sys/resource.h>

#include <cerrno>
#include <cstring>
#include <fstream>

namespace sigmad::bench {

Result<std::unique_ptr<TempDir>> TempDir::Make(const std::filesystem::path& parent,
                                               const std::string& prefix) {
  std::string pattern = (parent / (prefix + ".XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Fail("cannot create a directory in " + parent.string() + ": " + std::strerror(errno) +
                " (pick another with --dir)");
  }
  return std::unique_ptr<TempDir>(new TempDir(pattern));
}

TempDir::~TempDir() {
  if (keep_) return;
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

double OwnCpuSeconds() {
  double seconds = 0;
  for (const int who : {RUSAGE_SELF, RUSAGE_CHILDREN}) {
    rusage u{};
    getrusage(who, &u);
    seconds += static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
               static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
  }
  return seconds;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

}  // namespace sigmad::bench
