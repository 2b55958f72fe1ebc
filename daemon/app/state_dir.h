// The state directory: its lock, and the contents dev mode creates inside it.
//
// One sigmad per state dir: StateDirLock holds an exclusive flock on DIR/sigmad.lock
// for the daemon's life (the kernel drops it if the process dies, so a crash never
// leaves a stale lock). A second daemon is refused with the holder's pid.
// Thread-safety: not shared; created and destroyed by the app thread.
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>

#include "common/status.h"

namespace sigmad::app {

class StateDirLock {
 public:
  static Result<StateDirLock> Acquire(const std::filesystem::path& dir);
  StateDirLock(StateDirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  StateDirLock& operator=(StateDirLock&&) = delete;
  StateDirLock(const StateDirLock&) = delete;
  ~StateDirLock();

 private:
  explicit StateDirLock(int fd) : fd_(fd) {}
  int fd_;
};

// Creates `dir` (and missing parents, the leaf 0700) if needed; fails if it exists as
// something other than a directory.
Status EnsureDirectory(const std::filesystem::path& dir);

// Where the master key comes from outside dev mode: the systemd credential
// `master-key` when $CREDENTIALS_DIRECTORY (passed as `credentials_dir`, may be null or
// empty) holds one, else the configured key file.
struct MasterKeySource {
  std::filesystem::path path;
  bool credential = false;  // path is in $CREDENTIALS_DIRECTORY
};
MasterKeySource ResolveMasterKeyPath(const std::filesystem::path& configured,
                                     const char* credentials_dir);

// What dev mode keeps in its dir.
struct DevPaths {
  std::filesystem::path dir, config, master_key, tls_cert, tls_key, socket, policies;
  static DevPaths For(const std::filesystem::path& dir);
};

// Fills a locked dev dir with whatever is missing: master key (0400), self-signed
// certificate and key, a commented sigmad.yaml, and policies.d holding the shipped
// baseline policy set. Existing files are kept and the
// key is checked; a half-present certificate pair is an error, never overwritten.
// Sets *created to a list of what was made.
Status PrepareDevDir(const DevPaths& paths, std::chrono::system_clock::time_point now,
                     std::string* created);

}  // namespace sigmad::app
