// Storage encoding of audit records: the bytes the store seals and keeps.
//
// Layout (format version 1; big-endian integers, str = u32 length + bytes, opt = 0x00 or
// 0x01 + str, as in record.h):
//
//   u8(1) u64(seq) i64(time_ms) str(actor) str(tenant) str(action) str(target)
//   str(outcome) str(source) opt(details) prev_hash[32] hash[32]
//   checkpoint: 0x00 | 0x01 str(key_id) mac[32]
//
// DecodeRecord checks structure only (version, lengths, flags, sequence >= 1, a
// representable time, no trailing bytes). It deliberately does not check the hash or the
// field rules: a record that decodes but was altered is for the verifier to name
// (verify.h), with the sequence number it carries.
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "audit/record.h"
#include "common/status.h"

namespace sigmad::audit {

inline constexpr uint8_t kStorageFormatVersion = 1;

// The storage bytes of `record`.
std::string EncodeRecord(const Record& record);

// The record in `bytes`, or code::kCorruptRecord saying what is wrong and at which offset.
Result<Record> DecodeRecord(std::string_view bytes);

}  // namespace sigmad::audit
