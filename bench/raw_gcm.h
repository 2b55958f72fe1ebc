// RawGcm: AES-256-GCM through OpenSSL's EVP interface with nothing around it, the
// cipher floor that store_bench compares the sealed store with.
//
// One context per direction, keyed once (the key schedule and GHASH table are not part
// of any operation), a counter nonce (no random generator), the caller's buffers (no
// allocation). Per operation: set the nonce, optionally feed associated data, encrypt
// or decrypt, then produce or verify the 16-byte tag. That is the least any store that
// seals each value separately with AES-256-GCM must do per value.
//
// Ownership: owns its contexts (EVP_CIPHER_CTX_free cleanses the key schedule); the key
// itself is random, made in Create and cleansed at once.
// Thread-safety: none; one thread per RawGcm.
#pragma once

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>

#include "common/status.h"

namespace sigmad::bench {

inline constexpr size_t kGcmNonceBytes = 12;
inline constexpr size_t kGcmTagBytes = 16;

class RawGcm {
 public:
  // A RawGcm under a fresh random key; "crypto" if OpenSSL fails.
  static Result<std::unique_ptr<RawGcm>> Create() {
    unsigned char key[32];
    if (RAND_bytes(key, sizeof key) != 1) return Status::Error("crypto", "RAND_bytes failed");
    std::unique_ptr<RawGcm> gcm(new RawGcm());
    const bool ok =
        gcm->enc_ != nullptr && gcm->dec_ != nullptr &&
        EVP_EncryptInit_ex(gcm->enc_.get(), EVP_aes_256_gcm(), nullptr, key, nullptr) == 1 &&
        EVP_DecryptInit_ex(gcm->dec_.get(), EVP_aes_256_gcm(), nullptr, key, nullptr) == 1;
    OPENSSL_cleanse(key, sizeof key);
    if (!ok) return Status::Error("crypto", "cannot set up AES-256-GCM contexts");
    return gcm;
  }

  // Encrypts n bytes of `in` into `out` (n bytes) with associated data aad1 || aad2
  // (either may be empty), writing the nonce it used and the tag. False if OpenSSL fails.
  bool Seal(std::string_view aad1, std::string_view aad2, const unsigned char* in, int n,
            unsigned char* out, unsigned char* nonce, unsigned char* tag) {
    ++counter_;
    std::memset(nonce, 0, kGcmNonceBytes);
    std::memcpy(nonce + 4, &counter_, sizeof counter_);
    EVP_CIPHER_CTX* ctx = enc_.get();
    int len = 0;
    return EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) == 1 && Aad(ctx, aad1) &&
           Aad(ctx, aad2) && EVP_EncryptUpdate(ctx, out, &len, in, n) == 1 &&
           EVP_EncryptFinal_ex(ctx, out + len, &len) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kGcmTagBytes), tag) ==
               1;
  }

  // Decrypts n bytes of `in` into `out` and verifies `tag`; false if the tag does not
  // verify (or OpenSSL fails).
  bool Open(std::string_view aad1, std::string_view aad2, const unsigned char* nonce,
            const unsigned char* in, int n, const unsigned char* tag, unsigned char* out) {
    unsigned char expected[kGcmTagBytes];  // the ctrl wants a non-const pointer
    std::memcpy(expected, tag, kGcmTagBytes);
    EVP_CIPHER_CTX* ctx = dec_.get();
    int len = 0;
    return EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) == 1 && Aad(ctx, aad1) &&
           Aad(ctx, aad2) && EVP_DecryptUpdate(ctx, out, &len, in, n) == 1 &&
           EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kGcmTagBytes),
                               expected) == 1 &&
           EVP_DecryptFinal_ex(ctx, out + len, &len) == 1;
  }

 private:
  struct CtxFree {
    void operator()(EVP_CIPHER_CTX* ctx) const { EVP_CIPHER_CTX_free(ctx); }
  };
  using CtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CtxFree>;

  RawGcm() : enc_(EVP_CIPHER_CTX_new()), dec_(EVP_CIPHER_CTX_new()) {}

  // Feeds associated data (nothing if empty). Encrypt and decrypt share the call.
  static bool Aad(EVP_CIPHER_CTX* ctx, std::string_view aad) {
    if (aad.empty()) return true;
    int len = 0;
    return EVP_CipherUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                            static_cast<int>(aad.size())) == 1;
  }

  CtxPtr enc_, dec_;
  uint64_t counter_ = 0;
};

}  // namespace sigmad::bench
