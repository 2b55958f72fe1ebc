// UTC time formatting. Every timestamp sigmad writes (logs, records, protocol) is
// ISO-8601 UTC with millisecond precision and a 'Z' suffix: 2026-11-23T07:05:00.123Z.
#pragma once

#include <chrono>
#include <string>

namespace sigmad {

// Formats t as YYYY-MM-DDTHH:MM:SS.mmmZ (UTC, milliseconds truncated toward the past).
std::string FormatUtc(std::chrono::system_clock::time_point t);

// "3d 4h 5m 6s" style rendering of a non-negative duration in whole seconds.
std::string FormatDuration(std::chrono::seconds d);

}  // namespace sigmad
