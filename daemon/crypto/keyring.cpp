#include "crypto/keyring.h"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/rand.h>

#include <cstring>
#include <mutex>
#include <utility>

#include "crypto/kdf.h"

namespace sigmad::crypto {
namespace {

constexpr std::string_view kWrapDomain = "sigmad/dek/v1";
constexpr std::string_view kCheckDomain = "sigmad/kek-check/v1";
constexpr std::string_view kCheckPlaintext = "sigmad master key check";

// The associated data of a wrapped key: domain, tenant (8 bytes), term (4 bytes), all
// big-endian. The domain is a constant and the numbers have fixed widths, so no two
// (tenant, term) pairs share an aad.
std::string WrapAad(uint64_t tenant, uint32_t term) {
  std::string aad(kWrapDomain);
  for (int shift = 56; shift >= 0; shift -= 8) aad.push_back(static_cast<char>(tenant >> shift));
  for (int shift = 24; shift >= 0; shift -= 8) aad.push_back(static_cast<char>(term >> shift));
  return aad;
}

std::string KeyName(uint64_t tenant, uint32_t term) {
  return "tenant " + std::to_string(tenant) + " term " + std::to_string(term);
}

}  // namespace

Result<std::unique_ptr<Keyring>> Keyring::Create(SecretBytes kek) {
  if (kek.size() != kAeadKeyBytes) {
    return Status::Error("invalid_key", "a master key is " + std::to_string(kAeadKeyBytes) +
                                            " bytes, not " + std::to_string(kek.size()));
  }
  Result<std::unique_ptr<Aead>> aead = Aead::Create(kek);
  if (!aead.ok()) return aead.status();
  return std::unique_ptr<Keyring>(new Keyring(std::move(aead).value(), std::move(kek)));
}

std::shared_ptr<const Aead> Keyring::Kek() const {
  std::shared_lock lock(mu_);
  return kek_;
}

Status Keyring::ReplaceKek(SecretBytes kek) {
  if (kek.size() != kAeadKeyBytes) {
    return Status::Error("invalid_key", "a master key is " + std::to_string(kAeadKeyBytes) +
                                            " bytes, not " + std::to_string(kek.size()));
  }
  Result<std::unique_ptr<Aead>> aead = Aead::Create(kek);
  if (!aead.ok()) return aead.status();
  auto bytes = std::make_shared<const SecretBytes>(std::move(kek));
  std::unique_lock lock(mu_);
  kek_ = std::move(aead).value();
  kek_bytes_ = std::move(bytes);
  return Status::Ok();
}

SecretBytes Keyring::CloneKek() const {
  std::shared_lock lock(mu_);
  return kek_bytes_->Clone();
}

Result<SecretBytes> Keyring::DeriveFromKek(std::string_view info, size_t length) const {
  std::shared_ptr<const SecretBytes> kek;
  {
    std::shared_lock lock(mu_);
    kek = kek_bytes_;
  }
  return DeriveKey(*kek, /*salt=*/"", info, length);
}

Result<SecretBytes> Keyring::NewDataKey() {
  SecretBytes dek(kDataKeyBytes);
  if (RAND_bytes(dek.data(), static_cast<int>(dek.size())) != 1) {
    ERR_clear_error();
    return Status::Error("crypto", "the random generator failed to produce a data key");
  }
  return dek;
}

Result<std::string> Keyring::Wrap(const Aead& kek, uint64_t tenant, uint32_t term,
                                  const SecretBytes& dek) {
  if (dek.size() != kDataKeyBytes) {
    return Status::Error("invalid_key", "a data key is " + std::to_string(kDataKeyBytes) +
                                            " bytes, not " + std::to_string(dek.size()));
  }
  std::string wrapped;
  const std::string_view plain(reinterpret_cast<const char*>(dek.data()), dek.size());
  if (Status s = kek.Seal(kKekSealTerm, plain, WrapAad(tenant, term), &wrapped); !s.ok()) return s;
  return wrapped;
}

Result<std::string> Keyring::WrapKey(uint64_t tenant, uint32_t term, const SecretBytes& dek) const {
  return Wrap(*Kek(), tenant, term, dek);
}

Result<std::string> Keyring::WrapKeyUnder(const SecretBytes& kek, uint64_t tenant, uint32_t term,
                                          const SecretBytes& dek) {
  Result<std::unique_ptr<Aead>> aead = Aead::Create(kek);
  if (!aead.ok()) return aead.status();
  return Wrap(*aead.value(), tenant, term, dek);
}

Result<SecretBytes> Keyring::UnwrapKey(uint64_t tenant, uint32_t term,
                                       std::string_view wrapped) const {
  std::string plain;
  const Status s = Kek()->Open(wrapped, WrapAad(tenant, term), &plain);
  if (!s.ok()) {
    return Status::Error(s.code(), "the wrapped data key of " + KeyName(tenant, term) +
                                       " does not unwrap: " + s.message());
  }
  if (plain.size() != kDataKeyBytes) {
    OPENSSL_cleanse(plain.data(), plain.size());
    return Status::Error("integrity", "the wrapped data key of " + KeyName(tenant, term) +
                                          " holds " + std::to_string(plain.size()) +
                                          " bytes, not " + std::to_string(kDataKeyBytes));
  }
  SecretBytes dek(kDataKeyBytes);
  std::memcpy(dek.data(), plain.data(), kDataKeyBytes);
  OPENSSL_cleanse(plain.data(), plain.size());
  return dek;
}

Result<std::string> Keyring::MakeKekCheck() const {
  std::string check;
  if (Status s = Kek()->Seal(kKekSealTerm, kCheckPlaintext, kCheckDomain, &check); !s.ok()) {
    return s;
  }
  return check;
}

Status Keyring::VerifyKekCheck(std::string_view check) const {
  if (Result<uint32_t> term = Aead::PeekTerm(check); !term.ok()) {
    return Status::Error("integrity",
                         "the store's key check is damaged: " + term.status().message());
  }
  std::string plain;
  const Status s = Kek()->Open(check, kCheckDomain, &plain);
  if (s.code() == "integrity") {
    return Status::Error("wrong_master_key",
                         "the master key does not match this store (it cannot open the "
                         "store's key check)");
  }
  if (!s.ok()) return s;
  if (plain != kCheckPlaintext) {
    return Status::Error("integrity", "the store's key check opens but holds something else");
  }
  return Status::Ok();
}

Status Keyring::AddKey(uint64_t tenant, uint32_t term, SecretBytes dek, bool make_current) {
  if (term == 0) {
    return Status::Error("invalid_term", "data key terms start at 1 (" + KeyName(tenant, 0) + ")");
  }
  if (dek.size() != kDataKeyBytes) {
    return Status::Error("invalid_key", "the data key of " + KeyName(tenant, term) + " is " +
                                            std::to_string(dek.size()) + " bytes, not " +
                                            std::to_string(kDataKeyBytes));
  }
  // Key the Aead before taking the lock: readers are not held up by key schedules.
  Result<std::unique_ptr<Aead>> aead = Aead::Create(dek);
  if (!aead.ok()) return aead.status();

  std::unique_lock lock(mu_);
  const auto it = tenants_.find(tenant);
  const uint32_t current = it == tenants_.end() ? 0 : it->second.current;
  if (FindLocked(tenant, term) != nullptr) {
    return Status::Error("key_exists", KeyName(tenant, term) + " already has a data key");
  }
  if (make_current && term <= current) {
    return Status::Error("invalid_term", "cannot make " + KeyName(tenant, term) +
                                             " current: its current term is already " +
                                             std::to_string(current));
  }
  TenantKeys& keys = tenants_[tenant];
  keys.by_term.emplace(term, DataKey{std::move(dek), std::move(aead).value()});
  if (make_current) keys.current = term;
  return Status::Ok();
}

std::optional<uint32_t> Keyring::CurrentTerm(uint64_t tenant) const {
  std::shared_lock lock(mu_);
  const auto it = tenants_.find(tenant);
  if (it == tenants_.end() || it->second.current == 0) return std::nullopt;
  return it->second.current;
}

std::vector<uint32_t> Keyring::Terms(uint64_t tenant) const {
  std::shared_lock lock(mu_);
  std::vector<uint32_t> terms;
  if (const auto it = tenants_.find(tenant); it != tenants_.end()) {
    for (const auto& [term, key] : it->second.by_term) terms.push_back(term);
  }
  return terms;
}

void Keyring::ForgetTenant(uint64_t tenant) {
  TenantKeys dropped;
  {
    std::unique_lock lock(mu_);
    const auto it = tenants_.find(tenant);
    if (it == tenants_.end()) return;
    dropped = std::move(it->second);
    tenants_.erase(it);
  }
  // `dropped` zeroizes the keys (SecretBytes, and the Aeads' contexts) as it goes out of
  // scope, outside the lock.
}

Result<SecretBytes> Keyring::ExportDataKey(uint64_t tenant, uint32_t term) const {
  std::shared_lock lock(mu_);
  const DataKey* key = FindLocked(tenant, term);
  if (key == nullptr) return Status::Error("no_key", KeyName(tenant, term) + " has no data key");
  return key->dek.Clone();
}

const Keyring::DataKey* Keyring::FindLocked(uint64_t tenant, uint32_t term) const {
  const auto it = tenants_.find(tenant);
  if (it == tenants_.end()) return nullptr;
  const auto key = it->second.by_term.find(term);
  return key == it->second.by_term.end() ? nullptr : &key->second;
}

Status Keyring::Seal(uint64_t tenant, std::string_view plaintext, std::string_view aad,
                     std::string* out) const {
  std::shared_lock lock(mu_);
  const auto it = tenants_.find(tenant);
  if (it == tenants_.end() || it->second.current == 0) {
    out->clear();
    return Status::Error(
        "no_key", "tenant " + std::to_string(tenant) + " has no current data key to seal with");
  }
  const TenantKeys& keys = it->second;
  return keys.by_term.at(keys.current).aead->Seal(keys.current, plaintext, aad, out);
}

Status Keyring::Open(uint64_t tenant, std::string_view sealed, std::string_view aad,
                     std::string* out) const {
  Result<uint32_t> term = Aead::PeekTerm(sealed);
  if (!term.ok()) {
    out->clear();
    return term.status();
  }
  std::shared_lock lock(mu_);
  const DataKey* key = FindLocked(tenant, term.value());
  if (key == nullptr) {
    out->clear();
    return Status::Error("no_key", "cannot open a value of " + KeyName(tenant, term.value()) +
                                       ": there is no such data key (forgotten, or the value "
                                       "belongs to another tenant)");
  }
  return key->aead->Open(sealed, aad, out);
}

}  // namespace sigmad::crypto
