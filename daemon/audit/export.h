// Export of audit records for `audit export --format jsonl|csv`: one JSON object per
// record, or CSV rows (RFC 4180) under a header line.
//
// Both carry every field, hashes and MACs as 64 lowercase hex digits and the time as
// 2026-11-23T07:05:00.123Z, so an exported log can be re-verified from the export alone.
// JSON keys, in this order: seq, time, actor, tenant, action, target, outcome, source,
// details (null when absent), prev_hash, hash, checkpoint ({"key_id", "mac"} or null).
// CSV columns: the same, with the checkpoint split into checkpoint_key_id and
// checkpoint_mac (empty when absent); an absent details is an empty field, which is
// unambiguous because Validate() refuses a present-but-empty one.
//
// Values are exported as they are. CSV fields are quoted when they hold a comma, a double
// quote, CR or LF (quotes doubled), and are NOT defused against spreadsheet formula
// injection (a leading '=', '+', '-' or '@'): rewriting them would make the export differ
// from the log. Open exports in a spreadsheet with that in mind.
// Thread-safety: pure functions.
#pragma once

#include <Poco/JSON/Object.h>

#include <string>

#include "audit/record.h"

namespace sigmad::audit {

// The record as a JSON object (keys in the order above), e.g. for a control reply.
Poco::JSON::Object::Ptr ToJsonObject(const Record& record);
// The same, compact on one line, without a trailing newline; a JSON Lines writer adds
// "\n". Control characters are escaped, so the line never contains a raw newline.
std::string ToJson(const Record& record);

// The CSV header line, ending in CRLF.
std::string CsvHeader();
// One CSV row, ending in CRLF.
std::string ToCsvRow(const Record& record);

}  // namespace sigmad::audit
