#include "backup/retention.h"

#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace sigmad::backup {
namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::sys_days;
using std::chrono::system_clock;
using TimePoint = system_clock::time_point;

// "2026-12-03" as a day. The tests write dates the way the golden tables do.
sys_days Day(const std::string& iso) {
  int y = 0;
  unsigned m = 0, d = 0;
  REQUIRE(std::sscanf(iso.c_str(), "%d-%u-%u", &y, &m, &d) == 3);
  const std::chrono::year_month_day ymd{std::chrono::year{y}, std::chrono::month{m},
                                        std::chrono::day{d}};
  REQUIRE(ymd.ok());
  return sys_days{ymd};
}

std::string Iso(sys_days day) {
  const std::chrono::year_month_day ymd{day};
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return out;
}

TimePoint At(const std::string& iso, int h = 0, int m = 0, int s = 0) {
  return Day(iso) + hours{h} + std::chrono::minutes{m} + std::chrono::seconds{s};
}

RetentionRule KeepDays(int n) { return RetentionRule{n, std::nullopt}; }
RetentionRule Gfs(int daily, int weekly, int monthly) {
  return RetentionRule{std::nullopt, GfsRule{daily, weekly, monthly}};
}

// One backup a day at 01:00 UTC from `first` through `last`, each named by its date.
std::vector<RetentionItem> Daily(const std::string& first, const std::string& last) {
  std::vector<RetentionItem> items;
  for (sys_days d = Day(first); d <= Day(last); d += days{1})
    items.push_back({Iso(d), d + hours{1}});
  return items;
}

std::vector<RetentionDecision> Plan(const RetentionRule& rule, std::vector<RetentionItem> items,
                                    TimePoint now) {
  auto plan = PlanRetention(rule, std::move(items), now);
  REQUIRE(plan.ok());
  return std::move(plan).value();
}

// The ids the plan keeps, sorted.
std::vector<std::string> Kept(const std::vector<RetentionDecision>& plan) {
  std::vector<std::string> ids;
  for (const auto& d : plan) {
    if (d.keep) ids.push_back(d.id);
  }
  std::sort(ids.begin(), ids.end());
  return ids;
}

const RetentionDecision& Find(const std::vector<RetentionDecision>& plan, const std::string& id) {
  auto it = std::find_if(plan.begin(), plan.end(), [&](const auto& d) { return d.id == id; });
  REQUIRE(it != plan.end());
  return *it;
}

using Reasons = std::vector<std::string>;

TEST_CASE("a retention rule sets exactly one of keepDays and gfs, in range", "[backup]") {
  SECTION("valid rules and their descriptions") {
    CHECK(KeepDays(30).Validate().ok());
    CHECK(KeepDays(1).Validate().ok());
    CHECK(KeepDays(3650).Validate().ok());
    CHECK(Gfs(2, 2, 2).Validate().ok());
    CHECK(Gfs(0, 0, 1).Validate().ok());
    CHECK(Gfs(1000, 1000, 1000).Validate().ok());
    CHECK(KeepDays(30).Describe() == "keepDays 30");
    CHECK(Gfs(2, 2, 2).Describe() == "gfs daily 2, weekly 2, monthly 2");
    CHECK(Gfs(7, 4, 12).Describe() == "gfs daily 7, weekly 4, monthly 12");
  }
  SECTION("invalid rules: the exact error, and PlanRetention refuses them") {
    struct Case {
      RetentionRule rule;
      std::string message;
    };
    RetentionRule both = KeepDays(30);
    both.gfs = GfsRule{2, 2, 2};
    const Case cases[] = {
        {RetentionRule{}, "retention: set exactly one of keepDays and gfs"},
        {both, "retention: set exactly one of keepDays and gfs"},
        {KeepDays(0), "retention: keepDays 0 is not in 1..3650"},
        {KeepDays(-5), "retention: keepDays -5 is not in 1..3650"},
        {KeepDays(3651), "retention: keepDays 3651 is not in 1..3650"},
        {Gfs(-1, 2, 2), "retention: gfs daily -1 is not in 0..1000"},
        {Gfs(2, 1001, 2), "retention: gfs weekly 1001 is not in 0..1000"},
        {Gfs(2, 2, -3), "retention: gfs monthly -3 is not in 0..1000"},
        {Gfs(0, 0, 0), "retention: gfs keeps no backup: set daily, weekly or monthly above 0"},
    };
    for (const Case& c : cases) {
      CAPTURE(c.message);
      const Status s = c.rule.Validate();
      CHECK(s.code() == "invalid_argument");
      CHECK(s.message() == c.message);
      const auto plan =
          PlanRetention(c.rule, Daily("2026-11-01", "2026-12-03"), At("2026-12-03", 12));
      REQUIRE_FALSE(plan.ok());
      CHECK(plan.status().code() == "invalid_argument");
      CHECK(plan.status().message() == c.message);
    }
  }
}

