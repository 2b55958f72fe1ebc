// The control protocol: newline-delimited JSON over a unix stream socket.
//
//   request   {"v":1, "id":ID, "method":"NAME", "params":{...}}
//   progress  {"v":1, "id":ID, "progress":{...}}       zero or more, long methods only
//   result    {"v":1, "id":ID, "result":ANY}           exactly one of result or error
//   error     {"v":1, "id":ID, "error":{"code":"...", "message":"..."}}
//
// ID is a string or an integer chosen by the client and echoed back (null when the
// request could not be read far enough to find it). One JSON value per line; encoders
// never emit a raw newline. A connection carries any number of requests, answered in
// order. This header is shared by sigmad and sigmactl so both speak one definition.
// Thread-safety: free functions are pure; a LineBuffer belongs to one connection.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sigmad::control {

inline constexpr int kVersion = 1;

// Error codes on the wire (stable: scripts match on them).
namespace code {
inline constexpr const char* kParseError = "parse_error";          // not a JSON object
inline constexpr const char* kInvalidRequest = "invalid_request";  // JSON, but not a request
inline constexpr const char* kUnsupportedVersion = "unsupported_version";
inline constexpr const char* kUnknownMethod = "unknown_method";
inline constexpr const char* kInvalidParams = "invalid_params";
inline constexpr const char* kRequestTooLarge = "request_too_large";
inline constexpr const char* kIdleTimeout = "idle_timeout";
inline constexpr const char* kAccessDenied = "access_denied";
inline constexpr const char* kInternal = "internal_error";
}  // namespace code

struct Request {
  Poco::Dynamic::Var id;  // string or integer
  std::string method;
  Poco::JSON::Object::Ptr params;  // never null: {} when absent
};

struct ParsedRequest {
  std::optional<Request> request;  // set when ok
  Poco::Dynamic::Var id;           // the id, when one could be read (for the error reply)
  Status error;                    // why the line is not a request
};

// Reads one request line (without its newline).
ParsedRequest ParseRequest(std::string_view line);

std::string EncodeRequest(const Poco::Dynamic::Var& id, const std::string& method,
                          const Poco::JSON::Object::Ptr& params);
std::string EncodeResult(const Poco::Dynamic::Var& id, const Poco::Dynamic::Var& result);
std::string EncodeProgress(const Poco::Dynamic::Var& id, const Poco::Dynamic::Var& progress);
std::string EncodeError(const Poco::Dynamic::Var& id, const std::string& code,
                        const std::string& message);

// A reply line as the client sees it.
struct Reply {
  enum class Kind { kResult, kProgress, kError } kind;
  Poco::Dynamic::Var id;
  Poco::Dynamic::Var body;  // result value, or progress object
  std::string error_code;   // kError only
  std::string error_message;
};
Result<Reply> ParseReply(std::string_view line);

// Splits a byte stream into lines, refusing any line longer than max_line bytes
// (newline excluded) without buffering more than max_line + one read of it.
class LineBuffer {
 public:
  explicit LineBuffer(size_t max_line) : max_line_(max_line) {}
  enum class Next { kLine, kNeedMore, kTooLong };
  void Append(const char* data, size_t n) { buf_.append(data, n); }
  // kLine: *line holds the next line. kTooLong: the current line exceeds the limit
  // (the stream cannot be resynchronised; the caller should close it).
  Next Pop(std::string* line);
  bool HasPartial() const { return !buf_.empty(); }

 private:
  size_t max_line_;
  std::string buf_;
  size_t scanned_ = 0;  // bytes of buf_ already known to hold no newline
};

}  // namespace sigmad::control
