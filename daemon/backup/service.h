// BackupService: backups of the trusted store as the active BackupPolicy says, and the
// evidence that they restore.
//
// The policy gives the target dir, the retention rule and whether each backup is
// verified right after it is written (SetSettings, from the policy's enforcement). In
// dev mode the target is DEVDIR/backups whatever the policy says (ServiceOptions).
//
//   Run      writes a backup (archive.h), verifies it if the policy says so, then prunes
//   List     the catalogue: every manifest in the target, with its last verification
//   Verify   decrypts a backup into the scratch dir, checks its hash, opens the copy
//            read-only and opens every sealed value and data key with the master key
//   Prune    applies the retention rule (retention.h); a dry run only says what would go
//   RestoreTo  an inspectable copy: DIR/store/data.mdb, served by `sigmad --dev DIR`
//            once DIR/master.key holds the same master key; verified before it is done
//
// Records: table "backup_checks" (system-owned, sealed): backup id -> JSON {"time_ms",
// "ok", "problem", "actor"}, the last verification of each backup; they outlive the
// backup (evidence for compliance reports). Every run, verification, deletion, prune and
// restore is audited (backup.run, backup.verify, backup.delete, backup.prune,
// backup.restore), failures included.
//
// Thread-safety: any thread. Operations run one at a time (a second waits for the
// first), so a prune never deletes under a running verify.
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "audit/log.h"
#include "backup/archive.h"
#include "backup/retention.h"
#include "backup/schedule.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/vault.h"
#include "tenancy/service.h"

namespace sigmad::backup {

// What the active BackupPolicy says.
struct BackupSettings {
  std::filesystem::path target;
  RetentionRule retention;
  bool verify_after = true;
  bool separate_site = false;
  Schedule schedule;        // when backups run (and prune)
  Schedule drill_schedule;  // when restore drills run
  int rpo_hours = 24;
  std::string source;  // "policy version 3 (baseline-backup)", for messages
};

struct ServiceOptions {
  std::filesystem::path scratch_dir;  // for verification copies; created if missing
  std::optional<std::filesystem::path> target_override;  // dev mode: DEVDIR/backups
  std::string sigmad_version;
};

struct CheckRecord {  // the last verification of a backup
  std::chrono::system_clock::time_point time;
  bool ok = false;
  std::string problem;
  std::string actor;
};

struct Entry {  // List
  Listed listed;
  std::optional<CheckRecord> check;
};

struct VerifyOutcome {
  std::string id;
  Status result = Status::Ok();
  uint64_t store_bytes = 0;
  size_t records = 0;  // sealed values and data keys opened
  std::chrono::milliseconds took{0};
};

struct PruneReport {
  std::vector<RetentionDecision> decisions;  // newest first
  std::vector<Listed> unreadable;            // manifests that do not verify: never deleted
  size_t deleted = 0;
  bool dry_run = false;
  std::string rule;
};

struct RunReport {
  Manifest manifest;
  std::optional<VerifyOutcome> verified;  // when the policy verifies after each backup
  PruneReport pruned;
  std::chrono::milliseconds took{0};
};

struct RestoreReport {
  Manifest manifest;
  std::filesystem::path dir;
  VerifyOutcome verified;
};

// A restore drill: the newest backup restored into scratch and verified. Table
// "backup_drills" keeps one record per drill (key: time in ms, big-endian u64).
struct DrillRecord {
  std::chrono::system_clock::time_point time;
  std::string backup_id;
  std::chrono::system_clock::time_point backup_created;
  bool ok = false;
  std::string problem;
  std::chrono::milliseconds took{0};  // restore + verification: the measured RTO
  uint64_t store_bytes = 0;
  std::string actor;
};

// The recovery evidence `sigmactl status` shows.
struct RecoveryStatus {
  std::optional<BackupSettings> settings;
  size_t backups = 0;
  std::optional<Manifest> newest;           // newest catalogued backup
  std::optional<Manifest> newest_verified;  // newest whose last verification passed
  std::optional<std::chrono::seconds> rpo;  // now - newest_verified->created
  std::optional<DrillRecord> last_drill;
  std::optional<DrillRecord> last_good_drill;  // its `took` is the RTO
  std::optional<std::chrono::system_clock::time_point> next_backup, next_drill;
  Status last_run = Status::Ok();  // the last scheduled or requested run
  std::optional<std::chrono::system_clock::time_point> last_run_time;
};

using Progress = std::function<void(const std::string& message)>;

class BackupService {
 public:
  static Result<std::unique_ptr<BackupService>> Open(store::Vault& vault, audit::AuditLog& audit,
                                                     const Clock& clock, ServiceOptions options);

  // The active policy's settings; nullopt when no BackupPolicy is active (then Run and
  // Prune are refused with "no_policy"; List, Verify and RestoreTo use the last target).
  void SetSettings(std::optional<BackupSettings> settings);
  // The settings in force (target override applied).
  std::optional<BackupSettings> Settings() const;