TEST_CASE("keepDays keeps a backup while it is younger than N calendar days", "[backup]") {
  const TimePoint now = At("2026-12-03", 12);
  SECTION("age 29 is kept and age 30 deleted under keepDays 30, with their reasons") {
    const auto plan = Plan(KeepDays(30),
                           {{"29", At("2026-11-04", 1)},
                            {"30", At("2026-11-03", 23)},
                            {"1", At("2026-12-02", 1)},
                            {"0", At("2026-12-03")},
                            {"701", At("2025-01-01", 1)}},
                           now);
    CHECK(Kept(plan) == std::vector<std::string>{"0", "1", "29"});
    CHECK(Find(plan, "0").reasons == Reasons{"keepDays 30: 0 days old"});
    CHECK(Find(plan, "1").reasons == Reasons{"keepDays 30: 1 day old"});
    CHECK(Find(plan, "29").reasons == Reasons{"keepDays 30: 29 days old"});
    CHECK(Find(plan, "30").reasons == Reasons{"keepDays 30: 30 days old, deleted from day 31"});
    CHECK(Find(plan, "701").reasons == Reasons{"keepDays 30: 701 days old, deleted from day 31"});
  }
  SECTION("keepDays 1 keeps only today's backups") {
    const auto plan =
        Plan(KeepDays(1),
             {{"today", At("2026-12-03")}, {"yesterday", At("2026-12-02", 23, 59, 59)}}, now);
    CHECK(Kept(plan) == std::vector<std::string>{"today"});
    CHECK(Find(plan, "yesterday").reasons == Reasons{"keepDays 1: 1 day old, deleted from day 2"});
  }
  SECTION("nothing is kept for being the newest: after 40 days without backups all go") {
    const auto plan = Plan(KeepDays(30), Daily("2026-09-01", "2026-10-24"), At("2026-12-03", 1));
    CHECK(plan.size() == 54);
    CHECK(Kept(plan).empty());
  }
}

TEST_CASE("ages count UTC calendar days, so midnight is the boundary", "[backup]") {
  SECTION("keepDays 30 at 00:00:00: a backup from 23:59:59 thirty days before is 30 days old") {
    const auto plan =
        Plan(KeepDays(30), {{"late", At("2026-11-03", 23, 59, 59)}, {"midnight", At("2026-11-04")}},
             At("2026-12-03"));
    CHECK(Kept(plan) == std::vector<std::string>{"midnight"});
    CHECK(Find(plan, "late").reasons == Reasons{"keepDays 30: 30 days old, deleted from day 31"});
  }
  SECTION("keepDays 30 at 23:59:59: a backup from 00:00:00 twenty-nine days before is kept") {
    const auto plan =
        Plan(KeepDays(30), {{"early", At("2026-11-03")}}, At("2026-12-02", 23, 59, 59));
    CHECK(Kept(plan) == std::vector<std::string>{"early"});
    CHECK(Find(plan, "early").reasons == Reasons{"keepDays 30: 29 days old"});
  }
  SECTION("gfs daily 1 at 00:00:00: the backup made at that instant is today's") {
    const auto plan = Plan(
        Gfs(1, 0, 0), {{"23:59:59", At("2026-12-02", 23, 59, 59)}, {"00:00:00", At("2026-12-03")}},
        At("2026-12-03"));
    CHECK(Kept(plan) == std::vector<std::string>{"00:00:00"});
    CHECK(Find(plan, "00:00:00").reasons == Reasons{"daily: newest of 2026-12-03"});
    CHECK(
        Find(plan, "23:59:59").reasons ==
        Reasons{"gfs daily 1, weekly 0, monthly 0: not the newest of any kept day, week or month"});
  }
}

TEST_CASE("with several backups on one day only the newest is the day's", "[backup]") {
  const std::vector<RetentionItem> items = {
      {"dec1-12", At("2026-12-01", 12)},   {"dec3-01", At("2026-12-03", 1)},
      {"dec2-23", At("2026-12-02", 23)},   {"dec3-22-b", At("2026-12-03", 22)},
      {"dec3-13", At("2026-12-03", 13)},   {"dec2-01", At("2026-12-02", 1)},
      {"dec3-22-a", At("2026-12-03", 22)},
  };
  const auto plan = Plan(Gfs(2, 0, 0), items, At("2026-12-03", 23));
  std::vector<std::string> order;
  for (const auto& d : plan) order.push_back(d.id);
  // Newest first; equal times by id.
  CHECK(order == std::vector<std::string>{"dec3-22-a", "dec3-22-b", "dec3-13", "dec3-01", "dec2-23",
                                          "dec2-01", "dec1-12"});
  CHECK(Kept(plan) == std::vector<std::string>{"dec2-23", "dec3-22-a"});
  CHECK(Find(plan, "dec3-22-a").reasons == Reasons{"daily: newest of 2026-12-03"});
  CHECK(Find(plan, "dec2-23").reasons == Reasons{"daily: newest of 2026-12-02"});
  CHECK_FALSE(Find(plan, "dec3-22-b").keep);
  CHECK(Find(plan, "dec1-12").reasons ==
        Reasons{"gfs daily 2, weekly 0, monthly 0: not the newest of any kept day, week or month"});
}

