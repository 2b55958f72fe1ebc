// Composite binary keys for the store: fixed-width big-endian integers and opaque byte
// ids, appended in order. Because integers are big-endian and fixed-width, LMDB's
// bytewise key order is numeric order (2 < 10 < 256), and the leading components of a
// key form a prefix that ReadTxn::ForEach can scan.
//
//   const std::string key = KeyBuilder().U8(kKindJob).U64(tenant_id).U64(job_id).Build();
//   KeyReader r(key);  // r.U8(), r.U64(), r.U64(); each nullopt if the key is too short
//
// Rule: keys hold opaque ids only (numeric ids, random ids, hashes), never names,
// e-mail addresses or any other personal data. Keys are not encrypted (values may be,
// by the layers above), they fix the order of records, and tools such as mdb_dump print
// them; anything identifying belongs in the value.
//
// A variable-length byte component must be the last one of its key, or have one fixed
// width for its key kind; otherwise two different keys can share a prefix ambiguously.
// Thread-safety: plain values; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace sigmad::store {

// Appends key components. Never fails; LMDB's key limit (511 bytes) is checked by Put.
class KeyBuilder {
 public:
  KeyBuilder() = default;

  KeyBuilder& U8(uint8_t v) {
    key_.push_back(static_cast<char>(v));
    return *this;
  }
  KeyBuilder& U32(uint32_t v) { return AppendBigEndian(v, 4); }
  KeyBuilder& U64(uint64_t v) { return AppendBigEndian(v, 8); }
  // Raw bytes of an opaque id, without a length (see the width rule above).
  KeyBuilder& Bytes(std::string_view id) {
    key_.append(id);
    return *this;
  }

  size_t size() const { return key_.size(); }
  // The key so far (also usable as a prefix for ForEach).
  std::string Build() const { return key_; }

 private:
  KeyBuilder& AppendBigEndian(uint64_t v, int width) {
    for (int shift = (width - 1) * 8; shift >= 0; shift -= 8) {
      key_.push_back(static_cast<char>((v >> shift) & 0xFF));
    }
    return *this;
  }

  std::string key_;
};

// Reads components back in the order they were built. Each read returns nullopt, and
// consumes nothing, when fewer bytes remain than it needs. Views point into the key
// passed to the constructor, which the caller keeps alive.
class KeyReader {
 public:
  explicit KeyReader(std::string_view key) : key_(key) {}
  explicit KeyReader(std::string&& key) = delete;  // the views would dangle

  std::optional<uint8_t> U8() {
    if (remaining() < 1) return std::nullopt;
    return static_cast<uint8_t>(key_[pos_++]);
  }
  std::optional<uint32_t> U32() {
    std::optional<uint64_t> v = ReadBigEndian(4);
    if (!v) return std::nullopt;
    return static_cast<uint32_t>(*v);
  }
  std::optional<uint64_t> U64() { return ReadBigEndian(8); }
  // Exactly n bytes.
  std::optional<std::string_view> Bytes(size_t n) {
    if (remaining() < n) return std::nullopt;
    std::string_view out = key_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  // Everything not read yet (possibly empty).
  std::string_view Rest() {
    std::string_view out = key_.substr(pos_);
    pos_ = key_.size();
    return out;
  }

  size_t remaining() const { return key_.size() - pos_; }
  // True when every byte has been read: a parser checks this to reject trailing bytes.
  bool done() const { return pos_ == key_.size(); }

 private:
  std::optional<uint64_t> ReadBigEndian(size_t width) {
    if (remaining() < width) return std::nullopt;
    uint64_t v = 0;
    for (size_t i = 0; i < width; ++i) {
      v = (v << 8) | static_cast<uint8_t>(key_[pos_ + i]);
    }
    pos_ += width;
    return v;
  }

  std::string_view key_;
  size_t pos_ = 0;
};

}  // namespace sigmad::store
