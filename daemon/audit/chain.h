// Chain: the appender's view of the audit log, i.e. the last record's sequence number and
// hash, and the checkpoint policy. It builds the next record; it stores nothing.
//
// The appender calls Next() to build a record, writes it durably, and only then calls
// Commit(). A write that fails leaves the chain where it was, so the next attempt gets
// the same sequence number and no gap appears.
//
// Checkpoints: the record whose sequence number is a multiple of `policy.every` carries
// {key_id, HMAC-SHA256(key, hash)} under the key the caller passes to Next(). Rotating
// the key means passing a new id and secret from then on; records checkpointed under
// old ids stay verifiable as long as the verifier's key lookup still knows those ids.
// The chain never keeps key material: the caller's keyring owns it.
// Changing `every` later keeps every gap between checkpoints at most max(old, new), which
// is what VerifyOptions::max_checkpoint_gap should allow.
//
// Thread-safety: none; the appender serialises Next/Commit under its own lock.
#pragma once

#include <cstdint>
#include <string_view>

#include "audit/record.h"
#include "common/status.h"
#include "crypto/secret.h"

namespace sigmad::audit {

inline constexpr uint64_t kDefaultCheckpointEvery = 100;

struct CheckpointPolicy {
  uint64_t every = kDefaultCheckpointEvery;  // 0: no checkpoints

  bool Due(uint64_t seq) const { return every != 0 && seq % every == 0; }
};

// The key the appender checkpoints with now. Borrowed for the duration of the call.
struct CheckpointKey {
  std::string_view id;
  const crypto::SecretBytes& secret;
};

class Chain {
 public:
  // An empty log: the next record is seq 1 with an all-zero prev_hash.
  explicit Chain(CheckpointPolicy policy = {});

  // Continues after `last`, the newest stored record. Fails (code::kChain) if its stored
  // hash does not match its contents: appending to a damaged tail would bless it.
  static Result<Chain> Resume(const Record& last, CheckpointPolicy policy = {});

  // The record that would follow: seq = last + 1, prev_hash = last hash, time truncated
  // to the millisecond, hash computed, checkpoint filled when the policy says it is due.
  // Fails on fields Validate() rejects, on a key ValidateCheckpointKey() rejects (checked
  // whenever one is passed, due or not), and when the sequence number would overflow.
  // Does not change the chain.
  Result<Record> Next(const Fields& fields, const CheckpointKey& key) const;
  // As above without a key: fails (code::kInvalidKey) if a checkpoint is due.
  Result<Record> Next(const Fields& fields) const;
  // As Next(fields, key), with a checkpoint whether one is due or not: for records that
  // must be authenticated by the key on their own (an audit.prune record, verify.h).
  Result<Record> NextCheckpoint(const Fields& fields, const CheckpointKey& key) const;

  // Advances past `record` once it is stored. Fails (code::kChain) unless it is the
  // record Next() would build: seq = last + 1, prev_hash = last hash, hash correct.
  Status Commit(const Record& record);

  bool empty() const { return last_seq_ == 0; }
  uint64_t last_seq() const { return last_seq_; }         // 0 when empty
  const Digest& last_hash() const { return last_hash_; }  // all zero when empty
  const CheckpointPolicy& policy() const { return policy_; }
  void set_policy(CheckpointPolicy policy) { policy_ = policy; }

 private:
  Result<Record> Build(const Fields& fields, const CheckpointKey* key, bool force) const;

  CheckpointPolicy policy_;
  uint64_t last_seq_ = 0;
  Digest last_hash_{};
};

}  // namespace sigmad::audit
