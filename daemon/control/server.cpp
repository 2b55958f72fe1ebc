#include "control/server.h"

#include <Poco/Exception.h>
#include <Poco/Net/ServerSocket.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/TCPServer.h>
#include <Poco/Net/TCPServerConnection.h>
#include <Poco/Net/TCPServerConnectionFactory.h>
#include <Poco/ThreadPool.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/log.h"
#include "common/unix_socket.h"

namespace sigmad::control {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

// Is something accepting connections on this unix socket path?
bool SomeoneListens(const fs::path& path) {
  const int fd = ConnectUnix(path.string());
  if (fd < 0) return false;
  close(fd);
  return true;
}

}  // namespace

// One client connection, served on a pool thread.
class Connection final : public Poco::Net::TCPServerConnection {
 public:
  Connection(const Poco::Net::StreamSocket& s, Server& server)
      : TCPServerConnection(s), server_(server), lines_(server.options_.max_request_bytes) {}

  void run() override {
    server_.ConnectionStarted();
    struct Ended {
      Server& s;
      ~Ended() { s.ConnectionEnded(); }
    } ended{server_};
    fd_ = socket().impl()->sockfd();
    auto& log = log::For("control");

    // A client that stops reading must not pin this thread forever.
    timeval tv{};
    tv.tv_sec = static_cast<time_t>(server_.options_.idle_timeout.count() / 1000);
    tv.tv_usec = static_cast<suseconds_t>((server_.options_.idle_timeout.count() % 1000) * 1000);
    setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);

    auto cred = ReadPeerCred(fd_);
    if (!cred.ok()) {
      log.warning("dropping client: " + cred.status().message());
      return;
    }
    peer_ = cred.value();
    const AdminRule rule = server_.admin_rule();
    const AccessDecision decision = DecideAccess(peer_, rule);
    if (server_.options_.on_access) {
      if (Status s = server_.options_.on_access(peer_, decision); !s.ok()) {
        log.error("cannot record the access decision for uid=" + std::to_string(peer_.uid) +
                  " pid=" + std::to_string(peer_.pid) + ": " + s.message() +
                  "; connection refused");
        Send(EncodeError({}, code::kInternal,
                         "sigmad cannot write its audit log; see the daemon log"));
        return;
      }
    }
    if (!decision.admin) {
      server_.denied_++;
      log.warning("access denied: uid=" + std::to_string(peer_.uid) +
                  " pid=" + std::to_string(peer_.pid) + " (" + decision.reason + ")");
      // Answer the first request so the client learns why, then hang up.
      std::string line;
      Poco::Dynamic::Var id;
      if (ReadLine(&line) == Read::kLine) id = ParseRequest(line).id;
      Send(EncodeError(id, code::kAccessDenied,
                       "uid " + std::to_string(peer_.uid) +
                           " may not administer sigmad: " + decision.reason +
                           "; admins are root, the daemon's user and members of group " +
                           rule.admin_group));
      return;
    }
    log.debug("client uid=" + std::to_string(peer_.uid) + " pid=" + std::to_string(peer_.pid) +
              " connected (" + decision.reason + ")");

