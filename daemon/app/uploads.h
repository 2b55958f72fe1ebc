// Uploads: CSV files on their way into sigmad, for dataset.import and model.predict;
// and SendCsv, the way back out.
//
// A CSV can be larger than one request line (control.max_request_bytes), so its bytes
// arrive first, base64-encoded, in as many dataset.upload calls as needed (each appends
// to the upload it names, or starts one), and the method that uses the file names the
// upload and takes it. Uploads live in memory: at most kMaxUploadFileBytes each and
// kMaxUploadBytes in all; each is dropped kUploadIdleTimeout after its last part, and
// taken (so dropped) by the method that uses it, whether that succeeds or not.
// Thread-safety: an Uploads may be used from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <utility>

#include "common/clock.h"
#include "common/status.h"
#include "control/dispatcher.h"

namespace sigmad::app {

inline constexpr size_t kMaxUploadBytes = size_t{1} << 30;        // all uploads in progress
inline constexpr size_t kMaxUploadFileBytes = size_t{256} << 20;  // one file
inline constexpr auto kUploadIdleTimeout = std::chrono::minutes(10);

class Uploads {
 public:
  explicit Uploads(const Clock& clock) : clock_(clock) {}

  // Appends `bytes` to upload `id` ("" starts one); returns the id and the size so far.
  // Errors: "too_large" (the upload is then dropped if it was the file that grew too
  // large), "invalid_params" (no such upload).
  Result<std::pair<std::string, size_t>> Append(const std::string& id, std::string bytes);
  // Removes and returns upload `id`.
  Result<std::string> Take(const std::string& id);

 private:
  struct Part {
    std::string bytes;
    Clock::MonoTime touched;
  };
  void Expire();  // mu_ held

  const Clock& clock_;
  std::mutex mu_;
  std::map<std::string, Part> parts_;  // GUARDED_BY(mu_)
  size_t total_ = 0;                   // GUARDED_BY(mu_)
};

// Registers dataset.upload {upload?, data (base64)} -> {upload, bytes}.
void RegisterUploadMethod(control::Dispatcher& dispatcher, Uploads& uploads);

// Sends `csv` to the caller as progress messages {"chunk": TEXT} of about
// kSendChunkBytes, each ending at a line end (a record's, or one inside a quoted field)
// so that no UTF-8 character is cut in two: JSON strings must be whole text. Errors:
// "cancelled" when the client went away.
inline constexpr size_t kSendChunkBytes = 256u << 10;
Status SendCsv(const control::Call& call, const std::string& csv);

}  // namespace sigmad::app
