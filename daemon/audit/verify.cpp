#include "audit/verify.h"

#include <cstdio>
#include <limits>
#include <utility>

#include "audit/codec.h"

namespace sigmad::audit {
namespace {

std::string Seq(uint64_t seq) { return std::to_string(seq); }

// A key id from a record that may have been tampered with, made safe for a log line.
std::string Printable(std::string_view s) {
  constexpr size_t kMax = 64;
  std::string out;
  for (size_t i = 0; i < s.size() && i < kMax; ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '\\' && c != '\'') {
      out.push_back(static_cast<char>(c));
    } else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  if (s.size() > kMax) out += "...";
  return out;
}

// "record 4 is missing", "records 4..9 are missing": the records in [from, to).
std::string Missing(uint64_t from, uint64_t to) {
  return to - from == 1 ? "record " + Seq(from) + " is missing"
                        : "records " + Seq(from) + ".." + Seq(to - 1) + " are missing";
}

}  // namespace

std::string_view ReasonName(Reason reason) {
  switch (reason) {
    case Reason::kMalformed:
      return "malformed";
    case Reason::kHashMismatch:
      return "hash_mismatch";
    case Reason::kPrevHashMismatch:
      return "prev_hash_mismatch";
    case Reason::kSequenceGap:
      return "sequence_gap";
    case Reason::kDuplicateSequence:
      return "duplicate_sequence";
    case Reason::kOutOfOrder:
      return "out_of_order";
    case Reason::kMissingCheckpoint:
      return "missing_checkpoint";
    case Reason::kCheckpointMacMismatch:
      return "checkpoint_mac_mismatch";
    case Reason::kUnknownKeyId:
      return "unknown_key_id";
    case Reason::kInvalidPruneRecord:
      return "invalid_prune_record";
    case Reason::kAnchorMismatch:
      return "anchor_mismatch";
    case Reason::kTruncated:
      return "truncated";
  }
  return "unknown";
}

namespace {
constexpr std::string_view kPruneTargetPrefix = "before seq ";
}  // namespace

std::string PruneTarget(uint64_t first_kept) {
  return std::string(kPruneTargetPrefix) + Seq(first_kept);
}

std::optional<uint64_t> ParsePruneTarget(std::string_view target) {
  if (target.substr(0, kPruneTargetPrefix.size()) != kPruneTargetPrefix) return std::nullopt;
  const std::string_view digits = target.substr(kPruneTargetPrefix.size());
  if (digits.empty() || digits[0] == '0') return std::nullopt;
  uint64_t v = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return std::nullopt;
    const auto d = static_cast<uint64_t>(c - '0');
    if (v > (std::numeric_limits<uint64_t>::max() - d) / 10) return std::nullopt;
    v = v * 10 + d;
  }
  return v;
}

Verifier::Verifier(KeyLookup keys, VerifyOptions options)
    : keys_(std::move(keys)), options_(std::move(options)) {}

void Verifier::Fail(uint64_t seq, Reason reason, std::string message) {
  result_.failure = VerifyFailure{seq, reason, std::move(message)};
}

bool Verifier::Add(const Record& r) {
  if (result_.failure) {
    if (gap_pending_) {
      gap_pending_ = false;
      if (r.seq < result_.failure->seq) {  // the skipped record(s) come later
        const uint64_t jumped = result_.failure->seq;
        Fail(jumped, Reason::kOutOfOrder,
             "record " + Seq(jumped) + " is stored before record " + Seq(r.seq) +
                 ": the records are out of order");
      }
    }
    return false;
  }

  const bool started = result_.records_checked > 0;
  const uint64_t last = result_.last_seq;
  if (r.seq == 0) {
    Fail(0, Reason::kMalformed,
         "a record after record " + Seq(last) + " has sequence number 0; sequences start at 1");
    return false;
  }
  if (const Digest computed = ComputeHash(r); computed != r.hash) {
    Fail(r.seq, Reason::kHashMismatch,
         "record " + Seq(r.seq) + " does not match its hash (stored " + DigestHex(r.hash) +
             ", contents hash to " + DigestHex(computed) + "): the record was altered");
    return false;
  }
  if (started && r.seq == last) {
    Fail(r.seq, Reason::kDuplicateSequence,
         "sequence number " + Seq(r.seq) + " appears twice: a record was inserted or copied");
    return false;
  }
  if (started && r.seq < last) {
    Fail(r.seq, Reason::kOutOfOrder,
         "record " + Seq(r.seq) + " is stored after record " + Seq(last) +
             ": the records are out of order");
    return false;
  }
  // A log that starts after record 1 was pruned, or lost its start: Finish decides.
  const bool pruned_start = !started && r.seq > 1;
  if (started && r.seq != last + 1) {
    Fail(r.seq, Reason::kSequenceGap,
         "record " + Seq(r.seq) + " follows record " + Seq(last) + ": " + Missing(last + 1, r.seq));
    gap_pending_ = true;  // one more record tells a removal from a reordering
    return true;
  }
  if (!pruned_start && r.prev_hash != result_.last_hash) {
    Fail(r.seq, Reason::kPrevHashMismatch,
         started ? "record " + Seq(r.seq) + " does not link to record " + Seq(last) +
                       " (its prev_hash is " + DigestHex(r.prev_hash) + ", record " + Seq(last) +
                       " hashes to " + DigestHex(result_.last_hash) + "): record " + Seq(last) +
                       " was altered and re-hashed, or record " + Seq(r.seq) + " was forged"
                 : "record 1 has a non-zero prev_hash " + DigestHex(r.prev_hash) +
                       ": it is not the start of the log");
    return false;
  }
  ++since_checkpoint_;
  if (r.checkpoint) {
    if (!CheckCheckpoint(r)) return false;
  } else if (options_.max_checkpoint_gap != 0 && since_checkpoint_ > options_.max_checkpoint_gap) {
    Fail(r.seq, Reason::kMissingCheckpoint,
         "record " + Seq(r.seq) + " makes " + Seq(since_checkpoint_) +
             " records without a checkpoint since " +
             (result_.last_checkpoint_seq ? "record " + Seq(result_.last_checkpoint_seq)
                                          : std::string("the start of the log")) +
             " (at most " + Seq(options_.max_checkpoint_gap) +
             " are allowed): checkpoints were removed, or the log was written with a larger "
             "checkpoint interval");
    return false;
  }
  if (r.fields.action == kPruneAction) {
    const std::optional<uint64_t> kept = ParsePruneTarget(r.fields.target);
    if (!r.checkpoint || !kept || *kept >= r.seq) {
      Fail(r.seq, Reason::kInvalidPruneRecord,
           "record " + Seq(r.seq) + " is an " + std::string(kPruneAction) + " record " +
               (!r.checkpoint ? std::string("without a checkpoint")
                              : "whose target '" + Printable(r.fields.target) +
                                    "' does not name an earlier record") +
               ": it was not written by sigmad");
      return false;
    }
    result_.pruned_before = *kept;
  }
  if (options_.anchor && options_.anchor->seq == r.seq && options_.anchor->hash != r.hash) {
    Fail(r.seq, Reason::kAnchorMismatch,
         "record " + Seq(r.seq) + " hashes to " + DigestHex(r.hash) + " but the anchor says " +
             DigestHex(options_.anchor->hash) + ": the log was rewritten");
    return false;
  }

  ++result_.records_checked;
  if (!started) result_.first_seq = r.seq;
  result_.last_seq = r.seq;
  result_.last_hash = r.hash;
  return true;
}

