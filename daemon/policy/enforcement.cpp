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
      {"BackupPolicy", "spec.schedule", "backup: scheduler", E::kNotEnforced,
       "the backup module is not built yet"},
      {"BackupPolicy", "spec.target", "backup: writer", E::kNotEnforced,
       "the backup module is not built yet"},
      {"BackupPolicy", "spec.retention", "backup: pruning", E::kNotEnforced,
       "the backup module is not built yet"},
      {"BackupPolicy", "spec.verifyAfterBackup", "backup: verify", E::kNotEnforced,
       "the backup module is not built yet"},
      {"BackupPolicy", "spec.restoreDrill", "backup: drills", E::kNotEnforced,
       "the backup module is not built yet"},
      {"BackupPolicy", "spec.rpoHours", "backup: RPO check and status", E::kNotEnforced,
       "the backup module is not built yet"},
      {"BackupPolicy", "spec.separateSite", "backup: target check", E::kNotEnforced,
       "the backup module is not built yet"},
      // RetentionPolicy
      {"RetentionPolicy", "spec.deleteTenantDataAfterDays", "tenancy: tenant termination",
       E::kNotEnforced, "tenant termination and deletion are not built yet"},
      {"RetentionPolicy", "spec.maxBackupAgeForDeletedDataDays", "backup: pruning",
       E::kNotEnforced, "the backup module is not built yet"},
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
