#include "crypto/master_key.h"

#include <fcntl.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sigmad::crypto {
namespace {

std::string Errno() { return std::strerror(errno); }

Status SyncDir(const std::filesystem::path& dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Status::Error("io", "cannot open " + dir.string() + ": " + Errno());
  const int rc = fsync(fd);
  close(fd);
  if (rc != 0) return Status::Error("io", "cannot fsync " + dir.string() + ": " + Errno());
  return Status::Ok();
}

}  // namespace

Status CreateMasterKey(const std::filesystem::path& path) {
  SecretBytes key(kMasterKeyBytes);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) {
    return Status::Error("crypto", "the random generator failed to produce a master key");
  }
  return WriteMasterKey(path, key);
}

Status ReplaceMasterKey(const std::filesystem::path& path, const SecretBytes& key) {
  // A name of our own beside the key (never one an operator would pick for a new key).
  const std::filesystem::path staged =
      path.string() + ".sigmad-replace-" + std::to_string(getpid());
  unlink(staged.c_str());  // a leftover of an interrupted replacement by this pid
  if (Status s = WriteMasterKey(staged, key); !s.ok()) return s;
  if (rename(staged.c_str(), path.c_str()) != 0) {
    const std::string why = Errno();
    unlink(staged.c_str());
    return Status::Error("master_key", "cannot replace master key " + path.string() + ": " + why);
  }
  return SyncDir(path.parent_path().empty() ? "." : path.parent_path());
}

Status WriteMasterKey(const std::filesystem::path& path, const SecretBytes& key) {
  if (key.size() != kMasterKeyBytes) {
    return Status::Error("invalid_key", "a master key is " + std::to_string(kMasterKeyBytes) +
                                            " bytes");
  }
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0400);
  if (fd < 0) {
    return Status::Error("master_key", "cannot create master key " + path.string() + ": " + Errno());
  }
  size_t off = 0;
  while (off < key.size()) {
    const ssize_t n = write(fd, key.data() + off, key.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = Errno();
      close(fd);
      unlink(path.c_str());
      return Status::Error("master_key", "cannot write master key " + path.string() + ": " + why);
    }
    off += static_cast<size_t>(n);
  }
  if (fsync(fd) != 0) {
    const std::string why = Errno();
    close(fd);
    unlink(path.c_str());
    return Status::Error("master_key", "cannot fsync master key " + path.string() + ": " + why);
  }
  close(fd);
  return SyncDir(path.parent_path().empty() ? "." : path.parent_path());
}

Result<SecretBytes> LoadMasterKey(const std::filesystem::path& path, KeyFileAccess access) {
  // O_NONBLOCK: a FIFO in its place must fail the regular-file check, not hang open().
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0) {
    return Status::Error("master_key", "cannot open master key " + path.string() + ": " + Errno());
  }
  struct stat st {};
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    close(fd);
    return Status::Error("master_key", "master key " + path.string() + " is not a regular file");
  }
  const mode_t forbidden = access == KeyFileAccess::kOwnerOnly ? 077 : 007;
  if ((st.st_mode & forbidden) != 0) {
    close(fd);
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    const char* who = access == KeyFileAccess::kOwnerOnly ? "group and others" : "others";
    return Status::Error("master_key", "master key " + path.string() + " has mode " + mode +
                                           "; " + who + " must have no access (chmod 0400 " +
                                           path.string() + ")");
  }
  if (st.st_size != static_cast<off_t>(kMasterKeyBytes)) {
    close(fd);
    return Status::Error("master_key", "master key " + path.string() + " holds " +
                                           std::to_string(st.st_size) + " bytes; a master key is " +
                                           std::to_string(kMasterKeyBytes) + " random bytes");
  }
  SecretBytes key(kMasterKeyBytes);
  size_t off = 0;
  while (off < key.size()) {
    const ssize_t n = read(fd, key.data() + off, key.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      close(fd);
      return Status::Error("master_key", "cannot read master key " + path.string());
    }
    off += static_cast<size_t>(n);
  }
  close(fd);
  return key;
}

}  // namespace sigmad::crypto
