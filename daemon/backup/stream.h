// The backup stream: bytes sealed in chunks with AES-256-GCM, so that reading them back
// detects any change, reordering, truncation or extension, and says which.
//
// Layout (integers big-endian):
//
//   header  magic "SIGMADBK" (8) | format version (1 byte, kStreamVersion) | zero (3)
//           | chunk size C (4 bytes) | stream id (16 random bytes)        = 32 bytes
//   chunk i crypto::Aead::Seal(term, plaintext_i, aad = header | i (8 bytes) | last (1 byte))
//
// Every chunk holds C bytes of plaintext except the last, which holds 0..C bytes; a
// stream always ends with a last chunk, even an empty stream. So every chunk but the
// last is exactly C + crypto::kSealOverhead bytes, and the reader knows a chunk is the
// last by where the stream ends. The header, the chunk's index and the last flag are
// authenticated with every chunk, so:
//   - a changed byte anywhere fails its chunk (a changed header fails chunk 0);
//   - chunks swapped, reordered, or taken from another stream (other id) fail;
//   - a stream cut at a chunk boundary ends on a chunk sealed as not last: "truncated";
//   - bytes appended after the last chunk make it a chunk that is not the last: refused.
//
// The reader passes each chunk's plaintext on as soon as the chunk authenticates, and
// whether the stream is whole is known only at Finish: write what it gives to a
// temporary place and use it only if Finish succeeds.
//
// Errors: "integrity" (the stream is not what was written), "invalid_argument" (a
// chunk size out of range), "crypto" (OpenSSL failed), or what the sink returns.
// Thread-safety: a StreamWriter or StreamReader is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/aead.h"

namespace sigmad::backup {

inline constexpr char kStreamMagic[] = "SIGMADBK";  // 8 bytes, without the NUL
inline constexpr uint8_t kStreamVersion = 1;
inline constexpr size_t kStreamHeaderBytes = 32;
inline constexpr size_t kDefaultChunkBytes = size_t{1} << 20;
inline constexpr size_t kMinChunkBytes = size_t{1} << 12;
inline constexpr size_t kMaxChunkBytes = size_t{64} << 20;

// Where stream bytes (the writer's) or plaintext (the reader's) go.
using Sink = std::function<Status(std::string_view bytes)>;

class StreamWriter {
 public:
  // Sends the header to `sink` at once. `aead` must outlive the writer.
  static Result<StreamWriter> Begin(const crypto::Aead& aead, uint32_t term, Sink sink,
                                    size_t chunk_bytes = kDefaultChunkBytes);
  // Seals and sends each chunk as it fills.
  Status Write(std::string_view plaintext);
  // Seals and sends the last chunk. Nothing may be written after.
  Status Finish();

  uint64_t plaintext_bytes() const { return plaintext_bytes_; }
  uint64_t stream_bytes() const { return stream_bytes_; }

 private:
  StreamWriter(const crypto::Aead& aead, uint32_t term, Sink sink, std::string header)
      : aead_(&aead), term_(term), sink_(std::move(sink)), header_(std::move(header)) {}
  Status SealChunk(bool last);

  const crypto::Aead* aead_;
  uint32_t term_;
  Sink sink_;
  std::string header_;
  size_t chunk_bytes_ = 0;
  std::string pending_;  // plaintext of the chunk being filled
  std::string sealed_;
  uint64_t index_ = 0;
  uint64_t plaintext_bytes_ = 0, stream_bytes_ = 0;
  bool finished_ = false;
};

class StreamReader {
 public:
  // `aead` must hold the key the stream was sealed with, and outlive the reader.
  StreamReader(const crypto::Aead& aead, Sink sink) : aead_(aead), sink_(std::move(sink)) {}
  // The next bytes of the stream, in any pieces.
  Status Feed(std::string_view bytes);
  // The stream has ended: opens its last chunk. ok only if the whole stream is intact.
  Status Finish();

  uint64_t chunks() const { return index_; }
  uint64_t plaintext_bytes() const { return plaintext_bytes_; }

 private:
  Status ReadHeader();
  Status OpenChunk(std::string_view sealed, bool last);
  Status Fail(Status s) { return failed_ = std::move(s); }

  const crypto::Aead& aead_;
  Sink sink_;
  std::string header_;
  size_t chunk_bytes_ = 0;
  std::string buffer_;  // stream bytes not yet opened, from buffer_offset_
  size_t buffer_offset_ = 0;
  std::string plain_;
  uint64_t index_ = 0, plaintext_bytes_ = 0;
  Status failed_ = Status::Ok();
  bool finished_ = false;
};

}  // namespace sigmad::backup