  Result<RunReport> Run(const tenancy::Actor& actor, const Progress& progress);
  Result<std::vector<Entry>> List();
  // One backup (`id`), or every catalogued one (nullopt). A backup that does not verify
  // is an outcome with its problem, not an error of the call.
  Result<std::vector<VerifyOutcome>> Verify(const tenancy::Actor& actor,
                                            const std::optional<std::string>& id,
                                            const Progress& progress);
  Result<PruneReport> Prune(const tenancy::Actor& actor, bool dry_run);
  // `dir` must be absolute and either missing or an empty directory.
  Result<RestoreReport> RestoreTo(const tenancy::Actor& actor, const std::string& id,
                                  const std::filesystem::path& dir, const Progress& progress);
  // Restores the newest catalogued backup into scratch, verifies it, records the drill
  // (also when it fails: that is evidence too) and audits it as backup.drill.
  Result<DrillRecord> Drill(const tenancy::Actor& actor, const Progress& progress);
  Result<RecoveryStatus> Recovery();

  // Starts the scheduler thread: it first removes what a crash left in the target, then
  // runs backups (then pruning, even when the backup failed) and restore drills at the
  // policy's UTC times, prunes at every UTC midnight, and runs what RequestRun asks for.
  void Start();
  // Stops the scheduler; an operation under way finishes first. Idempotent.
  void Stop();
  // Asks the scheduler thread for a backup now (`backup run` without --wait); returns at
  // once. "busy" if one was already requested and has not started.
  Status RequestRun(const tenancy::Actor& actor);
  ~BackupService();

 private:
  BackupService(store::Vault& vault, audit::AuditLog& audit, const Clock& clock,
                ServiceOptions options, store::Table checks, store::Table drills)
      : vault_(vault),
        audit_(audit),
        clock_(clock),
        options_(std::move(options)),
        checks_(checks),
        drills_(drills) {}
  Result<std::filesystem::path> Target() const;
  // Extracts and checks backup `m` into `store_dir` (which must exist, empty).
  VerifyOutcome CheckInto(const std::filesystem::path& target, const Manifest& m,
                          const BackupKeys& keys, const std::filesystem::path& store_dir);
  // Verifies into a scratch dir, records the outcome and audits it.
  Result<VerifyOutcome> VerifyOne(const tenancy::Actor& actor, const std::filesystem::path& target,
                                  const std::string& id, const BackupKeys& keys);
  // `quiet`: no backup.prune record when nothing was deleted (the hourly check).
  Result<PruneReport> PruneLocked(const tenancy::Actor& actor, const std::filesystem::path& target,
                                  const RetentionRule& rule, bool dry_run, const BackupKeys& keys,
                                  bool quiet);
  // The scheduler's prune at UTC midnight, so a backup is deleted on its day even when no
  // backup runs that day.
  void PruneQuietly(const tenancy::Actor& actor);
  // The scheduler's first act once it knows the target: remove what a crash left there.
  void RemoveOrphansNow(const tenancy::Actor& actor);
  // RemoveOrphans in `target`, each removal audited as backup.delete. Under op_mu_.
  Status RemoveOrphansAudited(const tenancy::Actor& actor, const std::filesystem::path& target);
  Status Audit(const tenancy::Actor& actor, std::string_view action, std::string_view target,
               const Status& outcome, std::optional<std::string> details = std::nullopt);
  Result<std::optional<CheckRecord>> ReadCheck(const std::string& id);
  // Records the outcome of verifying backup `id` (table backup_checks).
  Status RecordCheck(const tenancy::Actor& actor, const std::string& id, const Status& result);
  Result<RunReport> RunLocked(const tenancy::Actor& actor, const Progress& progress);
  Result<std::vector<DrillRecord>> ReadDrills();
  void Loop();
  void RecordRun(const Status& s);

  store::Vault& vault_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const ServiceOptions options_;
  const store::Table checks_, drills_;
  std::mutex op_mu_;  // one operation at a time
  // settings_mu_ guards the settings, the scheduler's requests and what it last did;
  // changed_ wakes the scheduler.
  mutable std::mutex settings_mu_;
  std::condition_variable changed_;
  std::optional<BackupSettings> settings_;                              // GUARDED_BY(settings_mu_)
  std::optional<std::filesystem::path> last_target_;                    // GUARDED_BY(settings_mu_)
  std::optional<tenancy::Actor> requested_;                             // GUARDED_BY(settings_mu_)
  bool stopping_ = false;                                               // GUARDED_BY(settings_mu_)
  uint64_t settings_version_ = 0;                                       // GUARDED_BY(settings_mu_)
  Status last_run_ = Status::Ok();                                      // GUARDED_BY(settings_mu_)
  std::optional<std::chrono::system_clock::time_point> last_run_time_;  // GUARDED_BY(...)
  std::thread scheduler_;
};

}  // namespace sigmad::backup
