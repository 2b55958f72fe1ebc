#include "common/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

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
