#include "audit/log.h"

#include <algorithm>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "audit/codec.h"
#include "common/time_format.h"
#include "crypto/keyring.h"
#include "store/keys.h"

namespace sigmad::audit {
namespace {

using crypto::kSystemTenant;
constexpr std::string_view kKeyIdPrefix = "system-dek-";
constexpr std::string_view kDerivation = "sigmad-audit-checkpoint-v1";

}  // namespace

std::string AuditKey(uint64_t seq) { return store::KeyBuilder().U64(seq).Build(); }

Result<std::unique_ptr<AuditLog>> AuditLog::Open(store::Vault& vault, CheckpointPolicy policy) {
  auto table = vault.OpenTable(kAuditTable, store::Owner::kSystem);
  if (!table.ok()) return table.status();
  // The newest record, if any, is where the chain resumes.
  std::optional<Record> last;
  Status s = vault.env().View([&](store::ReadTxn& txn) -> Status {
    auto cursor = txn.OpenCursor(table.value().dbi);
    if (!cursor.ok()) return cursor.status();
    // Walk to the end: the table is keyed by sequence, so the last key is the newest.
    // (A reverse cursor step would avoid the walk; the log is read once at start.)
    std::string last_key, last_value;
    for (Status m = cursor.value().First(); ; m = cursor.value().Next()) {
      if (!m.ok()) return m;
      if (!cursor.value().valid()) break;
      last_key = cursor.value().key();
      last_value = cursor.value().value();
    }
    if (last_key.empty()) return Status::Ok();
    std::string plain;
    if (Status o = vault.Open(table.value(), last_key, kSystemTenant, last_value, &plain);
        !o.ok()) {
      return Status::Error(o.code(), "the newest audit record does not open: " + o.message());
    }
    auto record = DecodeRecord(plain);
    if (!record.ok()) return record.status();
    last = std::move(record).value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  Chain chain(policy);
  if (last) {
    auto resumed = Chain::Resume(*last, policy);
    if (!resumed.ok()) return resumed.status();
    chain = resumed.value();
  }
  return std::unique_ptr<AuditLog>(new AuditLog(vault, table.value(), chain));
}

Status AuditLog::Appender::Append(const Fields& fields) { return Add(fields, false); }

Status AuditLog::Appender::AppendCheckpoint(const Fields& fields) { return Add(fields, true); }

Status AuditLog::Appender::Add(const Fields& fields, bool checkpoint) {
  const auto term = log_.vault_.keyring().CurrentTerm(kSystemTenant);
  if (!term) return Status::Error("no_key", "the store has no system data key");
  auto key = log_.KeyForTerm(*term);
  if (!key.ok()) return key.status();
  const std::string id = std::string(kKeyIdPrefix) + std::to_string(*term);
  const CheckpointKey ck{id, *key.value()};
  auto record = checkpoint ? chain_.NextCheckpoint(fields, ck) : chain_.Next(fields, ck);
  if (!record.ok()) return record.status();
  const std::string k = AuditKey(record.value().seq);
  if (Status s = log_.vault_.Put(txn_, log_.table_, k, kSystemTenant,
                                 EncodeRecord(record.value()), store::PutMode::kNoOverwrite);
      !s.ok()) {
    return s;
  }
  return chain_.Commit(record.value());  // the local copy; the log's chain moves on commit
}

Status AuditLog::Update(const std::function<Status(store::WriteTxn&, Appender&)>& fn,
                        const std::function<Status()>& after_commit) {
  std::lock_guard lock(mu_);
  Chain working = chain_;
  Status s = vault_.env().Update([&](store::WriteTxn& txn) -> Status {
    working = chain_;  // a re-run starts from the committed chain again
    Appender appender(*this, txn, working);
    return fn(txn, appender);
  });
  if (!s.ok()) return s;
  chain_ = working;
  return after_commit ? after_commit() : Status::Ok();
}

Status AuditLog::Append(const Fields& fields) {
  return Update([&](store::WriteTxn&, Appender& a) { return a.Append(fields); });
}

Status AuditLog::Read(uint64_t from_seq,
                      const std::function<Status(const Record&, bool*)>& fn) const {
  return vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto cursor = txn.OpenCursor(table_.dbi);
    if (!cursor.ok()) return cursor.status();
    std::string plain;
    for (Status m = cursor.value().Seek(AuditKey(from_seq)); ; m = cursor.value().Next()) {
      if (!m.ok()) return m;
      if (!cursor.value().valid()) return Status::Ok();
      if (Status o = vault_.Open(table_, cursor.value().key(), kSystemTenant,
                                 cursor.value().value(), &plain);
          !o.ok()) {
        const uint64_t seq = store::KeyReader(cursor.value().key()).U64().value_or(0);
        return Status::Error(o.code(), "audit record " + std::to_string(seq) + ": " + o.message());
      }
      auto record = DecodeRecord(plain);
      if (!record.ok()) return record.status();
      bool stop = false;
      if (Status f = fn(record.value(), &stop); !f.ok()) return f;
      if (stop) return Status::Ok();
    }
  });
}

VerifyResult AuditLog::Verify() const {
  VerifyOptions options;
  {
    std::lock_guard lock(mu_);
    options.max_checkpoint_gap = chain_.policy().every;
    if (!chain_.empty()) options.anchor = Anchor{chain_.last_seq(), chain_.last_hash()};
  }
  Verifier verifier([this](std::string_view id) { return KeyForId(id); }, options);
  std::string plain;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    return txn.ForEach(table_.dbi, "", [&](std::string_view key, std::string_view value,
                                           bool* stop) -> Status {
      // A record that does not open is fed as garbage: the verifier names its place.
      if (!vault_.Open(table_, key, kSystemTenant, value, &plain).ok()) plain.clear();
      *stop = !verifier.AddEncoded(plain);
      return Status::Ok();
    });
  });
  VerifyResult result = verifier.Finish();
  if (!s.ok() && result.ok()) {
    result.failure = VerifyFailure{result.last_seq + 1, Reason::kMalformed,
                                   "the audit log could not be read: " + s.message()};
  }
  return result;
}

