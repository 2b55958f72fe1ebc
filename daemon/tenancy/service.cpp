#include "tenancy/service.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <array>
#include <sstream>

#include "crypto/random.h"
#include "store/keys.h"
#include "tenancy/names.h"

namespace sigmad::tenancy {
namespace {

using store::KeyBuilder;
using store::KeyReader;
using Time = std::chrono::system_clock::time_point;

// What every tenancy record holds (inside its sealed value).
struct Entry {
  uint64_t id = 0;
  std::string name;
  Time created;
  std::string created_by;
};

std::string EncodeEntry(const Entry& e) {
  Poco::JSON::Object o;
  o.set("name", e.name);
  o.set("created_ms",
        std::chrono::duration_cast<std::chrono::milliseconds>(e.created.time_since_epoch())
            .count());
  o.set("created_by", e.created_by);
  std::ostringstream out;
  o.stringify(out);
  return out.str();
}

Result<Entry> DecodeEntry(uint64_t id, std::string_view text, const std::string& table) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(std::string(text)).extract<Poco::JSON::Object::Ptr>();
    Entry e;
    e.id = id;
    e.name = o->getValue<std::string>("name");
    e.created = Time(std::chrono::milliseconds(o->getValue<long long>("created_ms")));
    e.created_by = o->getValue<std::string>("created_by");
    return e;
  } catch (const Poco::Exception& ex) {
    return Status::Error("integrity", "a '" + table + "' record is malformed: " + ex.displayText());
  }
}

// The id in the last 8 bytes of a key.
uint64_t LastId(std::string_view key) {
  KeyReader r(key.substr(key.size() - 8));
  return r.U64().value_or(0);
}

// A new record's entry: a fresh id, the time (to the millisecond, as stored), the actor.
Result<Entry> NewEntry(std::string name, const Actor& actor, Time now) {
  auto id = crypto::RandomId();
  if (!id.ok()) return id.status();
  Entry e;
  e.id = id.value();
  e.name = std::move(name);
  e.created = std::chrono::floor<std::chrono::milliseconds>(now);
  e.created_by = actor.name;
  return e;
}

// The entry named `name` (case-insensitively) among the keys under `prefix`.
Result<std::optional<Entry>> FindByName(const store::Vault& vault, const store::ReadTxn& txn,
                                        const store::Table& table, std::string_view prefix,
                                        std::string_view name) {
  std::optional<Entry> found;
  const std::string folded = FoldName(name);
  Status s = vault.Scan(txn, table, prefix,
                        [&](std::string_view key, std::string_view plain, bool* stop) -> Status {
                          auto e = DecodeEntry(LastId(key), plain, table.dbi.name());
                          if (!e.ok()) return e.status();
                          if (FoldName(e.value().name) == folded) {
                            found = std::move(e).value();
                            *stop = true;
                          }
                          return Status::Ok();
                        });
  if (!s.ok()) return s;
  return found;
}

Result<std::vector<Entry>> ListEntries(const store::Vault& vault, const store::ReadTxn& txn,
                                       const store::Table& table, std::string_view prefix) {
  std::vector<Entry> out;
  Status s = vault.Scan(txn, table, prefix,
                        [&](std::string_view key, std::string_view plain, bool*) -> Status {
                          auto e = DecodeEntry(LastId(key), plain, table.dbi.name());
                          if (!e.ok()) return e.status();
                          out.push_back(std::move(e).value());
                          return Status::Ok();
                        });
  if (!s.ok()) return s;
  std::sort(out.begin(), out.end(),
            [](const Entry& a, const Entry& b) { return FoldName(a.name) < FoldName(b.name); });
  return out;
}

