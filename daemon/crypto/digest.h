// SHA-256 of memory buffers and lower-case hex: the audit chain's record hashes and
// the policy set hashes share them.
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace sigmad::crypto {

using Sha256Digest = std::array<uint8_t, 32>;

// Aborts if OpenSSL fails, which on a memory buffer it cannot short of a broken library.
Sha256Digest Sha256(std::string_view bytes);

std::string HexLower(const uint8_t* data, size_t size);
template <size_t N>
std::string HexLower(const std::array<uint8_t, N>& bytes) {
  return HexLower(bytes.data(), N);
}

}  // namespace sigmad::crypto
