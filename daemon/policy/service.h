// PolicyService: the policy sets sigmad enforces, kept as numbered versions in the
// trusted store (table "policies", sealed under the system key).
//
//   Apply          checks a set (policy/set.h) and, if it is valid and differs from the
//                  active set (by SetHash: comments and layout do not count), stores it
//                  as the next version, which becomes the active one. The version and
//                  its audit record ("policy.apply") are one transaction. A refused set
//                  is audited too, and changes nothing.
//   LoadDirectory  what sigmad does on start and on SIGHUP with policies.d: applies the
//                  directory's set if it is valid and its contents changed since the
//                  last time the directory was loaded (so a later `policy apply` or
//                  rollback is not undone by a restart); an invalid directory leaves
//                  the active set as it is.
//   Active, Version, History  read the versions back, files verbatim.
// Versions are never changed or deleted; a rollback (later) is a new version.
// Thread-safety: any thread; applies are serialised.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/log.h"
#include "common/clock.h"
#include "policy/plan.h"
#include "policy/set.h"
#include "store/vault.h"
#include "tenancy/service.h"

namespace sigmad::policy {

using Files = std::vector<std::pair<std::string, std::string>>;  // (name, text)

struct VersionInfo {
  uint64_t version = 0;
  std::chrono::system_clock::time_point applied_at;
  std::string actor, source, hash;
  std::vector<std::string> kinds;  // of its documents, sorted
};

struct StoredVersion {
  VersionInfo info;
  Files files;
};

struct Applied {
  VersionInfo info;      // the new version, or the active one when nothing changed
  bool changed = false;  // false: the set equals the active one; no version was made
};

struct PlanResult {
  std::vector<Diagnostic> errors;  // non-empty: the set is invalid, no plan
  uint64_t active_version = 0;     // 0: no set is active
  std::string active_hash, new_hash, plan_hash;
  std::vector<Change> changes;
};

struct DirectoryLoad {
  std::vector<Diagnostic> errors;  // non-empty: invalid, nothing applied
  std::vector<Diagnostic> warnings;  // of a valid set: applied all the same
  bool unchanged = false;          // same contents as the last load of a directory
  std::optional<Applied> applied;  // set when the set was applied (changed or not)
};

class PolicyService {
 public:
  static Result<std::unique_ptr<PolicyService>> Open(store::Vault& vault, audit::AuditLog& audit,
                                                    const Clock& clock);

  // `source` says where the files came from, for history and audit ("policies.d
  // /etc/sigmad/policies.d", "apply /home/x/set"). Error "invalid" lists the problems
  // (each FILE:LINE:COL: message, one per line) when the set does not validate.
  // With `plan_hash` (from Plan), refuses with "plan_changed" unless the active set
  // and `files` are still what was planned.
  Result<Applied> Apply(const tenancy::Actor& actor, const std::string& source,
                        const Files& files, const std::string& plan_hash = "");

  // What Apply(files) would change. Errors only for store failures.
  Result<PlanResult> Plan(const Files& files) const;

  // A new version equal to `version` ("not_found" if there is none); nothing changes
  // if that set is the active one.
  Result<Applied> Rollback(const tenancy::Actor& actor, uint64_t version);

  Result<DirectoryLoad> LoadDirectory(const std::filesystem::path& dir);

  Result<std::optional<StoredVersion>> Active() const;
  // Error "not_found" if there is no such version.
  Result<StoredVersion> Version(uint64_t version) const;
  // Oldest first.
  Result<std::vector<VersionInfo>> History() const;

  // Called with each version that becomes active, after it is stored, while applies are
  // held off (so hooks see activations in order). The enforcement points hang here.
  using ActivateFn = std::function<void(const StoredVersion&)>;
  void OnActivate(ActivateFn fn);

 private:
  PolicyService(store::Vault& vault, audit::AuditLog& audit, const Clock& clock,
                store::Table table)
      : vault_(vault), audit_(audit), clock_(clock), table_(std::move(table)) {}

  Result<std::optional<StoredVersion>> Read(uint64_t version) const;
  void AuditRefusal(const tenancy::Actor& actor, const std::string& source,
                    const std::string& outcome, const std::string& why);

  store::Vault& vault_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  const store::Table table_;
  mutable std::mutex apply_mu_;
  uint64_t last_version_ = 0;  // GUARDED_BY(apply_mu_)
  ActivateFn on_activate_;     // GUARDED_BY(apply_mu_)
};

}  // namespace sigmad::policy
