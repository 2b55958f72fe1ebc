#include "backup/stream.h"

#include <cstring>

#include "crypto/random.h"

namespace sigmad::backup {
namespace {

void PutU32(std::string* out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out->push_back(static_cast<char>(v >> shift));
}

uint32_t GetU32(std::string_view in, size_t at) {
  uint32_t v = 0;
  for (size_t i = 0; i < 4; ++i) v = v << 8 | static_cast<uint8_t>(in[at + i]);
  return v;
}

// The additional data of chunk `index`: header | index | last.
std::string ChunkAad(const std::string& header, uint64_t index, bool last) {
  std::string aad = header;
  for (int shift = 56; shift >= 0; shift -= 8) aad.push_back(static_cast<char>(index >> shift));
  aad.push_back(last ? 1 : 0);
  return aad;
}

Status Integrity(const std::string& message) { return Status::Error("integrity", message); }

}  // namespace

Result<StreamWriter> StreamWriter::Begin(const crypto::Aead& aead, uint32_t term, Sink sink,
                                         size_t chunk_bytes) {
  if (chunk_bytes < kMinChunkBytes || chunk_bytes > kMaxChunkBytes) {
    return Status::Error("invalid_argument", "the chunk size must be in " +
                                                 std::to_string(kMinChunkBytes) + ".." +
                                                 std::to_string(kMaxChunkBytes) + " bytes, not " +
                                                 std::to_string(chunk_bytes));
  }
  auto id = crypto::RandomBytes(16);
  if (!id.ok()) return id.status();
  std::string header(kStreamMagic, 8);
  header.push_back(static_cast<char>(kStreamVersion));
  header.append(3, '\0');
  PutU32(&header, static_cast<uint32_t>(chunk_bytes));
  header += id.value();
  StreamWriter w(aead, term, std::move(sink), header);
  w.chunk_bytes_ = chunk_bytes;
  w.pending_.reserve(chunk_bytes);
  if (Status s = w.sink_(header); !s.ok()) return s;
  w.stream_bytes_ = header.size();
  return w;
}

Status StreamWriter::SealChunk(bool last) {
  if (Status s = aead_->Seal(term_, pending_, ChunkAad(header_, index_, last), &sealed_); !s.ok()) {
    return s;
  }
  if (Status s = sink_(sealed_); !s.ok()) return s;
  stream_bytes_ += sealed_.size();
  ++index_;
  pending_.clear();
  return Status::Ok();
}

Status StreamWriter::Write(std::string_view plaintext) {
  if (finished_) return Status::Error("invalid_argument", "the stream is finished");
  while (!plaintext.empty()) {
    const size_t take = std::min(chunk_bytes_ - pending_.size(), plaintext.size());
    pending_.append(plaintext.substr(0, take));
    plaintext.remove_prefix(take);
    plaintext_bytes_ += take;
    // A full chunk is sealed only once more bytes come: the last chunk may be full too.
    if (pending_.size() == chunk_bytes_ && !plaintext.empty()) {
      if (Status s = SealChunk(false); !s.ok()) return s;
    }
  }
  return Status::Ok();
}

Status StreamWriter::Finish() {
  if (finished_) return Status::Error("invalid_argument", "the stream is finished");
  finished_ = true;
  return SealChunk(true);
}

Status StreamReader::ReadHeader() {
  const std::string_view h(buffer_.data() + buffer_offset_, kStreamHeaderBytes);
  if (h.substr(0, 8) != std::string_view(kStreamMagic, 8)) {
    return Fail(Integrity("not a sigmad backup stream: its first bytes are not \"SIGMADBK\""));
  }
  if (static_cast<uint8_t>(h[8]) != kStreamVersion) {
    return Fail(Integrity("backup stream format " + std::to_string(static_cast<uint8_t>(h[8])) +
                          " is not one this sigmad reads (it reads " +
                          std::to_string(kStreamVersion) + ")"));
  }
  if (h[9] != 0 || h[10] != 0 || h[11] != 0) {
    return Fail(Integrity("the stream header's reserved bytes are not zero"));
  }
  chunk_bytes_ = GetU32(h, 12);
  if (chunk_bytes_ < kMinChunkBytes || chunk_bytes_ > kMaxChunkBytes) {
    return Fail(Integrity("the stream header names a chunk size of " +
                          std::to_string(chunk_bytes_) + " bytes, outside " +
                          std::to_string(kMinChunkBytes) + ".." + std::to_string(kMaxChunkBytes)));
  }
  header_ = std::string(h);
  buffer_offset_ += kStreamHeaderBytes;
  return Status::Ok();
}

Status StreamReader::OpenChunk(std::string_view sealed, bool last) {
  Status s = aead_.Open(sealed, ChunkAad(header_, index_, last), &plain_);
  if (s.code() == "crypto") return Fail(s);
  if (!s.ok()) {
    // Say what happened when the chunk opens with the other last flag.
    std::string other;
    if (sealed.size() >= crypto::kSealOverhead &&
        aead_.Open(sealed, ChunkAad(header_, index_, !last), &other).ok()) {
      return Fail(Integrity(
          last ? "the stream ends after chunk " + std::to_string(index_) +
                     ", which is not its last: it was truncated"
               : "chunk " + std::to_string(index_) +
                     " is the stream's last, but more bytes follow it: they were appended"));
    }
    return Fail(Integrity("chunk " + std::to_string(index_) +
                          " does not authenticate: it was changed, moved, or comes from another "
                          "stream or key"));
  }
  if (Status w = sink_(plain_); !w.ok()) return Fail(w);
  plaintext_bytes_ += plain_.size();
  ++index_;
  return Status::Ok();
}

Status StreamReader::Feed(std::string_view bytes) {
  if (!failed_.ok()) return failed_;
  if (finished_) return Status::Error("invalid_argument", "the stream is finished");
  buffer_.append(bytes);
  if (header_.empty()) {
    if (buffer_.size() - buffer_offset_ < kStreamHeaderBytes) return Status::Ok();
    if (Status s = ReadHeader(); !s.ok()) return s;
  }
  // A full-size chunk is surely not the last once a byte follows it.
  const size_t full = chunk_bytes_ + crypto::kSealOverhead;
  while (buffer_.size() - buffer_offset_ > full) {
    if (Status s = OpenChunk(std::string_view(buffer_).substr(buffer_offset_, full), false);
        !s.ok()) {
      return s;
    }
    buffer_offset_ += full;
  }
  if (buffer_offset_ > 0 && buffer_offset_ >= buffer_.size() / 2) {
    buffer_.erase(0, buffer_offset_);
    buffer_offset_ = 0;
  }
  return Status::Ok();
}

Status StreamReader::Finish() {
  if (!failed_.ok()) return failed_;
  if (finished_) return Status::Error("invalid_argument", "the stream is finished");
  finished_ = true;
  if (header_.empty()) {
    return Fail(Integrity("the stream ends inside its " + std::to_string(kStreamHeaderBytes) +
                          "-byte header, after " + std::to_string(buffer_.size() - buffer_offset_) +
                          " bytes"));
  }
  const std::string_view rest = std::string_view(buffer_).substr(buffer_offset_);
  if (rest.empty()) {
    return Fail(Integrity(index_ == 0
                              ? "the stream ends after its header, before any chunk"
                              : "the stream ends after chunk " + std::to_string(index_ - 1) +
                                    ", which is not its last: it was truncated"));
  }
  if (rest.size() < crypto::kSealOverhead) {
    return Fail(
        Integrity("the stream ends inside chunk " + std::to_string(index_) + ": it was truncated"));
  }
  return OpenChunk(rest, true);
}

}  // namespace sigmad::backup
