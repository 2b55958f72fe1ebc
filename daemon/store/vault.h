// Vault: the trusted store. An LMDB environment (store/lmdb.h) whose every value is
// sealed with AES-256-GCM (crypto/keyring.h) under the data key of the tenant that owns
// it, plus the key hierarchy that makes that so.
//
// Layout (named DBs; keys are opaque binary ids, store/keys.h):
//   meta   "schema_version" (lmdb.h), "kek_check" (a constant sealed under the KEK)
//   keys   tenant u64 | term u32  ->  created_ms u64 | wrapped DEK (keyring.h)
//   every other DB: sealed values, one Table per record kind
// A sealed value's associated data is  db name | 0x00 | LMDB key | tenant u64 , so a
// value copied to another key, DB or tenant fails to open ("integrity") instead of
// being read. Tenant 0 (crypto::kSystemTenant) owns the daemon's own records.
//
// Opening: a new store gets a key check and a system data key (term 1). An existing
// store's key check must open under the given master key, else Open fails with
// "wrong_master_key" and touches nothing; then every wrapped data key is unwrapped into
// the keyring.
//
// Thread-safety: as Env and Keyring (any thread). Put/Get/Scan run inside Env
// callbacks. Creating or rotating keys (CreateTenantKey, ForgetTenant) changes the
// keyring inside a write callback; Update may re-run the callback, and these calls are
// written to be repeated, but if the Update finally fails the caller must call
// DiscardTenantKeys for a tenant it was creating.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/keyring.h"
#include "crypto/secret.h"
#include "store/lmdb.h"

namespace sigmad::store {

inline constexpr uint32_t kSchemaVersion = 1;
inline constexpr char kKeysDb[] = "keys";
inline constexpr char kKekCheckKey[] = "kek_check";
inline constexpr char kKekCreatedKey[] = "kek_created";  // ms since the epoch, u64

// Who owns the values of a table, i.e. whose data key seals them.
enum class Owner {
  kSystem,       // the daemon's own records (crypto::kSystemTenant)
  kTenantFirst,  // keys start with the owning tenant's id (u64, big-endian)
};

// One record kind: a named DB whose values are sealed.
struct Table {
  Dbi dbi;
  Owner owner;
  uint64_t TenantOf(std::string_view key) const;
};

// The associated data of a sealed value: db name | 0x00 | LMDB key | tenant u64
// (big-endian). Built on every read and write, so it lives on the stack when it fits
// (every store table does: names are short, keys a few ids) and on the heap otherwise.
class RecordAad {
 public:
  RecordAad(std::string_view db, std::string_view key, uint64_t tenant);
  RecordAad(const RecordAad&) = delete;
  RecordAad& operator=(const RecordAad&) = delete;

  std::string_view view() const { return {data_, size_}; }
  operator std::string_view() const { return view(); }  // NOLINT: a view of the bytes

 private:
  char inline_[128];
  std::string heap_;  // used only when the bytes do not fit inline_
  const char* data_;
  size_t size_;
};

// What `store verify` found.
struct VerifyReport {
  struct Db {
    std::string name;
    size_t records = 0, failed = 0;
  };
  struct Failure {
    std::string db, key_hex, reason;
  };
  std::vector<Db> dbs;               // every sealed DB, plus "keys" (wrapped data keys)
  std::vector<Failure> failures;     // at most kMaxReportedFailures; `failed` counts all
  std::vector<std::string> unknown;  // DBs in the file that no module opened (not checked)
  bool ok() const;
};
inline constexpr size_t kMaxReportedFailures = 1000;

class Vault {
 public:
  // Opens (or creates) the store in options.dir with `kek` as the master key.
  static Result<std::unique_ptr<Vault>> Open(const EnvOptions& options, crypto::SecretBytes kek,
                                             const Clock& clock);

  Env& env() { return *env_; }
  crypto::Keyring& keyring() { return *keyring_; }

  // The table `name` (created if missing) and registers it for Verify. Call at
  // start-up, before serving.
  Result<Table> OpenTable(const std::string& name, Owner owner);

  // Every table opened so far, in the order they were opened.
  std::vector<Table> Tables() const;

  // The associated data of a value: binds DB, key and tenant.
  static RecordAad Aad(const Table& table, std::string_view key, uint64_t tenant) {
    return RecordAad(table.dbi.name(), key, tenant);
  }

  // Seals `plaintext` for `tenant` and stores it under `key`.
  Status Put(WriteTxn& txn, const Table& table, std::string_view key, uint64_t tenant,
             std::string_view plaintext, PutMode mode = PutMode::kOverwrite) const;
  // The opened value under `key`, nullopt if absent; "integrity" if it does not open.
  Result<std::optional<std::string>> Get(const ReadTxn& txn, const Table& table,
                                         std::string_view key, uint64_t tenant) const;
  // Opens a sealed value read from `table` under `key` for `tenant`. "integrity" (naming
  // the DB and key) if it does not authenticate or names a key term the tenant never
  // had; "no_key" only if the tenant has no key at all (it was deleted).
  Status Open(const Table& table, std::string_view key, uint64_t tenant,
              std::string_view sealed, std::string* plaintext) const;

