// Private to daemon/audit: big-endian writers and a bounds-checked reader for the
// canonical and storage encodings. Not part of the module's interface.
// Thread-safety: ByteReader is a cursor over caller-owned bytes; one thread at a time.
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "audit/record.h"

namespace sigmad::audit::internal {

inline void PutU8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }

inline void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) PutU8(out, static_cast<uint8_t>(v >> shift));
}

inline void PutU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8) PutU8(out, static_cast<uint8_t>(v >> shift));
}

inline void PutStr(std::string& out, std::string_view s) {
  if (s.size() > std::numeric_limits<uint32_t>::max()) {
    std::fprintf(stderr, "audit: a %zu-byte field cannot be encoded\n", s.size());
    std::abort();  // no caller can build one: Validate caps fields at kMaxFieldBytes
  }
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

inline void PutOpt(std::string& out, const std::optional<std::string>& s) {
  PutU8(out, s ? 1 : 0);
  if (s) PutStr(out, *s);
}

inline void PutDigest(std::string& out, const Digest& d) {
  out.append(reinterpret_cast<const char*>(d.data()), d.size());
}

// Reads fixed-width big-endian values and length-prefixed strings; every read checks the
// remaining length first, and a failed read leaves `error()` describing what was missing.
class ByteReader {
 public:
  explicit ByteReader(std::string_view bytes) : bytes_(bytes) {}

  size_t offset() const { return pos_; }
  size_t remaining() const { return bytes_.size() - pos_; }

  bool U8(const char* what, uint8_t& v) {
    if (!Need(what, 1)) return false;
    v = static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }
  bool U32(const char* what, uint32_t& v) {
    if (!Need(what, 4)) return false;
    v = 0;
    for (int i = 0; i < 4; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }
  bool U64(const char* what, uint64_t& v) {
    if (!Need(what, 8)) return false;
    v = 0;
    for (int i = 0; i < 8; ++i) v = (v << 8) | static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }
  bool Str(const char* what, std::string& s) {
    uint32_t n = 0;
    if (!U32(what, n)) return false;
    if (!Need(what, n)) return false;
    s.assign(bytes_.substr(pos_, n));
    pos_ += n;
    return true;
  }
  bool Flag(const char* what, bool& present) {
    const size_t at = pos_;
    uint8_t f = 0;
    if (!U8(what, f)) return false;
    if (f > 1) {
      error_ = std::string(what) + " flag at offset " + std::to_string(at) + " is " +
               std::to_string(f) + ", expected 0 or 1";
      return false;
    }
    present = f == 1;
    return true;
  }
  bool Opt(const char* what, std::optional<std::string>& s) {
    bool present = false;
    if (!Flag(what, present)) return false;
    if (!present) {
      s.reset();
      return true;
    }
    s.emplace();
    return Str(what, *s);
  }
  bool Hash(const char* what, Digest& d) {
    if (!Need(what, d.size())) return false;
    for (auto& b : d) b = static_cast<uint8_t>(bytes_[pos_++]);
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  bool Need(const char* what, size_t n) {
    if (remaining() >= n) return true;
    error_ = "truncated: " + std::string(what) + " needs " + std::to_string(n) +
             " bytes at offset " + std::to_string(pos_) + ", only " + std::to_string(remaining()) +
             " left";
    return false;
  }

  std::string_view bytes_;
  size_t pos_ = 0;
  std::string error_;
};

}  // namespace sigmad::audit::internal
