// The control methods over backups: backup.run, backup.list, backup.verify, backup.prune,
// backup.restore and backup.drill; the BackupPolicy's settings as the BackupService takes
// them; and the "backups" object of `status` (RPO and RTO). Thin: check the parameters,
// call the BackupService with the peer as actor, render its result as JSON.
// Thread-safety: the methods are safe from any thread (the service is).
#pragma once

#include <Poco/Dynamic/Var.h>

#include <optional>
#include <string>

#include "backup/service.h"
#include "control/dispatcher.h"
#include "policy/service.h"

namespace sigmad::app {

// The BackupPolicy of policy version `v`, or nullopt if it has none. A policy that
// passed validation always converts; anything else sets *error.
std::optional<backup::BackupSettings> BackupSettingsOf(const policy::StoredVersion& v,
                                                       std::string* error);

// The "backups" object of `status`: target, counts, RPO (age of the newest verified
// backup, against the policy's rpoHours), RTO (the last good drill), next runs.
Poco::Dynamic::Var RecoveryJson(backup::BackupService& service);

void RegisterBackupMethods(control::Dispatcher& dispatcher, backup::BackupService& service);

}  // namespace sigmad::app