TEST_CASE("a backup created after now is kept and left out of the generations", "[backup]") {
  const std::vector<RetentionItem> items = {{"future", At("2026-12-03", 12, 0, 1)},
                                            {"next-year", At("2027-12-03")},
                                            {"today", At("2026-12-03", 1)},
                                            {"old", At("2026-10-01", 1)}};
  const TimePoint now = At("2026-12-03", 12);
  SECTION("gfs: today's real backup is still the newest of today") {
    const auto plan = Plan(Gfs(1, 0, 0), items, now);
    CHECK(Kept(plan) == std::vector<std::string>{"future", "next-year", "today"});
    CHECK(Find(plan, "future").reasons == Reasons{"created after now (clock skew): kept"});
    CHECK(Find(plan, "next-year").reasons == Reasons{"created after now (clock skew): kept"});
    CHECK(Find(plan, "today").reasons == Reasons{"daily: newest of 2026-12-03"});
  }
  SECTION("keepDays") {
    const auto plan = Plan(KeepDays(30), items, now);
    CHECK(Kept(plan) == std::vector<std::string>{"future", "next-year", "today"});
    CHECK(Find(plan, "future").reasons == Reasons{"created after now (clock skew): kept"});
    CHECK(Find(plan, "old").reasons == Reasons{"keepDays 30: 63 days old, deleted from day 31"});
  }
}

TEST_CASE("no backups, no decisions", "[backup]") {
  CHECK(Plan(KeepDays(30), {}, At("2026-12-03")).empty());
  CHECK(Plan(Gfs(2, 2, 2), {}, At("2026-12-03")).empty());
}

TEST_CASE("the plan depends on the items, not on their order", "[backup]") {
  auto items = Daily("2026-08-01", "2026-12-03");
  const TimePoint now = At("2026-12-03", 2);
  for (const RetentionRule& rule : {KeepDays(30), Gfs(2, 2, 2)}) {
    const auto plan = Plan(rule, items, now);
    auto shuffled = items;
    std::reverse(shuffled.begin(), shuffled.end());
    std::rotate(shuffled.begin(), shuffled.begin() + 37, shuffled.end());
    const auto again = Plan(rule, shuffled, now);
    REQUIRE(again.size() == plan.size());
    for (size_t i = 0; i < plan.size(); ++i) {
      CHECK(again[i].id == plan[i].id);
      CHECK(again[i].keep == plan[i].keep);
      CHECK(again[i].reasons == plan[i].reasons);
    }
  }
}

TEST_CASE("weekly counts completed ISO weeks, the current one only on its Sunday", "[backup]") {
  // Monday 2026-11-09 .. Monday 2026-11-30: weeks W46 (..11-15), W47 (..11-22), W48 (..11-29).
  auto upto = [](const std::string& last) { return Daily("2026-11-09", last); };
  SECTION("Saturday: the week ending tomorrow does not count yet") {
    const auto plan = Plan(Gfs(0, 1, 0), upto("2026-11-28"), At("2026-11-28", 12));
    CHECK(Kept(plan) == std::vector<std::string>{"2026-11-22"});
    CHECK(Find(plan, "2026-11-22").reasons ==
          Reasons{"weekly: newest of ISO week 2026-W47 (ending Sunday 2026-11-22)"});
  }
  SECTION("Sunday: today's week counts") {
    const auto plan = Plan(Gfs(0, 1, 0), upto("2026-11-29"), At("2026-11-29", 12));
    CHECK(Kept(plan) == std::vector<std::string>{"2026-11-29"});
    CHECK(Find(plan, "2026-11-29").reasons ==
          Reasons{"weekly: newest of ISO week 2026-W48 (ending Sunday 2026-11-29)"});
  }
  SECTION("Monday: the week that ended yesterday") {
    const auto plan = Plan(Gfs(0, 2, 0), upto("2026-11-30"), At("2026-11-30", 12));
    CHECK(Kept(plan) == std::vector<std::string>{"2026-11-22", "2026-11-29"});
  }
  SECTION("a missed Sunday: the newest backup of the week stands in") {
    auto items = upto("2026-11-28");
    items.push_back({"2026-11-30", At("2026-11-30", 1)});
    const auto plan = Plan(Gfs(0, 1, 0), items, At("2026-11-30", 12));
    CHECK(Kept(plan) == std::vector<std::string>{"2026-11-28"});
    CHECK(Find(plan, "2026-11-28").reasons ==
          Reasons{"weekly: newest of ISO week 2026-W48 (ending Sunday 2026-11-29)"});
  }
  SECTION("a week without backups still counts as one of the W") {
    auto items = Daily("2026-11-09", "2026-11-15");
    for (auto& item : Daily("2026-11-23", "2026-11-29")) items.push_back(item);
    CHECK(Kept(Plan(Gfs(0, 2, 0), items, At("2026-11-30", 12))) ==
          std::vector<std::string>{"2026-11-29"});
    CHECK(Kept(Plan(Gfs(0, 3, 0), items, At("2026-11-30", 12))) ==
          std::vector<std::string>{"2026-11-15", "2026-11-29"});
  }
}

