#include "policy/rules.h"

#include <algorithm>
#include <map>
#include <set>
#include <string>

namespace sigmad::policy {
namespace {

const char* const kWeekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};

// Reads schema-valid values: the schema has already checked types and ranges.
// Anything else reads as 0 rather than throwing.
long long Int(const YAML::Node& n) { return IntegerValue(n).value_or(0); }

std::string Str(const std::string& s) { return "\"" + s + "\""; }

// Minutes from Monday 00:00 UTC to `day` (index into kWeekdays) at "HH:MM".
int WeekMinute(int day, const std::string& hhmm) {
  return day * 24 * 60 + std::stoi(hhmm.substr(0, 2)) * 60 + std::stoi(hhmm.substr(3, 2));
}

int DayIndex(const std::string& day) {
  return static_cast<int>(std::find(std::begin(kWeekdays), std::end(kWeekdays), day) -
                          std::begin(kWeekdays));
}

std::string Where(const Document& d) { return d.file + ":" + std::to_string(d.line); }

class Rules {
 public:
  Rules(std::vector<Diagnostic>* errors, std::vector<Diagnostic>* warnings)
      : errors_(errors), warnings_(warnings) {}

  void Error(const Document& d, const YAML::Node& at, std::string message) {
    errors_->push_back({d.file, at.Mark().line + 1, at.Mark().column + 1, std::move(message)});
  }
  void Warning(const Document& d, const YAML::Node& at, std::string message) {
    warnings_->push_back(
        {d.file, at.Mark().line + 1, at.Mark().column + 1, std::move(message), true});
  }

  void Backup(const Document& d) {
    const YAML::Node spec = d.node["spec"];
    const long long rpo = Int(spec["rpoHours"]);
    const YAML::Node retention = spec["retention"];
    if (const YAML::Node gfs = retention["gfs"]) {
      if (Int(gfs["daily"]) == 0 && Int(gfs["weekly"]) == 0 && Int(gfs["monthly"]) == 0) {
        Error(d, gfs, "'spec.retention.gfs' keeps no backup: set daily, weekly or monthly above 0");
        return;
      }
    }
    const long long keep_hours = LongestKeepDays(d.node) * 24;
    if (keep_hours < rpo) {
      Error(d, retention,
            "'spec.retention' keeps a backup at most " + std::to_string(keep_hours) +
                " hours, less than the RPO target 'spec.rpoHours' of " + std::to_string(rpo) +
                " hours");
    }
    const YAML::Node days = spec["schedule"]["days"];
    std::vector<int> on;
    for (const auto& day : days) on.push_back(DayIndex(day.Scalar()));
    std::sort(on.begin(), on.end());
    int gap = 7 - on.back() + on.front();  // from the last day of a week to the first
    for (size_t i = 1; i < on.size(); ++i) gap = std::max(gap, on[i] - on[i - 1]);
    if (gap * 24LL > rpo) {
      Error(d, days,
            "'spec.schedule.days' leaves up to " + std::to_string(gap * 24) +
                " hours between backups, more than the RPO target 'spec.rpoHours' of " +
                std::to_string(rpo) + " hours");
    }
  }

  void Retention(const Document& d, const Document* backup) {
    if (backup == nullptr) return;
    const YAML::Node spec = d.node["spec"];
    const long long after = Int(spec["deleteTenantDataAfterDays"]);
    const long long limit = Int(spec["maxBackupAgeForDeletedDataDays"]);
    const long long keep = LongestKeepDays(backup->node);
    if (after + keep > limit) {
      Error(d, spec["maxBackupAgeForDeletedDataDays"],
            "'spec.maxBackupAgeForDeletedDataDays' is " + std::to_string(limit) +
                " days, but a terminated tenant's data is deleted after " + std::to_string(after) +
                " days ('spec.deleteTenantDataAfterDays') and BackupPolicy '" + backup->name +
                "' (" + Where(*backup) + ") keeps backups up to " + std::to_string(keep) +
                " days: the data can stay in backups for " + std::to_string(after + keep) +
                " days");
    }
  }

  void Security(const Document& d) {
    const YAML::Node tls = d.node["spec"]["tls"];
    const std::string min = tls["minVersion"].Scalar();
    const YAML::Node ciphers = tls["ciphers"];
    bool any_tls12 = false;
    for (size_t i = 0; i < ciphers.size(); ++i) {
      const std::string name = ciphers[i].Scalar();
      const bool tls13 = name.rfind("TLS_", 0) == 0;
      any_tls12 = any_tls12 || !tls13;
      if (min == "1.3" && !tls13) {
        Error(d, ciphers[i],
              "'spec.tls.ciphers[" + std::to_string(i) + "]' (" + Str(name) +
                  ") is a TLS 1.2 cipher, but 'spec.tls.minVersion' is \"1.3\"; TLS 1.3 suites "
                  "are named TLS_*");
      }
    }
    if (min == "1.2" && !any_tls12) {
      Error(d, ciphers,
            "'spec.tls.ciphers' has no TLS 1.2 cipher, so TLS 1.2 clients could not connect "
            "although 'spec.tls.minVersion' is \"1.2\"");
    }
  }

