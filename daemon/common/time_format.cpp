#include "common/time_format.h"

#include <cstdio>
#include <ctime>

namespace sigmad {

std::string FormatUtc(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto ms_total = floor<milliseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(ms_total / 1000);
  auto ms = static_cast<int>(ms_total % 1000);
  if (ms < 0) {  // before 1970: floor, not truncate
    ms += 1000;
    secs -= 1;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

std::string FormatDuration(std::chrono::seconds d) {
  long long s = d.count() < 0 ? 0 : d.count();
  const long long days = s / 86400;
  s %= 86400;
  const long long hours = s / 3600;
  s %= 3600;
  const long long minutes = s / 60;
  s %= 60;
  std::string out;
  auto part = [&out](long long v, const char* unit) {
    if (!out.empty()) out += ' ';
    out += std::to_string(v) + unit;
  };
  if (days) part(days, "d");
  if (days || hours) part(hours, "h");
  if (days || hours || minutes) part(minutes, "m");
  part(s, "s");
  return out;
}

}  // namespace sigmad
