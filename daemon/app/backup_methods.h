// The control methods over backups: backup.run, backup.list, backup.verify, backup.prune,
// backup.restore and backup.drill; the BackupPolicy's settings as the BackupService takes
// them; and the "backups" object of `status` (RPO and RTO). Thin: check the parameters,
// call the BackupService with the peer as actor, render its result as JSON.
// Thread-safety: the methods are safe from any thread (the service is).
#pragma once

#include <Poco/Dynamic/Var.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "backup/service.h"
#include "control/dispatcher.h"
#include "policy/service.h"
#include "tenancy/service.h"

namespace sigmad::app {

// The BackupPolicy of policy version `v`, or nullopt if it has none. A policy that
// passed validation always converts; anything else sets *error.
std::optional<backup::BackupSettings> BackupSettingsOf(const policy::StoredVersion& v,
                                                       std::string* error);

// The "backups" object of `status`: target, counts, RPO (age of the newest verified
// backup, against the policy's rpoHours), RTO (the last good drill), next runs.
Poco::Dynamic::Var RecoveryJson(backup::BackupService& service);

// How backup.restore --in-place reaches the app: the backup is restored and verified
// into `staging` (a dir in the state dir, removed first if a crash left it), then `swap`
// asks the app to stop serving, move the store aside and the copy in, and serve again;
// it returns at once with where the current store will be kept.
struct InPlaceRestore {
  std::filesystem::path staging;
  // Ok if the store can be swapped by renames (not a mount point, same file system as
  // the staging dir); checked before anything is restored.
  std::function<Status()> check;
  std::function<std::filesystem::path(const std::string& backup_id, const tenancy::Actor& actor)>
      swap;
  // Set while an in-place restore is under way in this serving session.
  std::shared_ptr<std::atomic<bool>> pending = std::make_shared<std::atomic<bool>>(false);
};

void RegisterBackupMethods(control::Dispatcher& dispatcher, backup::BackupService& service,
                           InPlaceRestore in_place);

}  // namespace sigmad::app