Result<size_t> CountUnder(const store::ReadTxn& txn, const store::Table& table,
                          std::string_view prefix) {
  size_t n = 0;
  Status s = txn.ForEach(table.dbi, prefix, [&](std::string_view, std::string_view, bool*) {
    ++n;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return n;
}

Status NotFound(const char* kind, std::string_view path) {
  return Status::Error("not_found", std::string(kind) + " '" + std::string(path) +
                                        "' does not exist");
}

using TablePath = std::array<const store::Table*, 3>;  // tenants, projects, tasks

// The entries a path names: parts[0] a tenant, parts[1] one of its projects, parts[2]
// one of that project's tasks (as many as `parts` holds). A missing one is "not_found"
// naming the path up to it.
Result<std::vector<Entry>> Locate(const store::Vault& vault, const store::ReadTxn& txn,
                                  const TablePath& tables, const std::vector<std::string>& parts) {
  static const char* kinds[] = {"tenant", "project", "task"};
  std::vector<Entry> found;
  std::string prefix, path;
  for (size_t i = 0; i < parts.size() && i < tables.size(); ++i) {
    path += (i ? "/" : "") + parts[i];
    auto e = FindByName(vault, txn, *tables[i], prefix, parts[i]);
    if (!e.ok()) return e.status();
    if (!e.value()) return NotFound(kinds[i], path);
    prefix += KeyBuilder().U64(e.value()->id).Build();
    found.push_back(std::move(*e.value()));
  }
  return found;
}

// Passes `s` up, keeping it in *refused when it refuses the request (a name not found)
// rather than reporting a failing store.
Status Note(Status s, Status* refused) {
  if (s.code() == "not_found") *refused = s;
  return s;
}

}  // namespace

Result<std::unique_ptr<TenancyService>> TenancyService::Open(store::Vault& vault,
                                                              audit::AuditLog& audit,
                                                              const Clock& clock) {
  auto tenants = vault.OpenTable("tenants", store::Owner::kTenantFirst);
  if (!tenants.ok()) return tenants.status();
  auto projects = vault.OpenTable("projects", store::Owner::kTenantFirst);
  if (!projects.ok()) return projects.status();
  auto tasks = vault.OpenTable("tasks", store::Owner::kTenantFirst);
  if (!tasks.ok()) return tasks.status();
  Tables t{tenants.value(), projects.value(), tasks.value()};
  return std::unique_ptr<TenancyService>(new TenancyService(vault, audit, clock, t));
}

audit::Fields AuditFields(const Clock& clock, const Actor& actor, std::string_view tenant,
                          std::string_view action, std::string_view target, std::string outcome) {
  audit::Fields f;
  f.time = clock.Now();
  f.actor = actor.name;
  f.source = actor.source;
  f.tenant = tenant;
  f.action = action;
  f.target = target;
  f.outcome = std::move(outcome);
  return f;
}

Status AuditRefusal(audit::AuditLog& audit, const Clock& clock, const Actor& actor,
                    std::string_view tenant, std::string_view action, std::string_view target,
                    Status why) {
  const bool printable = why.code() != "invalid_name";
  if (Status a = audit.Append(AuditFields(clock, actor, printable ? tenant : "", action,
                                          printable ? target : "(invalid name)",
                                          audit::ErrorOutcome(why.code())));
      !a.ok()) {
    return a;
  }
  return why;
}

audit::Fields TenancyService::Fields(const Actor& actor, std::string_view tenant,
                                     std::string_view action, std::string_view target,
                                     std::string outcome) const {
  return AuditFields(clock_, actor, tenant, action, target, std::move(outcome));
}

Status TenancyService::Refuse(const Actor& actor, std::string_view tenant, std::string_view action,
                              std::string_view target, Status why) {
  return AuditRefusal(audit_, clock_, actor, tenant, action, target, std::move(why));
}

Result<TenantInfo> TenancyService::CreateTenant(const Actor& actor, std::string_view name) {
  constexpr std::string_view kAction = "tenant.create";
  if (Status s = ValidateName(Kind::kTenant, name); !s.ok()) {
    return Refuse(actor, "", kAction, "", s);
  }
  auto made = NewEntry(std::string(name), actor, clock_.Now());
  if (!made.ok()) return made.status();
  Entry& e = made.value();
  Status refused;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    refused = Status::Ok();
    auto existing = FindByName(vault_, txn, t_.tenants, "", name);
    if (!existing.ok()) return existing.status();
    if (existing.value()) {
      refused = Status::Error("exists", "tenant '" + existing.value()->name + "' already exists");
      return refused;
    }
    if (Status k = vault_.CreateTenantKey(txn, e.id); !k.ok()) return k;
    const std::string key = KeyBuilder().U64(e.id).Build();
    if (Status p = vault_.Put(txn, t_.tenants, key, e.id, EncodeEntry(e), store::PutMode::kNoOverwrite);
        !p.ok()) {
      return p;
    }
    return a.Append(Fields(actor, e.name, kAction, e.name, std::string(audit::kOutcomeOk)));
  });
  if (!s.ok()) {
    vault_.DiscardTenantKeys(e.id);
    if (!refused.ok()) return Refuse(actor, name, kAction, name, refused);
    return s;
  }
  TenantInfo info;
  info.id = e.id;
  info.name = e.name;
  info.created = e.created;
  info.created_by = e.created_by;
  info.key_term = vault_.keyring().CurrentTerm(e.id).value_or(0);
  return info;
}

