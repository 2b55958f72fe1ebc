#include "audit/chain.h"

#include <limits>

namespace sigmad::audit {

Chain::Chain(CheckpointPolicy policy) : policy_(policy) {}

Result<Chain> Chain::Resume(const Record& last, CheckpointPolicy policy) {
  if (last.seq == 0) {
    return Status::Error(code::kChain, "cannot continue after a record with sequence number 0");
  }
  if (ComputeHash(last) != last.hash) {
    return Status::Error(code::kChain, "the newest audit record (seq " + std::to_string(last.seq) +
                                           ") does not match its hash; run the audit "
                                           "verification before appending");
  }
  Chain chain(policy);
  chain.last_seq_ = last.seq;
  chain.last_hash_ = last.hash;
  return chain;
}

Result<Record> Chain::Next(const Fields& fields, const CheckpointKey& key) const {
  return Build(fields, &key, false);
}

Result<Record> Chain::Next(const Fields& fields) const { return Build(fields, nullptr, false); }

Result<Record> Chain::NextCheckpoint(const Fields& fields, const CheckpointKey& key) const {
  return Build(fields, &key, true);
}

Result<Record> Chain::Build(const Fields& fields, const CheckpointKey* key, bool force) const {
  if (Status s = Validate(fields); !s.ok()) return s;
  if (key != nullptr) {
    if (Status s = ValidateCheckpointKey(key->id, key->secret); !s.ok()) return s;
  }
  if (last_seq_ == std::numeric_limits<uint64_t>::max()) {
    return Status::Error(code::kChain, "the audit sequence number is exhausted");
  }
  Record r;
  r.seq = last_seq_ + 1;
  r.fields = fields;
  r.fields.time = std::chrono::floor<std::chrono::milliseconds>(fields.time);
  r.prev_hash = last_hash_;
  const bool due = force || policy_.Due(r.seq);
  if (due) {
    if (key == nullptr) {
      return Status::Error(code::kInvalidKey, "audit record " + std::to_string(r.seq) +
                                                  " is due a checkpoint but no checkpoint key "
                                                  "was supplied");
    }
    r.checkpoint.emplace();
    r.checkpoint->key_id = std::string(key->id);  // part of the hash: set before hashing
  }
  r.hash = ComputeHash(r);
  if (due) r.checkpoint->mac = ComputeCheckpointMac(key->secret, r.hash);
  return r;
}

Status Chain::Commit(const Record& record) {
  if (last_seq_ == std::numeric_limits<uint64_t>::max() || record.seq != last_seq_ + 1) {
    return Status::Error(code::kChain, "audit record " + std::to_string(record.seq) +
                                           " does not follow " + std::to_string(last_seq_));
  }
  if (record.prev_hash != last_hash_) {
    return Status::Error(code::kChain, "audit record " + std::to_string(record.seq) +
                                           " does not link to the hash of record " +
                                           std::to_string(last_seq_));
  }
  if (ComputeHash(record) != record.hash) {
    return Status::Error(code::kChain,
                         "audit record " + std::to_string(record.seq) + " does not match its hash");
  }
  last_seq_ = record.seq;
  last_hash_ = record.hash;
  return Status::Ok();
}

}  // namespace sigmad::audit
