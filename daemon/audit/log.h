// AuditLog: the audit chain (chain.h) kept in the trusted store.
//
// Records live in the table "audit", keyed by sequence number (u64 big-endian), each
// sealed under the system data key like any other value. An audited change runs through
// AuditLog::Update: the change and its records are written in ONE LMDB write
// transaction, so there is no change without its record and no record without its change.
// Update also serialises audited writers, so sequence numbers never race.
//
// Checkpoint keys are derived from the system data key of the current term:
// HMAC-SHA256(DEK, "sigmad-audit-checkpoint-v1"), with key id "system-dek-<term>". A
// rotated system key therefore starts a new checkpoint key while old checkpoints stay
// verifiable with the old term's key.
//
// Thread-safety: every method may be called from any thread. Update and Append take
// mu_ for their whole write; readers run their own read transactions.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "audit/chain.h"
#include "audit/record.h"
#include "audit/verify.h"
#include "common/status.h"
#include "store/vault.h"

namespace sigmad::audit {

inline constexpr char kAuditTable[] = "audit";

class AuditLog {
 public:
  static Result<std::unique_ptr<AuditLog>> Open(store::Vault& vault, CheckpointPolicy policy = {});

  // Hands records to the transaction an Update is running.
  class Appender {
   public:
    Status Append(const Fields& fields);

   private:
    friend class AuditLog;
    Appender(AuditLog& log, store::WriteTxn& txn, Chain& chain)
        : log_(log), txn_(txn), chain_(chain) {}
    AuditLog& log_;
    store::WriteTxn& txn_;
    Chain& chain_;
  };

  // Runs fn in one write transaction; the records it appends commit with its changes.
  // fn must be re-runnable (store::Env::Update). If fn fails nothing is written.
  // `after_commit`, if given, runs once the transaction committed, while audited writers
  // are still held off (master-key rotation switches keys there).
  Status Update(const std::function<Status(store::WriteTxn&, Appender&)>& fn,
                const std::function<Status()>& after_commit = {});
  // One record in a transaction of its own (access decisions, refused operations).
  Status Append(const Fields& fields);

  // Calls fn for each record from `from_seq` on, in order, until it sets *stop.
  Status Read(uint64_t from_seq,
              const std::function<Status(const Record& record, bool* stop)>& fn) const;
  // Checks the whole stored chain: hashes, links, checkpoints, and that it ends where
  // this process last appended (so removing the newest records is noticed here).
  VerifyResult Verify() const;

  uint64_t last_seq() const;
  Digest last_hash() const;

 private:
  AuditLog(store::Vault& vault, store::Table table, Chain chain)
      : vault_(vault), table_(table), chain_(chain) {}
  // The checkpoint key of the system data key `term`, derived once and cached.
  Result<const crypto::SecretBytes*> KeyForTerm(uint32_t term) const;
  const crypto::SecretBytes* KeyForId(std::string_view key_id) const;

  store::Vault& vault_;
  store::Table table_;
  mutable std::mutex mu_;
  Chain chain_;  // GUARDED_BY(mu_)
  mutable std::mutex keys_mu_;
  mutable std::map<uint32_t, crypto::SecretBytes> keys_;  // GUARDED_BY(keys_mu_)
};

// The LMDB key of record `seq`.
std::string AuditKey(uint64_t seq);

}  // namespace sigmad::audit
