#include "backup/schedule.h"

#include <catch2/catch.hpp>

#include "common/time_format.h"

namespace sigmad::backup {
namespace {

std::chrono::system_clock::time_point At(const char* utc) {
  auto t = ParseUtc(utc);
  REQUIRE(t.ok());
  return t.value();
}

std::string Next(const Schedule& s, const char* after) { return FormatUtc(s.NextAfter(At(after))); }

TEST_CASE("Schedule: the next UTC time on a scheduled weekday", "[backup][schedule]") {
  auto daily = Schedule::Parse("01:00", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"});
  REQUIRE(daily.ok());
  CHECK(Next(daily.value(), "2026-12-03T00:59:59Z") == "2026-12-03T01:00:00.000Z");
  // Strictly after: at 01:00 itself the next one is tomorrow's.
  CHECK(Next(daily.value(), "2026-12-03T01:00:00Z") == "2026-12-04T01:00:00.000Z");
  CHECK(Next(daily.value(), "2026-12-31T23:00:00Z") == "2027-01-01T01:00:00.000Z");
  CHECK(daily.value().Describe() == "01:00 UTC on every day");

  auto sundays = Schedule::Parse("23:59", {"sun"});
  REQUIRE(sundays.ok());
  // 2026-12-03 is a Thursday; the next Sunday is the 6th.
  CHECK(Next(sundays.value(), "2026-12-03T12:00:00Z") == "2026-12-06T23:59:00.000Z");
  CHECK(Next(sundays.value(), "2026-12-06T23:59:00Z") == "2026-12-13T23:59:00.000Z");
  CHECK(sundays.value().Describe() == "23:59 UTC on sun");

  auto some = Schedule::Parse("00:00", {"sun", "wed", "mon"});
  REQUIRE(some.ok());
  CHECK(some.value().Describe() == "00:00 UTC on mon, wed, sun");
  CHECK(Next(some.value(), "2026-12-03T00:00:00Z") == "2026-12-06T00:00:00.000Z");
  CHECK(Next(some.value(), "2026-12-06T00:00:00Z") == "2026-12-07T00:00:00.000Z");
}

TEST_CASE("Schedule::Parse names what is wrong", "[backup][schedule]") {
  CHECK(Schedule::Parse("1:00", {"mon"}).status().message().find("HH:MM") != std::string::npos);
  CHECK(Schedule::Parse("24:00", {"mon"}).status().code() == "invalid_argument");
  CHECK(Schedule::Parse("12:60", {"mon"}).status().code() == "invalid_argument");
  CHECK(Schedule::Parse("12:00", {"monday"}).status().message().find("'monday'") !=
        std::string::npos);
  CHECK(Schedule::Parse("12:00", {}).status().code() == "invalid_argument");
}

}  // namespace
}  // namespace sigmad::backup
