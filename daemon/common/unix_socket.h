// Small unix-domain stream socket helpers shared by the server, sigmactl and tests.
// POSIX style: failures return -1 / false with errno set.
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <string_view>

namespace sigmad {

// A connected SOCK_STREAM|SOCK_CLOEXEC socket to `path`, or -1 with errno set
// (ENAMETOOLONG when the path does not fit in sun_path).
int ConnectUnix(const std::string& path);

// Writes all of `data`, retrying on EINTR and short writes, never raising SIGPIPE.
// False (errno set; 0 means the peer stopped taking data) if it could not.
bool SendAll(int fd, std::string_view data);

}  // namespace sigmad