  // Opens each value whose key starts with `prefix`, in key order; "integrity" naming
  // the DB and key at the first that does not open.
  using OpenedFn =
      std::function<Status(std::string_view key, std::string_view plaintext, bool* stop)>;
  Status Scan(const ReadTxn& txn, const Table& table, std::string_view prefix,
              const OpenedFn& fn) const;

  // Opens every sealed value of every registered table and unwraps every data key, in
  // one read transaction; `progress` (may be empty) hears each DB as it starts.
  Result<VerifyReport> Verify(const std::function<void(const std::string& db)>& progress) const;

  // Makes a data key (term 1) for a new tenant: stores it wrapped and installs it.
  Status CreateTenantKey(WriteTxn& txn, uint64_t tenant);
  // Removes an uncommitted tenant's keys from memory (after a failed Update).
  void DiscardTenantKeys(uint64_t tenant) { keyring_->ForgetTenant(tenant); }

  // Key rotation, in two steps so that a re-run or failed Update leaves the keyring as
  // it was: AddTerm stores a new wrapped data key (the tenant's highest term + 1) in
  // `txn`; after the Update commits, UseTerm installs it as the tenant's current term.
  struct NewTerm {
    uint64_t tenant = 0;
    uint32_t term = 0;
    crypto::SecretBytes dek;
  };
  Result<NewTerm> AddTerm(WriteTxn& txn, uint64_t tenant);
  Status UseTerm(NewTerm new_term);

  // Master-key rotation: re-wraps every data key under `new_kek` and writes a new key
  // check, in `txn`; returns how many keys it re-wrapped. After the Update commits,
  // SwitchMasterKey makes the keyring use it.
  Result<size_t> RewrapAllUnder(WriteTxn& txn, const crypto::SecretBytes& new_kek);
  Status SwitchMasterKey(crypto::SecretBytes new_kek) { return keyring_->ReplaceKek(std::move(new_kek)); }

  // Re-sealing a tenant's values under its current term ("rewrap"), in bounded steps
  // that can stop and resume anywhere. A position is a table and the last key done in
  // it (an empty table: the start). Each step re-seals, in `txn`, up to `max_values`
  // values of `tenant` that are under older terms, looking at no more than 16 times that
  // many, and returns where to go on. The position can be saved in the same `txn`
  // (SaveRewrap), so a crash resumes where the last committed step ended.
  struct RewrapPosition {
    std::string table, last_key;
    bool done = false;
  };
  struct RewrapStep {
    RewrapPosition next;
    size_t resealed = 0;
  };
  Result<RewrapStep> Rewrap(WriteTxn& txn, uint64_t tenant, const RewrapPosition& from,
                            size_t max_values) const;
  // Pending rewrap jobs in the meta DB: saved, listed, cleared.
  Status SaveRewrap(WriteTxn& txn, uint64_t tenant, const RewrapPosition& at) const;
  Status ClearRewrap(WriteTxn& txn, uint64_t tenant) const;
  Result<std::vector<std::pair<uint64_t, RewrapPosition>>> PendingRewraps(
      const ReadTxn& txn) const;

  // How many values each (tenant, term) seals, read from the headers (no decryption).
  using TermCounts = std::map<std::pair<uint64_t, uint32_t>, size_t>;
  Result<TermCounts> CountByTerm(const ReadTxn& txn) const;

  // When each (tenant, term) key was made, for `key status`.
  struct KeyInfo {
    uint64_t tenant;
    uint32_t term;
    std::chrono::system_clock::time_point created;
  };
  Result<std::vector<KeyInfo>> ListKeys(const ReadTxn& txn) const;

  // When the master key in use was set: the store's creation or the last master-key
  // rotation. A store made before this was recorded counts from its first open with
  // it. (Like the keys DB's creation times, not authenticated.)
  Result<std::chrono::system_clock::time_point> MasterKeyCreated() const;

 private:
  Status PutKekCreated(WriteTxn& txn) const;
  Vault(std::unique_ptr<Env> env, std::unique_ptr<crypto::Keyring> keyring, Dbi meta, Dbi keys,
        const Clock& clock)
      : env_(std::move(env)), keyring_(std::move(keyring)), meta_(meta), keys_(keys),
        clock_(clock) {}
  Status LoadOrInitKeys();

  std::unique_ptr<Env> env_;
  std::unique_ptr<crypto::Keyring> keyring_;
  Dbi meta_, keys_;
  const Clock& clock_;
  mutable std::mutex tables_mu_;
  std::vector<Table> tables_;  // GUARDED_BY(tables_mu_): every table opened, for Verify
};

// The key of `keys` entries.
std::string KeyOfDataKey(uint64_t tenant, uint32_t term);
// Lowercase hex of a key, for reports.
std::string KeyHex(std::string_view key);

}  // namespace sigmad::store
