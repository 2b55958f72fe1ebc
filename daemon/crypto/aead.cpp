#include "crypto/aead.h"

#include <openssl/err.h>
#include <openssl/rand.h>
#include <pthread.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <utility>

namespace sigmad::crypto {
namespace {

// Contexts kept per direction. More concurrent callers than this still work: the extra
// contexts are keyed for the call and freed after it.
constexpr size_t kMaxPooledContexts = 32;

// Nonces are drawn from RAND_bytes kNonceBatch at a time into a per-thread buffer: in
// OpenSSL 3.0 one RAND_bytes call has a fixed cost of a few microseconds (more than
// sealing 4 KiB), while the bytes themselves are cheap. Nonces are public, so holding
// them in memory exposes nothing. What must never happen is two seals under one key
// using one nonce: a forked child would inherit its parent's unused nonces, so a
// pthread_atfork child handler bumps a generation that makes every buffer refill.
constexpr size_t kNonceBatch = 128;
std::atomic<uint64_t> g_fork_generation{0};

void OnForkChild() { g_fork_generation.fetch_add(1, std::memory_order_relaxed); }

struct NonceBuffer {
  unsigned char bytes[kNonceBatch * kSealNonceBytes];
  size_t next = kNonceBatch;  // index of the next unused nonce; kNonceBatch: none left
  uint64_t generation = 0;
};

// Writes a fresh random nonce; false if the random generator failed.
bool NextNonce(unsigned char* nonce) {
  static const bool fork_safe = pthread_atfork(nullptr, nullptr, OnForkChild) == 0;
  if (!fork_safe) return RAND_bytes(nonce, static_cast<int>(kSealNonceBytes)) == 1;
  thread_local NonceBuffer buffer;
  const uint64_t generation = g_fork_generation.load(std::memory_order_relaxed);
  if (buffer.next == kNonceBatch || buffer.generation != generation) {
    if (RAND_bytes(buffer.bytes, static_cast<int>(sizeof buffer.bytes)) != 1) return false;
    buffer.next = 0;
    buffer.generation = generation;
  }
  std::memcpy(nonce, buffer.bytes + buffer.next * kSealNonceBytes, kSealNonceBytes);
  ++buffer.next;  // each nonce is handed out once
  return true;
}

const unsigned char* Bytes(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

void PutBigEndian32(unsigned char* p, uint32_t v) {
  p[0] = static_cast<unsigned char>(v >> 24);
  p[1] = static_cast<unsigned char>(v >> 16);
  p[2] = static_cast<unsigned char>(v >> 8);
  p[3] = static_cast<unsigned char>(v);
}

uint32_t GetBigEndian32(const unsigned char* p) {
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

// Whether writing into `s` (anywhere in its buffer, terminator included) could change
// the bytes `v` views.
bool Overlaps(std::string_view v, const std::string& s) {
  if (v.empty()) return false;
  const auto begin = reinterpret_cast<uintptr_t>(s.data());
  const auto p = reinterpret_cast<uintptr_t>(v.data());
  return p <= begin + s.capacity() && p + v.size() > begin;
}

// A "crypto" error naming what failed and OpenSSL's reason; empties this thread's
// OpenSSL error queue so a stale entry cannot surface in an unrelated TLS call later.
Status CryptoError(const std::string& what) {
  std::string message = what;
  if (const unsigned long e = ERR_peek_last_error(); e != 0) {
    char reason[256];
    ERR_error_string_n(e, reason, sizeof reason);
    message += " (OpenSSL: " + std::string(reason) + ")";
  }
  ERR_clear_error();
  return Status::Error("crypto", message);
}

Status IntegrityError(const std::string& what) {
  ERR_clear_error();
  return Status::Error("integrity", what);
}

// Feeds header || aad to GCM as additional data. One EVP call when they fit a small
// stack buffer (most store AADs do): each call costs more than the bytes it carries.
// GCM takes additional data as a stream, so one call or two authenticate the same bytes.
bool FeedAad(EVP_CIPHER_CTX* ctx, const unsigned char* header, std::string_view aad,
             bool encrypt) {
  auto update = [&](const unsigned char* p, size_t n) {
    int len = 0;
    return (encrypt ? EVP_EncryptUpdate(ctx, nullptr, &len, p, static_cast<int>(n))
                    : EVP_DecryptUpdate(ctx, nullptr, &len, p, static_cast<int>(n))) == 1;
  };
  unsigned char joined[256];
  if (kSealHeaderBytes + aad.size() <= sizeof joined) {
    std::memcpy(joined, header, kSealHeaderBytes);
    if (!aad.empty()) std::memcpy(joined + kSealHeaderBytes, aad.data(), aad.size());
    return update(joined, kSealHeaderBytes + aad.size());
  }
  return update(header, kSealHeaderBytes) &&
         update(reinterpret_cast<const unsigned char*>(aad.data()), aad.size());
}

}  // namespace

// One context borrowed from a pool for the length of one call. A context that saw an
// OpenSSL failure is discarded rather than returned, so no odd state is ever reused.
class Aead::Lease {
 public:
  Lease(const Aead& aead, Direction dir) : aead_(aead), dir_(dir), ctx_(aead.Take(dir)) {}
  ~Lease() {
    if (ctx_ != nullptr) aead_.Give(dir_, ctx_);
  }
  Lease(const Lease&) = delete;
  Lease& operator=(const Lease&) = delete;

  EVP_CIPHER_CTX* get() const { return ctx_; }
  void Discard() {
    EVP_CIPHER_CTX_free(ctx_);
    ctx_ = nullptr;
  }

 private:
  const Aead& aead_;
  const Direction dir_;
  EVP_CIPHER_CTX* ctx_;
};

Result<std::unique_ptr<Aead>> Aead::Create(const SecretBytes& key) {
  if (key.size() != kAeadKeyBytes) {
    return Status::Error("invalid_key", "an AES-256-GCM key is " + std::to_string(kAeadKeyBytes) +
                                            " bytes, not " + std::to_string(key.size()));
  }
  std::unique_ptr<Aead> aead(new Aead(key.Clone()));
  {
    std::lock_guard lock(aead->pool_mu_);
    aead->encrypt_pool_.reserve(kMaxPooledContexts);  // Give() never allocates
    aead->decrypt_pool_.reserve(kMaxPooledContexts);
  }
  // Key one context of each kind now, so a broken OpenSSL shows here and not mid-request.
  for (Direction dir : {Direction::kEncrypt, Direction::kDecrypt}) {
    EVP_CIPHER_CTX* ctx = aead->Take(dir);
    if (ctx == nullptr) return CryptoError("cannot set up an AES-256-GCM context");
    aead->Give(dir, ctx);
  }
  return aead;
}

Aead::~Aead() {
  std::lock_guard lock(pool_mu_);
  // EVP_CIPHER_CTX_free cleanses the key schedule (and accepts nullptr).
  for (auto& spare : spare_) EVP_CIPHER_CTX_free(spare.exchange(nullptr));
  for (EVP_CIPHER_CTX* ctx : encrypt_pool_) EVP_CIPHER_CTX_free(ctx);
  for (EVP_CIPHER_CTX* ctx : decrypt_pool_) EVP_CIPHER_CTX_free(ctx);
}

EVP_CIPHER_CTX* Aead::Take(Direction dir) const {
  if (EVP_CIPHER_CTX* ctx = spare_[static_cast<int>(dir)].exchange(nullptr, std::memory_order_acquire);
      ctx != nullptr) {
    return ctx;
  }
  {
    std::lock_guard lock(pool_mu_);
    std::vector<EVP_CIPHER_CTX*>& pool = dir == Direction::kEncrypt ? encrypt_pool_ : decrypt_pool_;
    if (!pool.empty()) {
      EVP_CIPHER_CTX* ctx = pool.back();
      pool.pop_back();
      return ctx;
    }
  }
  // Pool empty: key a new context outside the lock (the AES key schedule and GHASH
  // table are computed here, once per context, never per call).
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  if (ctx == nullptr) return nullptr;
  const int ok = dir == Direction::kEncrypt
                     ? EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key_.data(), nullptr)
                     : EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, key_.data(), nullptr);
  if (ok != 1) {
    EVP_CIPHER_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

void Aead::Give(Direction dir, EVP_CIPHER_CTX* ctx) const {
  EVP_CIPHER_CTX* empty = nullptr;
  if (spare_[static_cast<int>(dir)].compare_exchange_strong(empty, ctx, std::memory_order_release,
                                                             std::memory_order_relaxed)) {
    return;
  }
  {
    std::lock_guard lock(pool_mu_);
    std::vector<EVP_CIPHER_CTX*>& pool = dir == Direction::kEncrypt ? encrypt_pool_ : decrypt_pool_;
    if (pool.size() < kMaxPooledContexts) {
      pool.push_back(ctx);
      return;
    }
  }
  EVP_CIPHER_CTX_free(ctx);
}

Status Aead::Seal(uint32_t term, std::string_view plaintext, std::string_view aad,
                  std::string* out) const {
  if (Overlaps(plaintext, *out) || Overlaps(aad, *out)) {
    std::string sealed;  // writing *out would overwrite the input: seal beside it
    Status s = SealInto(term, plaintext, aad, &sealed);
    *out = std::move(sealed);
    return s;
  }
  return SealInto(term, plaintext, aad, out);
}

Status Aead::SealInto(uint32_t term, std::string_view plaintext, std::string_view aad,
                      std::string* out) const {
  out->clear();
  if (plaintext.size() > kMaxSealPlaintextBytes || aad.size() > kMaxSealPlaintextBytes) {
    return Status::Error("invalid_argument", "cannot seal " + std::to_string(plaintext.size()) +
                                                 " bytes with " + std::to_string(aad.size()) +
                                                 " bytes of associated data: each is "
                                                 "limited to " +
                                                 std::to_string(kMaxSealPlaintextBytes) + " bytes");
  }
  const int n = static_cast<int>(plaintext.size());

  // One allocation; the header, ciphertext and tag are written in place.
  out->resize(kSealOverhead + plaintext.size());
  auto* header = reinterpret_cast<unsigned char*>(out->data());
  unsigned char* nonce = header + 5;
  unsigned char* ciphertext = header + kSealHeaderBytes;
  unsigned char* tag = ciphertext + plaintext.size();
  header[0] = kSealVersion;
  PutBigEndian32(header + 1, term);
  if (!NextNonce(nonce)) {
    out->clear();
    return CryptoError("the random generator failed to produce a nonce");
  }

  Lease lease(*this, Direction::kEncrypt);
  EVP_CIPHER_CTX* ctx = lease.get();
  int len = 0;
  const bool ok =
      ctx != nullptr && EVP_EncryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) == 1 &&
      FeedAad(ctx, header, aad, /*encrypt=*/true) &&
      (n == 0 ||
       (EVP_EncryptUpdate(ctx, ciphertext, &len, Bytes(plaintext), n) == 1 && len == n)) &&
      EVP_EncryptFinal_ex(ctx, tag, &len) == 1 && len == 0 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kSealTagBytes), tag) == 1;
  if (!ok) {
    if (ctx != nullptr) lease.Discard();
    out->clear();
    return CryptoError("AES-256-GCM sealing failed");
  }
  return Status::Ok();
}

