// Reading small files (configs, certificates, policies) safely.
//
// ReadRegularFile opens without blocking and refuses anything that is not a regular
// file (a directory, a FIFO that would block forever, a device) and anything larger
// than max_bytes, so a wrong path gives a clear error instead of a hang or an
// out-of-memory. The error message is "cannot read: <why>" without the path; callers
// prefix it with the path in their own format.
// Thread-safety: reentrant.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sigmad {

Result<std::string> ReadRegularFile(const std::filesystem::path& path, size_t max_bytes);

// fsync of a directory, so that names created or removed in it survive a crash.
Status SyncDirectory(const std::filesystem::path& dir);

// A file written whole or not at all: it is created in `dir` under no name (O_TMPFILE)
// and appears under its name only at Commit, after its data is on disk. A crash or a
// failed write before that leaves nothing behind. Where the file system has no
// O_TMPFILE (NFS, for one), it is a hidden file kTempPrefix + name + random suffix in
// `dir`, removed on failure and by the destructor; only a crash can leave one, and the
// owner of `dir` removes those (RemoveStaleTempFiles).
// Errors are code "io" with the path and strerror, e.g. "cannot write /x/y: No space
// left on device". Thread-safety: one thread at a time.
class NewFile {
 public:
  static constexpr char kTempPrefix[] = ".tmp-";
  // `name` is the final name in `dir` (no '/'), `mode` its permissions.
  static Result<NewFile> Create(const std::filesystem::path& dir, const std::string& name,
                                mode_t mode);
  NewFile(NewFile&& o) noexcept;
  NewFile& operator=(NewFile&&) = delete;
  NewFile(const NewFile&) = delete;
  NewFile& operator=(const NewFile&) = delete;
  ~NewFile();

  // Appends all of `bytes` (retrying short writes and EINTR).
  Status Write(std::string_view bytes);
  // fsync, then the file gets its name (never replacing anything there: "exists" if the
  // name is taken), then the directory is fsynced. The file is closed either way.
  Status Commit();
  int fd() const { return fd_; }

 private:
  NewFile(int fd, std::filesystem::path dir, std::string name, std::filesystem::path temp)
      : fd_(fd), dir_(std::move(dir)), name_(std::move(name)), temp_(std::move(temp)) {}
  void Discard();

  int fd_;
  std::filesystem::path dir_;
  std::string name_;
  std::filesystem::path temp_;  // the hidden name in the fallback; empty with O_TMPFILE
};

// Removes the hidden temp files a crash left in `dir` (NewFile's fallback); returns how
// many went.
Result<size_t> RemoveStaleTempFiles(const std::filesystem::path& dir);

}  // namespace sigmad
