#include "backup/service.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <exception>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "common/file.h"
#include "common/time_format.h"
#include "crypto/keyring.h"
#include "store/keys.h"

namespace sigmad::backup {
namespace {

namespace fs = std::filesystem;
namespace chr = std::chrono;
constexpr char kChecksTable[] = "backup_checks";
constexpr char kDrillsTable[] = "backup_drills";
// Waits of the scheduler are cut into pieces this long, so a clock that jumps (NTP, a
// suspended VM) delays a scheduled run by at most this much.
constexpr auto kMaxSleep = chr::seconds(30);
// Retention is applied after every backup and at every UTC midnight, so a backup goes on
// its day (keepDays: day N+1 begins at 00:00 UTC) even when no backup runs that day.
chr::system_clock::time_point NextMidnight(chr::system_clock::time_point t) {
  return chr::floor<chr::days>(t) + chr::days(1);
}

int64_t Ms(chr::system_clock::time_point t) {
  return chr::duration_cast<chr::milliseconds>(t.time_since_epoch()).count();
}

chr::milliseconds Since(const Clock& clock, Clock::MonoTime start) {
  return chr::duration_cast<chr::milliseconds>(clock.Monotonic() - start);
}

// Removes a scratch dir and everything in it; errors only logged by the caller's result.
void RemoveTree(const fs::path& dir) {
  std::error_code ec;
  fs::remove_all(dir, ec);
}

std::string Describe(const Manifest& m) {
  return "backup " + m.id + " (" + FormatUtc(m.created) + ", " + std::to_string(m.size) + " bytes)";
}

}  // namespace

Result<std::unique_ptr<BackupService>> BackupService::Open(store::Vault& vault,
                                                           audit::AuditLog& audit,
                                                           const Clock& clock,
                                                           ServiceOptions options) {
  auto checks = vault.OpenTable(kChecksTable, store::Owner::kSystem);
  if (!checks.ok()) return checks.status();
  auto drills = vault.OpenTable(kDrillsTable, store::Owner::kSystem);
  if (!drills.ok()) return drills.status();
  std::unique_ptr<BackupService> service(
      new BackupService(vault, audit, clock, std::move(options), checks.value(), drills.value()));
  // Verification copies a crash left behind.
  RemoveTree(service->options_.scratch_dir);
  return service;
}

BackupService::~BackupService() { Stop(); }

void BackupService::SetSettings(std::optional<BackupSettings> settings) {
  {
    std::lock_guard lock(settings_mu_);
    if (settings && options_.target_override) settings->target = *options_.target_override;
    if (settings) last_target_ = settings->target;
    settings_ = std::move(settings);
    ++settings_version_;
  }
  changed_.notify_all();
}

void BackupService::Start() {
  std::lock_guard lock(settings_mu_);
  if (scheduler_.joinable() || stopping_) return;
  scheduler_ = std::thread([this] { Loop(); });
}

void BackupService::Stop() {
  {
    std::lock_guard lock(settings_mu_);
    stopping_ = true;
  }
  changed_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
}

Status BackupService::RequestRun(const tenancy::Actor& actor) {
  {
    std::lock_guard lock(settings_mu_);
    if (!scheduler_.joinable() || stopping_) {
      return Status::Error("unavailable", "the backup scheduler is not running");
    }
    if (requested_) {
      return Status::Error("busy", "a backup requested by " + requested_->name +
                                       " has not finished yet; see sigmactl status");
    }
    requested_ = actor;
  }
  changed_.notify_all();
  return Status::Ok();
}

void BackupService::RecordRun(const Status& s) {
  std::lock_guard lock(settings_mu_);
  last_run_ = s;
  last_run_time_ = clock_.Now();
}

void BackupService::Loop() {
  const tenancy::Actor scheduler{"sigmad", "schedule"};
  // Scheduled times up to these have been dealt with. Each kind keeps its own, so a run
  // that lasts past the other's time (a backup from 01:00 to 03:10, the drill at 03:00)
  // delays it instead of skipping it; times missed while sigmad was down are not caught up.
  auto backups_done_until = clock_.Now(), drills_done_until = backups_done_until;
  auto next_prune = NextMidnight(backups_done_until);
  bool cleaned = false;  // orphans a crash left are removed once the target is known
  std::unique_lock lock(settings_mu_);
  while (!stopping_) {
    if (requested_) {
      const tenancy::Actor actor = *requested_;
      lock.unlock();
      (void)Run(actor, nullptr);  // its outcome is in last_run_ and the audit log
      lock.lock();
      requested_.reset();
      continue;
    }
    if (!settings_) {
      changed_.wait(lock);
      continue;
    }
    if (!cleaned) {
      cleaned = true;
      lock.unlock();
      RemoveOrphansNow(scheduler);
      lock.lock();
      continue;
    }
    // Sleep until the next backup or drill, or until something changes, in pieces
    // (kMaxSleep).
    const auto next_backup = settings_->schedule.NextAfter(backups_done_until);
    const auto next_drill = settings_->drill_schedule.NextAfter(drills_done_until);
    const auto next = std::min({next_backup, next_drill, next_prune});
    const uint64_t version = settings_version_;
    for (;;) {
      const auto left = next - clock_.Now();
      if (left <= chr::seconds(0)) break;
      changed_.wait_for(lock, std::min<chr::system_clock::duration>(left, kMaxSleep));
      if (stopping_ || requested_ || settings_version_ != version) break;
    }
    if (stopping_ || requested_ || !settings_) continue;
    const auto now = clock_.Now();
    const bool backup_due = next_backup <= now;
    const bool drill_due = next_drill <= now;
    const bool prune_due = next_prune <= now;
    if (!backup_due && !drill_due && !prune_due) continue;  // woken early: work out again
    lock.unlock();
    if (prune_due) next_prune = NextMidnight(now);
    if (backup_due) {
      backups_done_until = now;
      auto r = Run(scheduler, nullptr);
      if (!r.ok() && r.status().code() != "no_policy") {
        // Retention still applies: keepDays deletes on day 31 whether or not today's
        // backup worked.
        (void)Prune(scheduler, /*dry_run=*/false);
      }
    }
    if (drill_due) {
      drills_done_until = now;
      (void)Drill(scheduler, nullptr);
    }
    if (prune_due && !backup_due) PruneQuietly(scheduler);
    lock.lock();
  }
}

std::optional<BackupSettings> BackupService::Settings() const {
  std::lock_guard lock(settings_mu_);
  return settings_;
}

Result<fs::path> BackupService::Target() const {
  std::lock_guard lock(settings_mu_);
  if (settings_) return settings_->target;
  if (last_target_) return *last_target_;
  if (options_.target_override) return *options_.target_override;
  return Status::Error("no_policy", "no BackupPolicy is active, so there is no backup target");
}

Status BackupService::Audit(const tenancy::Actor& actor, std::string_view action,
                            std::string_view target, const Status& outcome,
                            std::optional<std::string> details) {
  audit::Fields f = tenancy::AuditFields(
      clock_, actor, "", action, target,
      outcome.ok() ? std::string(audit::kOutcomeOk) : "error:" + outcome.code());
  if (!outcome.ok()) {
    details = details ? *details + "; " + outcome.message() : outcome.message();
  }
  if (details && details->size() > 1000) details->resize(1000);
  f.details = details;
  return audit_.Append(f);
}

Result<std::optional<CheckRecord>> BackupService::ReadCheck(const std::string& id) {
  std::optional<std::string> json;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto got = vault_.Get(txn, checks_, id, crypto::kSystemTenant);
    if (!got.ok()) return got.status();
    json = got.value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!json) return std::optional<CheckRecord>();
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(*json).extract<Poco::JSON::Object::Ptr>();
    CheckRecord r;
    r.time = chr::system_clock::time_point(chr::milliseconds(o->getValue<Poco::Int64>("time_ms")));
    r.ok = o->getValue<bool>("ok");
    r.problem = o->getValue<std::string>("problem");
    r.actor = o->getValue<std::string>("actor");
    return std::optional<CheckRecord>(std::move(r));
  } catch (const std::exception& e) {
    return Status::Error("integrity",
                         "the check record of backup " + id + " is malformed: " + e.what());
  }
}