Status Aead::Open(std::string_view sealed, std::string_view aad, std::string* out) const {
  if (Overlaps(sealed, *out) || Overlaps(aad, *out)) {
    std::string plaintext;  // writing *out would overwrite the input: open beside it
    Status s = OpenInto(sealed, aad, &plaintext);
    *out = std::move(plaintext);
    return s;
  }
  return OpenInto(sealed, aad, out);
}

Status Aead::OpenInto(std::string_view sealed, std::string_view aad, std::string* out) const {
  out->clear();
  if (Result<uint32_t> term = PeekTerm(sealed); !term.ok()) return term.status();
  const size_t size = sealed.size() - kSealOverhead;
  if (size > kMaxSealPlaintextBytes || aad.size() > kMaxSealPlaintextBytes) {
    return IntegrityError("sealed value of " + std::to_string(sealed.size()) +
                          " bytes (or its associated data) is larger than any value Seal makes");
  }
  const int n = static_cast<int>(size);
  const unsigned char* header = Bytes(sealed);
  const unsigned char* nonce = header + 5;
  const unsigned char* ciphertext = header + kSealHeaderBytes;
  unsigned char tag[kSealTagBytes];  // the ctrl below wants a non-const pointer
  std::memcpy(tag, ciphertext + size, kSealTagBytes);

  out->resize(size);
  auto* plaintext = reinterpret_cast<unsigned char*>(out->data());
  Lease lease(*this, Direction::kDecrypt);
  EVP_CIPHER_CTX* ctx = lease.get();
  int len = 0;
  const bool ok =
      ctx != nullptr && EVP_DecryptInit_ex(ctx, nullptr, nullptr, nullptr, nonce) == 1 &&
      FeedAad(ctx, header, aad, /*encrypt=*/false) &&
      (n == 0 || (EVP_DecryptUpdate(ctx, plaintext, &len, ciphertext, n) == 1 && len == n)) &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kSealTagBytes), tag) == 1;
  if (!ok) {
    if (ctx != nullptr) lease.Discard();
    OPENSSL_cleanse(out->data(), out->size());
    out->clear();
    return CryptoError("AES-256-GCM opening failed");
  }
  // Only now is the tag checked; until then *out holds unauthenticated bytes.
  if (EVP_DecryptFinal_ex(ctx, plaintext + n, &len) != 1 || len != 0) {
    OPENSSL_cleanse(out->data(), out->size());
    out->clear();
    return IntegrityError(
        "sealed value failed authentication: wrong key, wrong associated data, or altered "
        "bytes");
  }
  return Status::Ok();
}

Result<uint32_t> Aead::PeekTerm(std::string_view sealed) {
  if (sealed.size() < kSealOverhead) {
    return IntegrityError("sealed value is " + std::to_string(sealed.size()) +
                          " bytes, too short: a sealed value has at least " +
                          std::to_string(kSealOverhead) + " (truncated?)");
  }
  const auto* header = Bytes(sealed);
  if (header[0] != kSealVersion) {
    return IntegrityError("sealed value has unknown format version " + std::to_string(header[0]) +
                          "; this build reads version " + std::to_string(kSealVersion));
  }
  return GetBigEndian32(header + 1);
}

}  // namespace sigmad::crypto