    std::string line;
    while (ReadLine(&line) == Read::kLine) {
      if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank line
      server_.requests_++;
      ParsedRequest parsed = ParseRequest(line);
      std::string reply;
      if (!parsed.request) {
        server_.bad_requests_++;
        log.information("bad request from uid=" + std::to_string(peer_.uid) +
                 " pid=" + std::to_string(peer_.pid) + ": " + parsed.error.message());
        reply = EncodeError(parsed.id, parsed.error.code(), parsed.error.message());
      } else {
        reply = server_.dispatcher_.Dispatch(
            *parsed.request, peer_, [this](const std::string& l) { return Send(l); },
            [this] { return server_.draining(); });
      }
      if (!Send(reply)) return;
    }
  }

 private:
  enum class Read { kLine, kClosed };

  // Reads the next request line. kClosed when the connection should end (peer gone,
  // idle, oversize, draining); any reply owed has been sent.
  Read ReadLine(std::string* line) {
    auto& log = log::For("control");
    auto last_byte = Clock::now();
    for (;;) {
      switch (lines_.Pop(line)) {
        case LineBuffer::Next::kLine:
          return Read::kLine;
        case LineBuffer::Next::kTooLong:
          server_.bad_requests_++;
          log.warning("client uid=" + std::to_string(peer_.uid) + " pid=" +
                      std::to_string(peer_.pid) + " sent a request over " +
                      std::to_string(server_.options_.max_request_bytes) + " bytes; dropped");
          Send(EncodeError({}, code::kRequestTooLarge,
                           "request line exceeds " +
                               std::to_string(server_.options_.max_request_bytes) +
                               " bytes; connection closed"));
          return Read::kClosed;
        case LineBuffer::Next::kNeedMore:
          break;
      }
      if (server_.stopping_) return Read::kClosed;
      // While draining, a connection ends once nothing is pending and no request is half
      // read; bytes the client already sent still count as in flight.
      const bool draining = server_.draining();
      pollfd p{fd_, POLLIN, 0};
      const int n = poll(&p, 1, draining && !lines_.HasPartial() ? 0 : 200);
      if (n < 0 && errno != EINTR) return Read::kClosed;
      if (n == 0 && draining && !lines_.HasPartial()) return Read::kClosed;
      if (n <= 0) {
        if (Clock::now() - last_byte >= server_.options_.idle_timeout) {
          log.debug("client pid=" + std::to_string(peer_.pid) + " idle; dropped");
          Send(EncodeError({}, code::kIdleTimeout,
                           "no complete request for " +
                               std::to_string(server_.options_.idle_timeout.count() / 1000) +
                               "s; connection closed"));
          return Read::kClosed;
        }
        continue;
      }
      char buf[65536];
      const ssize_t got = recv(fd_, buf, sizeof buf, 0);
      if (got < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (got <= 0) {
        if (lines_.HasPartial()) {
          log.information("client pid=" + std::to_string(peer_.pid) +
                   " disconnected in the middle of a request");
        }
        return Read::kClosed;
      }
      lines_.Append(buf, static_cast<size_t>(got));
      last_byte = Clock::now();
    }
  }

  // Writes one line; false if the client is gone or stopped reading.
  bool Send(const std::string& line) { return SendAll(fd_, line + '\n'); }

  Server& server_;
  LineBuffer lines_;
  int fd_ = -1;
  PeerCred peer_;
};

namespace {
class Factory final : public Poco::Net::TCPServerConnectionFactory {
 public:
  explicit Factory(Server& server) : server_(server) {}
  Poco::Net::TCPServerConnection* createConnection(const Poco::Net::StreamSocket& s) override {
    return new Connection(s, server_);
  }

 private:
  Server& server_;
};
}  // namespace

Server::Server(ServerOptions options, const Dispatcher& dispatcher)
    : options_(std::move(options)), dispatcher_(dispatcher), admin_(options_.admin) {}

AdminRule Server::admin_rule() const {
  std::lock_guard lock(mu_);
  return admin_;
}

void Server::SetAdminRule(AdminRule rule) {
  {
    std::lock_guard lock(mu_);
    admin_ = rule;
  }
  const fs::path& path = options_.socket;
  if (bound_ && rule.admin_gid && (options_.socket_mode & 0060) != 0 &&
      chown(path.c_str(), static_cast<uid_t>(-1), *rule.admin_gid) != 0) {
    log::For("control").warning("cannot give " + path.string() + " to group " +
                                rule.admin_group + " (" + std::strerror(errno) +
                                "); its members will not be able to connect");
  }
}

Server::~Server() { Stop(); }

