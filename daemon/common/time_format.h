// UTC time formatting. Every timestamp sigmad writes (logs, records, protocol) is
// ISO-8601 UTC with millisecond precision and a 'Z' suffix: 2026-11-23T07:05:00.123Z.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/status.h"

namespace sigmad {

// Formats t as YYYY-MM-DDTHH:MM:SS.mmmZ (UTC, milliseconds truncated toward the past).
std::string FormatUtc(std::chrono::system_clock::time_point t);

// Parses a UTC time as people and scripts write it: "2026-11-23" (midnight),
// "2026-11-23T07:05:00Z" or "2026-11-23T07:05:00.123Z". Anything else, including a
// non-UTC offset, an impossible date or a year outside 1970..2199, is code
// "invalid_time" with a message that shows the accepted forms.
Result<std::chrono::system_clock::time_point> ParseUtc(std::string_view text);

// "3d 4h 5m 6s" style rendering of a non-negative duration in whole seconds.
std::string FormatDuration(std::chrono::seconds d);

}  // namespace sigmad
