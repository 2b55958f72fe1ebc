// Dispatcher: the table of control methods and the one place they are called.
//
// A method gets a Call (its request, the authenticated peer and a way to stream
// progress) and returns a Result<Var>: the value goes back as "result", a Status as
// "error" with its code and message. Exceptions escaping a method (POCO, libtorch)
// become "internal_error" and are logged; they never reach the client as a crash.
// Thread-safety: Register() before serving; Dispatch() is then safe from any thread.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/status.h"
#include "control/peer.h"
#include "control/protocol.h"

namespace sigmad::control {

class Call {
 public:
  using SendFn = std::function<bool(const std::string& line)>;
  using StopFn = std::function<bool()>;
  Call(const Request& request, const PeerCred& peer, SendFn send, StopFn stopping = {})
      : request_(request), peer_(peer), send_(std::move(send)), stopping_(std::move(stopping)) {}

  const Request& request() const { return request_; }
  const Poco::JSON::Object& params() const { return *request_.params; }
  const PeerCred& peer() const { return peer_; }
  // Streams {"progress": p} to the client now. False once the client has gone away,
  // so a long method can stop early.
  bool Progress(const Poco::Dynamic::Var& p) const;
  // True once sigmad is shutting down: a method that would run on (audit tail
  // --follow, a job's progress) should finish now.
  bool Stopping() const { return stopping_ && stopping_(); }
  // Fails with invalid_params naming the first parameter not in `allowed`.
  Status OnlyParams(const std::vector<std::string>& allowed) const;

 private:
  const Request& request_;
  const PeerCred& peer_;
  SendFn send_;
  StopFn stopping_;
};

class Dispatcher {
 public:
  using Method = std::function<Result<Poco::Dynamic::Var>(const Call&)>;

  void Register(const std::string& name, Method method);
  bool Has(const std::string& name) const { return methods_.count(name) != 0; }
  std::vector<std::string> Names() const;

  // Runs the request's method and returns the final reply line (result or error).
  std::string Dispatch(const Request& request, const PeerCred& peer, const Call::SendFn& send,
                       const Call::StopFn& stopping = {}) const;

 private:
  std::map<std::string, Method> methods_;
};

}  // namespace sigmad::control