Result<AuditLog::PruneResult> AuditLog::Prune(TimePoint before, TimePoint now,
                                              std::string_view reason, uint64_t max_records) {
  std::lock_guard prune_lock(prune_mu_);
  // Where the log must start: known after one whole verification per process, then kept
  // up to date here, as nothing else removes records. Without this a prune would bless
  // a start someone removed by hand (its record says "records X..S-1").
  if (!expected_first_) {
    const VerifyResult whole = Verify();
    if (!whole.ok()) {
      return Status::Error(code::kChain, "the audit log does not verify, so no record is pruned: " +
                                             whole.failure->message);
    }
    expected_first_ = whole.first_seq;  // 0: empty
  }
  VerifyOptions options;
  {
    std::lock_guard lock(mu_);
    options.max_checkpoint_gap = chain_.policy().every;
  }
  // Past at least one checkpoint, so that each call can make progress.
  max_records = std::max(max_records, options.max_checkpoint_gap + 1);
  options.segment = true;
  Verifier verifier([this](std::string_view id) { return KeyForId(id); }, options);
  // Find S: the newest checkpoint with only old records before it.
  PruneResult result;
  uint64_t first = 0, scanned = 0;
  Status s = Read(1, [&](const Record& r, bool* stop) {
    if (first == 0) first = r.seq;
    if (!verifier.Add(r)) {
      *stop = true;
      return Status::Ok();
    }
    if (r.checkpoint) result.first_kept = r.seq;
    if (r.fields.time >= before) {
      *stop = true;
    } else if (++scanned >= max_records) {
      result.more = *stop = true;
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (const VerifyResult v = verifier.Finish(); !v.ok()) {
    return Status::Error(code::kChain, "the oldest audit records do not verify, so none are "
                                       "pruned: " + v.failure->message);
  }
  if (*expected_first_ != 0 && first != *expected_first_) {
    return Status::Error(code::kChain, "the audit log starts at record " + std::to_string(first) +
                                           " but started at record " +
                                           std::to_string(*expected_first_) +
                                           ": records were removed other than by retention, so "
                                           "none are pruned");
  }
  if (result.first_kept <= first) return PruneResult{};  // nothing old enough behind a checkpoint

  Fields f;
  f.time = now;
  f.actor = "sigmad";
  f.action = std::string(kPruneAction);
  f.target = PruneTarget(result.first_kept);
  f.outcome = std::string(kOutcomeOk);
  f.source = "retention";
  f.details = "records " + std::to_string(first) + ".." + std::to_string(result.first_kept - 1) +
              ", older than " + FormatUtc(before) + ": " + std::string(reason);
  if (Status a = Update([&](store::WriteTxn&, Appender& app) {
        Status appended = app.AppendCheckpoint(f);
        result.prune_seq = app.last_seq();
        return appended;
      });
      !a.ok()) {
    return a;
  }
  for (uint64_t seq = first; seq < result.first_kept;) {
    const uint64_t end = std::min(result.first_kept, seq + kPruneBatch);
    Status d = vault_.env().Update([&](store::WriteTxn& txn) -> Status {
      for (uint64_t q = seq; q < end; ++q) {
        if (auto r = txn.Delete(table_.dbi, AuditKey(q)); !r.ok()) return r.status();
      }
      return Status::Ok();
    });
    if (!d.ok()) {
      return Status::Error(d.code(), "pruning stopped before audit record " + std::to_string(seq) +
                                         " (the next prune carries on): " + d.message());
    }
    result.removed += end - seq;
    seq = end;
    expected_first_ = seq;
  }
  return result;
}

uint64_t AuditLog::last_seq() const {
  std::lock_guard lock(mu_);
  return chain_.last_seq();
}

Digest AuditLog::last_hash() const {
  std::lock_guard lock(mu_);
  return chain_.last_hash();
}

Result<const crypto::SecretBytes*> AuditLog::KeyForTerm(uint32_t term) const {
  std::lock_guard lock(keys_mu_);
  auto it = keys_.find(term);
  if (it != keys_.end()) return &it->second;
  auto dek = vault_.keyring().ExportDataKey(kSystemTenant, term);
  if (!dek.ok()) return dek.status();
  crypto::SecretBytes derived(EVP_MAX_MD_SIZE);
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), dek.value().data(), static_cast<int>(dek.value().size()),
           reinterpret_cast<const unsigned char*>(kDerivation.data()), kDerivation.size(),
           derived.data(), &len) == nullptr) {
    return Status::Error("crypto", "cannot derive the audit checkpoint key");
  }
  crypto::SecretBytes key(len);
  std::copy(derived.data(), derived.data() + len, key.data());
  return &keys_.emplace(term, std::move(key)).first->second;
}

const crypto::SecretBytes* AuditLog::KeyForId(std::string_view key_id) const {
  if (key_id.substr(0, kKeyIdPrefix.size()) != kKeyIdPrefix) return nullptr;
  uint32_t term = 0;
  for (char c : key_id.substr(kKeyIdPrefix.size())) {
    if (c < '0' || c > '9' || term > 100000000) return nullptr;
    term = term * 10 + static_cast<uint32_t>(c - '0');
  }
  auto key = KeyForTerm(term);
  return key.ok() ? key.value() : nullptr;
}

}  // namespace sigmad::audit