Result<TenantInfo> TenancyService::FindTenant(std::string_view name) const {
  if (Status s = ValidateName(Kind::kTenant, name); !s.ok()) return s;
  TenantInfo info;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto t = FindByName(vault_, txn, t_.tenants, "", name);
    if (!t.ok()) return t.status();
    if (!t.value()) return NotFound("tenant", name);
    info.id = t.value()->id;
    info.name = t.value()->name;
    info.created = t.value()->created;
    info.created_by = t.value()->created_by;
    info.key_term = vault_.keyring().CurrentTerm(info.id).value_or(0);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return info;
}

Result<std::vector<TenantInfo>> TenancyService::ListTenants() const {
  std::vector<TenantInfo> out;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    out.clear();
    auto entries = ListEntries(vault_, txn, t_.tenants, "");
    if (!entries.ok()) return entries.status();
    for (auto& e : entries.value()) {
      auto projects = CountUnder(txn, t_.projects, KeyBuilder().U64(e.id).Build());
      if (!projects.ok()) return projects.status();
      out.push_back({e.id, e.name, e.created, e.created_by, projects.value(),
                     vault_.keyring().CurrentTerm(e.id).value_or(0)});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<TenantInfo> TenancyService::ShowTenant(std::string_view name,
                                              std::vector<ProjectInfo>* projects) const {
  if (Status s = ValidateName(Kind::kTenant, name); !s.ok()) return s;
  TenantInfo info;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto tenant = FindByName(vault_, txn, t_.tenants, "", name);
    if (!tenant.ok()) return tenant.status();
    if (!tenant.value()) return NotFound("tenant", name);
    const Entry& t = *tenant.value();
    const std::string prefix = KeyBuilder().U64(t.id).Build();
    auto entries = ListEntries(vault_, txn, t_.projects, prefix);
    if (!entries.ok()) return entries.status();
    projects->clear();
    for (auto& p : entries.value()) {
      auto tasks = CountUnder(txn, t_.tasks, KeyBuilder().U64(t.id).U64(p.id).Build());
      if (!tasks.ok()) return tasks.status();
      projects->push_back({p.id, t.name, p.name, p.created, p.created_by, tasks.value()});
    }
    info = {t.id, t.name, t.created, t.created_by, projects->size(),
            vault_.keyring().CurrentTerm(t.id).value_or(0)};
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return info;
}

Result<ProjectInfo> TenancyService::CreateProject(const Actor& actor, std::string_view path) {
  constexpr std::string_view kAction = "project.create";
  auto parts = ParsePath(path, 2);
  if (!parts.ok()) return Refuse(actor, "", kAction, "", parts.status());
  const std::string& tenant_name = parts.value()[0];
  auto made = NewEntry(std::string(parts.value()[1]), actor, clock_.Now());
  if (!made.ok()) return made.status();
  Entry& e = made.value();
  ProjectInfo info;
  Status refused;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    refused = Status::Ok();
    auto found = Locate(vault_, txn, Path(), {tenant_name});
    if (!found.ok()) return Note(found.status(), &refused);
    const Entry& t = found.value()[0];
    const std::string prefix = KeyBuilder().U64(t.id).Build();
    auto existing = FindByName(vault_, txn, t_.projects, prefix, e.name);
    if (!existing.ok()) return existing.status();
    if (existing.value()) {
      return refused = Status::Error("exists", "project '" + t.name + "/" +
                                                   existing.value()->name + "' already exists");
    }
    const std::string key = KeyBuilder().U64(t.id).U64(e.id).Build();
    if (Status p = vault_.Put(txn, t_.projects, key, t.id, EncodeEntry(e), store::PutMode::kNoOverwrite);
        !p.ok()) {
      return p;
    }
    info = {e.id, t.name, e.name, e.created, e.created_by, 0};
    return a.Append(Fields(actor, t.name, kAction, t.name + "/" + e.name,
                           std::string(audit::kOutcomeOk)));
  });
  if (!refused.ok()) return Refuse(actor, tenant_name, kAction, path, refused);
  if (!s.ok()) return s;
  return info;
}

