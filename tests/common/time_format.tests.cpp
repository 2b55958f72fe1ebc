#include "common/time_format.h"

#include <Poco/Message.h>
#include <Poco/Timestamp.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

#include "common/clock.h"
#include "common/log.h"

namespace {

using namespace std::chrono;
using sigmad::FormatDuration;
using sigmad::FormatUtc;

// 2026-11-23T07:05:00Z
system_clock::time_point Example() {
  return sys_days{year{2026} / November / 23} + hours(7) + minutes(5);
}

std::string FormatLine(Poco::Message::Priority prio, const std::string& source,
                       const std::string& text, Poco::Timestamp::TimeVal micros) {
  Poco::Message msg(source, text, prio);
  msg.setTime(Poco::Timestamp(micros));
  std::string line = "(untouched)";
  sigmad::log::LineFormatter formatter;
  formatter.format(msg, line);
  return line;
}

Poco::Timestamp::TimeVal MicrosOf(system_clock::time_point t) {
  return duration_cast<microseconds>(t.time_since_epoch()).count();
}

}  // namespace

TEST_CASE("FormatUtc renders ISO-8601 UTC with milliseconds", "[common][time]") {
  SECTION("the epoch") {
    CHECK(FormatUtc(system_clock::time_point{}) == "1970-01-01T00:00:00.000Z");
  }
  SECTION("a whole second") { CHECK(FormatUtc(Example()) == "2026-11-23T07:05:00.000Z"); }
  SECTION("milliseconds are zero-padded to three digits") {
    CHECK(FormatUtc(Example() + milliseconds(123)) == "2026-11-23T07:05:00.123Z");
    CHECK(FormatUtc(Example() + milliseconds(7)) == "2026-11-23T07:05:00.007Z");
    CHECK(FormatUtc(Example() + milliseconds(40)) == "2026-11-23T07:05:00.040Z");
    CHECK(FormatUtc(Example() + milliseconds(999)) == "2026-11-23T07:05:00.999Z");
  }
  SECTION("sub-millisecond parts are truncated, never rounded up") {
    CHECK(FormatUtc(Example() + microseconds(123999)) == "2026-11-23T07:05:00.123Z");
    CHECK(FormatUtc(Example() + microseconds(999999)) == "2026-11-23T07:05:00.999Z");
    CHECK(FormatUtc(Example() + nanoseconds(1)) == "2026-11-23T07:05:00.000Z");
  }
  SECTION("fields roll over correctly") {
    CHECK(FormatUtc(sys_days{year{2026} / December / 31} + hours(23) + minutes(59) +
                    seconds(59) + milliseconds(999)) == "2026-12-31T23:59:59.999Z");
    CHECK(FormatUtc(sys_days{year{2027} / January / 1}) == "2027-01-01T00:00:00.000Z");
    CHECK(FormatUtc(sys_days{year{2000} / February / 29} + hours(12)) ==
          "2000-02-29T12:00:00.000Z");
    CHECK(FormatUtc(sys_days{year{2038} / January / 19} + hours(3) + minutes(14) +
                    seconds(8)) == "2038-01-19T03:14:08.000Z");
  }
  SECTION("times before 1970 floor toward the past") {
    const system_clock::time_point epoch{};
    CHECK(FormatUtc(epoch - milliseconds(1)) == "1969-12-31T23:59:59.999Z");
    CHECK(FormatUtc(epoch - microseconds(1)) == "1969-12-31T23:59:59.999Z");
    CHECK(FormatUtc(epoch - milliseconds(1000)) == "1969-12-31T23:59:59.000Z");
    CHECK(FormatUtc(epoch - milliseconds(1500)) == "1969-12-31T23:59:58.500Z");
    CHECK(FormatUtc(sys_days{year{1969} / July / 20} + hours(20) + minutes(17) +
                    milliseconds(40)) == "1969-07-20T20:17:00.040Z");
    CHECK(FormatUtc(sys_days{year{1900} / January / 1}) == "1900-01-01T00:00:00.000Z");
  }
}