TEST_CASE("weekly names the ISO week across year boundaries", "[backup]") {
  SECTION("2026 has 53 ISO weeks: 2026-W53 ends on 2027-01-03") {
    const auto items = Daily("2026-12-20", "2027-01-10");
    auto plan = Plan(Gfs(0, 2, 0), items, At("2027-01-10", 12));
    CHECK(Kept(plan) == std::vector<std::string>{"2027-01-03", "2027-01-10"});
    CHECK(Find(plan, "2027-01-03").reasons ==
          Reasons{"weekly: newest of ISO week 2026-W53 (ending Sunday 2027-01-03)"});
    CHECK(Find(plan, "2027-01-10").reasons ==
          Reasons{"weekly: newest of ISO week 2027-W01 (ending Sunday 2027-01-10)"});
    plan = Plan(Gfs(0, 2, 0), Daily("2026-12-20", "2027-01-09"), At("2027-01-09", 12));
    CHECK(Kept(plan) == std::vector<std::string>{"2026-12-27", "2027-01-03"});
    CHECK(Find(plan, "2026-12-27").reasons ==
          Reasons{"weekly: newest of ISO week 2026-W52 (ending Sunday 2026-12-27)"});
  }
  SECTION("a December day in week 1 of the next ISO year") {
    const auto plan = Plan(Gfs(0, 1, 0), Daily("2025-12-29", "2025-12-31"), At("2026-01-05", 12));
    CHECK(Kept(plan) == std::vector<std::string>{"2025-12-31"});
    CHECK(Find(plan, "2025-12-31").reasons ==
          Reasons{"weekly: newest of ISO week 2026-W01 (ending Sunday 2026-01-04)"});
  }
  SECTION("Sundays and their ISO weeks, checked with date +%G-W%V") {
    const std::pair<const char*, const char*> weeks[] = {
        {"2010-01-03", "2009-W53"}, {"2016-01-03", "2015-W53"}, {"2021-01-03", "2020-W53"},
        {"2024-12-29", "2024-W52"}, {"2025-01-05", "2025-W01"}, {"2026-01-04", "2026-W01"},
        {"2026-11-29", "2026-W48"}, {"2027-01-03", "2026-W53"}, {"2027-01-10", "2027-W01"},
    };
    for (const auto& [sunday, week] : weeks) {
      CAPTURE(sunday);
      const auto plan = Plan(Gfs(0, 1, 0), {{sunday, At(sunday, 1)}}, At(sunday, 2));
      REQUIRE(plan.size() == 1);
      CHECK(plan[0].reasons == Reasons{std::string("weekly: newest of ISO week ") + week +
                                       " (ending Sunday " + sunday + ")"});
    }
  }
}

TEST_CASE("monthly periods end on the month's first Sunday, the 1st or the 7th", "[backup]") {
  SECTION("first Sunday on the 1st (2026-11-01; October's was the 4th)") {
    const auto items = Daily("2026-10-01", "2026-11-03");
    auto upto = [&](const std::string& day) {
      std::vector<RetentionItem> some;
      for (const auto& item : items) {
        if (item.id <= day) some.push_back(item);
      }
      return Plan(Gfs(0, 0, 1), some, At(day, 12));
    };
    auto plan = upto("2026-10-31");
    CHECK(Kept(plan) == std::vector<std::string>{"2026-10-04"});
    CHECK(Find(plan, "2026-10-04").reasons ==
          Reasons{"monthly: newest up to first Sunday 2026-10-04"});
    plan = upto("2026-11-01");
    CHECK(Kept(plan) == std::vector<std::string>{"2026-11-01"});
    CHECK(Find(plan, "2026-11-01").reasons ==
          Reasons{"monthly: newest up to first Sunday 2026-11-01"});
    CHECK(Kept(upto("2026-11-03")) == std::vector<std::string>{"2026-11-01"});
  }
  SECTION("first Sunday on the 7th (2026-06-07; May's was the 3rd)") {
    const auto items = Daily("2026-05-01", "2026-06-10");
    CHECK(Kept(Plan(Gfs(0, 0, 1), Daily("2026-05-01", "2026-06-06"), At("2026-06-06", 12))) ==
          std::vector<std::string>{"2026-05-03"});
    CHECK(Kept(Plan(Gfs(0, 0, 1), Daily("2026-05-01", "2026-06-07"), At("2026-06-07", 12))) ==
          std::vector<std::string>{"2026-06-07"});
    CHECK(Kept(Plan(Gfs(0, 0, 2), items, At("2026-06-10", 12))) ==
          std::vector<std::string>{"2026-05-03", "2026-06-07"});
  }
  SECTION("a period runs from the day after the previous first Sunday") {
    const std::vector<RetentionItem> items = {{"2026-05-03", At("2026-05-03", 1)},
                                              {"2026-05-04", At("2026-05-04", 1)}};
    auto plan = Plan(Gfs(0, 0, 2), items, At("2026-06-08", 12));
    CHECK(Kept(plan) == std::vector<std::string>{"2026-05-03", "2026-05-04"});
    CHECK(Find(plan, "2026-05-04").reasons ==
          Reasons{"monthly: newest up to first Sunday 2026-06-07"});
    CHECK(Find(plan, "2026-05-03").reasons ==
          Reasons{"monthly: newest up to first Sunday 2026-05-03"});
    plan = Plan(Gfs(0, 0, 1), items, At("2026-06-08", 12));
    CHECK(Kept(plan) == std::vector<std::string>{"2026-05-04"});
    CHECK(
        Find(plan, "2026-05-03").reasons ==
        Reasons{"gfs daily 0, weekly 0, monthly 1: not the newest of any kept day, week or month"});
  }
  SECTION("a period without backups still counts as one of the M") {
    // Periods up to 2026-11-01 (empty), up to 2026-10-04 (newest 09-30), up to 2026-09-06.
    const auto plan = Plan(Gfs(0, 0, 2), Daily("2026-09-01", "2026-09-30"), At("2026-11-02", 12));
    CHECK(Kept(plan) == std::vector<std::string>{"2026-09-30"});
  }
}