  void Access(const Document& d) {
    const YAML::Node spec = d.node["spec"];
    std::map<std::string, size_t> roles;
    std::string defined;
    for (size_t i = 0; i < spec["roles"].size(); ++i) {
      const YAML::Node name = spec["roles"][i]["name"];
      auto [it, fresh] = roles.emplace(name.Scalar(), i);
      if (!fresh) {
        Error(d, name,
              "'spec.roles[" + std::to_string(i) + "].name' repeats role " + Str(name.Scalar()) +
                  " of 'spec.roles[" + std::to_string(it->second) + "]'");
      } else {
        defined += (defined.empty() ? "" : ", ") + name.Scalar();
      }
    }
    const YAML::Node bindings = spec["bindings"];
    for (size_t i = 0; bindings && i < bindings.size(); ++i) {
      const YAML::Node role = bindings[i]["role"];
      if (!roles.count(role.Scalar())) {
        Error(d, role,
              "'spec.bindings[" + std::to_string(i) + "].role' names role " + Str(role.Scalar()) +
                  ", which 'spec.roles' does not define (defined: " + defined + ")");
      }
    }
  }

  void Maintenance(const Document& d, const Document* backup) {
    const YAML::Node spec = d.node["spec"];
    const long long max_hours = Int(spec["maxConsecutiveOutageHours"]);
    const YAML::Node windows = spec["windows"];
    for (size_t i = 0; i < windows.size(); ++i) {
      const YAML::Node duration = windows[i]["durationMinutes"];
      if (Int(duration) > max_hours * 60) {
        Error(d, duration,
              "'spec.windows[" + std::to_string(i) + "].durationMinutes' is " +
                  std::to_string(Int(duration)) +
                  " minutes, longer than 'spec.maxConsecutiveOutageHours' (" +
                  std::to_string(max_hours) + " hours)");
      }
      if (backup == nullptr) continue;
      const YAML::Node bspec = backup->node["spec"];
      WindowCovers(d, i, *backup, bspec["schedule"], "spec.schedule", "backups");
      WindowCovers(d, i, *backup, bspec["restoreDrill"], "spec.restoreDrill", "restore drills");
    }
  }

 private:
  // Warns if window `i` of MaintenancePolicy `d` covers the start of `job` (a schedule:
  // time and days) of BackupPolicy `backup`: the job would run during maintenance.
  void WindowCovers(const Document& d, size_t i, const Document& backup, const YAML::Node& job,
                    const char* path, const char* what) {
    constexpr int kWeek = 7 * 24 * 60;
    const YAML::Node window = d.node["spec"]["windows"][i];
    const long long length = Int(window["durationMinutes"]);
    const std::string start = window["start"].Scalar(), time = job["time"].Scalar();
    std::string covered;
    for (const auto& day : job["days"]) {
      const int at = WeekMinute(DayIndex(day.Scalar()), time);
      for (const auto& wday : window["days"]) {
        const int from = WeekMinute(DayIndex(wday.Scalar()), start);
        if ((at - from + kWeek) % kWeek < length) {
          covered += (covered.empty() ? "" : ", ") + day.Scalar();
          break;
        }
      }
    }
    if (covered.empty()) return;
    Warning(d, window,
            "'spec.windows[" + std::to_string(i) + "]' (from " + start + " for " +
                std::to_string(length) + " minutes) covers the start of " + what + " at " + time +
                " on " + covered + " ('" + path + "' of BackupPolicy '" + backup.name + "', " +
                Where(backup) + "): they would run during maintenance");
  }

  std::vector<Diagnostic>* errors_;
  std::vector<Diagnostic>* warnings_;
};

}  // namespace

long long IntField(const YAML::Node& node) { return Int(node); }

long long LongestKeepDays(const YAML::Node& backup_policy) {
  const YAML::Node retention = backup_policy["spec"]["retention"];
  if (const YAML::Node keep = retention["keepDays"]) return Int(keep);
  const YAML::Node gfs = retention["gfs"];
  return std::max({Int(gfs["daily"]), Int(gfs["weekly"]) * 7, Int(gfs["monthly"]) * 35});
}

void CheckRules(const std::vector<Document>& documents, std::vector<Diagnostic>* errors,
                std::vector<Diagnostic>* warnings) {
  std::map<std::string, const Document*> by_kind;
  for (const Document& d : documents) by_kind.emplace(d.kind, &d);
  auto find = [&](const char* kind) -> const Document* {
    auto it = by_kind.find(kind);
    return it == by_kind.end() ? nullptr : it->second;
  };
  Rules rules(errors, warnings);
  if (const Document* d = find("BackupPolicy")) rules.Backup(*d);
  if (const Document* d = find("RetentionPolicy")) rules.Retention(*d, find("BackupPolicy"));
  if (const Document* d = find("SecurityPolicy")) rules.Security(*d);
  if (const Document* d = find("AccessPolicy")) rules.Access(*d);
  if (const Document* d = find("MaintenancePolicy")) rules.Maintenance(*d, find("BackupPolicy"));
}

}  // namespace sigmad::policy
