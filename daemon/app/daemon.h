// SigmadApp: the sigmad process. A POCO ServerApplication that parses the command
// line, loads and validates the config, takes the state dir, serves the control socket
// and runs the signal loop (SIGTERM/SIGINT drain and stop, SIGHUP reloads) while
// keeping systemd informed (READY, STATUS, WATCHDOG, STOPPING).
//
// Exit codes: 0 clean stop or valid config, 1 failure (bad config, state dir in use,
// socket unusable), 2 usage error.
#pragma once

#include <Poco/Util/ServerApplication.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>

#include "app/config.h"
#include "app/notify.h"
#include "app/state_dir.h"
#include "audit/log.h"
#include "backup/service.h"
#include "common/clock.h"
#include "control/server.h"
#include "crypto/master_key.h"
#include "keys/service.h"
#include "policy/service.h"
#include "tenancy/service.h"

namespace sigmad::app {

class SigmadApp final : public Poco::Util::ServerApplication {
 public:
  SigmadApp();
  // Parses argv (usage errors exit 2 with a message) and runs main().
  int RunMain(int argc, char** argv);

 protected:
  void defineOptions(Poco::Util::OptionSet& options) override;
  void handleOption(const std::string& name, const std::string& value) override;
  int main(const std::vector<std::string>& args) override;

 private:
  int CheckConfig(const std::filesystem::path& file);
  // Loads the config for the chosen mode; prints every error and returns nullopt on failure.
  std::optional<Config> LoadForMode();
  // Serves until a stop signal, again after each in-place restore (ServeStore, SwapStore).
  int Serve(const Config& config);
  // An in-place restore waiting for the main thread: the verified copy in `staging`
  // becomes the store, the store moves to `previous`.
  struct StoreSwap {
    std::string backup_id;
    tenancy::Actor actor;
    std::filesystem::path staging, previous;
  };
  // Opens the store and its services, serves until a stop signal or a swap request (then
  // *swap is set), and closes it all. `restored` is audited once the log is open.
  int ServeStore(Config& config, const sigset_t& signals,
                 const std::optional<audit::Fields>& restored, std::optional<StoreSwap>* swap);
  // Moves the store aside and the restored copy in (renames in the state dir); the
  // audit record to write in the store now in place, saying what happened.
  std::optional<audit::Fields> SwapStore(const std::filesystem::path& state_dir,
                                         const StoreSwap& swap);
  // After a crash between SwapStore's two renames (no store, a staged copy): moves the
  // staged copy in. Removes a staged copy that was never swapped in.
  Status FinishInterruptedSwap(const std::filesystem::path& state_dir);
  // For backup.restore --in-place, from a control thread: records the swap and wakes the
  // main thread. Returns where the current store will be kept.
  std::filesystem::path RequestSwap(const std::string& backup_id, const tenancy::Actor& actor,
                                    const std::filesystem::path& staging);
  void Reload(Config& running);
  // Loads the policy set in `dir` (start and SIGHUP); logs what happened. An invalid
  // set leaves the active one in force.
  void LoadPolicies(policy::PolicyService& policies, const std::filesystem::path& dir);
  // The enforcement points of policy version `v` (see policy/enforcement.cpp): the
  // control socket's admin group, the key rotation ages, the audit-log retention and the
  // BackupPolicy.
  // Runs on whichever thread activated the version.
  void Enforce(const policy::StoredVersion& v, control::Server& server, keys::KeyService& keys,
               backup::BackupService& backups, const std::string& config_admin_group);
  // Prunes audit records older than `days` days (one AuditLog::Prune call) and logs what
  // happened; returns when to call again.
  std::chrono::seconds PruneAudit(audit::AuditLog& audit, int days);
  // The audit-log retention thread: prunes hourly, at once when the retention changes,
  // and again soon while a backlog remains, until StopRetention. Its own thread because
  // a first prune verifies the whole log, which may take longer than a watchdog ping.
  void RetentionLoop(audit::AuditLog& audit);
  void StopRetention();

  SystemClock clock_;
  bool help_ = false, version_ = false;
  std::optional<std::filesystem::path> config_file_, dev_dir_, check_config_, create_master_key_;
  std::optional<log::Level> log_level_override_;
  std::optional<StateDirLock> lock_;
  std::optional<std::filesystem::path> config_path_, tls_cert_;
  // Alive from an in-place restore's RELOADING=1 to the READY=1 that serves the restored
  // store (and until sigmad exits, if it cannot serve it).
  std::optional<notify::WatchdogPinger> swap_pinger_;
  std::filesystem::path master_key_path_;
  crypto::KeyFileAccess master_key_access_ = crypto::KeyFileAccess::kOwnerOnly;
  std::atomic<log::Level> log_level_{log::Level::kInfo};
  // RetentionPolicy auditLogRetentionDays of the active version; 0: keep everything.
  // Set by Enforce, which then wakes the retention thread.
  std::atomic<int> audit_retention_days_{0};
  std::mutex retention_mu_;
  std::condition_variable retention_cv_;
  bool retention_stop_ = false;  // GUARDED_BY(retention_mu_)
  std::mutex swap_mu_;
  std::optional<StoreSwap> pending_swap_;  // GUARDED_BY(swap_mu_)
};

}  // namespace sigmad::app