Result<std::vector<ProjectInfo>> TenancyService::ListProjects(std::string_view tenant) const {
  std::vector<ProjectInfo> projects;
  auto t = ShowTenant(tenant, &projects);
  if (!t.ok()) return t.status();
  return projects;
}

Result<Deleted> TenancyService::DeleteProject(const Actor& actor, std::string_view path,
                                              bool force) {
  constexpr std::string_view kAction = "project.delete";
  auto parts = ParsePath(path, 2);
  if (!parts.ok()) return Refuse(actor, "", kAction, "", parts.status());
  const std::string& tenant_name = parts.value()[0];
  Deleted done;
  Status refused;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    refused = Status::Ok();
    auto found = Locate(vault_, txn, Path(), parts.value());
    if (!found.ok()) return Note(found.status(), &refused);
    const Entry& t = found.value()[0];
    const Entry& p = found.value()[1];
    done.path = t.name + "/" + p.name;
    const std::string tasks_prefix = KeyBuilder().U64(t.id).U64(p.id).Build();
    auto tasks = CountUnder(txn, t_.tasks, tasks_prefix);
    if (!tasks.ok()) return tasks.status();
    std::string holds;  // "3 tasks, 1 dataset"
    if (tasks.value() > 0) {
      holds = std::to_string(tasks.value()) + " task" + (tasks.value() == 1 ? "" : "s");
    }
    done.data_deleted = 0;
    for (const auto& [what, data] : project_data_) {
      auto n = data(txn, t.id, p.id, /*remove=*/false);
      if (!n.ok()) return n.status();
      if (n.value() == 0) continue;
      holds += (holds.empty() ? "" : ", ") + std::to_string(n.value()) + " " + what +
               (n.value() == 1 ? "" : "s");
      done.data_deleted += n.value();
    }
    if (!holds.empty() && !force) {
      return refused = Status::Error("not_empty", "project '" + done.path + "' has " + holds +
                                                      "; delete them first or use --force");
    }
    for (const auto& [what, data] : project_data_) {
      if (auto n = data(txn, t.id, p.id, /*remove=*/true); !n.ok()) return n.status();
    }
    auto removed = txn.DeletePrefix(t_.tasks.dbi, tasks_prefix);
    if (!removed.ok()) return removed.status();
    done.tasks_deleted = removed.value();
    auto gone = txn.Delete(t_.projects.dbi, KeyBuilder().U64(t.id).U64(p.id).Build());
    if (!gone.ok()) return gone.status();
    audit::Fields f = Fields(actor, t.name, kAction, done.path, std::string(audit::kOutcomeOk));
    if (!holds.empty()) f.details = "forced; deleted with it: " + holds;
    return a.Append(f);
  });
  if (!refused.ok()) return Refuse(actor, tenant_name, kAction, path, refused);
  if (!s.ok()) return s;
  return done;
}

void TenancyService::AddProjectData(std::string what, ProjectData data) {
  project_data_.emplace_back(std::move(what), std::move(data));
}

Result<std::pair<uint64_t, ProjectInfo>> TenancyService::FindProject(
    std::string_view tenant, std::string_view project) const {
  std::vector<ProjectInfo> projects;
  auto t = ShowTenant(tenant, &projects);
  if (!t.ok()) return t.status();
  for (ProjectInfo& p : projects) {
    if (FoldName(p.name) == FoldName(project)) return std::make_pair(t.value().id, std::move(p));
  }
  return NotFound("project", t.value().name + "/" + std::string(project));
}

