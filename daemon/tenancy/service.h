// TenancyService: tenants, their projects and the projects' tasks, kept in the trusted
// store. Every tenant gets its own data key when it is created; its records and
// everything later stored for it are sealed with that key.
//
// Tables (keys are random 64-bit ids, never names; names live inside sealed values):
//   tenants   tenant                   -> {"name","created_ms","created_by"}
//   projects  tenant | project         -> {"name","created_ms","created_by"}
//   tasks     tenant | project | task  -> {"name","created_ms","created_by"}
// Names are looked up by scanning and opening a tenant's few records, which keeps them
// out of keys entirely.
//
// Every change and every refused change is audited: a change writes its record in the
// same transaction; a refusal (bad name, duplicate, not found, non-empty without force)
// appends a record with outcome "error:<code>" and changes nothing else.
//
// Thread-safety: every method may be called from any thread; writes are serialised by
// the audit log.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/log.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/vault.h"

namespace sigmad::tenancy {

// Who asks, for the audit record: "uid=0(root)" and "control".
struct Actor {
  std::string name;
  std::string source;
};

// The audit record of `actor` doing `action` on `target` in `tenant`, at clock.Now().
audit::Fields AuditFields(const Clock& clock, const Actor& actor, std::string_view tenant,
                          std::string_view action, std::string_view target, std::string outcome);
// Audits a refused request (outcome "error:<code>"; with code "invalid_name" the
// tenant and target stay out of the record, as they may hold anything) and returns
// `why`, or the audit log's error: what cannot be audited is not done either.
Status AuditRefusal(audit::AuditLog& audit, const Clock& clock, const Actor& actor,
                    std::string_view tenant, std::string_view action, std::string_view target,
                    Status why);

struct TenantInfo {
  uint64_t id = 0;
  std::string name;
  std::chrono::system_clock::time_point created;
  std::string created_by;
  size_t projects = 0;
  uint32_t key_term = 0;
};

struct ProjectInfo {
  uint64_t id = 0;
  std::string tenant, name;
  std::chrono::system_clock::time_point created;
  std::string created_by;
  size_t tasks = 0;
};

struct TaskInfo {
  uint64_t id = 0;
  std::string tenant, project, name;
  std::chrono::system_clock::time_point created;
  std::string created_by;
};

struct Deleted {
  std::string path;
  size_t tasks_deleted = 0;
  size_t data_deleted = 0;  // records other modules keep under the project (datasets)
};

// What another module keeps under a project (DatasetService: its datasets). Called in
// project.delete's write transaction: returns how many records it has there and, when
// `remove`, deletes them in that transaction.
using ProjectData = std::function<Result<size_t>(store::WriteTxn& txn, uint64_t tenant,
                                                 uint64_t project, bool remove)>;

class TenancyService {
 public:
  static Result<std::unique_ptr<TenancyService>> Open(store::Vault& vault, audit::AuditLog& audit,
                                                      const Clock& clock);

  // Errors: "invalid_name", "exists", "not_found", "not_empty", or the store's.
  Result<TenantInfo> CreateTenant(const Actor& actor, std::string_view name);
  // The id of the tenant named `name` ("not_found", "invalid_name").
  Result<TenantInfo> FindTenant(std::string_view name) const;
  Result<std::vector<TenantInfo>> ListTenants() const;
  Result<TenantInfo> ShowTenant(std::string_view name, std::vector<ProjectInfo>* projects) const;

  Result<ProjectInfo> CreateProject(const Actor& actor, std::string_view path);
  Result<std::vector<ProjectInfo>> ListProjects(std::string_view tenant) const;
  // A project with tasks or data is refused ("not_empty") unless force; force deletes
  // them with it, in the same transaction.
  Result<Deleted> DeleteProject(const Actor& actor, std::string_view path, bool force);
  // Registers what another module keeps under projects; call before serving.
  void AddProjectData(std::string what, ProjectData data);
  // The project `project` of tenant `tenant` (names), with both ids: "not_found",
  // "invalid_name". ProjectInfo::tenant is the tenant's name as created.
  Result<std::pair<uint64_t, ProjectInfo>> FindProject(std::string_view tenant,
                                                       std::string_view project) const;
  // Ok if the project exists, seen from inside a transaction; "not_found" otherwise.
  Status CheckProject(const store::ReadTxn& txn, uint64_t tenant, uint64_t project) const;

  Result<TaskInfo> CreateTask(const Actor& actor, std::string_view path);
  Result<std::vector<TaskInfo>> ListTasks(std::string_view project_path) const;
  // Tasks hold no data yet; `force` will be needed once they do (datasets, models).
  Result<Deleted> DeleteTask(const Actor& actor, std::string_view path, bool force);

 private:
  struct Tables {
    store::Table tenants, projects, tasks;
  };
  TenancyService(store::Vault& vault, audit::AuditLog& audit, const Clock& clock, Tables t)
      : vault_(vault), audit_(audit), clock_(clock), t_(t) {}

  // The tables a TENANT/PROJECT/TASK path walks through, in that order.
  std::array<const store::Table*, 3> Path() const {
    return {&t_.tenants, &t_.projects, &t_.tasks};
  }
  // Audits a refused operation and returns its status.
  Status Refuse(const Actor& actor, std::string_view tenant, std::string_view action,
                std::string_view target, Status why);
  audit::Fields Fields(const Actor& actor, std::string_view tenant, std::string_view action,
                       std::string_view target, std::string outcome) const;

  store::Vault& vault_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  Tables t_;
  std::vector<std::pair<std::string, ProjectData>> project_data_;  // set before serving
};

}  // namespace sigmad::tenancy
