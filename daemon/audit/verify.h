// Verifier: checks an audit log fed one record at a time in storage order, and names the
// first record that is wrong and why. Memory use is constant: millions of records stream
// through without being kept.
//
// What it detects, each reported at the sequence number the offending record carries:
//   hash_mismatch            a record's contents were altered (its stored hash no longer
//                            matches the canonical encoding, record.h)
//   prev_hash_mismatch       a record does not link to the one before it: that one was
//                            altered and re-hashed, or a forged record was put in place
//   sequence_gap             sequence numbers jump: records were removed, or the log
//                            starts after record 1 without a prune that explains it
//   duplicate_sequence       a sequence number repeats: a record was inserted or copied
//   out_of_order             sequence numbers go back: records were reordered (a jump
//                            followed by a smaller number is reported as this, at the jump)
//   missing_checkpoint       more than max_checkpoint_gap records without a checkpoint:
//                            checkpoints were stripped by someone rewriting the chain
//   checkpoint_mac_mismatch  a checkpoint's HMAC is wrong: the chain was rewritten by
//                            someone without the key, or the MAC was altered
//   unknown_key_id           a checkpoint names a key the lookup does not know
//   malformed                stored bytes do not decode (AddEncoded), reported at the
//                            sequence number the record should have had
//   invalid_prune_record     an audit.prune record without a checkpoint, or whose target
//                            does not name the first record it kept
//   anchor_mismatch          the record at the anchor's seq has another hash
//   truncated                the log ends before the anchor's seq
//
// What a hash chain cannot detect on its own: anyone able to write the store can delete
// the newest records (truncate the tail) and what remains is a valid chain. Checkpoints
// narrow this only in that rewriting history needs the checkpoint key; records after the
// last checkpoint are protected by the chain alone, so they can be altered and re-hashed,
// or dropped, without a trace. An anchor, a {seq, hash} kept outside the store (printed by
// status, kept with backups, sent to a log host), closes the gap up to that record: the
// log must still contain it, with that hash. Nothing detects loss of records newer than
// the newest anchor. VerifyResult::last_checkpoint_seq says how long the unkeyed tail is.
//
// Pruned logs. Retention removes the oldest records (AuditLog::Prune): it first appends
// an audit.prune record, with action kPruneAction and target PruneTarget(S), meaning
// "the records before S are removed", then deletes them, oldest first. S is a
// checkpoint, so the first record kept carries a MAC; the prune record carries one too,
// whether one is due or not, so it cannot be forged without the key. A log may
// therefore start at a record X > 1, whose prev_hash names a record no longer there,
// if the LAST audit.prune record in the log names an S >= X (X < S while the deletion
// is under way). Otherwise the missing start is a sequence_gap, found at Finish and
// reported at X. Records before the first checkpoint kept are authenticated by the
// chain up to that checkpoint, as everywhere else.
//
// Thread-safety: none; one Verifier per verification run.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "audit/chain.h"
#include "audit/record.h"
#include "crypto/secret.h"

namespace sigmad::audit {

enum class Reason {
  kMalformed,
  kHashMismatch,
  kPrevHashMismatch,
  kSequenceGap,
  kDuplicateSequence,
  kOutOfOrder,
  kMissingCheckpoint,
  kCheckpointMacMismatch,
  kUnknownKeyId,
  kInvalidPruneRecord,
  kAnchorMismatch,
  kTruncated,
};

// "hash_mismatch", ...: stable names for scripts and the control protocol.
std::string_view ReasonName(Reason reason);

// The action of the record that says older records were pruned, and its target.
inline constexpr std::string_view kPruneAction = "audit.prune";
// "before seq 1200": the records before 1200 are removed.
std::string PruneTarget(uint64_t first_kept);
// The S of PruneTarget(S); nullopt unless `target` is exactly that form with S >= 1.
std::optional<uint64_t> ParsePruneTarget(std::string_view target);

// Returns the checkpoint key with that id, or nullptr if there is none. The pointer need
// only stay valid until the next call.
using KeyLookup = std::function<const crypto::SecretBytes*(std::string_view key_id)>;

// A record's hash kept outside the log.
struct Anchor {
  uint64_t seq = 0;
  Digest hash{};
};

struct VerifyOptions {
  // Most records allowed from one checkpoint (or the start) up to and including the
  // next. Set it to the largest CheckpointPolicy::every the log was written with; 0 turns
  // the check off, after which a rewritten chain without checkpoints passes.
  uint64_t max_checkpoint_gap = kDefaultCheckpointEvery;
  std::optional<Anchor> anchor;
  // The records fed are a stretch of a log, not all of it: where it starts is not
  // checked (AuditLog::Prune checks the records it is about to remove this way).
  bool segment = false;
};

struct VerifyFailure {
  uint64_t seq = 0;  // the first bad sequence number
  Reason reason = Reason::kMalformed;
  std::string message;  // one sentence for people; names the seq and what was expected
};

struct VerifyResult {
  // About the verified prefix: the records before the first bad one (all, when ok).
  uint64_t records_checked = 0;
  uint64_t checkpoints_checked = 0;  // MACs verified
  uint64_t first_seq = 0;            // 0 when no record verified
  uint64_t last_seq = 0;
  Digest last_hash{};
  uint64_t last_checkpoint_seq = 0;  // 0 when none
  // The S of the last audit.prune record: the log may start anywhere up to S. 0 when
  // the log was never pruned (or its prune records are past the first failure).
  uint64_t pruned_before = 0;
  // An anchor older than the first record: it was pruned and could not be checked.
  bool anchor_pruned = false;
  // A start no prune explains is found at Finish and reported at that first record;
  // the counts above are then all zero, as nothing before it was verified. When another
  // failure came first, its message says the start was not explained either.
  std::optional<VerifyFailure> failure;

  bool ok() const { return !failure.has_value(); }
};

class Verifier {
 public:
  explicit Verifier(KeyLookup keys, VerifyOptions options = {});

  // Checks the next record in storage order. Returns false once nothing more is needed
  // (a failure has been found and classified); the caller may stop feeding then.
  bool Add(const Record& record);
  // Decodes stored bytes (codec.h) and checks them; a decode error is `malformed`.
  bool AddEncoded(std::string_view bytes);

  // Ends the stream, applies the end-of-log checks (anchor) and returns the result.
  // Call once.
  VerifyResult Finish();

 private:
  void Fail(uint64_t seq, Reason reason, std::string message);
  bool CheckCheckpoint(const Record& r);

  KeyLookup keys_;
  VerifyOptions options_;
  VerifyResult result_;
  uint64_t since_checkpoint_ = 0;  // records since the last checkpoint, or the start
  bool gap_pending_ = false;       // a jump was seen; the next record tells gap from reorder
};

}  // namespace sigmad::audit