Status TenancyService::CheckProject(const store::ReadTxn& txn, uint64_t tenant,
                                    uint64_t project) const {
  auto got = txn.Get(t_.projects.dbi, KeyBuilder().U64(tenant).U64(project).Build());
  if (!got.ok()) return got.status();
  if (!got.value()) return Status::Error("not_found", "the project was deleted");
  return Status::Ok();
}

Result<TaskInfo> TenancyService::CreateTask(const Actor& actor, std::string_view path) {
  constexpr std::string_view kAction = "task.create";
  auto parts = ParsePath(path, 3);
  if (!parts.ok()) return Refuse(actor, "", kAction, "", parts.status());
  const std::string& tenant_name = parts.value()[0];
  auto made = NewEntry(std::string(parts.value()[2]), actor, clock_.Now());
  if (!made.ok()) return made.status();
  Entry& e = made.value();
  TaskInfo info;
  Status refused;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    refused = Status::Ok();
    auto found = Locate(vault_, txn, Path(), {tenant_name, parts.value()[1]});
    if (!found.ok()) return Note(found.status(), &refused);
    const Entry& t = found.value()[0];
    const Entry& p = found.value()[1];
    const std::string prefix = KeyBuilder().U64(t.id).U64(p.id).Build();
    auto existing = FindByName(vault_, txn, t_.tasks, prefix, e.name);
    if (!existing.ok()) return existing.status();
    if (existing.value()) {
      return refused = Status::Error("exists", "task '" + t.name + "/" + p.name + "/" +
                                                   existing.value()->name + "' already exists");
    }
    const std::string key = KeyBuilder().U64(t.id).U64(p.id).U64(e.id).Build();
    if (Status put = vault_.Put(txn, t_.tasks, key, t.id, EncodeEntry(e), store::PutMode::kNoOverwrite);
        !put.ok()) {
      return put;
    }
    info = {e.id, t.name, p.name, e.name, e.created, e.created_by};
    return a.Append(Fields(actor, t.name, kAction, t.name + "/" + p.name + "/" + e.name,
                           std::string(audit::kOutcomeOk)));
  });
  if (!refused.ok()) return Refuse(actor, tenant_name, kAction, path, refused);
  if (!s.ok()) return s;
  return info;
}

Result<std::vector<TaskInfo>> TenancyService::ListTasks(std::string_view project_path) const {
  auto parts = ParsePath(project_path, 2);
  if (!parts.ok()) return parts.status();
  std::vector<TaskInfo> out;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto found = Locate(vault_, txn, Path(), parts.value());
    if (!found.ok()) return found.status();
    const Entry& t = found.value()[0];
    const Entry& p = found.value()[1];
    auto entries = ListEntries(vault_, txn, t_.tasks, KeyBuilder().U64(t.id).U64(p.id).Build());
    if (!entries.ok()) return entries.status();
    for (auto& e : entries.value()) {
      out.push_back({e.id, t.name, p.name, e.name, e.created, e.created_by});
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<Deleted> TenancyService::DeleteTask(const Actor& actor, std::string_view path, bool force) {
  constexpr std::string_view kAction = "task.delete";
  (void)force;  // tasks hold no data yet (see the header)
  auto parts = ParsePath(path, 3);
  if (!parts.ok()) return Refuse(actor, "", kAction, "", parts.status());
  const std::string& tenant_name = parts.value()[0];
  Deleted done;
  Status refused;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    refused = Status::Ok();
    auto found = Locate(vault_, txn, Path(), parts.value());
    if (!found.ok()) return Note(found.status(), &refused);
    const Entry& t = found.value()[0];
    const Entry& p = found.value()[1];
    const Entry& k = found.value()[2];
    done.path = t.name + "/" + p.name + "/" + k.name;
    auto gone = txn.Delete(t_.tasks.dbi, KeyBuilder().U64(t.id).U64(p.id).U64(k.id).Build());
    if (!gone.ok()) return gone.status();
    return a.Append(Fields(actor, t.name, kAction, done.path, std::string(audit::kOutcomeOk)));
  });
  if (!refused.ok()) return Refuse(actor, tenant_name, kAction, path, refused);
  if (!s.ok()) return s;
  return done;
}

}  // namespace sigmad::tenancy
