// Keyring: the master key (KEK) and every tenant's unwrapped data keys (DEKs).
//
// Tenants are numbered (uint64_t); tenant 0, kSystemTenant, owns the daemon's own data.
// A tenant's data keys are numbered by term, from 1 up. One term is current and seals
// new values; older terms stay so that values sealed under them still open. Each sealed
// value names its term in its header (aead.h), so Open picks the key by itself.
//
// DEKs are persisted wrapped: sealed under the KEK with associated data binding
// "sigmad/dek/v1", the tenant and the term, so a wrapped key copied to another tenant or
// term does not unwrap. The key check (a constant sealed under the KEK) tells a wrong
// master key ("wrong_master_key") from a damaged store. The keyring itself keeps keys in
// memory only; the store persists the wrapped keys and the check.
//
// Error codes: "no_key" (tenant or term unknown), "integrity" (a value or wrapped key
// does not authenticate), "wrong_master_key", "key_exists", "invalid_term",
// "invalid_key", "crypto" (OpenSSL or the random generator failed). Messages name
// tenants and terms, never key bytes or plaintext.
//
// Ownership: the keyring owns the KEK and all DEKs (SecretBytes and Aead objects, both
// zeroized when dropped); ForgetTenant drops a tenant's keys at once (crypto-shredding
// in memory; the store must also delete the wrapped keys).
// Thread-safety: every method may be called from any thread. Seal, Open and the other
// const methods run concurrently under a shared lock; AddKey and ForgetTenant take it
// exclusively and wait for seals and opens in flight.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "crypto/aead.h"
#include "crypto/secret.h"

namespace sigmad::crypto {

inline constexpr uint64_t kSystemTenant = 0;
inline constexpr size_t kDataKeyBytes = 32;  // AES-256
// The header term of values sealed under the KEK (wrapped keys, the key check). Data
// key terms start at 1, so a KEK-sealed value is never mistaken for a data value.
inline constexpr uint32_t kKekSealTerm = 0;

class Keyring {
 public:
  // "invalid_key" unless kek is kAeadKeyBytes (32, a master key's size) long.
  static Result<std::unique_ptr<Keyring>> Create(SecretBytes kek);
  Keyring(const Keyring&) = delete;
  Keyring& operator=(const Keyring&) = delete;

  // A fresh random data key; "crypto" if the random generator fails (as for master keys,
  // an environment error the caller reports, not an abort).
  static Result<SecretBytes> NewDataKey();

  // `dek` sealed under this keyring's KEK for (tenant, term): kDataKeyBytes +
  // kSealOverhead bytes to persist.
  Result<std::string> WrapKey(uint64_t tenant, uint32_t term, const SecretBytes& dek) const;
  // The same under another KEK: for master-key rotation, which re-wraps every DEK
  // (see ExportDataKey) under the new key before switching to it.
  static Result<std::string> WrapKeyUnder(const SecretBytes& kek, uint64_t tenant, uint32_t term,
                                          const SecretBytes& dek);
  // The DEK in `wrapped`. "integrity" unless it was wrapped by this KEK for exactly this
  // (tenant, term) and not altered. Check the KEK first (VerifyKekCheck) to report a
  // wrong master key as such.
  Result<SecretBytes> UnwrapKey(uint64_t tenant, uint32_t term, std::string_view wrapped) const;

  // A new key check for the store to persist (random nonce: each call differs).
  Result<std::string> MakeKekCheck() const;
  // Ok if `check` was made under this KEK. "wrong_master_key" if it does not open
  // (another master key, or altered bytes); "integrity" if it is not a sealed value at
  // all (truncated, unknown version).
  Status VerifyKekCheck(std::string_view check) const;

  // Installs an unwrapped DEK for (tenant, term). "invalid_term" for term 0, or when
  // make_current and term is not higher than the tenant's current term; "key_exists" if
  // the tenant already has that term; "invalid_key" if dek is not kDataKeyBytes long.
  // On error nothing changes.
  Status AddKey(uint64_t tenant, uint32_t term, SecretBytes dek, bool make_current);
  // The tenant's current term; nullopt if it has none.
  std::optional<uint32_t> CurrentTerm(uint64_t tenant) const;
  // The tenant's terms, ascending; empty if it has none.
  std::vector<uint32_t> Terms(uint64_t tenant) const;
  // Drops and zeroizes all of the tenant's keys; its values no longer open ("no_key").
  void ForgetTenant(uint64_t tenant);
  // Switches to a new master key (after the store re-wrapped every DEK under it and
  // wrote a new key check). "invalid_key" unless it is kAeadKeyBytes long.
  Status ReplaceKek(SecretBytes kek);
  // A copy of the DEK of (tenant, term), "no_key" if unknown. For master-key rotation
  // only (WrapKeyUnder); nothing else needs raw data keys.
  Result<SecretBytes> ExportDataKey(uint64_t tenant, uint32_t term) const;
  // A key for another purpose derived from the current master key (HKDF-SHA256 with
  // `info` as the label, crypto/kdf.h), e.g. the backup key. Values sealed under it are
  // bound to this master key: after ReplaceKek the same label derives another key.
  Result<SecretBytes> DeriveFromKek(std::string_view info, size_t length) const;
  // A copy of the current master key, to open a copy of the store (a backup being
  // verified or restored) with the same key. Nothing else needs it.
  SecretBytes CloneKek() const;

  // Seals under the tenant's current term (Aead::Seal); "no_key" if it has none.
  Status Seal(uint64_t tenant, std::string_view plaintext, std::string_view aad,
              std::string* out) const;
  // Opens a value sealed for the tenant under any of its terms (Aead::Open). "no_key"
  // (naming tenant and term) if the tenant lacks the value's term; "integrity" if the
  // value is damaged, has another aad, or belongs to another tenant. *out is empty on error.
  Status Open(uint64_t tenant, std::string_view sealed, std::string_view aad,
              std::string* out) const;

 private:
  struct DataKey {
    SecretBytes dek;             // kept only for ExportDataKey
    std::unique_ptr<Aead> aead;  // holds its own copy
  };
  struct TenantKeys {
    std::map<uint32_t, DataKey> by_term;
    uint32_t current = 0;  // 0: none yet
  };

  Keyring(std::unique_ptr<Aead> kek, SecretBytes kek_bytes)
      : kek_(std::move(kek)),
        kek_bytes_(std::make_shared<const SecretBytes>(std::move(kek_bytes))) {}
  std::shared_ptr<const Aead> Kek() const;  // the current KEK, held for one call
  static Result<std::string> Wrap(const Aead& kek, uint64_t tenant, uint32_t term,
                                  const SecretBytes& dek);
  // The key of (tenant, term) or nullptr; the caller holds mu_ (either way).
  const DataKey* FindLocked(uint64_t tenant, uint32_t term) const;

  mutable std::shared_mutex mu_;
  std::shared_ptr<const Aead> kek_;  // GUARDED_BY(mu_); replaced by master-key rotation
  std::shared_ptr<const SecretBytes> kek_bytes_;  // GUARDED_BY(mu_); the same key, to derive from
  std::unordered_map<uint64_t, TenantKeys> tenants_;  // GUARDED_BY(mu_)
};

}  // namespace sigmad::crypto
