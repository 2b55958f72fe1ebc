#include "policy/enforcement.h"

namespace sigmad::policy {

const char* EnforcementName(Enforcement e) {
  return e == Enforcement::kEnforced ? "enforced" : "not enforced";
}

const std::vector<EnforcementPoint>& EnforcementRegistry() {
  using E = Enforcement;
  static const std::vector<EnforcementPoint> registry = {
      // SecurityPolicy
      {"SecurityPolicy", "spec.adminGroup", "control: control-socket access (control/peer.cpp)",
       E::kEnforced,
       "members of this group (with root and sigmad's own user) may use sigmactl; set on "
       "every activation, overriding control.admin_group in sigmad.yaml"},
      {"SecurityPolicy", "spec.logTimezone", "common: log lines and audit records (time_format)",
       E::kEnforced, "every timestamp is written in UTC; UTC is the only accepted value"},
      {"SecurityPolicy", "spec.passwords", "api: user accounts", E::kNotEnforced,
       "the HTTPS API and its user accounts are not built yet"},
      {"SecurityPolicy", "spec.lockout", "api: login", E::kNotEnforced,
       "the HTTPS API is not built yet"},
      {"SecurityPolicy", "spec.sessions", "api: sessions", E::kNotEnforced,
       "the HTTPS API is not built yet"},
      {"SecurityPolicy", "spec.tokens", "api: tokens", E::kNotEnforced,
       "the HTTPS API is not built yet"},
      {"SecurityPolicy", "spec.tls", "api: TLS listener", E::kNotEnforced,
       "the HTTPS API is not built yet"},
      {"SecurityPolicy", "spec.network", "api: client address check", E::kNotEnforced,
       "the HTTPS API is not built yet"},
      // EncryptionPolicy
      {"EncryptionPolicy", "spec.algorithm", "crypto: sealing of every stored value (aead.cpp)",
       E::kEnforced, "every value is sealed with AES-256-GCM; the only accepted value"},
      {"EncryptionPolicy", "spec.dataKeyRotationDays", "keys: rotation check (keys/service.cpp)",
       E::kEnforced,
       "a data key older than this is rotated automatically (new values under a new term) "
       "and key status marks it overdue until then"},
      {"EncryptionPolicy", "spec.masterKeyRotationDays", "keys: master key age (keys/service.cpp)",
       E::kEnforced,
       "key status marks an older master key OVERDUE and sigmad warns daily; rotating needs "
       "a new key file (key rotate-master), so it is never automatic"},
      // BackupPolicy
      {"BackupPolicy", "spec.schedule", "backup: scheduler (backup/service.cpp)", E::kEnforced,
       "sigmad itself starts a backup at this UTC time on these days (no cron), then prunes; "
       "sigmactl backup run starts one at any time"},
      {"BackupPolicy", "spec.target", "backup: writer (backup/archive.cpp)", E::kEnforced,
       "backups are written to this directory, which must exist (dev mode: DEVDIR/backups "
       "instead); its free space is checked before each backup"},
      {"BackupPolicy", "spec.retention", "backup: pruning (backup/retention.cpp)", E::kEnforced,
       "applied after every backup and at every scheduled time, even when the backup failed; "
       "every deletion is audited; sigmactl backup prune --dry-run shows the plan"},
      {"BackupPolicy", "spec.verifyAfterBackup", "backup: verify (backup/service.cpp)",
       E::kEnforced,
       "each new backup is decrypted into scratch, hashed, opened read-only and every sealed "
       "value and data key opened; the result is recorded and shown by backup list"},
      {"BackupPolicy", "spec.restoreDrill", "backup: drills (backup/service.cpp)", E::kEnforced,
       "at this UTC time the newest backup is restored into scratch and verified; the time it "
       "took is recorded (the RTO shown by sigmactl status)"},
      {"BackupPolicy", "spec.rpoHours", "backup: RPO in status", E::kEnforced,
       "sigmactl status shows the age of the newest verified backup against this and says "
       "when it is exceeded"},
      {"BackupPolicy", "spec.separateSite", "backup: target check (backup/service.cpp)",
       E::kEnforced,
       "with true, a backup is refused when the target is on the store's own file system "
       "(same device); not checked in dev mode"},
      // RetentionPolicy
      {"RetentionPolicy", "spec.deleteTenantDataAfterDays", "tenancy: tenant termination",
       E::kNotEnforced, "tenant termination and deletion are not built yet"},
      {"RetentionPolicy", "spec.maxBackupAgeForDeletedDataDays", "backup: pruning", E::kNotEnforced,
       "the backup module is not built yet"},
      {"RetentionPolicy", "spec.auditLogRetentionDays",
       "audit: retention pruning (audit/log.cpp AuditLog::Prune)", E::kEnforced,
       "hourly, records older than this are removed up to the next checkpoint, behind an "
       "audit.prune record, so the rest still verifies; a log that does not verify is not "
       "pruned"},
      // AccessPolicy
      {"AccessPolicy", "spec.defaultDecision", "api: authorization", E::kNotEnforced,
       "roles apply to HTTPS API users, not built yet; the control socket is admin-only"},
      {"AccessPolicy", "spec.roles", "api: authorization", E::kNotEnforced,
       "the HTTPS API is not built yet"},
      {"AccessPolicy", "spec.bindings", "api: authorization", E::kNotEnforced,
       "the HTTPS API is not built yet"},
      // The modules that act on these come later.
      {"StatusPagePolicy", "spec.public", "status page", E::kNotEnforced, "not built yet"},
      {"StatusPagePolicy", "spec.components", "status page", E::kNotEnforced, "not built yet"},
      {"StatusPagePolicy", "spec.showIncidentHistoryDays", "status page", E::kNotEnforced,
       "not built yet"},
      {"NotificationPolicy", "spec.incidentNotifyWithinHours", "notifications", E::kNotEnforced,
       "not built yet"},
      {"NotificationPolicy", "spec.channels", "notifications", E::kNotEnforced, "not built yet"},
      {"NotificationPolicy", "spec.notifyOn", "notifications", E::kNotEnforced, "not built yet"},
      {"MaintenancePolicy", "spec.windows", "maintenance", E::kNotEnforced, "not built yet"},
      {"MaintenancePolicy", "spec.noticeBusinessDays", "maintenance", E::kNotEnforced,
       "not built yet"},
      {"MaintenancePolicy", "spec.monthlyBudgetHours", "maintenance", E::kNotEnforced,
       "not built yet"},
      {"MaintenancePolicy", "spec.maxConsecutiveOutageHours", "maintenance", E::kNotEnforced,
       "not built yet"},
  };
  return registry;
}

}  // namespace sigmad::policy
