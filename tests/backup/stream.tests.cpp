#include "backup/stream.h"

#include <catch2/catch.hpp>
#include <memory>
#include <string>
#include <vector>

namespace sigmad::backup {
namespace {

constexpr size_t kChunk = kMinChunkBytes;  // 4096: small chunks, many of them
constexpr size_t kSealed = kChunk + crypto::kSealOverhead;

std::unique_ptr<crypto::Aead> Key(uint8_t fill) {
  crypto::SecretBytes key(crypto::kAeadKeyBytes);
  for (size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<uint8_t>(fill + i);
  auto aead = crypto::Aead::Create(key);
  REQUIRE(aead.ok());
  return std::move(aead).value();
}

std::string Plaintext(size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 131 + 7) % 251);
  return s;
}

// The stream of `plain`, written in pieces of `piece` bytes.
std::string Seal(const crypto::Aead& aead, const std::string& plain, size_t piece = 1000) {
  std::string stream;
  auto w = StreamWriter::Begin(aead, 7, [&](std::string_view b) {
    stream.append(b);
    return Status::Ok();
  }, kChunk);
  REQUIRE(w.ok());
  for (size_t at = 0; at < plain.size(); at += piece) {
    REQUIRE(w.value().Write(std::string_view(plain).substr(at, piece)).ok());
  }
  REQUIRE(w.value().Finish().ok());
  CHECK(w.value().stream_bytes() == stream.size());
  CHECK(w.value().plaintext_bytes() == plain.size());
  return stream;
}

struct Opened {
  Status status;
  std::string plain;
  uint64_t chunks = 0;
};

// Reads `stream` fed in pieces of `piece` bytes.
Opened Open(const crypto::Aead& aead, const std::string& stream, size_t piece = 777) {
  Opened o;
  StreamReader r(aead, [&](std::string_view b) {
    o.plain.append(b);
    return Status::Ok();
  });
  for (size_t at = 0; at < stream.size() && o.status.ok(); at += piece) {
    o.status = r.Feed(std::string_view(stream).substr(at, piece));
  }
  if (o.status.ok()) o.status = r.Finish();
  o.chunks = r.chunks();
  return o;
}

TEST_CASE("the backup stream round-trips every size, in any pieces", "[backup]") {
  const auto key = Key(1);
  for (size_t n : {size_t{0}, size_t{1}, kChunk - 1, kChunk, kChunk + 1, 3 * kChunk,
                   3 * kChunk + 17}) {
    for (size_t piece : {size_t{1}, size_t{999}, kChunk, size_t{1} << 20}) {
      if (piece == 1 && n > kChunk + 1) continue;  // slow and adds nothing
      CAPTURE(n, piece);
      const std::string plain = Plaintext(n);
      const std::string stream = Seal(*key, plain, piece);
      const size_t chunks = n == 0 ? 1 : (n + kChunk - 1) / kChunk;
      CHECK(stream.size() == kStreamHeaderBytes + chunks * crypto::kSealOverhead + n);
      CHECK(stream.compare(0, 8, "SIGMADBK") == 0);
      const Opened o = Open(*key, stream, piece);
      REQUIRE(o.status.ok());
      CHECK(o.plain == plain);
      CHECK(o.chunks == chunks);
    }
  }
  // Two streams of the same bytes differ (stream id, nonces).
  CHECK(Seal(*key, Plaintext(10)) != Seal(*key, Plaintext(10)));
}

TEST_CASE("a changed, moved, cut or extended stream is refused, saying how", "[backup]") {
  const auto key = Key(1);
  const std::string plain = Plaintext(2 * kChunk + 100);  // chunks 0, 1 full; 2 short
  const std::string stream = Seal(*key, plain);
  auto error = [&](const std::string& s) { return Open(*key, s).status.ToString(); };
  const size_t chunk0 = kStreamHeaderBytes, chunk1 = chunk0 + kSealed, chunk2 = chunk1 + kSealed;

  std::string s = stream;
  s[0] = 'X';
  CHECK(error(s) ==
        "integrity: not a sigmad backup stream: its first bytes are not \"SIGMADBK\"");
  s = stream;
  s[8] = 2;
  CHECK(error(s) == "integrity: backup stream format 2 is not one this sigmad reads (it reads 1)");
  s = stream;
  s[10] = 1;
  CHECK(error(s) == "integrity: the stream header's reserved bytes are not zero");
  s = stream;
  s[12] = 0x7f;
  CHECK(error(s) == "integrity: the stream header names a chunk size of 2130710528 bytes, "
                    "outside 4096..67108864");
  s = stream;
  s[20] ^= 1;  // the stream id: every chunk's aad changes
  CHECK(error(s) == "integrity: chunk 0 does not authenticate: it was changed, moved, or comes "
                    "from another stream or key");
  s = stream;
  s[chunk1 + 100] ^= 0x40;
  CHECK(error(s) == "integrity: chunk 1 does not authenticate: it was changed, moved, or comes "
                    "from another stream or key");
  s = stream;
  s.back() ^= 1;  // the last tag
  CHECK(error(s) == "integrity: chunk 2 does not authenticate: it was changed, moved, or comes "
                    "from another stream or key");

  // Chunks 0 and 1 swapped.
  s = stream.substr(0, chunk0) + stream.substr(chunk1, kSealed) + stream.substr(chunk0, kSealed) +
      stream.substr(chunk2);
  CHECK(error(s) == "integrity: chunk 0 does not authenticate: it was changed, moved, or comes "
                    "from another stream or key");
  // Cut at a chunk boundary, and inside a chunk.
  CHECK(error(stream.substr(0, chunk2)) ==
        "integrity: the stream ends after chunk 1, which is not its last: it was truncated");
  CHECK(error(stream.substr(0, chunk2 + 10)) ==
        "integrity: the stream ends inside chunk 2: it was truncated");
  CHECK(error(stream.substr(0, chunk1 + 2000)) ==
        "integrity: chunk 1 does not authenticate: it was changed, moved, or comes from another "
        "stream or key");
  CHECK(error(stream.substr(0, kStreamHeaderBytes)) ==
        "integrity: the stream ends after its header, before any chunk");
  CHECK(error(stream.substr(0, 20)) ==
        "integrity: the stream ends inside its 32-byte header, after 20 bytes");
  CHECK(error("") == "integrity: the stream ends inside its 32-byte header, after 0 bytes");
  // Extended: bytes after a short last chunk, and a chunk after a full last chunk.
  CHECK(error(stream + "x") == "integrity: chunk 2 does not authenticate: it was changed, moved, "
                               "or comes from another stream or key");
  const std::string full = Seal(*key, Plaintext(2 * kChunk));  // its last chunk is full
  CHECK(Open(*key, full).status.ok());
  CHECK(error(full + full.substr(kStreamHeaderBytes, kSealed)) ==
        "integrity: chunk 1 is the stream's last, but more bytes follow it: they were appended");
  // Another key; a chunk from another stream under the same key.
  CHECK(Open(*Key(2), stream).status.ToString() ==
        "integrity: chunk 0 does not authenticate: it was changed, moved, or comes from another "
        "stream or key");
  const std::string other = Seal(*key, plain);
  s = stream.substr(0, chunk1) + other.substr(chunk1, kSealed) + stream.substr(chunk2);
  CHECK(error(s) == "integrity: chunk 1 does not authenticate: it was changed, moved, or comes "
                    "from another stream or key");
}

TEST_CASE("the stream passes on errors and refuses misuse", "[backup]") {
  const auto key = Key(1);
  auto none = [](std::string_view) { return Status::Ok(); };
  CHECK(StreamWriter::Begin(*key, 1, none, 4095).status().ToString() ==
        "invalid_argument: the chunk size must be in 4096..67108864 bytes, not 4095");
  CHECK(StreamWriter::Begin(*key, 1, none, kMaxChunkBytes + 1).status().code() ==
        "invalid_argument");
  // A sink that fails (a full disk) stops the writer with its error.
  int calls = 0;
  auto w = StreamWriter::Begin(*key, 1, [&](std::string_view) {
    return ++calls > 2 ? Status::Error("io", "disk full") : Status::Ok();
  }, kChunk);
  REQUIRE(w.ok());
  const Status written = w.value().Write(Plaintext(5 * kChunk));
  CHECK(written.ToString() == "io: disk full");
  auto done = StreamWriter::Begin(*key, 1, none, kChunk);
  REQUIRE(done.value().Finish().ok());
  CHECK(done.value().Write("x").code() == "invalid_argument");
  CHECK(done.value().Finish().code() == "invalid_argument");
  // A reader whose sink fails stops, and stays stopped.
  const std::string stream = Seal(*key, Plaintext(3 * kChunk));
  StreamReader r(*key, [](std::string_view) { return Status::Error("io", "cannot write"); });
  CHECK(r.Feed(stream).ToString() == "io: cannot write");
  CHECK(r.Finish().ToString() == "io: cannot write");
}

}  // namespace
}  // namespace sigmad::backup
