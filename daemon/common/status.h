// Status and Result<T>: errors as values for the core modules.
//
// A Status is either ok or carries a code (a stable snake_case string that scripts and
// the control protocol use, e.g. "invalid_config") and a human message that says what
// went wrong and, where it can, what to do. Result<T> holds a T or a non-ok Status.
// Both are plain values: copy them, return them, never throw them.
// Thread-safety: none needed; instances are not shared.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace sigmad {

class Status {
 public:
  Status() = default;  // ok

  static Status Ok() { return Status(); }
  static Status Error(std::string code, std::string message) {
    assert(!code.empty());
    return Status(std::move(code), std::move(message));
  }

  bool ok() const { return code_.empty(); }
  const std::string& code() const { return code_; }
  const std::string& message() const { return message_; }
  // "code: message", or "ok".
  std::string ToString() const { return ok() ? "ok" : code_ + ": " + message_; }

 private:
  Status(std::string code, std::string message)
      : code_(std::move(code)), message_(std::move(message)) {}
  std::string code_;
  std::string message_;
};

template <typename T>
class Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.ok() && "a Result built from a Status must carry an error");
  }

  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace sigmad
