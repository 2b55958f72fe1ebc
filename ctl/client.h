// Client: sigmactl's side of the control socket. Connects, sends one request at a time
// and reads its reply, handing progress lines to a callback as they arrive.
//
// Errors are Status values whose code tells sigmactl its exit code: "unreachable"
// (no daemon at the path, or it hung up), "access_denied" (the socket's mode or the
// daemon refused us), "timeout", or the daemon's own error code.
// Thread-safety: one Client per thread.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <functional>
#include <string>

#include "common/status.h"
#include "control/protocol.h"

namespace sigmad::ctl {

class Client {
 public:
  using ProgressFn = std::function<void(const Poco::Dynamic::Var& progress)>;

  static Result<Client> Connect(const std::string& socket_path);
  Client(Client&& o) noexcept;
  Client& operator=(Client&&) = delete;
  Client(const Client&) = delete;
  ~Client();

  // Sends `method` and waits for its result. `timeout` bounds the silence between two
  // lines from the daemon (progress resets it); zero waits forever.
  Result<Poco::Dynamic::Var> Call(const std::string& method,
                                  const Poco::JSON::Object::Ptr& params,
                                  std::chrono::milliseconds timeout,
                                  const ProgressFn& on_progress = {});

 private:
  Client(int fd, std::string path) : fd_(fd), path_(std::move(path)), lines_(kMaxReply) {}
  static constexpr size_t kMaxReply = 256u << 20;
  int fd_;
  std::string path_;
  long long next_id_ = 1;
  control::LineBuffer lines_;
};

}  // namespace sigmad::ctl