VerifyOutcome BackupService::CheckInto(const fs::path& target, const Manifest& m,
                                       const BackupKeys& keys, const fs::path& store_dir) {
  const auto start = clock_.Monotonic();
  VerifyOutcome out;
  out.id = m.id;
  // The copy goes on the disk it is checked on (for verify and drills: the state dir's,
  // with the live store): never fill it.
  struct statvfs vfs {};
  const uint64_t margin = uint64_t{256} << 20;
  if (statvfs(store_dir.c_str(), &vfs) == 0 &&
      uint64_t{vfs.f_bavail} * vfs.f_frsize < m.store_bytes + margin) {
    out.result = Status::Error("no_space",
                               "backup " + m.id + " holds " + std::to_string(m.store_bytes >> 20) +
                                   " MiB of store; " + store_dir.parent_path().string() + " has " +
                                   std::to_string((uint64_t{vfs.f_bavail} * vfs.f_frsize) >> 20) +
                                   " MiB free, and restoring it there must leave 256 MiB");
    return out;
  }
  if (m.schema_version != store::kSchemaVersion) {
    out.result =
        Status::Error("schema", "backup " + m.id + " holds a store at schema v" +
                                    std::to_string(m.schema_version) + "; this sigmad serves v" +
                                    std::to_string(store::kSchemaVersion));
    return out;
  }
  auto extracted = ExtractBackup(target, m, keys, store_dir);
  if (!extracted.ok()) {
    out.result = extracted.status();
    out.took = Since(clock_, start);
    return out;
  }
  out.store_bytes = extracted.value().store_bytes;
  auto report = CheckStoreCopy(store_dir, vault_.keyring().CloneKek(), vault_.Tables(), clock_);
  if (!report.ok()) {
    out.result = Status::Error(
        report.status().code(),
        "backup " + m.id + ": its store copy does not open: " + report.status().message());
  } else if (!report.value().ok()) {
    size_t failed = 0;
    std::string first;
    for (const auto& db : report.value().dbs) failed += db.failed;
    if (!report.value().failures.empty()) {
      const auto& f = report.value().failures.front();
      first = "; first: " + f.db + " key " + f.key_hex + ": " + f.reason;
    }
    out.result = Status::Error("integrity", "backup " + m.id + ": " + std::to_string(failed) +
                                                " value(s) in its store copy do not open" + first);
  }
  if (report.ok()) {
    for (const auto& db : report.value().dbs) out.records += db.records;
  }
  out.took = Since(clock_, start);
  return out;
}