TEST_CASE("a backup kept by several generations lists every one", "[backup]") {
  // Sunday 2026-11-01 is today, ends ISO week 2026-W44 and is November's first Sunday.
  const auto plan = Plan(Gfs(1, 1, 1), Daily("2026-10-25", "2026-11-01"), At("2026-11-01", 12));
  CHECK(Kept(plan) == std::vector<std::string>{"2026-11-01"});
  CHECK(Find(plan, "2026-11-01").reasons ==
        Reasons{"daily: newest of 2026-11-01",
                "weekly: newest of ISO week 2026-W44 (ending Sunday 2026-11-01)",
                "monthly: newest up to first Sunday 2026-11-01"});
  CHECK(Find(plan, "2026-10-31").reasons ==
        Reasons{"gfs daily 1, weekly 1, monthly 1: not the newest of any kept day, week or month"});
}

TEST_CASE("with gfs daily 0 a prune in mid-week deletes the week's backups so far", "[backup]") {
  // Documented in retention.h: the week is counted only from its Sunday on.
  const auto plan = Plan(Gfs(0, 4, 0), Daily("2026-11-23", "2026-11-25"), At("2026-11-25", 12));
  CHECK(Kept(plan).empty());
}

// The 400-day simulation: one backup a day at 01:00 UTC from 2025-11-01 (a Saturday) through
// 2026-12-05, except on the gap days; after each backup the planner runs and what it says to
// delete is deleted, as the daemon prunes after every backup.
const sys_days kFirstDay = sys_days{std::chrono::year{2025} / 11 / 1};
constexpr int kSimulatedDays = 400;
const std::set<std::string> kGaps = {
    "2025-11-20",                // a Thursday
    "2025-11-23",                // a Sunday
    "2026-03-01",                // March's first Sunday, on the 1st
    "2026-07-01", "2026-07-02",  // a 10-day outage, Wednesday to Friday, over July's first
    "2026-07-03", "2026-07-04",  // Sunday (07-05) and a Sunday (07-05, 07-12 is after it)
    "2026-07-05", "2026-07-06", "2026-07-07", "2026-07-08",
    "2026-07-09", "2026-07-10", "2026-11-28", "2026-11-29",  // a Saturday and Sunday
};

struct Checkpoint {
  std::string day;
  std::vector<std::string> kept;                    // after that day's prune, sorted
  std::optional<std::vector<std::string>> deleted;  // by that day's prune, sorted
  std::map<std::string, Reasons> reasons;           // of some decisions of that day
};

// Invariants of one day's plan; `before` is what existed when it was made.
void CheckInvariants(const RetentionRule& rule, const std::vector<RetentionItem>& before,
                     const std::vector<RetentionDecision>& plan, TimePoint now) {
  // One decision per item: kept + deleted = total, and each item decided once.
  std::multiset<std::string> ids, decided;
  for (const auto& item : before) ids.insert(item.id);
  size_t kept = 0, deleted = 0;
  for (const auto& d : plan) {
    decided.insert(d.id);
    (d.keep ? kept : deleted)++;
    CHECK_FALSE(d.reasons.empty());
    if (!d.keep) CHECK(d.reasons.size() == 1);
  }
  CHECK(kept + deleted == before.size());
  CHECK(decided == ids);
  CHECK(std::is_sorted(plan.begin(), plan.end(),
                       [](const auto& a, const auto& b) { return a.created > b.created; }));

  const sys_days today = std::chrono::floor<days>(now);
  auto age = [&](TimePoint t) { return (today - std::chrono::floor<days>(t)).count(); };
  if (rule.keep_days) {
    // Nothing younger than the rule's horizon is deleted, nothing older kept.
    for (const auto& d : plan) {
      CAPTURE(d.id);
      CHECK(d.keep == (age(d.created) < *rule.keep_days));
    }
    return;
  }
  // GFS: the newest backup of each of the last D days, W counted weeks and M counted periods
  // is kept, and nothing else. The buckets are found here by walking the calendar a day at a
  // time, independently of the planner's arithmetic.
  const GfsRule& g = *rule.gfs;
  std::vector<std::pair<sys_days, sys_days>> buckets;  // first and last day, inclusive
  for (int i = 0; i < g.daily; ++i) buckets.push_back({today - days{i}, today - days{i}});
  sys_days sunday = today;
  while (std::chrono::weekday{sunday} != std::chrono::Sunday) sunday -= days{1};
  for (int i = 0; i < g.weekly; ++i, sunday -= days{7}) {
    buckets.push_back({sunday - days{6}, sunday});
  }
  std::vector<sys_days> first_sundays;  // the M+1 newest up to today
  for (sys_days d = today; static_cast<int>(first_sundays.size()) <= g.monthly; d -= days{1}) {
    const std::chrono::year_month_day ymd{d};
    if (std::chrono::weekday{d} == std::chrono::Sunday && ymd.day() <= std::chrono::day{7}) {
      first_sundays.push_back(d);
    }
  }
  for (int i = 0; i < g.monthly; ++i) {
    buckets.push_back({first_sundays[i + 1] + days{1}, first_sundays[i]});
  }
  std::set<std::string> expected;
  for (const auto& [from, to] : buckets) {
    const RetentionItem* newest = nullptr;
    for (const auto& item : before) {
      const sys_days day = std::chrono::floor<days>(item.created);
      if (day >= from && day <= to && (!newest || item.created > newest->created)) {
        newest = &item;
      }
    }
    if (newest) expected.insert(newest->id);
  }
  const auto kept_ids = Kept(plan);
  CHECK(std::set<std::string>(kept_ids.begin(), kept_ids.end()) == expected);
  CHECK(kept <= static_cast<size_t>(g.daily + g.weekly + g.monthly));
}

