#include "crypto/digest.h"

#include <openssl/evp.h>

#include <cstdio>
#include <cstdlib>

namespace sigmad::crypto {

Sha256Digest Sha256(std::string_view bytes) {
  Sha256Digest d{};
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), d.data(), &len, EVP_sha256(), nullptr) != 1 ||
      len != d.size()) {
    std::fprintf(stderr, "crypto: OpenSSL failed to compute SHA-256\n");
    std::abort();
  }
  return d;
}

std::string HexLower(const uint8_t* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out.push_back(kHex[data[i] >> 4]);
    out.push_back(kHex[data[i] & 0x0F]);
  }
  return out;
}

}  // namespace sigmad::crypto