Status BackupService::RecordCheck(const tenancy::Actor& actor, const std::string& id,
                                  const Status& result) {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("time_ms", static_cast<Poco::Int64>(Ms(clock_.Now())));
  o.set("ok", result.ok());
  o.set("problem", result.ok() ? std::string() : result.message());
  o.set("actor", actor.name);
  std::ostringstream json;
  o.stringify(json);
  return vault_.env().Update([&](store::WriteTxn& txn) {
    return vault_.Put(txn, checks_, id, crypto::kSystemTenant, json.str());
  });
}

Result<VerifyOutcome> BackupService::VerifyOne(const tenancy::Actor& actor, const fs::path& target,
                                               const std::string& id, const BackupKeys& keys) {
  VerifyOutcome out;
  out.id = id;
  auto m = ReadManifest(target, id, keys);
  if (!m.ok()) {
    if (m.status().code() == "not_found" || m.status().code() == "invalid_argument") {
      return m.status();
    }
    out.result = m.status();
  } else {
    const fs::path scratch = options_.scratch_dir / ("verify-" + id);
    RemoveTree(scratch);
    std::error_code ec;
    fs::create_directories(scratch, ec);
    if (ec) {
      return Status::Error("io", "cannot create " + scratch.string() + ": " + ec.message());
    }
    out = CheckInto(target, m.value(), keys, scratch);
    RemoveTree(scratch);
  }
  // The record, then the audit: both say the same, and a failed verification is evidence
  // too.
  if (Status s = RecordCheck(actor, id, out.result); !s.ok()) return s;
  if (Status a = Audit(actor, "backup.verify", id, out.result,
                       out.result.ok() ? std::optional<std::string>(std::to_string(out.records) +
                                                                    " values opened")
                                       : std::nullopt);
      !a.ok()) {
    return a;
  }
  return out;
}

Result<RunReport> BackupService::Run(const tenancy::Actor& actor, const Progress& progress) {
  auto r = RunLocked(actor, progress);
  RecordRun(r.status());
  return r;
}

