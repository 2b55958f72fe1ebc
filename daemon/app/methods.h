// The control methods the app itself answers: status and version.
// Thread-safety: the registered methods read only atomics and immutable facts.
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "app/config.h"
#include "audit/record.h"
#include "common/clock.h"
#include "control/dispatcher.h"
#include "control/server.h"

namespace sigmad::app {

struct DaemonFacts {
  std::string mode;  // "dev" or "system"
  std::filesystem::path state_dir, socket;
  std::optional<std::filesystem::path> config_file, tls_cert;
  std::string admin_group;
  bool admin_group_exists = false;
  int max_clients = 0;
  std::optional<std::chrono::microseconds> watchdog;
  Clock::WallTime started_at;
  // The "store" object of status (path, sizes, audit log position), made on demand.
  std::function<Poco::Dynamic::Var()> store_status;
  // The in-place restore this serving session began with (its audit record), if any:
  // status shows it as "restored", so sigmactl can tell a swap that worked from one that
  // failed (the old store served again).
  std::optional<audit::Fields> restored;
  // The "backups" object of status (RPO, RTO, next runs), made on demand.
  std::function<Poco::Dynamic::Var()> backup_status;
};

// Registers "status" and "version". `server` is read for live connection counts.
void RegisterAppMethods(control::Dispatcher& dispatcher, const DaemonFacts& facts,
                        const control::Server& server, const Clock& clock,
                        const std::atomic<log::Level>* log_level);

}  // namespace sigmad::app
