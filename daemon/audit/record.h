// Audit records: what one entry of the tamper-evident audit log holds, the rules its
// fields obey, and the canonical encoding its hash is computed over.
//
// A record says who (actor) did what (action) to what (target) in which tenant, through
// which front end (source), with what outcome, and when. Records are chained: each one
// carries the hash of its predecessor (prev_hash) and its own hash over everything else,
// so changing, removing, inserting or reordering records breaks the chain (verify.h).
// Every `CheckpointPolicy::every`-th record also carries a checkpoint, an HMAC of its
// hash under a key only the daemon holds, so that rewriting the chain from some point
// on needs that key (chain.h).
//
// RECORDS NEVER CONTAIN SECRETS. No key material, passphrases, tokens, credentials,
// sealed or plaintext tenant data, and no request bodies go into any field: an audit
// log is exported, copied into tickets and read by auditors. `details` is a short human
// note ("policy p7", "3 files"), not a dump. Validate() enforces the shape of fields
// (required fields, lengths, no control characters); it cannot recognise a secret, so
// the rule is on the caller.
//
// Canonical encoding (version 1), for an auditor who wants to recompute hashes:
//
//   canonical(record) =
//       "sigmad-audit-v1" 0x00          16 bytes of domain separation
//       u64(seq)                        sequence number, the first record is 1
//       i64(time_ms)                    milliseconds since 1970-01-01T00:00:00Z, rounded
//                                       toward the past
//       str(actor) str(tenant) str(action) str(target) str(outcome) str(source)
//       opt(details)
//       opt(checkpoint key id)          the id of the key the checkpoint MAC is made with
//       prev_hash                       32 raw bytes; 32 zero bytes for seq 1
//   hash = SHA-256(canonical(record))
//   mac  = HMAC-SHA256(checkpoint key, hash)        the 32 raw hash bytes are the message
// where
//   u64(x), i64(x)  8 bytes, big-endian (i64 in two's complement)
//   u32(x)          4 bytes, big-endian
//   str(s)          u32(number of bytes of s) followed by the bytes of s (UTF-8, no NUL)
//   opt(s)          the byte 0x00 when absent; 0x01 followed by str(s) when present
//
// The hash covers every field except the MAC itself, including whether the record has a
// checkpoint and under which key id: stripping a checkpoint or renaming its key changes
// the hash. The storage encoding (codec.h) is a different, internal byte layout.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"

namespace sigmad::audit {

using Digest = std::array<uint8_t, 32>;  // a SHA-256 hash or an HMAC-SHA256 tag
using TimePoint = std::chrono::system_clock::time_point;

inline constexpr std::string_view kDomain{"sigmad-audit-v1\0", 16};
inline constexpr size_t kMaxFieldBytes = 1024;  // any one text field
inline constexpr size_t kMaxKeyIdBytes = 128;   // a checkpoint key id
inline constexpr size_t kMinCheckpointKeyBytes = 16;

inline constexpr std::string_view kOutcomeOk = "ok";
inline constexpr std::string_view kOutcomeDenied = "denied";
// "error:<code>", e.g. ErrorOutcome(status.code()) == "error:invalid_config".
inline std::string ErrorOutcome(std::string_view code) { return "error:" + std::string(code); }

// Status codes this module returns.
namespace code {
inline constexpr char kInvalidRecord[] = "invalid_audit_record";  // Validate, Chain::Next
inline constexpr char kCorruptRecord[] = "corrupt_audit_record";  // DecodeRecord
inline constexpr char kInvalidKey[] = "invalid_checkpoint_key";   // Chain::Next
inline constexpr char kChain[] = "audit_chain";                   // Chain::Commit/Resume
}  // namespace code

// What the caller says happened. Chain::Next turns it into a Record.
struct Fields {
  TimePoint time;                      // UTC; kept to the millisecond
  std::string actor;                   // required: "uid=0(root)", "api-key:ops-1"
  std::string tenant;                  // empty for system-wide actions
  std::string action;                  // required: "tenant.create", "control.access"
  std::string target;                  // what was acted on; may be empty
  std::string outcome;                 // required: "ok", "denied" or "error:<code>"
  std::string source;                  // front end: "control", "api"; may be empty
  std::optional<std::string> details;  // short note, no secrets; never present-but-empty

  bool operator==(const Fields&) const = default;
};

struct Checkpoint {
  std::string key_id;
  Digest mac{};  // HMAC-SHA256(key, hash)

  bool operator==(const Checkpoint&) const = default;
};

struct Record {
  uint64_t seq = 0;  // 1, 2, 3, ...
  Fields fields;
  Digest prev_hash{};  // hash of record seq-1; all zero for seq 1
  Digest hash{};       // SHA-256 of the canonical encoding above
  std::optional<Checkpoint> checkpoint;

  bool operator==(const Record&) const = default;
};

// Ok, or code::kInvalidRecord naming the field and the rule it breaks: actor, action and
// outcome are required; outcome is "ok", "denied" or "error:<code>"; details, if present,
// is not empty; every field is valid UTF-8 of at most kMaxFieldBytes bytes without
// control characters (C0, DEL, C1, U+2028, U+2029), so no field can forge a line.
Status Validate(const Fields& fields);

// Ok, or code::kInvalidKey: the id is 1..kMaxKeyIdBytes bytes under the same character
// rules, the secret has at least kMinCheckpointKeyBytes bytes. Never mentions key bytes.
Status ValidateCheckpointKey(std::string_view key_id, const crypto::SecretBytes& secret);

// Milliseconds since the Unix epoch, rounded toward the past (the i64 above).
int64_t UnixMillis(TimePoint t);
// The inverse; nullopt when `ms` lies outside what TimePoint can hold (about 1678-2262).
std::optional<TimePoint> FromUnixMillis(int64_t ms);

// The canonical encoding above; `record.hash` and the checkpoint MAC are not read.
std::string CanonicalBytes(const Record& record);
// SHA-256 of CanonicalBytes(record).
Digest ComputeHash(const Record& record);
// HMAC-SHA256(key, hash).
Digest ComputeCheckpointMac(const crypto::SecretBytes& key, const Digest& hash);
// Constant-time comparison (for MACs).
bool DigestsEqual(const Digest& a, const Digest& b);

// 64 lowercase hex digits.
std::string DigestHex(const Digest& d);
// Parses 64 hex digits (either case); code "invalid_digest" otherwise.
Result<Digest> ParseDigestHex(std::string_view hex);

}  // namespace sigmad::audit
