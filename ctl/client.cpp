#include "client.h"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/unix_socket.h"

namespace sigmad::ctl {

Result<Client> Client::Connect(const std::string& path) {
  const int fd = ConnectUnix(path);
  if (fd < 0) {
    const int err = errno;
    if (err == ENAMETOOLONG) {
      return Status::Error("unreachable",
                           "socket path " + path + " is too long for a unix socket");
    }
    if (err == EACCES || err == EPERM) {
      return Status::Error("access_denied",
                           "no permission to connect to " + path +
                               " (admins are root, the daemon's user and members of the admin "
                               "group, sigmad-admin by default)");
    }
    std::string hint = err == ENOENT || err == ECONNREFUSED
                           ? " (is sigmad running? set --socket or SIGMAD_SOCKET to another path)"
                           : "";
    return Status::Error("unreachable",
                         "cannot connect to sigmad at " + path + ": " + std::strerror(err) + hint);
  }
  return Client(fd, path);
}

Client::Client(Client&& o) noexcept
    : fd_(o.fd_), path_(std::move(o.path_)), next_id_(o.next_id_), lines_(std::move(o.lines_)) {
  o.fd_ = -1;
}

Client::~Client() {
  if (fd_ >= 0) close(fd_);
}

Result<Poco::Dynamic::Var> Client::Call(const std::string& method,
                                        const Poco::JSON::Object::Ptr& params,
                                        std::chrono::milliseconds timeout,
                                        const ProgressFn& on_progress) {
  const long long id = next_id_++;
  if (!SendAll(fd_, control::EncodeRequest(id, method, params) + "\n")) {
    return Status::Error("unreachable", "sigmad at " + path_ + " closed the connection" +
                                            (errno ? std::string(": ") + std::strerror(errno) : ""));
  }

  std::string reply_line;
  for (;;) {
    const auto next = lines_.Pop(&reply_line);
    if (next == control::LineBuffer::Next::kTooLong) {
      return Status::Error("protocol_error", "reply from sigmad is larger than 256 MiB");
    }
    if (next == control::LineBuffer::Next::kLine) {
      auto reply = control::ParseReply(reply_line);
      if (!reply.ok()) return reply.status();
      switch (reply->kind) {
        case control::Reply::Kind::kProgress:
          if (on_progress) on_progress(reply->body);
          continue;
        case control::Reply::Kind::kError:
          return Status::Error(reply->error_code, reply->error_message);
        case control::Reply::Kind::kResult:
          return reply->body;
      }
    }
    pollfd p{fd_, POLLIN, 0};
    const int rc = poll(&p, 1, timeout.count() > 0 ? static_cast<int>(timeout.count()) : -1);
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) {
      return Status::Error("timeout", "sigmad did not answer '" + method + "' within " +
                                          std::to_string(timeout.count() / 1000) +
                                          "s (raise --timeout, or 0 to wait forever)");
    }
    char buf[65536];
    const ssize_t got = recv(fd_, buf, sizeof buf, 0);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) {
      return Status::Error("unreachable",
                           "sigmad closed the connection before answering '" + method + "'");
    }
    lines_.Append(buf, static_cast<size_t>(got));
  }
}

}  // namespace sigmad::ctl