Result<RunReport> BackupService::RunLocked(const tenancy::Actor& actor, const Progress& progress) {
  std::lock_guard op(op_mu_);
  const auto start = clock_.Monotonic();
  auto settings = Settings();
  if (!settings) {
    Status why = Status::Error("no_policy",
                               "no BackupPolicy is active: apply a policy set with one first "
                               "(sigmactl policy apply)");
    if (Status a = Audit(actor, "backup.run", "", why); !a.ok()) return a;
    return why;
  }
  const fs::path target = settings->target;
  auto fail = [&](Status why) -> Status {
    if (Status a = Audit(actor, "backup.run", target.string(), why); !a.ok()) return a;
    return why;
  };
  std::error_code ec;
  if (!fs::is_directory(target, ec)) {
    return fail(Status::Error("no_target", "the backup target " + target.string() +
                                               " is not a directory (" + settings->source +
                                               "); create it, or mount the backup disk there"));
  }
  if (settings->separate_site && !options_.target_override) {
    struct stat a {
    }, b{};
    if (stat(target.c_str(), &a) == 0 && stat(vault_.env().dir().c_str(), &b) == 0 &&
        a.st_dev == b.st_dev) {
      return fail(Status::Error(
          "same_site", "the backup target " + target.string() +
                           " is on the store's own file system, and " + settings->source +
                           " says separateSite: true; mount the separate site's storage there"));
    }
  }
  auto keys = BackupKeys::Derive(vault_.keyring());
  if (!keys.ok()) return fail(keys.status());
  if (Status s = RemoveOrphansAudited(actor, target); !s.ok()) return fail(s);

  WriteOptions wo;
  wo.schema_version = store::kSchemaVersion;
  wo.sigmad_version = options_.sigmad_version;
  if (progress) {
    wo.progress = [&](uint64_t bytes) {
      progress("copied " + std::to_string(bytes >> 20) + " MiB of the store");
    };
  }
  auto written = WriteBackup(vault_.env(), keys.value(), target, clock_.Now(), wo);
  if (!written.ok()) {
    return fail(Status::Error(written.status().code(),
                              "backup to " + target.string() + " failed: " +
                                  written.status().message() + "; existing backups are untouched"));
  }
  RunReport report;
  report.manifest = written.value();
  if (Status a = Audit(actor, "backup.run", report.manifest.id, Status::Ok(),
                       Describe(report.manifest) + " in " + target.string());
      !a.ok()) {
    return a;
  }
  if (settings->verify_after) {
    if (progress) progress("verifying " + report.manifest.id);
    auto v = VerifyOne(actor, target, report.manifest.id, keys.value());
    if (!v.ok()) return v.status();
    report.verified = v.value();
    if (!v.value().result.ok()) {
      // A backup that does not verify must not take the place of a good one in retention:
      // nothing is pruned until that is understood.
      report.took = Since(clock_, start);
      return report;
    }
  }
  auto pruned = PruneLocked(actor, target, settings->retention, /*dry_run=*/false, keys.value(),
                            /*quiet=*/false);
  if (!pruned.ok()) return pruned.status();
  report.pruned = std::move(pruned).value();
  report.took = Since(clock_, start);
  return report;
}

