#include "backup/retention.h"

#include <algorithm>
#include <cstdio>
#include <set>
#include <utility>

namespace sigmad::backup {
namespace {

using std::chrono::days;
using std::chrono::sys_days;
using std::chrono::system_clock;
using std::chrono::year_month;
using std::chrono::year_month_day;

constexpr char kSkewReason[] = "created after now (clock skew): kept";

sys_days DayOf(system_clock::time_point t) { return std::chrono::floor<days>(t); }

// "2026-12-03".
std::string Date(sys_days day) {
  const year_month_day ymd{day};
  char out[32];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return out;
}

std::string DaysOld(long long age) {
  return std::to_string(age) + (age == 1 ? " day old" : " days old");
}

// The Sunday that ends the ISO week (Monday..Sunday) holding `day`.
sys_days WeekSunday(sys_days day) {
  return day + days{7 - std::chrono::weekday{day}.iso_encoding()};
}

// "2026-W48": the ISO year is the year of the week's Thursday, and week 1 is the week that
// holds the year's first Thursday.
std::string IsoWeek(sys_days sunday) {
  const sys_days thursday = sunday - days{3};
  const std::chrono::year year = year_month_day{thursday}.year();
  const long long week = (thursday - sys_days{year / std::chrono::January / 1}).count() / 7 + 1;
  char out[32];
  std::snprintf(out, sizeof out, "%04d-W%02lld", static_cast<int>(year), week);
  return out;
}

sys_days FirstSunday(year_month ym) { return sys_days{ym / std::chrono::Sunday[1]}; }

// The month whose period (first Sunday of the month before, first Sunday of this month]
// holds `day`.
year_month PeriodMonth(sys_days day) {
  const year_month_day ymd{day};
  const year_month ym = ymd.year() / ymd.month();
  return day <= FirstSunday(ym) ? ym : ym + std::chrono::months{1};
}

void PlanKeepDays(int keep_days, sys_days today, RetentionDecision& d) {
  const long long age = (today - DayOf(d.created)).count();
  const std::string rule = "keepDays " + std::to_string(keep_days) + ": ";
  d.keep = age < keep_days;
  d.reasons.push_back(rule + DaysOld(age) +
                      (d.keep ? "" : ", deleted from day " + std::to_string(keep_days + 1)));
}

void PlanGfs(const RetentionRule& rule, sys_days today, std::vector<RetentionDecision>& plan) {
  const GfsRule& gfs = *rule.gfs;
  // The newest counted week ends on the last Sunday up to today; the newest counted period
  // on the last first Sunday up to today.
  const sys_days last_sunday = today - days{std::chrono::weekday{today}.iso_encoding() % 7};
  const year_month_day t{today};
  year_month last_period = t.year() / t.month();
  if (FirstSunday(last_period) > today) last_period -= std::chrono::months{1};

  // The plan is newest first, so the first backup seen in a day, week or period is its newest.
  std::set<sys_days> daily_seen, weekly_seen;
  std::set<year_month> monthly_seen;
  for (RetentionDecision& d : plan) {
    if (!d.reasons.empty()) continue;  // clock skew: kept already
    const sys_days day = DayOf(d.created);
    if ((today - day).count() < gfs.daily && daily_seen.insert(day).second) {
      d.reasons.push_back("daily: newest of " + Date(day));
    }
    const sys_days sunday = WeekSunday(day);
    if (sunday <= last_sunday && (last_sunday - sunday).count() / 7 < gfs.weekly &&
        weekly_seen.insert(sunday).second) {
      d.reasons.push_back("weekly: newest of ISO week " + IsoWeek(sunday) + " (ending Sunday " +
                          Date(sunday) + ")");
    }
    const year_month period = PeriodMonth(day);
    if (period <= last_period && (last_period - period).count() < gfs.monthly &&
        monthly_seen.insert(period).second) {
      d.reasons.push_back("monthly: newest up to first Sunday " + Date(FirstSunday(period)));
    }
    d.keep = !d.reasons.empty();
    if (!d.keep) {
      d.reasons.push_back(rule.Describe() + ": not the newest of any kept day, week or month");
    }
  }
}

}  // namespace

Status RetentionRule::Validate() const {
  auto invalid = [](std::string message) {
    return Status::Error("invalid_argument", "retention: " + std::move(message));
  };
  if (keep_days.has_value() == gfs.has_value()) {
    return invalid("set exactly one of keepDays and gfs");
  }
  if (keep_days && (*keep_days < 1 || *keep_days > kMaxKeepDays)) {
    return invalid("keepDays " + std::to_string(*keep_days) + " is not in 1.." +
                   std::to_string(kMaxKeepDays));
  }
  if (gfs) {
    const std::pair<const char*, int> counts[] = {
        {"daily", gfs->daily}, {"weekly", gfs->weekly}, {"monthly", gfs->monthly}};
    for (const auto& [name, n] : counts) {
      if (n < 0 || n > kMaxGenerations) {
        return invalid(std::string("gfs ") + name + " " + std::to_string(n) + " is not in 0.." +
                       std::to_string(kMaxGenerations));
      }
    }
    if (gfs->daily == 0 && gfs->weekly == 0 && gfs->monthly == 0) {
      return invalid("gfs keeps no backup: set daily, weekly or monthly above 0");
    }
  }
  return Status::Ok();
}

std::string RetentionRule::Describe() const {
  if (keep_days && !gfs) return "keepDays " + std::to_string(*keep_days);
  if (gfs && !keep_days) {
    return "gfs daily " + std::to_string(gfs->daily) + ", weekly " + std::to_string(gfs->weekly) +
           ", monthly " + std::to_string(gfs->monthly);
  }
  return keep_days ? "keepDays and gfs both set" : "no retention rule";
}

Result<std::vector<RetentionDecision>> PlanRetention(const RetentionRule& rule,
                                                     std::vector<RetentionItem> items,
                                                     system_clock::time_point now) {
  if (Status s = rule.Validate(); !s.ok()) return s;
  std::sort(items.begin(), items.end(), [](const RetentionItem& a, const RetentionItem& b) {
    return a.created != b.created ? a.created > b.created : a.id < b.id;
  });
  std::vector<RetentionDecision> plan;
  plan.reserve(items.size());
  for (RetentionItem& item : items) {
    RetentionDecision& d = plan.emplace_back();
    d.id = std::move(item.id);
    d.created = item.created;
    if (d.created > now) {
      d.keep = true;
      d.reasons.push_back(kSkewReason);
    }
  }
  const sys_days today = DayOf(now);
  if (rule.keep_days) {
    for (RetentionDecision& d : plan) {
      if (d.reasons.empty()) PlanKeepDays(*rule.keep_days, today, d);
    }
  } else {
    PlanGfs(rule, today, plan);
  }
  return plan;
}

}  // namespace sigmad::backup