TEST_CASE("FormatDuration renders d/h/m/s from the largest non-zero unit", "[common][time]") {
  struct Case {
    long long secs;
    const char* want;
  };
  const Case cases[] = {
      {0, "0s"},
      {1, "1s"},
      {59, "59s"},
      {60, "1m 0s"},
      {61, "1m 1s"},
      {3599, "59m 59s"},
      {3600, "1h 0m 0s"},
      {3661, "1h 1m 1s"},
      {86399, "23h 59m 59s"},
      {86400, "1d 0h 0m 0s"},
      {3 * 86400 + 4 * 3600 + 5 * 60 + 6, "3d 4h 5m 6s"},
      {400 * 86400 + 7, "400d 0h 0m 7s"},
      {-5, "0s"},  // negative clamps to zero
  };
  for (const auto& c : cases) {
    INFO("seconds = " << c.secs);
    CHECK(FormatDuration(seconds(c.secs)) == c.want);
  }
}

TEST_CASE("FakeClock starts where told and Advance moves both clocks", "[common][clock]") {
  const auto start = Example() + milliseconds(250);
  sigmad::FakeClock clock(start);
  const sigmad::Clock& base = clock;  // used through the interface like services do
  const auto mono0 = base.Monotonic();

  CHECK(base.Now() == start);
  CHECK(base.Monotonic() == mono0);  // does not move by itself

  clock.Advance(milliseconds(1500));
  CHECK(base.Now() == start + milliseconds(1500));
  CHECK(base.Monotonic() - mono0 == milliseconds(1500));
  CHECK(FormatUtc(base.Now()) == "2026-11-23T07:05:01.750Z");

  clock.Advance(minutes(2));
  clock.Advance(microseconds(3));
  CHECK(base.Now() == start + milliseconds(1500) + minutes(2) + microseconds(3));
  CHECK(base.Monotonic() - mono0 == milliseconds(1500) + minutes(2) + microseconds(3));

  clock.Advance(hours(24));
  CHECK(FormatUtc(base.Now()) == "2026-11-24T07:07:01.750Z");
}

TEST_CASE("LineFormatter renders one exact line per message", "[common][log]") {
  const auto t = MicrosOf(Example() + milliseconds(123));

  SECTION("the documented layout, level padded to a fixed column") {
    CHECK(FormatLine(Poco::Message::PRIO_INFORMATION, "control", "text", t) ==
          "2026-11-23T07:05:00.123Z INFO   control: text");
    CHECK(FormatLine(Poco::Message::PRIO_WARNING, "control", "text", t) ==
          "2026-11-23T07:05:00.123Z WARN   control: text");
    CHECK(FormatLine(Poco::Message::PRIO_ERROR, "app", "x", t) ==
          "2026-11-23T07:05:00.123Z ERROR  app: x");
    CHECK(FormatLine(Poco::Message::PRIO_DEBUG, "app", "x", t) ==
          "2026-11-23T07:05:00.123Z DEBUG  app: x");
    CHECK(FormatLine(Poco::Message::PRIO_NOTICE, "app", "x", t) ==
          "2026-11-23T07:05:00.123Z NOTICE app: x");
    CHECK(FormatLine(Poco::Message::PRIO_CRITICAL, "app", "x", t) ==
          "2026-11-23T07:05:00.123Z CRIT   app: x");
    CHECK(FormatLine(Poco::Message::PRIO_FATAL, "app", "x", t) ==
          "2026-11-23T07:05:00.123Z FATAL  app: x");
    CHECK(FormatLine(Poco::Message::PRIO_TRACE, "app", "x", t) ==
          "2026-11-23T07:05:00.123Z TRACE  app: x");
  }
  SECTION("microseconds are truncated to milliseconds") {
    CHECK(FormatLine(Poco::Message::PRIO_INFORMATION, "control", "m", t + 999) ==
          "2026-11-23T07:05:00.123Z INFO   control: m");
  }
  SECTION("a message without a source is attributed to sigmad") {
    CHECK(FormatLine(Poco::Message::PRIO_INFORMATION, "", "hello", t) ==
          "2026-11-23T07:05:00.123Z INFO   sigmad: hello");
  }
  SECTION("newlines and carriage returns cannot start a second line") {
    const std::string line = FormatLine(Poco::Message::PRIO_WARNING, "control",
                                        "first\nFAKE ERROR x: forged\r\nthird", t);
    CHECK(line ==
          "2026-11-23T07:05:00.123Z WARN   control: first FAKE ERROR x: forged  third");
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
  }
  SECTION("the output string is replaced, not appended to") {
    const std::string line = FormatLine(Poco::Message::PRIO_INFORMATION, "a", "b", t);
    CHECK(line.rfind("2026-", 0) == 0);
  }
  SECTION("pre-1970 timestamps") {
    CHECK(FormatLine(Poco::Message::PRIO_INFORMATION, "app", "old", -1000) ==
          "1969-12-31T23:59:59.999Z INFO   app: old");
  }
}