Result<std::vector<Entry>> BackupService::List() {
  // No op_mu_: reading the catalogue is safe while a backup or prune runs (files appear
  // and go whole), and `status` must not wait for a backup.
  auto target = Target();
  if (!target.ok()) return target.status();
  auto keys = BackupKeys::Derive(vault_.keyring());
  if (!keys.ok()) return keys.status();
  auto listed = ListBackups(target.value(), keys.value());
  if (!listed.ok()) return listed.status();
  std::vector<Entry> out;
  for (auto& l : listed.value()) {
    Entry e;
    auto check = ReadCheck(l.id);
    if (!check.ok()) return check.status();
    e.check = check.value();
    e.listed = std::move(l);
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::vector<VerifyOutcome>> BackupService::Verify(const tenancy::Actor& actor,
                                                         const std::optional<std::string>& id,
                                                         const Progress& progress) {
  std::lock_guard op(op_mu_);
  auto target = Target();
  if (!target.ok()) return target.status();
  auto keys = BackupKeys::Derive(vault_.keyring());
  if (!keys.ok()) return keys.status();
  std::vector<std::string> ids;
  if (id) {
    ids.push_back(*id);
  } else {
    auto listed = ListBackups(target.value(), keys.value());
    if (!listed.ok()) return listed.status();
    for (const auto& l : listed.value()) ids.push_back(l.id);
  }
  std::vector<VerifyOutcome> out;
  for (const auto& one : ids) {
    if (progress) progress("verifying " + one);
    auto v = VerifyOne(actor, target.value(), one, keys.value());
    if (!v.ok()) {
      if (Status a = Audit(actor, "backup.verify", one, v.status()); !a.ok()) return a;
      return v.status();
    }
    out.push_back(std::move(v).value());
  }
  return out;
}

Result<PruneReport> BackupService::Prune(const tenancy::Actor& actor, bool dry_run) {
  std::lock_guard op(op_mu_);
  auto settings = Settings();
  if (!settings) {
    return Status::Error("no_policy", "no BackupPolicy is active, so there is no retention rule");
  }
  auto keys = BackupKeys::Derive(vault_.keyring());
  if (!keys.ok()) return keys.status();
  return PruneLocked(actor, settings->target, settings->retention, dry_run, keys.value(),
                     /*quiet=*/false);
}

Status BackupService::RemoveOrphansAudited(const tenancy::Actor& actor, const fs::path& target) {
  // Called under op_mu_, so no backup is being written: a stream without a manifest is
  // what a crash left between the two.
  auto orphans = RemoveOrphans(target);
  if (!orphans.ok()) return orphans.status();
  for (const auto& name : orphans.value()) {
    if (Status a = Audit(actor, "backup.delete", name, Status::Ok(),
                         "an incomplete backup file a crash left behind");
        !a.ok()) {
      return a;
    }
  }
  return Status::Ok();
}

void BackupService::RemoveOrphansNow(const tenancy::Actor& actor) {
  std::lock_guard op(op_mu_);
  if (auto settings = Settings()) (void)RemoveOrphansAudited(actor, settings->target);
}

void BackupService::PruneQuietly(const tenancy::Actor& actor) {
  std::lock_guard op(op_mu_);
  auto settings = Settings();
  if (!settings) return;
  auto keys = BackupKeys::Derive(vault_.keyring());
  if (!keys.ok()) return;
  (void)PruneLocked(actor, settings->target, settings->retention, false, keys.value(),
                    /*quiet=*/true);
}

Result<PruneReport> BackupService::PruneLocked(const tenancy::Actor& actor, const fs::path& target,
                                               const RetentionRule& rule, bool dry_run,
                                               const BackupKeys& keys, bool quiet) {
  PruneReport report;
  report.dry_run = dry_run;
  report.rule = rule.Describe();
  auto listed = ListBackups(target, keys);
  if (!listed.ok()) return listed.status();
  std::vector<RetentionItem> items, other_items;
  for (auto& l : listed.value()) {
    if (l.manifest) {
      items.push_back({l.id, l.manifest->created});
    } else if (l.stated_created) {
      // Taken under an earlier master key: its manifest cannot be authenticated here, but
      // retention must still delete it on time (whoever could forge its date could as
      // well delete the files).
      other_items.push_back({l.id, *l.stated_created});
    } else {
      report.unreadable.push_back(std::move(l));  // never deleted on an unverified word
    }
  }
  auto plan = PlanRetention(rule, std::move(items), clock_.Now());
  if (!plan.ok()) return plan.status();
  report.decisions = std::move(plan).value();
  // Backups under an earlier master key are planned among themselves: their dates are
  // unauthenticated, so they must never take a current backup's place in a generation.
  if (!other_items.empty()) {
    auto other = PlanRetention(rule, std::move(other_items), clock_.Now());
    if (!other.ok()) return other.status();
    for (auto& d : other.value()) {
      d.reasons.push_back("under another master key: dated by its manifest, unauthenticated");
      report.decisions.push_back(std::move(d));
    }
  }
  if (dry_run) return report;
  for (const auto& d : report.decisions) {
    if (d.keep) continue;
    const Status s = DeleteBackup(target, d.id);
    const std::string why = d.reasons.empty() ? report.rule : d.reasons.front();
    if (Status a = Audit(actor, "backup.delete", d.id, s, why); !a.ok()) return a;
    if (!s.ok()) return s;
    ++report.deleted;
  }
  if (quiet && report.deleted == 0) return report;
  if (Status a = Audit(actor, "backup.prune", target.string(), Status::Ok(),
                       report.rule + ": " + std::to_string(report.deleted) + " deleted, " +
                           std::to_string(report.decisions.size() - report.deleted) + " kept");
      !a.ok()) {
    return a;
  }
  return report;
}

Result<RestoreReport> BackupService::RestoreTo(const tenancy::Actor& actor, const std::string& id,
                                               const fs::path& dir, const Progress& progress) {
  std::lock_guard op(op_mu_);
  auto fail = [&](Status why) -> Status {
    if (Status a = Audit(actor, "backup.restore", id, why, "to " + dir.string()); !a.ok()) {
      return a;
    }
    return why;
  };
  if (!dir.is_absolute()) {
    return fail(Status::Error("invalid_argument",
                              "restore needs an absolute directory, not '" + dir.string() + "'"));
  }
  std::error_code ec;
  if (!fs::is_directory(dir.parent_path(), ec)) {
    return fail(Status::Error("invalid_argument",
                              "restore into " + dir.string() + ": its parent directory " +
                                  dir.parent_path().string() + " does not exist"));
  }
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec) || !fs::is_empty(dir, ec)) {
      return fail(Status::Error("exists", dir.string() +
                                              " exists and is not an empty directory; restore "
                                              "into a new one (nothing was changed)"));
    }
  }
  auto target = Target();
  if (!target.ok()) return fail(target.status());
  auto keys = BackupKeys::Derive(vault_.keyring());
  if (!keys.ok()) return fail(keys.status());
  auto m = ReadManifest(target.value(), id, keys.value());
  if (!m.ok()) return fail(m.status());
  const bool made = !fs::exists(dir, ec);
  fs::create_directories(dir / "store", ec);  // at most dir and dir/store: the parent exists
  if (ec) return fail(Status::Error("io", "cannot create " + dir.string() + ": " + ec.message()));
  fs::permissions(dir, fs::perms::owner_all, ec);
  fs::permissions(dir / "store", fs::perms::owner_all, ec);
  if (progress) progress("restoring " + m.value().id + " to " + dir.string());
  RestoreReport report;
  report.manifest = m.value();
  report.dir = dir;
  report.verified = CheckInto(target.value(), m.value(), keys.value(), dir / "store");
  if (!report.verified.result.ok()) {
    // Leave nothing half-made behind: the dir is as it was.
    if (made) {
      RemoveTree(dir);
    } else {
      RemoveTree(dir / "store");
    }
    return fail(report.verified.result);
  }
  // LMDB made a lock file while checking the copy; the daemon that serves it makes its own.
  fs::remove(dir / "store" / "lock.mdb", ec);
  if (Status a = Audit(actor, "backup.restore", id, Status::Ok(),
                       "to " + dir.string() + ", " + std::to_string(report.verified.records) +
                           " values verified");
      !a.ok()) {
    return a;
  }
  return report;
}