bool Verifier::CheckCheckpoint(const Record& r) {
  const Checkpoint& cp = *r.checkpoint;
  const crypto::SecretBytes* key = keys_ ? keys_(cp.key_id) : nullptr;
  if (key == nullptr) {
    Fail(r.seq, Reason::kUnknownKeyId,
         "record " + Seq(r.seq) + " has a checkpoint under key id '" + Printable(cp.key_id) +
             "', which is not a known checkpoint key");
    return false;
  }
  if (!DigestsEqual(ComputeCheckpointMac(*key, r.hash), cp.mac)) {
    Fail(r.seq, Reason::kCheckpointMacMismatch,
         "record " + Seq(r.seq) + " has a wrong checkpoint MAC under key '" + Printable(cp.key_id) +
             "': the log up to here was rewritten without the key, or the MAC was altered");
    return false;
  }
  ++result_.checkpoints_checked;
  result_.last_checkpoint_seq = r.seq;
  since_checkpoint_ = 0;
  return true;
}

bool Verifier::AddEncoded(std::string_view bytes) {
  Result<Record> r = DecodeRecord(bytes);
  if (r.ok()) return Add(r.value());
  if (result_.failure) {
    gap_pending_ = false;
    return false;
  }
  const uint64_t seq = result_.last_seq + 1;
  Fail(seq, Reason::kMalformed,
       "the record after record " + Seq(result_.last_seq) + " (seq " + Seq(seq) +
           " expected) cannot be read: " + r.status().message());
  return false;
}

VerifyResult Verifier::Finish() {
  gap_pending_ = false;
  const uint64_t first = result_.first_seq;
  const bool unexplained_start = first > 1 && !options_.segment &&
                                 (result_.pruned_before == 0 || first > result_.pruned_before);
  if (result_.failure && unexplained_start) {
    // The prune record that would explain the start may lie past the failure; say so
    // rather than let the start pass for a pruned one.
    result_.failure->message += "; also, the log starts at record " + Seq(first) +
                                " and no audit.prune record before that failure explains it";
  }
  if (!result_.failure && unexplained_start) {
    const uint64_t pruned_before = result_.pruned_before;
    result_ = VerifyResult{};  // nothing before the bad start was verified
    if (pruned_before == 0) {
      Fail(first, Reason::kSequenceGap,
           "the log starts at record " + Seq(first) + " and no " + std::string(kPruneAction) +
               " record says older records were pruned: " + Missing(1, first));
    } else {
      Fail(first, Reason::kSequenceGap,
           "the log starts at record " + Seq(first) + " but the last " +
               std::string(kPruneAction) + " record kept the records from " +
               Seq(pruned_before) + " on: " + Missing(pruned_before, first));
    }
  }
  if (!result_.failure && options_.anchor && options_.anchor->seq < first) {
    result_.anchor_pruned = true;
  }
  if (!result_.failure && options_.anchor && options_.anchor->seq > result_.last_seq) {
    const uint64_t seq = result_.last_seq + 1;
    Fail(seq, Reason::kTruncated,
         "the log ends at record " + Seq(result_.last_seq) + " but the anchor says record " +
             Seq(options_.anchor->seq) + " existed: records from " + Seq(seq) + " on were removed");
  }
  return result_;
}

}  // namespace sigmad::audit