TEST_CASE("ParseLevel accepts exactly the four level names", "[common][log]") {
  using sigmad::log::Level;
  using sigmad::log::LevelName;
  using sigmad::log::ParseLevel;

  SECTION("good names, and LevelName round-trips them") {
    CHECK(ParseLevel("debug") == Level::kDebug);
    CHECK(ParseLevel("info") == Level::kInfo);
    CHECK(ParseLevel("warning") == Level::kWarning);
    CHECK(ParseLevel("error") == Level::kError);
    for (Level l : {Level::kDebug, Level::kInfo, Level::kWarning, Level::kError}) {
      CHECK(ParseLevel(LevelName(l)) == l);
    }
    CHECK(std::string(LevelName(Level::kWarning)) == "warning");
  }
  SECTION("bad names") {
    for (const char* bad : {"", "INFO", "Info", "warn", "err", "trace", "fatal", "debug ",
                            " info", "information"}) {
      INFO("name = '" << bad << "'");
      CHECK_FALSE(ParseLevel(bad).has_value());
    }
  }
}

TEST_CASE("ParseUtc reads the three accepted forms", "[common][time]") {
  using sigmad::FormatUtc;
  using sigmad::ParseUtc;
  struct Case {
    const char* in;
    const char* out;
  };
  for (const Case& c : {Case{"2026-11-23", "2026-11-23T00:00:00.000Z"},
                        Case{"2026-11-23T07:05:09Z", "2026-11-23T07:05:09.000Z"},
                        Case{"2026-11-23T07:05:09.123Z", "2026-11-23T07:05:09.123Z"},
                        Case{"2024-02-29T23:59:59.999Z", "2024-02-29T23:59:59.999Z"},
                        Case{"1970-01-01", "1970-01-01T00:00:00.000Z"}}) {
    INFO(c.in);
    auto t = ParseUtc(c.in);
    REQUIRE(t.ok());
    CHECK(FormatUtc(t.value()) == c.out);
  }
}

TEST_CASE("ParseUtc refuses everything else, saying why", "[common][time]") {
  using sigmad::ParseUtc;
  struct Case {
    const char* in;
    const char* why;
  };
  for (const Case& c : {Case{"", "is not a date"}, Case{"yesterday", "is not a date"},
                        Case{"2026-1-23", "is not a date"},
                        Case{"2026-11-23 07:05:00Z", "is not a time"},
                        Case{"2026-11-23T07:05Z", "is not a time"},
                        Case{"2026-11-23T07:05:00", "must end in Z (UTC)"},
                        Case{"2026-11-23T07:05:00+09:00", "must end in Z (UTC)"},
                        Case{"2026-11-23T07:05:00.1Z", "needs three digits of milliseconds"},
                        Case{"2026-11-23T07:05:00ZZ", "must end in Z (UTC)"},
                        Case{"2026-02-30", "is not a real date"},
                        Case{"2026-13-01", "is not a real date"},
                        Case{"2026-11-23T24:00:00Z", "is not a real time of day"},
                        Case{"2999-01-01", "is outside the years 1970 to 2199"},
                        Case{"1969-12-31", "is outside the years 1970 to 2199"}}) {
    INFO(c.in);
    auto t = ParseUtc(c.in);
    REQUIRE_FALSE(t.ok());
    CHECK(t.status().code() == "invalid_time");
    CHECK(t.status().message() == "'" + std::string(c.in) + "' " + c.why +
                                      "; write 2026-11-23, 2026-11-23T07:05:00Z or "
                                      "2026-11-23T07:05:00.123Z (UTC)");
  }
}