Result<std::vector<DrillRecord>> BackupService::ReadDrills() {
  std::vector<DrillRecord> out;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    out.clear();
    return vault_.Scan(txn, drills_, "", [&](std::string_view, std::string_view json, bool*) {
      try {
        Poco::JSON::Parser parser;
        auto o = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
        DrillRecord d;
        d.time =
            chr::system_clock::time_point(chr::milliseconds(o->getValue<Poco::Int64>("time_ms")));
        d.backup_id = o->getValue<std::string>("backup_id");
        d.backup_created = chr::system_clock::time_point(
            chr::milliseconds(o->getValue<Poco::Int64>("backup_created_ms")));
        d.ok = o->getValue<bool>("ok");
        d.problem = o->getValue<std::string>("problem");
        d.took = chr::milliseconds(o->getValue<Poco::Int64>("took_ms"));
        d.store_bytes = o->getValue<Poco::UInt64>("store_bytes");
        d.actor = o->getValue<std::string>("actor");
        out.push_back(std::move(d));
        return Status::Ok();
      } catch (const std::exception& e) {
        return Status::Error("integrity",
                             std::string("a backup drill record is malformed: ") + e.what());
      }
    });
  });
  if (!s.ok()) return s;
  return out;
}

Result<DrillRecord> BackupService::Drill(const tenancy::Actor& actor, const Progress& progress) {
  std::lock_guard op(op_mu_);
  auto fail = [&](Status why) -> Status {
    if (Status a = Audit(actor, "backup.drill", "", why); !a.ok()) return a;
    return why;
  };
  auto target = Target();
  if (!target.ok()) return fail(target.status());
  auto keys = BackupKeys::Derive(vault_.keyring());
  if (!keys.ok()) return fail(keys.status());
  auto listed = ListBackups(target.value(), keys.value());
  if (!listed.ok()) return fail(listed.status());
  const Manifest* newest = nullptr;
  for (const auto& l : listed.value()) {
    if (l.manifest && (!newest || l.manifest->created >= newest->created)) newest = &*l.manifest;
  }
  if (!newest) {
    return fail(Status::Error("not_found", "no backup in " + target.value().string() +
                                               " to drill with; run sigmactl backup run"));
  }
  if (progress) progress("restoring " + newest->id + " into scratch");
  DrillRecord d;
  d.time = clock_.Now();
  d.backup_id = newest->id;
  d.backup_created = newest->created;
  d.actor = actor.name;
  const fs::path scratch = options_.scratch_dir / ("drill-" + newest->id);
  RemoveTree(scratch);
  std::error_code ec;
  fs::create_directories(scratch, ec);
  if (ec)
    return fail(Status::Error("io", "cannot create " + scratch.string() + ": " + ec.message()));
  const VerifyOutcome v = CheckInto(target.value(), *newest, keys.value(), scratch);
  RemoveTree(scratch);
  d.ok = v.result.ok();
  d.problem = v.result.ok() ? "" : v.result.message();
  d.took = v.took;
  d.store_bytes = v.store_bytes;

  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("time_ms", static_cast<Poco::Int64>(Ms(d.time)));
  o.set("backup_id", d.backup_id);
  o.set("backup_created_ms", static_cast<Poco::Int64>(Ms(d.backup_created)));
  o.set("ok", d.ok);
  o.set("problem", d.problem);
  o.set("took_ms", static_cast<Poco::Int64>(d.took.count()));
  o.set("store_bytes", static_cast<Poco::UInt64>(d.store_bytes));
  o.set("actor", d.actor);
  std::ostringstream json;
  o.stringify(json);
  // A drill verifies the backup as fully as backup verify does: it counts for the RPO.
  if (Status c = RecordCheck(actor, d.backup_id, v.result); !c.ok()) return c;
  const std::string key = store::KeyBuilder().U64(static_cast<uint64_t>(Ms(d.time))).Build();
  Status s = vault_.env().Update([&](store::WriteTxn& txn) {
    return vault_.Put(txn, drills_, key, crypto::kSystemTenant, json.str());
  });
  if (!s.ok()) return s;
  if (Status a = Audit(actor, "backup.drill", d.backup_id, v.result,
                       "restore and verification took " + std::to_string(d.took.count()) + " ms");
      !a.ok()) {
    return a;
  }
  return d;
}

