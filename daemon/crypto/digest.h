// SHA-256 of memory buffers and lower-case hex: the audit chain's record hashes and
// the policy set hashes share them.
// Thread-safety: pure functions.
#pragma once

#include <openssl/types.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sigmad::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// Aborts if OpenSSL fails, which on a memory buffer it cannot short of a broken library.
Sha256Digest Sha256(std::string_view bytes);

// HMAC-SHA256 of `bytes` under `key` (any length, even empty).
Sha256Digest HmacSha256(const uint8_t* key, size_t key_size, std::string_view bytes);
// Whether two digests are equal, in time independent of where they differ.
bool DigestsEqual(const Sha256Digest& a, const Sha256Digest& b);

// SHA-256 of bytes that arrive in pieces (a backup file as it is written or read).
class Sha256Hasher {
 public:
  Sha256Hasher();
  ~Sha256Hasher();
  Sha256Hasher(const Sha256Hasher&) = delete;
  Sha256Hasher& operator=(const Sha256Hasher&) = delete;
  void Update(std::string_view bytes);
  // The digest of everything given; the hasher then starts over.
  Sha256Digest Finish();

 private:
  EVP_MD_CTX* ctx_;
};

std::string HexLower(const uint8_t* data, size_t size);
template <size_t N>
std::string HexLower(const std::array<uint8_t, N>& bytes) {
  return HexLower(bytes.data(), N);
}

}  // namespace sigmad::crypto