void Simulate(const RetentionRule& rule, const std::vector<Checkpoint>& checkpoints) {
  std::map<std::string, const Checkpoint*> at;
  for (const auto& c : checkpoints) at[c.day] = &c;
  std::vector<RetentionItem> stored;
  size_t made = 0, deleted_total = 0, checked = 0;
  for (int i = 0; i < kSimulatedDays; ++i) {
    const sys_days today = kFirstDay + days{i};
    const std::string day = Iso(today);
    if (kGaps.count(day)) continue;
    stored.push_back({day, today + hours{1}});
    ++made;
    const TimePoint now = today + hours{1} + std::chrono::minutes{5};
    const auto plan = Plan(rule, stored, now);
    CAPTURE(day);
    CheckInvariants(rule, stored, plan, now);
    std::vector<RetentionItem> kept;
    std::vector<std::string> deleted;
    for (const auto& d : plan) {
      if (d.keep) {
        kept.push_back({d.id, d.created});
      } else {
        deleted.push_back(d.id);
      }
    }
    deleted_total += deleted.size();
    stored = std::move(kept);
    auto c = at.find(day);
    if (c == at.end()) continue;
    ++checked;
    CHECK(Kept(plan) == c->second->kept);
    if (c->second->deleted) {
      std::sort(deleted.begin(), deleted.end());
      CHECK(deleted == *c->second->deleted);
    }
    for (const auto& [id, reasons] : c->second->reasons) {
      CAPTURE(id);
      CHECK(Find(plan, id).reasons == reasons);
    }
  }
  CHECK(Iso(kFirstDay + days{kSimulatedDays - 1}) == "2026-12-05");
  CHECK(made == kSimulatedDays - kGaps.size());
  CHECK(made == deleted_total + stored.size());
  CHECK(checked == checkpoints.size());  // every checkpoint fell on a backup day
}

