#include "backup/schedule.h"

#include <array>
#include <cctype>

namespace sigmad::backup {
namespace {

namespace chr = std::chrono;
constexpr std::array<const char*, 7> kDayNames = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

std::string TwoDigits(long v) { return (v < 10 ? "0" : "") + std::to_string(v); }

}  // namespace

Result<Schedule> Schedule::Parse(const std::string& time, const std::vector<std::string>& days) {
  Schedule s;
  const bool shape = time.size() == 5 && time[2] == ':' && isdigit(time[0]) && isdigit(time[1]) &&
                     isdigit(time[3]) && isdigit(time[4]);
  const int hh = shape ? (time[0] - '0') * 10 + (time[1] - '0') : -1;
  const int mm = shape ? (time[3] - '0') * 10 + (time[4] - '0') : -1;
  if (!shape || hh > 23 || mm > 59) {
    return Status::Error("invalid_argument",
                         "time '" + time + "' is not a UTC time of day \"HH:MM\" (00:00..23:59)");
  }
  s.time_of_day = chr::hours(hh) + chr::minutes(mm);
  for (const auto& d : days) {
    unsigned i = 0;
    while (i < kDayNames.size() && d != kDayNames[i]) ++i;
    if (i == kDayNames.size()) {
      return Status::Error("invalid_argument",
                           "'" + d + "' is not a weekday (mon tue wed thu fri sat sun)");
    }
    s.days.insert(i);
  }
  if (s.days.empty()) return Status::Error("invalid_argument", "a schedule needs at least one day");
  return s;
}

chr::system_clock::time_point Schedule::NextAfter(chr::system_clock::time_point after) const {
  const chr::sys_days today = chr::floor<chr::days>(after);
  for (int ahead = 0; ahead <= 7; ++ahead) {
    const chr::sys_days day = today + chr::days(ahead);
    const chr::system_clock::time_point at = day + time_of_day;
    if (at > after && days.count(chr::weekday(day).c_encoding())) return at;
  }
  return after;
}

std::string Schedule::Describe() const {
  std::string out =
      TwoDigits(time_of_day.count() / 60) + ":" + TwoDigits(time_of_day.count() % 60) + " UTC on ";
  if (days.size() == 7) return out + "every day";
  bool first = true;
  for (unsigned d : {1u, 2u, 3u, 4u, 5u, 6u, 0u}) {  // Monday first, as people write weeks
    if (!days.count(d)) continue;
    out += (first ? "" : ", ") + std::string(kDayNames[d]);
    first = false;
  }
  return out;
}

}  // namespace sigmad::backup
