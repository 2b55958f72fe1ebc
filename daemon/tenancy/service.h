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
#include <memory>
#include <string>
#include <string_view>
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
};

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
  // A project with tasks is refused ("not_empty") unless force; force deletes its tasks.
  Result<Deleted> DeleteProject(const Actor& actor, std::string_view path, bool force);

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
};

}  // namespace sigmad::tenancy