// The golden tables below were worked out by hand from the rules and a calendar (cal,
// date -d), not copied from the planner's output.
TEST_CASE("retention over 400 simulated days of daily backups with gaps: keepDays 30", "[backup]") {
  // Kept: the backups of the 30 days ending today (today - 29 .. today), gaps excepted.
  Simulate(
      KeepDays(30),
      {
          // Day 35. From 11-06, less the gaps 11-20 and 11-23.
          {"2025-12-05",
           {"2025-11-06", "2025-11-07", "2025-11-08", "2025-11-09", "2025-11-10", "2025-11-11",
            "2025-11-12", "2025-11-13", "2025-11-14", "2025-11-15", "2025-11-16", "2025-11-17",
            "2025-11-18", "2025-11-19", "2025-11-21", "2025-11-22", "2025-11-24", "2025-11-25",
            "2025-11-26", "2025-11-27", "2025-11-28", "2025-11-29", "2025-11-30", "2025-12-01",
            "2025-12-02", "2025-12-03", "2025-12-04", "2025-12-05"},
           {{"2025-11-05"}},
           {{"2025-11-06", {"keepDays 30: 29 days old"}},
            {"2025-11-05", {"keepDays 30: 30 days old, deleted from day 31"}}}},
          // Across the year: 12-06 .. 01-04.
          {"2026-01-04",
           {"2025-12-06", "2025-12-07", "2025-12-08", "2025-12-09", "2025-12-10", "2025-12-11",
            "2025-12-12", "2025-12-13", "2025-12-14", "2025-12-15", "2025-12-16", "2025-12-17",
            "2025-12-18", "2025-12-19", "2025-12-20", "2025-12-21", "2025-12-22", "2025-12-23",
            "2025-12-24", "2025-12-25", "2025-12-26", "2025-12-27", "2025-12-28", "2025-12-29",
            "2025-12-30", "2025-12-31", "2026-01-01", "2026-01-02", "2026-01-03", "2026-01-04"},
           {{"2025-12-05"}},
           {}},
          // After the missed 03-01: February has 28 days, so 02-01 is 29 days old.
          {"2026-03-02",
           {"2026-02-01", "2026-02-02", "2026-02-03", "2026-02-04", "2026-02-05", "2026-02-06",
            "2026-02-07", "2026-02-08", "2026-02-09", "2026-02-10", "2026-02-11", "2026-02-12",
            "2026-02-13", "2026-02-14", "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18",
            "2026-02-19", "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23", "2026-02-24",
            "2026-02-25", "2026-02-26", "2026-02-27", "2026-02-28", "2026-03-02"},
           // Nothing ran on 03-01, so today deletes both 01-30 and 01-31.
           {{"2026-01-30", "2026-01-31"}},
           {}},
          {"2026-03-08",
           {"2026-02-07", "2026-02-08", "2026-02-09", "2026-02-10", "2026-02-11", "2026-02-12",
            "2026-02-13", "2026-02-14", "2026-02-15", "2026-02-16", "2026-02-17", "2026-02-18",
            "2026-02-19", "2026-02-20", "2026-02-21", "2026-02-22", "2026-02-23", "2026-02-24",
            "2026-02-25", "2026-02-26", "2026-02-27", "2026-02-28", "2026-03-02", "2026-03-03",
            "2026-03-04", "2026-03-05", "2026-03-06", "2026-03-07", "2026-03-08"},
           {{"2026-02-06"}},
           {}},
          // The last day before the outage: all of June.
          {"2026-06-30",
           {"2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05", "2026-06-06",
            "2026-06-07", "2026-06-08", "2026-06-09", "2026-06-10", "2026-06-11", "2026-06-12",
            "2026-06-13", "2026-06-14", "2026-06-15", "2026-06-16", "2026-06-17", "2026-06-18",
            "2026-06-19", "2026-06-20", "2026-06-21", "2026-06-22", "2026-06-23", "2026-06-24",
            "2026-06-25", "2026-06-26", "2026-06-27", "2026-06-28", "2026-06-29", "2026-06-30"},
           {{"2026-05-31"}},
           {}},
          // The first backup after the outage deletes the 11 that aged out during it.
          {"2026-07-11",
           {"2026-06-12", "2026-06-13", "2026-06-14", "2026-06-15", "2026-06-16",
            "2026-06-17", "2026-06-18", "2026-06-19", "2026-06-20", "2026-06-21",
            "2026-06-22", "2026-06-23", "2026-06-24", "2026-06-25", "2026-06-26",
            "2026-06-27", "2026-06-28", "2026-06-29", "2026-06-30", "2026-07-11"},
           {{"2026-06-01", "2026-06-02", "2026-06-03", "2026-06-04", "2026-06-05", "2026-06-06",
             "2026-06-07", "2026-06-08", "2026-06-09", "2026-06-10", "2026-06-11"}},
           {{"2026-06-01", {"keepDays 30: 40 days old, deleted from day 31"}},
            {"2026-06-11", {"keepDays 30: 30 days old, deleted from day 31"}},
            {"2026-06-12", {"keepDays 30: 29 days old"}},
            {"2026-07-11", {"keepDays 30: 0 days old"}}}},
          {"2026-07-12",
           {"2026-06-13", "2026-06-14", "2026-06-15", "2026-06-16", "2026-06-17",
            "2026-06-18", "2026-06-19", "2026-06-20", "2026-06-21", "2026-06-22",
            "2026-06-23", "2026-06-24", "2026-06-25", "2026-06-26", "2026-06-27",
            "2026-06-28", "2026-06-29", "2026-06-30", "2026-07-11", "2026-07-12"},
           {{"2026-06-12"}},
           {}},
          // Day 400. From 11-06, less the gaps 11-28 and 11-29.
          {"2026-12-05",
           {"2026-11-06", "2026-11-07", "2026-11-08", "2026-11-09", "2026-11-10", "2026-11-11",
            "2026-11-12", "2026-11-13", "2026-11-14", "2026-11-15", "2026-11-16", "2026-11-17",
            "2026-11-18", "2026-11-19", "2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23",
            "2026-11-24", "2026-11-25", "2026-11-26", "2026-11-27", "2026-11-30", "2026-12-01",
            "2026-12-02", "2026-12-03", "2026-12-04", "2026-12-05"},
           {{"2026-11-05"}},
           {}},
      });
}

