// When scheduled work (backups, restore drills) runs: at one UTC time of day on a set of
// UTC weekdays, as the BackupPolicy writes it (schedule: {time: '01:00', days: [mon,...]}).
// Thread-safety: pure values and functions.
#pragma once

#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "common/status.h"

namespace sigmad::backup {

struct Schedule {
  std::chrono::minutes time_of_day{0};  // 0 .. 23:59
  std::set<unsigned> days;              // weekdays, 0 = Sunday .. 6 = Saturday (C++ chrono)

  // From the policy's "HH:MM" and weekday names ("mon".."sun"); "invalid_argument" naming
  // what is wrong.
  static Result<Schedule> Parse(const std::string& time, const std::vector<std::string>& days);
  // The first scheduled time strictly after `after`; `after` itself if the schedule has
  // no days (which Parse never makes).
  std::chrono::system_clock::time_point NextAfter(
      std::chrono::system_clock::time_point after) const;
  // "01:00 UTC on mon, tue, ..." for messages.
  std::string Describe() const;
};

}  // namespace sigmad::backup
