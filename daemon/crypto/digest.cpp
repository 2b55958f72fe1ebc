#include "crypto/digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

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

namespace {
[[noreturn]] void DigestFailed() {
  std::fprintf(stderr, "crypto: OpenSSL failed to compute SHA-256\n");
  std::abort();
}
}  // namespace

Sha256Digest HmacSha256(const uint8_t* key, size_t key_size, std::string_view bytes) {
  static const uint8_t kNoKey = 0;  // HMAC() wants a non-null pointer even for 0 bytes
  Sha256Digest d{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key_size ? key : &kNoKey, static_cast<int>(key_size),
           reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d.data(),
           &len) == nullptr ||
      len != d.size()) {
    DigestFailed();
  }
  return d;
}

bool DigestsEqual(const Sha256Digest& a, const Sha256Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

Sha256Hasher::Sha256Hasher() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) DigestFailed();
}

Sha256Hasher::~Sha256Hasher() { EVP_MD_CTX_free(ctx_); }

void Sha256Hasher::Update(std::string_view bytes) {
  if (EVP_DigestUpdate(ctx_, bytes.data(), bytes.size()) != 1) DigestFailed();
}

Sha256Digest Sha256Hasher::Finish() {
  Sha256Digest d{};
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(ctx_, d.data(), &len) != 1 || len != d.size()) DigestFailed();
  if (EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) DigestFailed();
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