TEST_CASE("retention over 400 simulated days of daily backups with gaps: METI gfs 2/2/2",
          "[backup]") {
  // Kept: today and yesterday; the newest of the 2 newest weeks whose Sunday is not after
  // today; the newest of the 2 newest periods whose first Sunday is not after today.
  const std::string gfs = "gfs daily 2, weekly 2, monthly 2";
  Simulate(
      Gfs(2, 2, 2),
      {
          // Day 35, a Friday. Weeks ending 11-30 and 11-23 (Sunday 11-23 missed: its
          // Saturday); periods up to 11-02 (backups 11-01, 11-02) and up to 10-05 (none:
          // December's first Sunday, 12-07, is still ahead).
          {"2025-12-05",
           {"2025-11-02", "2025-11-22", "2025-11-30", "2025-12-04", "2025-12-05"},
           {{"2025-12-03"}},
           {{"2025-11-22", {"weekly: newest of ISO week 2025-W47 (ending Sunday 2025-11-23)"}},
            {"2025-11-02", {"monthly: newest up to first Sunday 2025-11-02"}},
            {"2025-12-03", {gfs + ": not the newest of any kept day, week or month"}}}},
          // Sunday 01-04: ends ISO week 2026-W01 and is January's first Sunday. Weeks
          // ending 01-04 and 12-28; periods up to 01-04 and up to 12-07. Yesterday's
          // plan kept 11-02 (up to 11-02), 12-21 (week ending 12-21) and 01-02.
          {"2026-01-04",
           {"2025-12-07", "2025-12-28", "2026-01-03", "2026-01-04"},
           {{"2025-11-02", "2025-12-21", "2026-01-02"}},
           {{"2026-01-04",
             {"daily: newest of 2026-01-04",
              "weekly: newest of ISO week 2026-W01 (ending Sunday 2026-01-04)",
              "monthly: newest up to first Sunday 2026-01-04"}},
            {"2026-01-03", {"daily: newest of 2026-01-03"}},
            {"2025-12-28", {"weekly: newest of ISO week 2025-W52 (ending Sunday 2025-12-28)"}},
            {"2025-12-07", {"monthly: newest up to first Sunday 2025-12-07"}}}},
          // Monday after the missed first Sunday 03-01 (February's was 02-01): yesterday
          // has no backup; the week ending 03-01 and the period (02-01, 03-01] both
          // keep Saturday 02-28; the period up to 02-01 keeps 02-01.
          {"2026-03-02",
           {"2026-02-01", "2026-02-22", "2026-02-28", "2026-03-02"},
           // Saturday 02-28's plan also kept 02-27 (daily), 02-15 (week ending 02-15)
           // and 01-04 (period up to 01-04).
           {{"2026-01-04", "2026-02-15", "2026-02-27"}},
           {{"2026-02-28",
             {"weekly: newest of ISO week 2026-W09 (ending Sunday 2026-03-01)",
              "monthly: newest up to first Sunday 2026-03-01"}},
            {"2026-02-01", {"monthly: newest up to first Sunday 2026-02-01"}},
            {"2026-03-02", {"daily: newest of 2026-03-02"}}}},
          {"2026-03-08", {"2026-02-01", "2026-02-28", "2026-03-07", "2026-03-08"}, {}, {}},
          // The last day before the outage (a Tuesday): first Sundays 06-07 and 05-03.
          {"2026-06-30",
           {"2026-05-03", "2026-06-07", "2026-06-21", "2026-06-28", "2026-06-29", "2026-06-30"},
           std::vector<std::string>{},  // Monday's plan kept the same, and 06-29
           {}},
          // Saturday after the outage 07-01 .. 07-10: yesterday has no backup; the week
          // ending 07-05 and the period (06-07, 07-05] both keep Tuesday 06-30; the week
          // ending 06-28 keeps 06-28 and the period up to 06-07 keeps 06-07. 06-21 and
          // 05-03 fell out of the counted weeks and periods during the outage, and 06-29
          // out of the days.
          {"2026-07-11",
           {"2026-06-07", "2026-06-28", "2026-06-30", "2026-07-11"},
           {{"2026-05-03", "2026-06-21", "2026-06-29"}},
           {{"2026-06-30",
             {"weekly: newest of ISO week 2026-W27 (ending Sunday 2026-07-05)",
              "monthly: newest up to first Sunday 2026-07-05"}}}},
          {"2026-07-12",
           {"2026-06-07", "2026-06-30", "2026-07-11", "2026-07-12"},
           {{"2026-06-28"}},
           {}},
          // Day 400, a Saturday. Weeks ending 11-29 (Saturday and Sunday missed: Friday
          // 11-27) and 11-22; first Sundays 11-01 and 10-04 (12-06 is tomorrow).
          {"2026-12-05",
           {"2026-10-04", "2026-11-01", "2026-11-22", "2026-11-27", "2026-12-04", "2026-12-05"},
           {{"2026-12-03"}},
           {{"2026-11-27", {"weekly: newest of ISO week 2026-W48 (ending Sunday 2026-11-29)"}},
            {"2026-11-22", {"weekly: newest of ISO week 2026-W47 (ending Sunday 2026-11-22)"}},
            {"2026-11-01", {"monthly: newest up to first Sunday 2026-11-01"}},
            {"2026-10-04", {"monthly: newest up to first Sunday 2026-10-04"}},
            {"2026-12-05", {"daily: newest of 2026-12-05"}},
            {"2026-12-04", {"daily: newest of 2026-12-04"}}}},
      });
}

}  // namespace
}  // namespace sigmad::backup
