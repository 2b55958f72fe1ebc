// Server: the control socket. Accepts unix-stream connections, authenticates each peer
// by SO_PEERCRED, reads newline-delimited JSON requests and answers them through the
// Dispatcher. Up to max_clients connections are served concurrently (POCO TCPServer on
// its own thread pool); more wait in a bounded queue.
//
// Bad clients cannot hurt others: malformed lines get an error and the connection
// goes on; an oversize line gets request_too_large and the connection is closed; a
// client silent for idle_timeout is told idle_timeout and dropped; a client that
// vanishes mid-request is dropped. Non-admins get access_denied and are logged.
//
// Lifecycle: Start() binds and serves. BeginDrain() stops accepting, closes the
// listening socket and removes its node, and lets each connection finish the requests
// it has received; WaitDrained() waits for them. Stop() ends everything.
// Thread-safety: lifecycle calls from one thread; Stats() from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "common/status.h"
#include "control/dispatcher.h"
#include "control/peer.h"

namespace Poco {
class ThreadPool;
namespace Net {
class ServerSocket;
class TCPServer;
}
}  // namespace Poco

namespace sigmad::control {

struct ServerOptions {
  std::filesystem::path socket;
  unsigned socket_mode = 0660;
  AdminRule admin;
  std::chrono::milliseconds idle_timeout{60000};
  int max_clients = 64;
  size_t max_request_bytes = 16u << 20;
  // Told of every access decision (for the audit log), on the connection's thread. A
  // non-ok Status refuses the connection even to an admin: what cannot be audited is
  // not served.
  std::function<Status(const PeerCred&, const AccessDecision&)> on_access;
};

struct ServerStats {
  long long active = 0;        // connections being served now
  long long accepted = 0;      // since start
  long long requests = 0;      // request lines answered
  long long denied = 0;        // connections refused by the admin rule
  long long bad_requests = 0;  // malformed, oversize, unknown method
};

class Server {
 public:
  Server(ServerOptions options, const Dispatcher& dispatcher);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the socket (replacing a stale node, refusing a live one), sets its mode and
  // group, and starts serving.
  Status Start();
  void BeginDrain();
  // True when no connection is left, false if the timeout passed first.
  bool WaitDrained(std::chrono::milliseconds timeout);
  void Stop();

  ServerStats Stats() const;
  // Replaces who may administer (the SecurityPolicy's adminGroup): new connections are
  // judged by it, and a bound socket with group access is given to the new group.
  void SetAdminRule(AdminRule rule);
  AdminRule admin_rule() const;
  bool draining() const { return draining_.load(); }
  const ServerOptions& options() const { return options_; }

 private:
  friend class Connection;
  void ConnectionStarted();
  void ConnectionEnded();

  ServerOptions options_;
  const Dispatcher& dispatcher_;
  std::unique_ptr<Poco::ThreadPool> pool_;
  std::unique_ptr<Poco::Net::ServerSocket> listener_;  // shares the TCPServer's socket
  std::unique_ptr<Poco::Net::TCPServer> tcp_;
  std::atomic<bool> draining_{false};
  std::atomic<bool> stopping_{false};  // drain window over: close even mid-request
  std::atomic<bool> bound_{false};

  mutable std::mutex mu_;
  std::condition_variable drained_;
  long long active_ = 0;  // GUARDED_BY(mu_)
  AdminRule admin_;       // GUARDED_BY(mu_); options_.admin until SetAdminRule
  std::atomic<long long> accepted_{0}, requests_{0}, denied_{0}, bad_requests_{0};
};

}  // namespace sigmad::control