Result<RecoveryStatus> BackupService::Recovery() {
  RecoveryStatus r;
  r.settings = Settings();
  {
    std::lock_guard lock(settings_mu_);
    if (last_run_time_) {
      r.last_run = last_run_;
      r.last_run_time = last_run_time_;
    }
  }
  const auto now = clock_.Now();
  if (r.settings) {
    r.next_backup = r.settings->schedule.NextAfter(now);
    r.next_drill = r.settings->drill_schedule.NextAfter(now);
  }
  auto entries = List();
  if (!entries.ok() && entries.status().code() == "no_policy") return r;  // no target yet
  if (!entries.ok()) return entries.status();
  for (const auto& e : entries.value()) {
    if (!e.listed.manifest) continue;
    const Manifest& m = *e.listed.manifest;
    ++r.backups;
    if (!r.newest || m.created >= r.newest->created) r.newest = m;
    if (e.check && e.check->ok && (!r.newest_verified || m.created >= r.newest_verified->created)) {
      r.newest_verified = m;
    }
  }
  if (r.newest_verified) {
    r.rpo = chr::duration_cast<chr::seconds>(now - r.newest_verified->created);
  }
  auto drills = ReadDrills();
  if (!drills.ok()) return drills.status();
  for (const auto& d : drills.value()) {  // in time order
    r.last_drill = d;
    if (d.ok) r.last_good_drill = d;
  }
  return r;
}

}  // namespace sigmad::backup
