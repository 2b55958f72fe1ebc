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
#include <optional>
#include <string>
#include <string_view>

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
    // With a checkpoint whether one is due or not (Chain::NextCheckpoint).
    Status AppendCheckpoint(const Fields& fields);
    // The sequence number of the last record appended in this transaction (or before).
    uint64_t last_seq() const { return chain_.last_seq(); }

   private:
    friend class AuditLog;
    Status Add(const Fields& fields, bool checkpoint);
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

  // What one Prune call did.
  struct PruneResult {
    uint64_t removed = 0;     // records deleted by this call
    uint64_t first_kept = 0;  // S: the records before it are removed; 0 if none were due
    uint64_t prune_seq = 0;   // the audit.prune record written; 0 if none were due
    bool more = false;        // it stopped after max_records old records: call again
  };
  // Retention. Removes the records older than `before`, from the oldest up to the newest
  // checkpoint S that only such records precede; S and everything after it stay. What it
  // would remove is verified first: a damaged or tampered stretch is evidence, and Prune
  // refuses ("audit_chain") rather than delete it. The first call in a process verifies
  // the whole log (Verify); later calls verify the records to remove and S's MAC, and
  // that the log still starts where the last prune left it.
  // Then it appends an audit.prune record (time `now`, actor "sigmad", `reason` in its
  // details) with a checkpoint, and deletes the records before S oldest first, in
  // transactions of kPruneBatch, so audited writers wait for one batch at most. The log
  // verifies at every point in between (verify.h), so a crash loses nothing; the next
  // Prune carries on. Looks at no more than max_records records per call.
  // Concurrent Prune calls run one after the other.
  Result<PruneResult> Prune(TimePoint before, TimePoint now, std::string_view reason,
                            uint64_t max_records = kPruneMaxRecords);
  static constexpr uint64_t kPruneBatch = 10000;
  static constexpr uint64_t kPruneMaxRecords = 200000;

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
  std::mutex prune_mu_;  // one Prune at a time
  // The seq the log starts at, once a Prune verified it (0: empty). GUARDED_BY(prune_mu_)
  std::optional<uint64_t> expected_first_;
  mutable std::mutex keys_mu_;
  mutable std::map<uint32_t, crypto::SecretBytes> keys_;  // GUARDED_BY(keys_mu_)
};

// The LMDB key of record `seq`.
std::string AuditKey(uint64_t seq);

}  // namespace sigmad::audit
