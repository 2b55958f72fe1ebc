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

Result<std::chrono::system_clock::time_point> ParseUtc(std::string_view text) {
  using namespace std::chrono;
  auto bad = [&](const std::string& why) {
    return Status::Error("invalid_time", "'" + std::string(text.substr(0, 64)) + "' " + why +
                                             "; write 2026-11-23, 2026-11-23T07:05:00Z or "
                                             "2026-11-23T07:05:00.123Z (UTC)");
  };
  auto digits = [&](size_t pos, size_t n, int* out) {
    if (pos + n > text.size()) return false;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (text[i] < '0' || text[i] > '9') return false;
      v = v * 10 + (text[i] - '0');
    }
    *out = v;
    return true;
  };
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0, ms = 0;
  if (!digits(0, 4, &y) || text.size() < 10 || text[4] != '-' || !digits(5, 2, &mo) ||
      text[7] != '-' || !digits(8, 2, &d)) {
    return bad("is not a date");
  }
  size_t pos = 10;
  if (text.size() > pos) {
    if (text[pos] != 'T' || !digits(11, 2, &h) || text.size() < 19 || text[13] != ':' ||
        !digits(14, 2, &mi) || text[16] != ':' || !digits(17, 2, &s)) {
      return bad("is not a time");
    }
    pos = 19;
    if (pos < text.size() && text[pos] == '.') {
      if (!digits(20, 3, &ms)) return bad("needs three digits of milliseconds");
      pos = 23;
    }
    if (pos + 1 != text.size() || text[pos] != 'Z') return bad("must end in Z (UTC)");
  }
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                           day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return bad("is not a real date");
  // system_clock counts nanoseconds in 64 bits: it ends in 2262.
  if (y < 1970 || y > 2199) return bad("is outside the years 1970 to 2199");
  if (h > 23 || mi > 59 || s > 59) return bad("is not a real time of day");
  return system_clock::time_point(sys_days(ymd)) + hours(h) + minutes(mi) + seconds(s) +
         milliseconds(ms);
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
