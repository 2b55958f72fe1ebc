#include "common/unix_socket.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cerrno>
#include <cstring>
#include <string>
#include <thread>

#include "support/temp_dir.h"

using sigmad::ConnectUnix;
using sigmad::SendAll;
using sigmad::testing::TempDir;

namespace {

// A listening unix socket at `path`; -1 on failure.
int Listen(const std::string& path) {
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(fd, 4) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

}  // namespace

TEST_CASE("ConnectUnix reaches a listener and reports why it cannot", "[common][unix_socket]") {
  TempDir dir;
  const std::string path = (dir / "s.sock").string();

  SECTION("nothing there: ENOENT") {
    CHECK(ConnectUnix(path) == -1);
    CHECK(errno == ENOENT);
  }
  SECTION("a node nobody listens on: ECONNREFUSED") {
    const int l = Listen(path);
    REQUIRE(l >= 0);
    close(l);
    CHECK(ConnectUnix(path) == -1);
    CHECK(errno == ECONNREFUSED);
  }
  SECTION("a path longer than sun_path: ENAMETOOLONG") {
    CHECK(ConnectUnix("/tmp/" + std::string(200, 'x')) == -1);
    CHECK(errno == ENAMETOOLONG);
  }
  SECTION("an empty path: ENOENT") {
    CHECK(ConnectUnix("") == -1);
    CHECK(errno == ENOENT);
  }
  SECTION("a listener: a connected, close-on-exec socket") {
    const int l = Listen(path);
    REQUIRE(l >= 0);
    const int fd = ConnectUnix(path);
    REQUIRE(fd >= 0);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    close(fd);
    close(l);
  }
}

TEST_CASE("SendAll writes everything or says it could not", "[common][unix_socket]") {
  int sv[2];
  REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) == 0);

  SECTION("more than the socket buffer holds, read concurrently") {
    const std::string data(8u << 20, 'z');
    std::string got;
    std::thread reader([&] {
      char buf[65536];
      for (;;) {
        const ssize_t n = read(sv[1], buf, sizeof buf);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
    });
    CHECK(SendAll(sv[0], data));
    shutdown(sv[0], SHUT_WR);
    reader.join();
    CHECK(got == data);
  }
  SECTION("a peer that is gone: false with EPIPE, and no SIGPIPE") {
    close(sv[1]);
    sv[1] = -1;
    CHECK_FALSE(SendAll(sv[0], "hello"));
    CHECK(errno == EPIPE);
  }
  SECTION("nothing to send is success") { CHECK(SendAll(sv[0], "")); }
  close(sv[0]);
  if (sv[1] >= 0) close(sv[1]);
}