Status Server::Start() {
  const fs::path& path = options_.socket;
  std::error_code ec;
  const auto st = fs::symlink_status(path, ec);
  if (!ec && fs::exists(st)) {
    if (!fs::is_socket(st)) {
      return Status::Error("socket_in_use", path.string() +
                                                " exists and is not a socket; refusing to replace "
                                                "it (move it away or set control.socket)");
    }
    if (SomeoneListens(path)) {
      return Status::Error("socket_in_use", "another process is serving " + path.string() +
                                                " (is another sigmad running?)");
    }
    fs::remove(path, ec);  // stale node from a daemon that did not exit cleanly
  }
  if (!fs::is_directory(path.parent_path(), ec)) {
    return Status::Error("socket_dir", "the socket's directory " + path.parent_path().string() +
                                           " does not exist");
  }

  try {
    // The node must never be reachable with a looser mode than configured: create it
    // owner-only, then widen to socket_mode.
    const mode_t old_mask = umask(0177);
    Poco::Net::ServerSocket listener;
    try {
      listener.bind(Poco::Net::SocketAddress(Poco::Net::SocketAddress::UNIX_LOCAL, path.string()));
      listener.listen(128);
    } catch (...) {
      umask(old_mask);
      throw;
    }
    umask(old_mask);
    bound_ = true;
    if (chmod(path.c_str(), options_.socket_mode) != 0) {
      return Status::Error("socket_mode", "cannot set mode of " + path.string() + ": " +
                                              std::strerror(errno));
    }
    const AdminRule rule = admin_rule();
    if (rule.admin_gid && (options_.socket_mode & 0060) != 0 &&
        chown(path.c_str(), static_cast<uid_t>(-1), *rule.admin_gid) != 0) {
      log::For("control").warning("cannot give " + path.string() + " to group " +
                                  rule.admin_group + " (" + std::strerror(errno) +
                                  "); its members will not be able to connect");
    }

    auto* params = new Poco::Net::TCPServerParams;
    params->setMaxThreads(options_.max_clients);
    params->setMaxQueued(options_.max_clients);
    params->setThreadIdleTime(Poco::Timespan(10, 0));
    pool_ = std::make_unique<Poco::ThreadPool>(2, options_.max_clients + 1, 10);
    listener_ = std::make_unique<Poco::Net::ServerSocket>(listener);
    tcp_ = std::make_unique<Poco::Net::TCPServer>(new Factory(*this), *pool_, listener, params);
    tcp_->start();
  } catch (const Poco::Exception& e) {
    return Status::Error("socket_bind",
                         "cannot listen on " + path.string() + ": " + e.displayText());
  }
  return Status::Ok();
}

void Server::BeginDrain() {
  draining_ = true;
  if (tcp_) tcp_->stop();  // stop accepting; queued connections are closed
  // New clients must fail at once ("unreachable"), not wait in the kernel's backlog.
  if (listener_) {
    listener_->close();
    listener_.reset();
  }
  if (bound_) {
    std::error_code ec;
    fs::remove(options_.socket, ec);
    bound_ = false;
  }
}

bool Server::WaitDrained(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mu_);
  return drained_.wait_for(lock, timeout, [this] { return active_ == 0; });
}

void Server::Stop() {
  BeginDrain();
  stopping_ = true;  // connections left after the drain window end at their next poll tick
  if (pool_) WaitDrained(std::chrono::seconds(5));
  tcp_.reset();
  if (pool_) {
    pool_->joinAll();
    pool_.reset();
  }
}

ServerStats Server::Stats() const {
  ServerStats s;
  {
    std::lock_guard lock(mu_);
    s.active = active_;
  }
  s.accepted = accepted_;
  s.requests = requests_;
  s.denied = denied_;
  s.bad_requests = bad_requests_;
  return s;
}

void Server::ConnectionStarted() {
  accepted_++;
  std::lock_guard lock(mu_);
  ++active_;
}

void Server::ConnectionEnded() {
  std::lock_guard lock(mu_);
  if (--active_ == 0) drained_.notify_all();
}

}  // namespace sigmad::control
