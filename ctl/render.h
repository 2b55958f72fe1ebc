// Output for people: aligned key/value blocks and tables, and a one-line progress
// display for terminals. Machine output (--json) bypasses all of this.
// Thread-safety: pure functions, except ProgressLine which owns its terminal line.
#pragma once

#include <Poco/Dynamic/Var.h>

#include <ostream>
#include <string>
#include <utility>
#include <vector>

namespace sigmad::ctl {

using KeyValues = std::vector<std::pair<std::string, std::string>>;

// "key   value" lines with the values aligned in one column.
void PrintKeyValues(std::ostream& out, const KeyValues& rows);

// A table with a header row; columns padded to their widest cell.
void PrintTable(std::ostream& out, const std::vector<std::string>& header,
                const std::vector<std::vector<std::string>>& rows);

// Renders a JSON value for --json: indented, keys in the daemon's order.
std::string ToJson(const Poco::Dynamic::Var& value);

// Formats a progress object ({"message":..., "done":N, "total":M, "eta_seconds":S, ...})
// as one line: a bar, the message, "ETA 1m 20s", then other keys as key=value.
std::string FormatProgress(const Poco::Dynamic::Var& progress);

// A byte count for people: "12.3 MiB" from 1 MiB up, else "45 KiB" (whole KiB).
std::string FormatBytes(double bytes);

}  // namespace sigmad::ctl
