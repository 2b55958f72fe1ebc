// Aead: AES-256-GCM sealing and opening under one 32-byte key (OpenSSL EVP).
//
// A sealed value is self-describing (integers big-endian):
//
//   version (1 byte, kSealVersion) | key term (4 bytes) | nonce (12 random bytes)
//   | ciphertext (as long as the plaintext) | tag (16 bytes)
//
// The GCM additional data is the 17-byte header followed by the caller's aad, so the
// version, the term and the nonce are authenticated along with the ciphertext: a value
// whose term was rewritten does not open. The header has a fixed length, so
// header||aad cannot be confused with any other split.
//
// The term names the key a value was sealed under (see Keyring); the Aead itself does
// not interpret it. Nonces come from RAND_bytes, drawn in batches per thread (one
// RAND_bytes call costs more than sealing 4 KiB) and refilled after fork(), so a child
// never reuses its parent's. Being random, they allow one key well under 2^32 seals
// (NIST SP 800-38D): rotate to a new term (Keyring::AddKey) long before that.
//
// Ownership: an Aead holds its own copy of the key (SecretBytes, zeroized) and a pool of
// pre-keyed OpenSSL cipher contexts, freed (and cleansed by OpenSSL) on destruction.
// Thread-safety: all const methods may be called concurrently from any thread; each
// call borrows a context from the pool, so there is no shared cipher state.
#pragma once

#include <openssl/evp.h>

#include <atomic>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/secret.h"

namespace sigmad::crypto {

inline constexpr size_t kAeadKeyBytes = 32;  // AES-256
inline constexpr uint8_t kSealVersion = 1;
inline constexpr size_t kSealNonceBytes = 12;  // 96-bit GCM nonce
inline constexpr size_t kSealTagBytes = 16;
inline constexpr size_t kSealHeaderBytes = 1 + 4 + kSealNonceBytes;  // version, term, nonce
inline constexpr size_t kSealOverhead = kSealHeaderBytes + kSealTagBytes;
// OpenSSL's EVP interface counts in int; larger plaintexts (and aads) are refused.
inline constexpr size_t kMaxSealPlaintextBytes = INT_MAX;

class Aead {
 public:
  // Error "invalid_key" unless key is kAeadKeyBytes long; "crypto" if OpenSSL fails.
  static Result<std::unique_ptr<Aead>> Create(const SecretBytes& key);
  ~Aead();
  Aead(const Aead&) = delete;
  Aead& operator=(const Aead&) = delete;

  // Replaces *out with the sealed value: plaintext.size() + kSealOverhead bytes.
  // Errors: "invalid_argument" (plaintext or aad too large), "crypto" (OpenSSL or the
  // random generator failed); *out is then empty. plaintext and aad may alias *out.
  Status Seal(uint32_t term, std::string_view plaintext, std::string_view aad,
              std::string* out) const;

  // Replaces *out with the plaintext of `sealed`, which must have been sealed under this
  // key with the same aad. A value that does not open is "integrity" (too short, unknown
  // version, authentication failed); only a failing OpenSSL is "crypto". On any error
  // *out is left empty: unauthenticated bytes never escape. sealed may alias *out.
  Status Open(std::string_view sealed, std::string_view aad, std::string* out) const;

  // The term in a sealed value's header (unauthenticated: use it to pick the key, then
  // Open). "integrity" if the value is too short to be sealed or has another version.
  static Result<uint32_t> PeekTerm(std::string_view sealed);

 private:
  enum class Direction { kEncrypt, kDecrypt };
  class Lease;  // borrows one context from a pool for one call (aead.cpp)

  explicit Aead(SecretBytes key) : key_(std::move(key)) {}
  // A context keyed for `dir`, from the pool or new; nullptr if OpenSSL fails.
  EVP_CIPHER_CTX* Take(Direction dir) const;
  // Returns a context to its pool (or frees it if the pool is full).
  void Give(Direction dir, EVP_CIPHER_CTX* ctx) const;

  Status SealInto(uint32_t term, std::string_view plaintext, std::string_view aad,
                  std::string* out) const;
  Status OpenInto(std::string_view sealed, std::string_view aad, std::string* out) const;

  const SecretBytes key_;
  // One context per direction held outside the pool: the usual call (one at a time per
  // key) takes and returns it with one atomic exchange each, no lock.
  mutable std::atomic<EVP_CIPHER_CTX*> spare_[2] = {nullptr, nullptr};
  mutable std::mutex pool_mu_;
  mutable std::vector<EVP_CIPHER_CTX*> encrypt_pool_;  // GUARDED_BY(pool_mu_)
  mutable std::vector<EVP_CIPHER_CTX*> decrypt_pool_;  // GUARDED_BY(pool_mu_)
};

}  // namespace sigmad::crypto
