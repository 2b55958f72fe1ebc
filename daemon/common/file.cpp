#include "common/file.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <random>

namespace sigmad {

Result<std::string> ReadRegularFile(const std::filesystem::path& path, size_t max_bytes) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) return Status::Error("io", std::string("cannot read: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { close(fd); }
  } closer{fd};

  struct stat st {};
  if (fstat(fd, &st) != 0) {
    return Status::Error("io", std::string("cannot read: ") + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode)) return Status::Error("io", "cannot read: it is a directory");
  if (!S_ISREG(st.st_mode)) return Status::Error("io", "cannot read: not a regular file");
  if (static_cast<unsigned long long>(st.st_size) > max_bytes) {
    return Status::Error("io", "cannot read: " + std::to_string(st.st_size) +
                                   " bytes is over the limit of " + std::to_string(max_bytes));
  }

  std::string text;
  char buf[65536];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Status::Error("io", std::string("cannot read: ") + std::strerror(errno));
    if (n == 0) break;
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > max_bytes) {  // grew while we read
      return Status::Error("io", "cannot read: over the limit of " + std::to_string(max_bytes) +
                                     " bytes");
    }
  }
  return text;
}

}  // namespace sigmad

namespace sigmad {
namespace {

Status IoError(const std::string& what, const std::filesystem::path& path, int err) {
  return Status::Error("io", "cannot " + what + " " + path.string() + ": " + std::strerror(err));
}

}  // namespace

Status SyncDirectory(const std::filesystem::path& dir) {
  const int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return IoError("open directory", dir, errno);
  const int rc = fsync(fd);
  const int err = errno;
  close(fd);
  if (rc != 0) return IoError("fsync directory", dir, err);
  return Status::Ok();
}

Result<NewFile> NewFile::Create(const std::filesystem::path& dir, const std::string& name,
                                mode_t mode) {
  if (name.empty() || name.find('/') != std::string::npos) {
    return Status::Error("invalid_argument", "not a file name: '" + name + "'");
  }
  int fd = open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, mode);
  if (fd >= 0) return NewFile(fd, dir, name, {});
  if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL) {
    return IoError("create a file in", dir, errno);
  }
  // No O_TMPFILE here: a hidden name, exclusive, with a random suffix.
  std::random_device random;
  for (int attempt = 0; attempt < 16; ++attempt) {
    const std::filesystem::path temp =
        dir / (std::string(kTempPrefix) + name + "-" + std::to_string(random()));
    fd = open(temp.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, mode);
    if (fd >= 0) return NewFile(fd, dir, name, temp);
    if (errno != EEXIST) return IoError("create", temp, errno);
  }
  return Status::Error("io", "cannot create a temporary file in " + dir.string());
}

NewFile::NewFile(NewFile&& o) noexcept
    : fd_(o.fd_), dir_(std::move(o.dir_)), name_(std::move(o.name_)), temp_(std::move(o.temp_)) {
  o.fd_ = -1;
  o.temp_.clear();
}

NewFile::~NewFile() { Discard(); }

void NewFile::Discard() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
  if (!temp_.empty()) unlink(temp_.c_str());
  temp_.clear();
}

Status NewFile::Write(std::string_view bytes) {
  if (fd_ < 0) return Status::Error("io", "write to a closed file (" + name_ + ")");
  while (!bytes.empty()) {
    const ssize_t n = write(fd_, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError("write", dir_ / name_, errno);
    bytes.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status NewFile::Commit() {
  if (fd_ < 0) return Status::Error("io", "commit of a closed file (" + name_ + ")");
  const std::filesystem::path target = dir_ / name_;
  Status s = Status::Ok();
  if (fsync(fd_) != 0) {
    s = IoError("fsync", target, errno);
  } else if (temp_.empty()) {
    const std::string proc = "/proc/self/fd/" + std::to_string(fd_);
    if (linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, target.c_str(), AT_SYMLINK_FOLLOW) != 0) {
      s = errno == EEXIST ? Status::Error("exists", target.string() + " already exists")
                          : IoError("link", target, errno);
    }
  } else if (link(temp_.c_str(), target.c_str()) != 0) {  // link, not rename: no overwrite
    if (errno == EPERM &&  // no hard links here (vfat, exFAT): a rename that never replaces
        renameat2(AT_FDCWD, temp_.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) == 0) {
      temp_.clear();
    } else {
      s = errno == EEXIST ? Status::Error("exists", target.string() + " already exists")
                          : IoError("link", target, errno);
    }
  }
  Discard();  // closes, and removes the hidden name (the data lives on under `target`)
  if (!s.ok()) return s;
  return SyncDirectory(dir_);
}

Result<size_t> RemoveStaleTempFiles(const std::filesystem::path& dir) {
  std::error_code ec;
  size_t removed = 0;
  for (std::filesystem::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(NewFile::kTempPrefix, 0) != 0) continue;
    if (std::filesystem::remove(it->path(), ec)) ++removed;
    if (ec) break;
  }
  if (ec) return Status::Error("io", "cannot clean " + dir.string() + ": " + ec.message());
  if (removed > 0) {
    if (Status s = SyncDirectory(dir); !s.ok()) return s;
  }
  return removed;
}

}  // namespace sigmad
