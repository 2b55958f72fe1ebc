// The backup retention planner: given the retention rule, the backups that exist and the
// time, says which backups stay and which go, and why. Pure logic: it reads no clock and
// touches no file; the caller passes `now` and deletes what the plan says.
//
// All dates are UTC calendar days. A backup's age is (UTC date of now) - (UTC date of its
// creation) in whole days, so a backup made at 23:59 is a day old one minute later.
//
// Rules (exactly one is set, see BackupPolicy.schema.json):
//   keepDays N   a backup is kept while its age is below N: made on day 1, deleted from
//                day N+1, whether or not backups ran in between. Nothing is kept for being
//                the newest: if backups stop for longer than N days, everything goes.
//   gfs D/W/M    a backup stays if any of the three generations keeps it:
//     daily      the newest backup of each of the D days ending today (today .. today-D+1);
//     weekly     the newest backup of each of the W newest ISO weeks (Monday..Sunday) whose
//                Sunday is not after today: completed weeks, the current one if today is
//                Sunday. Weeks are counted on the calendar, so a week without a backup
//                still uses up one of the W;
//     monthly    the newest backup of each of the M newest periods that end on a month's
//                first Sunday, the period of month m being (first Sunday of m-1, first
//                Sunday of m], among those whose first Sunday is not after today; counted
//                on the calendar like the weeks.
//   With a backup every day, weekly keeps the Sunday backups and monthly the first-Sunday
//   ones; when such a day was missed, the newest backup before it in its week or period.
//
// A backup created after `now` (clock skew) is always kept and is left out of the
// generations, so a wrongly dated backup cannot push a good one out of its day or week.
//
// The daemon plans right after each backup and deletes what the plan says. With gfs that
// leaves the same set as one plan over every backup ever made, provided daily is at least
// 1: until its week or period is counted, the newest backup of the current one is the
// backup just made, which daily keeps. With daily 0 a backup is kept only once its week or
// period has ended, so a prune in mid-week deletes the backups of the week so far.
//
// Thread-safety: none needed; everything here is a pure function of its arguments.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"

namespace sigmad::backup {

inline constexpr int kMaxKeepDays = 3650;
inline constexpr int kMaxGenerations = 1000;

// Grandfather-father-son generations: how many days, weeks and months keep a backup.
struct GfsRule {
  int daily = 0;
  int weekly = 0;
  int monthly = 0;
};

struct RetentionRule {
  std::optional<int> keep_days;  // 1..kMaxKeepDays
  std::optional<GfsRule> gfs;    // each 0..kMaxGenerations, not all 0

  // ok, or "invalid_argument" saying what is wrong: neither or both set, a value out of
  // range, or a gfs rule that keeps nothing.
  Status Validate() const;
  // "keepDays 30" or "gfs daily 2, weekly 2, monthly 2", as in the reasons.
  std::string Describe() const;
};

struct RetentionItem {
  std::string id;
  std::chrono::system_clock::time_point created;
};

struct RetentionDecision {
  std::string id;
  std::chrono::system_clock::time_point created;
  bool keep = false;
  // A kept backup: every rule or generation that keeps it, e.g. "keepDays 30: 12 days old"
  // or "daily: newest of 2026-12-03", "weekly: newest of ISO week 2026-W48 (ending Sunday
  // 2026-11-29)", "monthly: newest up to first Sunday 2026-11-01". A deleted one: one
  // line, e.g. "keepDays 30: 30 days old, deleted from day 31".
  std::vector<std::string> reasons;
};

// One decision per item, newest first (equal times by id, ascending), whatever the order
// of `items`. An item's id is not interpreted; equal ids are planned as separate items.
// Fails with the rule's Validate error (and decides nothing) if the rule is not valid:
// a planner that deletes backups does not guess what a broken rule meant.
Result<std::vector<RetentionDecision>> PlanRetention(const RetentionRule& rule,
                                                     std::vector<RetentionItem> items,
                                                     std::chrono::system_clock::time_point now);

}  // namespace sigmad::backup
