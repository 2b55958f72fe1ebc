#include "audit/codec.h"

#include "audit/bytes.h"

namespace sigmad::audit {

std::string EncodeRecord(const Record& r) {
  using namespace internal;
  std::string out;
  out.reserve(128 + r.fields.actor.size() + r.fields.tenant.size() + r.fields.action.size() +
              r.fields.target.size() + r.fields.outcome.size() + r.fields.source.size() +
              (r.fields.details ? r.fields.details->size() : 0) +
              (r.checkpoint ? r.checkpoint->key_id.size() : 0));
  PutU8(out, kStorageFormatVersion);
  PutU64(out, r.seq);
  PutU64(out, static_cast<uint64_t>(UnixMillis(r.fields.time)));
  PutStr(out, r.fields.actor);
  PutStr(out, r.fields.tenant);
  PutStr(out, r.fields.action);
  PutStr(out, r.fields.target);
  PutStr(out, r.fields.outcome);
  PutStr(out, r.fields.source);
  PutOpt(out, r.fields.details);
  PutDigest(out, r.prev_hash);
  PutDigest(out, r.hash);
  PutU8(out, r.checkpoint ? 1 : 0);
  if (r.checkpoint) {
    PutStr(out, r.checkpoint->key_id);
    PutDigest(out, r.checkpoint->mac);
  }
  return out;
}

Result<Record> DecodeRecord(std::string_view bytes) {
  auto corrupt = [](const std::string& what) {
    return Status::Error(code::kCorruptRecord, "audit record is corrupt: " + what);
  };
  if (bytes.empty()) return corrupt("it is empty");
  internal::ByteReader in(bytes);
  uint8_t version = 0;
  in.U8("format version", version);
  if (version != kStorageFormatVersion) {
    return corrupt("format version " + std::to_string(version) + " is not one this sigmad reads (" +
                   std::to_string(kStorageFormatVersion) + ")");
  }
  Record r;
  uint64_t ms = 0;
  bool has_checkpoint = false;
  const bool read = in.U64("seq", r.seq) && in.U64("time", ms) && in.Str("actor", r.fields.actor) &&
                    in.Str("tenant", r.fields.tenant) && in.Str("action", r.fields.action) &&
                    in.Str("target", r.fields.target) && in.Str("outcome", r.fields.outcome) &&
                    in.Str("source", r.fields.source) && in.Opt("details", r.fields.details) &&
                    in.Hash("prev_hash", r.prev_hash) && in.Hash("hash", r.hash) &&
                    in.Flag("checkpoint", has_checkpoint);
  if (!read) return corrupt(in.error());
  if (has_checkpoint) {
    r.checkpoint.emplace();
    if (!in.Str("checkpoint key id", r.checkpoint->key_id) ||
        !in.Hash("checkpoint mac", r.checkpoint->mac)) {
      return corrupt(in.error());
    }
  }
  if (in.remaining() != 0) {
    return corrupt("trailing data: " + std::to_string(in.remaining()) +
                   " byte(s) after the end of the record at offset " + std::to_string(in.offset()));
  }
  if (r.seq == 0) return corrupt("sequence number 0 (sequences start at 1)");
  const std::optional<TimePoint> time = FromUnixMillis(static_cast<int64_t>(ms));
  if (!time)
    return corrupt("time " + std::to_string(static_cast<int64_t>(ms)) + " ms is out of range");
  r.fields.time = *time;
  return r;
}

}  // namespace sigmad::audit
