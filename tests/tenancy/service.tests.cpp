#include "tenancy/service.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "audit/codec.h"
#include "audit/log.h"
#include "common/clock.h"
#include "crypto/keyring.h"
#include "store/keys.h"
#include "store/vault.h"
#include "support/temp_dir.h"
#include "tenancy/names.h"

// REQUIRE that reports the Status when it is not ok.
#define REQUIRE_OK(expr) REQUIRE((expr).ToString() == "ok")

namespace {

using namespace sigmad::tenancy;
using Catch::Matchers::Contains;
using sigmad::FakeClock;
using sigmad::Result;
using sigmad::Status;
using sigmad::audit::AuditLog;
using sigmad::audit::Record;
using sigmad::crypto::SecretBytes;
using sigmad::store::EnvOptions;
using sigmad::store::KeyBuilder;
using sigmad::store::Owner;
using sigmad::store::ReadTxn;
using sigmad::store::Table;
using sigmad::store::Vault;
using sigmad::store::WriteTxn;
using sigmad::testing::ReadFile;
using sigmad::testing::TempDir;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Time = std::chrono::system_clock::time_point;

constexpr int64_t kStartMs = 1795417500123;  // whole milliseconds: records keep ms

const Actor kRoot{"uid=0(root)", "control"};
const Actor kOps{"uid=1000(ops)", "control"};

SecretBytes Kek() {
  SecretBytes k(32);
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = static_cast<uint8_t>(0x5A ^ i);
  return k;
}

// The store, its audit log and the service on `dir`; destroyed service first.
struct Fixture {
  Fixture(const fs::path& dir, const FakeClock& clock) {
    EnvOptions options;
    options.dir = dir;
    options.initial_map_bytes = size_t{1} << 20;
    auto v = Vault::Open(options, Kek(), clock);
    INFO(v.status().ToString());
    REQUIRE(v.ok());
    vault = std::move(v).value();
    auto l = AuditLog::Open(*vault);
    INFO(l.status().ToString());
    REQUIRE(l.ok());
    log = std::move(l).value();
    auto s = TenancyService::Open(*vault, *log, clock);
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    svc = std::move(s).value();
  }

  std::unique_ptr<Vault> vault;
  std::unique_ptr<AuditLog> log;
  std::unique_ptr<TenancyService> svc;
};

template <typename T>
T Ok(Result<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::vector<Record> RecordsFrom(const AuditLog& log, uint64_t from) {
  std::vector<Record> out;
  REQUIRE_OK(log.Read(from, [&](const Record& r, bool*) {
    out.push_back(r);
    return Status::Ok();
  }));
  return out;
}

// Runs `op` and returns the one audit record it stored; fails unless there is exactly one.
Record OneRecord(Fixture& f, const std::function<void()>& op) {
  const uint64_t before = f.log->last_seq();
  op();
  CHECK(f.log->last_seq() == before + 1);
  const auto stored = RecordsFrom(*f.log, before + 1);
  REQUIRE(stored.size() == 1);
  return stored[0];
}

// Runs `op` and checks that it stored no audit record.
void NoRecord(Fixture& f, const std::function<void()>& op) {
  const uint64_t before = f.log->last_seq();
  op();
  CHECK(f.log->last_seq() == before);
  CHECK(RecordsFrom(*f.log, before + 1).empty());
}

void CheckRecord(const Record& r, const std::string& action, const std::string& tenant,
                 const std::string& target, const std::string& outcome,
                 const Actor& actor = kRoot) {
  CHECK(r.fields.action == action);
  CHECK(r.fields.tenant == tenant);
  CHECK(r.fields.target == target);
  CHECK(r.fields.outcome == outcome);
  CHECK(r.fields.actor == actor.name);
  CHECK(r.fields.source == actor.source);
}

template <typename T>
void CheckFails(const Result<T>& r, const std::string& code) {
  INFO(r.status().ToString());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == code);
}

std::vector<std::string> TenantNames(const std::vector<TenantInfo>& v) {
  std::vector<std::string> out;
  for (const auto& t : v) out.push_back(t.name);
  return out;
}

template <typename T>
std::vector<std::string> NamesOf(const std::vector<T>& v) {
  std::vector<std::string> out;
  for (const auto& x : v) out.push_back(x.name);
  return out;
}

}  // namespace

TEST_CASE("TenancyService creates, lists and shows tenants, projects and tasks",
          "[tenancy][service]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(dir.path(), clock);
  CHECK(Ok(f.svc->ListTenants()).empty());

  const TenantInfo acme = Ok(f.svc->CreateTenant(kRoot, "acme"));
  CHECK(acme.id != 0);
  CHECK(acme.name == "acme");
  CHECK(acme.created == clock.Now());
  CHECK(acme.created_by == "uid=0(root)");
  CHECK(acme.projects == 0);
  CHECK(acme.key_term == 1u);
  clock.Advance(std::chrono::minutes(1));
  const TenantInfo globex = Ok(f.svc->CreateTenant(kOps, "Globex"));
  CHECK(globex.id != acme.id);
  CHECK(globex.created_by == "uid=1000(ops)");

  const ProjectInfo alpha = Ok(f.svc->CreateProject(kRoot, "acme/alpha"));
  CHECK(alpha.id != 0);
  CHECK(alpha.tenant == "acme");
  CHECK(alpha.name == "alpha");
  CHECK(alpha.tasks == 0);
  CHECK(alpha.created == clock.Now());
  Ok(f.svc->CreateProject(kRoot, "acme/beta"));
  Ok(f.svc->CreateProject(kRoot, "globex/alpha"));  // same name, other tenant: fine

  const TaskInfo t1 = Ok(f.svc->CreateTask(kOps, "acme/alpha/t1"));
  CHECK(t1.tenant == "acme");
  CHECK(t1.project == "alpha");
  CHECK(t1.name == "t1");
  CHECK(t1.created_by == "uid=1000(ops)");
  Ok(f.svc->CreateTask(kRoot, "acme/alpha/t2"));
  Ok(f.svc->CreateTask(kRoot, "acme/beta/t1"));  // same name, other project: fine

  SECTION("ListTenants: sorted by name, with project counts and key terms") {
    const auto tenants = Ok(f.svc->ListTenants());
    REQUIRE(TenantNames(tenants) == std::vector<std::string>{"acme", "Globex"});
    CHECK(tenants[0].id == acme.id);
    CHECK(tenants[0].projects == 2);
    CHECK(tenants[0].key_term == 1u);
    CHECK(tenants[0].created == acme.created);
    CHECK(tenants[0].created_by == "uid=0(root)");
    CHECK(tenants[1].id == globex.id);
    CHECK(tenants[1].projects == 1);
    CHECK(tenants[1].key_term == 1u);
  }
  SECTION("ShowTenant: case-insensitive lookup, projects with task counts") {
    std::vector<ProjectInfo> projects;
    const TenantInfo shown = Ok(f.svc->ShowTenant("ACME", &projects));
    CHECK(shown.id == acme.id);
    CHECK(shown.name == "acme");
    CHECK(shown.projects == 2);
    REQUIRE(NamesOf(projects) == std::vector<std::string>{"alpha", "beta"});
    CHECK(projects[0].id == alpha.id);
    CHECK(projects[0].tenant == "acme");
    CHECK(projects[0].tasks == 2);
    CHECK(projects[1].tasks == 1);
  }
  SECTION("ListProjects and ListTasks") {
    const auto g = Ok(f.svc->ListProjects("globex"));
    REQUIRE(g.size() == 1);
    CHECK(g[0].tenant == "Globex");
    CHECK(g[0].name == "alpha");
    CHECK(g[0].tasks == 0);
    const auto tasks = Ok(f.svc->ListTasks("Acme/Alpha"));
    REQUIRE(NamesOf(tasks) == std::vector<std::string>{"t1", "t2"});
    CHECK(tasks[0].id == t1.id);
    CHECK(tasks[0].tenant == "acme");
    CHECK(tasks[0].project == "alpha");
    CHECK(tasks[0].created_by == "uid=1000(ops)");
    CHECK(Ok(f.svc->ListTasks("acme/beta")).size() == 1);
    CHECK(Ok(f.svc->ListTasks("globex/alpha")).empty());
  }
  SECTION("DeleteTask removes only that task") {
    const Deleted d = Ok(f.svc->DeleteTask(kRoot, "acme/alpha/T1", false));
    CHECK(d.path == "acme/alpha/t1");
    CHECK(NamesOf(Ok(f.svc->ListTasks("acme/alpha"))) == std::vector<std::string>{"t2"});
    CHECK(Ok(f.svc->ListTasks("acme/beta")).size() == 1);
  }
}

TEST_CASE("TenancyService audits each change once, in the same transaction", "[tenancy][service]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(dir.path(), clock);

  Record r = OneRecord(f, [&] { Ok(f.svc->CreateTenant(kRoot, "Acme")); });
  CheckRecord(r, "tenant.create", "Acme", "Acme", "ok");
  CHECK(r.fields.time == clock.Now());
  CHECK_FALSE(r.fields.details.has_value());

  clock.Advance(std::chrono::seconds(5));
  r = OneRecord(f, [&] { Ok(f.svc->CreateProject(kOps, "acme/p1")); });
  CheckRecord(r, "project.create", "Acme", "Acme/p1", "ok", kOps);  // the stored tenant name
  CHECK(r.fields.time == clock.Now());

  r = OneRecord(f, [&] { Ok(f.svc->CreateTask(kRoot, "ACME/P1/job")); });
  CheckRecord(r, "task.create", "Acme", "Acme/p1/job", "ok");

  r = OneRecord(f, [&] { Ok(f.svc->DeleteTask(kRoot, "acme/p1/job", false)); });
  CheckRecord(r, "task.delete", "Acme", "Acme/p1/job", "ok");

  r = OneRecord(f, [&] { Ok(f.svc->DeleteProject(kRoot, "acme/p1", false)); });
  CheckRecord(r, "project.delete", "Acme", "Acme/p1", "ok");
  CHECK_FALSE(r.fields.details.has_value());  // nothing was forced

  // Reads are not audited.
  NoRecord(f, [&] {
    Ok(f.svc->ListTenants());
    std::vector<ProjectInfo> projects;
    Ok(f.svc->ShowTenant("acme", &projects));
    Ok(f.svc->ListProjects("acme"));
  });

  const auto v = f.log->Verify();
  CHECK(v.ok());
  CHECK(v.records_checked == 5);
}

TEST_CASE("TenancyService names compare case-insensitively", "[tenancy][service]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(dir.path(), clock);
  Ok(f.svc->CreateTenant(kRoot, "acme"));
  Ok(f.svc->CreateProject(kRoot, "acme/Alpha"));
  Ok(f.svc->CreateTask(kRoot, "acme/alpha/Build"));

  SECTION("tenant") {
    Record r = OneRecord(f, [&] {
      auto dup = f.svc->CreateTenant(kOps, "ACME");
      CheckFails(dup, "exists");
      CHECK_THAT(dup.status().message(), Contains("'acme'"));
    });
    CheckRecord(r, "tenant.create", "ACME", "ACME", "error:exists", kOps);
    CHECK(TenantNames(Ok(f.svc->ListTenants())) == std::vector<std::string>{"acme"});
  }
  SECTION("project") {
    Record r =
        OneRecord(f, [&] { CheckFails(f.svc->CreateProject(kRoot, "Acme/ALPHA"), "exists"); });
    CheckRecord(r, "project.create", "Acme", "Acme/ALPHA", "error:exists");
    CHECK(Ok(f.svc->ListProjects("acme")).size() == 1);
  }
  SECTION("task") {
    Record r =
        OneRecord(f, [&] { CheckFails(f.svc->CreateTask(kRoot, "acme/alpha/build"), "exists"); });
    CheckRecord(r, "task.create", "acme", "acme/alpha/build", "error:exists");
    CHECK(Ok(f.svc->ListTasks("acme/alpha")).size() == 1);
  }
  SECTION("display keeps the case it was created with") {
    const auto tasks = Ok(f.svc->ListTasks("ACME/ALPHA"));
    REQUIRE(tasks.size() == 1);
    CHECK(tasks[0].project == "Alpha");
    CHECK(tasks[0].name == "Build");
  }
  // The refused duplicates left no key behind for a tenant that was never created.
  CHECK(Ok(f.svc->ListTenants()).size() == 1);
  CHECK(f.log->Verify().ok());
}

TEST_CASE("TenancyService refuses what does not exist, auditing the refusal",
          "[tenancy][service]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(dir.path(), clock);
  Ok(f.svc->CreateTenant(kRoot, "acme"));
  Ok(f.svc->CreateProject(kRoot, "acme/alpha"));
  Ok(f.svc->CreateTask(kRoot, "acme/alpha/t1"));

  struct Case {
    std::string what, action, path, tenant;
    std::function<Status()> op;
  };
  TenancyService& svc = *f.svc;
  const std::vector<Case> cases = {
      {"project in a missing tenant", "project.create", "nope/p", "nope",
       [&] { return svc.CreateProject(kRoot, "nope/p").status(); }},
      {"task in a missing tenant", "task.create", "nope/alpha/t", "nope",
       [&] { return svc.CreateTask(kRoot, "nope/alpha/t").status(); }},
      {"task in a missing project", "task.create", "acme/nope/t", "acme",
       [&] { return svc.CreateTask(kRoot, "acme/nope/t").status(); }},
      {"delete a missing project", "project.delete", "acme/nope", "acme",
       [&] { return svc.DeleteProject(kRoot, "acme/nope", true).status(); }},
      {"delete a project of a missing tenant", "project.delete", "nope/alpha", "nope",
       [&] { return svc.DeleteProject(kRoot, "nope/alpha", true).status(); }},
      {"delete a missing task", "task.delete", "acme/alpha/nope", "acme",
       [&] { return svc.DeleteTask(kRoot, "acme/alpha/nope", false).status(); }},
      {"delete a task of a missing project", "task.delete", "acme/nope/t1", "acme",
       [&] { return svc.DeleteTask(kRoot, "acme/nope/t1", false).status(); }},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const Record r = OneRecord(f, [&] {
      const Status s = c.op();
      CHECK(s.code() == "not_found");
      CHECK_THAT(s.message(), Contains("does not exist"));
    });
    CheckRecord(r, c.action, c.tenant, c.path, "error:not_found");
  }

  // Reads say not_found too, and are not audited.
  NoRecord(f, [&] {
    std::vector<ProjectInfo> projects;
    CheckFails(f.svc->ShowTenant("nope", &projects), "not_found");
    CheckFails(f.svc->ListProjects("nope"), "not_found");
    CheckFails(f.svc->ListTasks("acme/nope"), "not_found");
    CheckFails(f.svc->ListTasks("nope/alpha"), "not_found");
  });

  // Nothing was changed by the refusals.
  CHECK(Ok(f.svc->ListTenants()).size() == 1);
  CHECK(Ok(f.svc->ListProjects("acme")).size() == 1);
  CHECK(Ok(f.svc->ListTasks("acme/alpha")).size() == 1);
  CHECK(f.log->Verify().ok());
}

TEST_CASE("TenancyService refuses invalid names without recording them", "[tenancy][service]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(dir.path(), clock);
  Ok(f.svc->CreateTenant(kRoot, "acme"));
  Ok(f.svc->CreateProject(kRoot, "acme/alpha"));
  Ok(f.svc->CreateTask(kRoot, "acme/alpha/t1"));

  // Every bad name carries the marker "s3cr3t" that must not reach the audit log.
  const std::string long_name = "s3cr3t" + std::string(kMaxNameBytes, 'x');
  TenancyService& svc = *f.svc;
  struct Case {
    std::string what, action;
    std::function<Status()> op;
  };
  const std::vector<Case> cases = {
      {"tenant with a space", "tenant.create",
       [&] { return svc.CreateTenant(kRoot, "s3cr3t token").status(); }},
      {"tenant with a control byte", "tenant.create",
       [&] { return svc.CreateTenant(kRoot, std::string("s3cr3t\x01", 7)).status(); }},
      {"tenant with a line break", "tenant.create",
       [&] { return svc.CreateTenant(kRoot, "s3cr3t\nforged: ok").status(); }},
      {"tenant starting with '-'", "tenant.create",
       [&] { return svc.CreateTenant(kRoot, "-s3cr3t").status(); }},
      {"tenant name too long", "tenant.create",
       [&] { return svc.CreateTenant(kRoot, long_name).status(); }},
      {"empty tenant name", "tenant.create", [&] { return svc.CreateTenant(kRoot, "").status(); }},
      {"tenant name with a slash", "tenant.create",
       [&] { return svc.CreateTenant(kRoot, "acme/s3cr3t").status(); }},
      {"project with a space", "project.create",
       [&] { return svc.CreateProject(kRoot, "acme/s3cr3t token").status(); }},
      {"project path with a tenant only", "project.create",
       [&] { return svc.CreateProject(kRoot, "s3cr3t").status(); }},
      {"project path with three parts", "project.create",
       [&] { return svc.CreateProject(kRoot, "acme/alpha/s3cr3t").status(); }},
      {"task with a bad name", "task.create",
       [&] { return svc.CreateTask(kRoot, "acme/alpha/s3cr3t!").status(); }},
      {"task path too short", "task.create",
       [&] { return svc.CreateTask(kRoot, "acme/s3cr3t").status(); }},
      {"delete a project with a bad name", "project.delete",
       [&] { return svc.DeleteProject(kRoot, "acme/s3cr3t*", true).status(); }},
      {"delete a task with a bad name", "task.delete",
       [&] { return svc.DeleteTask(kRoot, "acme/alpha/s3cr3t?", true).status(); }},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const Record r = OneRecord(f, [&] { CHECK(c.op().code() == "invalid_name"); });
    CheckRecord(r, c.action, "", "(invalid name)", "error:invalid_name");
    CHECK_FALSE(r.fields.details.has_value());
    CHECK(sigmad::audit::EncodeRecord(r).find("s3cr3t") == std::string::npos);
  }

  // Reads refuse them too (not audited).
  NoRecord(f, [&] {
    std::vector<ProjectInfo> projects;
    CheckFails(f.svc->ShowTenant("s3cr3t token", &projects), "invalid_name");
    CheckFails(f.svc->ListProjects(""), "invalid_name");
    CheckFails(f.svc->ListTasks("acme"), "invalid_name");
  });

  CHECK(Ok(f.svc->ListTenants()).size() == 1);
  CHECK(Ok(f.svc->ListProjects("acme")).size() == 1);
  CHECK(Ok(f.svc->ListTasks("acme/alpha")).size() == 1);
  CHECK(f.log->Verify().ok());
}

TEST_CASE("DeleteProject refuses a project with tasks unless forced", "[tenancy][service]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(dir.path(), clock);
  Ok(f.svc->CreateTenant(kRoot, "acme"));
  Ok(f.svc->CreateProject(kRoot, "acme/alpha"));
  Ok(f.svc->CreateProject(kRoot, "acme/beta"));
  Ok(f.svc->CreateProject(kRoot, "acme/empty"));
  Ok(f.svc->CreateTask(kRoot, "acme/alpha/t1"));
  Ok(f.svc->CreateTask(kRoot, "acme/alpha/t2"));
  Ok(f.svc->CreateTask(kRoot, "acme/beta/t1"));

  SECTION("without force: not_empty, nothing deleted") {
    const Record r = OneRecord(f, [&] {
      auto d = f.svc->DeleteProject(kOps, "ACME/alpha", false);
      CheckFails(d, "not_empty");
      CHECK_THAT(d.status().message(), Contains("2 tasks"));
    });
    CheckRecord(r, "project.delete", "ACME", "ACME/alpha", "error:not_empty", kOps);
    CHECK(NamesOf(Ok(f.svc->ListProjects("acme"))) ==
          std::vector<std::string>{"alpha", "beta", "empty"});
    CHECK(NamesOf(Ok(f.svc->ListTasks("acme/alpha"))) == std::vector<std::string>{"t1", "t2"});
  }
  SECTION("with force: the project and its tasks, and only those") {
    Deleted d;
    const Record r = OneRecord(f, [&] { d = Ok(f.svc->DeleteProject(kRoot, "acme/ALPHA", true)); });
    CHECK(d.path == "acme/alpha");
    CHECK(d.tasks_deleted == 2);
    CheckRecord(r, "project.delete", "acme", "acme/alpha", "ok");
    CHECK(r.fields.details == std::optional<std::string>("forced; deleted with it: 2 tasks"));
    CHECK(NamesOf(Ok(f.svc->ListProjects("acme"))) == std::vector<std::string>{"beta", "empty"});
    CheckFails(f.svc->ListTasks("acme/alpha"), "not_found");
    CHECK(Ok(f.svc->ListTasks("acme/beta")).size() == 1);
    // The tasks are gone from the store, not merely unlisted: a new project of the same
    // name starts empty.
    Ok(f.svc->CreateProject(kRoot, "acme/alpha"));
    CHECK(Ok(f.svc->ListTasks("acme/alpha")).empty());
    std::vector<ProjectInfo> projects;
    CHECK(Ok(f.svc->ShowTenant("acme", &projects)).projects == 3);
    size_t all_tasks = 0;
    for (const auto& p : projects) all_tasks += p.tasks;
    CHECK(all_tasks == 1);
  }
  SECTION("an empty project needs no force") {
    Deleted d;
    const Record r =
        OneRecord(f, [&] { d = Ok(f.svc->DeleteProject(kRoot, "acme/empty", false)); });
    CHECK(d.tasks_deleted == 0);
    CheckRecord(r, "project.delete", "acme", "acme/empty", "ok");
    CHECK_FALSE(r.fields.details.has_value());
  }
  CHECK(f.log->Verify().ok());
}

TEST_CASE("Each tenant's records are sealed under its own data key", "[tenancy][service]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(dir.path(), clock);
  const TenantInfo a = Ok(f.svc->CreateTenant(kRoot, "acme"));
  const TenantInfo b = Ok(f.svc->CreateTenant(kRoot, "globex"));
  const ProjectInfo pa = Ok(f.svc->CreateProject(kRoot, "acme/alpha-confidential"));
  Ok(f.svc->CreateProject(kRoot, "globex/gamma"));

  auto& keyring = f.vault->keyring();
  CHECK(keyring.Terms(a.id) == std::vector<uint32_t>{1});
  CHECK(keyring.Terms(b.id) == std::vector<uint32_t>{1});
  auto dek_a = keyring.ExportDataKey(a.id, 1);
  auto dek_b = keyring.ExportDataKey(b.id, 1);
  auto dek_sys = keyring.ExportDataKey(sigmad::crypto::kSystemTenant, 1);
  REQUIRE(dek_a.ok());
  REQUIRE(dek_b.ok());
  REQUIRE(dek_sys.ok());
  auto bytes = [](const SecretBytes& k) {
    return std::string(reinterpret_cast<const char*>(k.data()), k.size());
  };
  CHECK(bytes(dek_a.value()) != bytes(dek_b.value()));
  CHECK(bytes(dek_a.value()) != bytes(dek_sys.value()));

  // A's project, as stored: opens for A only.
  const Table projects = Ok(f.vault->OpenTable("projects", Owner::kTenantFirst));
  const std::string key_a = KeyBuilder().U64(a.id).U64(pa.id).Build();
  std::string sealed;
  REQUIRE_OK(f.vault->env().View([&](ReadTxn& txn) {
    auto v = txn.Get(projects.dbi, key_a);
    if (!v.ok()) return v.status();
    if (!v.value()) return Status::Error("test", "A's project is not stored under its key");
    sealed = std::string(*v.value());
    return Status::Ok();
  }));
  CHECK(sealed.find("alpha-confidential") == std::string::npos);
  std::string plain;
  CHECK(keyring.Open(a.id, sealed, Vault::Aad(projects, key_a, a.id), &plain).ok());
  CHECK_THAT(plain, Contains("alpha-confidential"));
  CHECK(keyring.Open(b.id, sealed, Vault::Aad(projects, key_a, b.id), &plain).code() ==
        "integrity");

  // Copied under B's prefix, it does not show up as B's: listing B fails instead.
  const std::string key_b = KeyBuilder().U64(b.id).U64(pa.id).Build();
  REQUIRE_OK(
      f.vault->env().Update([&](WriteTxn& txn) { return txn.Put(projects.dbi, key_b, sealed); }));
  auto listed = f.svc->ListProjects("globex");
  CheckFails(listed, "integrity");
  CHECK_THAT(listed.status().message(), Contains("'projects'"));
  CHECK_THAT(listed.status().message(), !Contains("alpha-confidential"));
  std::vector<ProjectInfo> shown;
  CheckFails(f.svc->ShowTenant("globex", &shown), "integrity");
  // A is unaffected.
  CHECK(NamesOf(Ok(f.svc->ListProjects("acme"))) == std::vector<std::string>{"alpha-confidential"});

  // And no name is stored in clear anywhere in the file.
  const std::string file = ReadFile(dir / "data.mdb");
  for (const std::string name : {"acme", "globex", "alpha-confidential", "gamma"}) {
    INFO(name);
    CHECK(file.find(name) == std::string::npos);
  }
}

TEST_CASE("Tenancy data and its audit trail survive reopening", "[tenancy][service]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  std::vector<TenantInfo> before;
  uint64_t last_seq = 0;
  {
    Fixture f(dir.path(), clock);
    Ok(f.svc->CreateTenant(kRoot, "acme"));
    clock.Advance(std::chrono::hours(2));
    Ok(f.svc->CreateTenant(kOps, "globex"));
    Ok(f.svc->CreateProject(kRoot, "acme/alpha"));
    Ok(f.svc->CreateTask(kRoot, "acme/alpha/t1"));
    CheckFails(f.svc->CreateTenant(kRoot, "ACME"), "exists");
    before = Ok(f.svc->ListTenants());
    last_seq = f.log->last_seq();
    CHECK(last_seq == 5);
  }
  clock.Advance(std::chrono::hours(1));
  Fixture f(dir.path(), clock);
  const auto after = Ok(f.svc->ListTenants());
  REQUIRE(after.size() == before.size());
  for (size_t i = 0; i < after.size(); ++i) {
    INFO(after[i].name);
    CHECK(after[i].id == before[i].id);
    CHECK(after[i].name == before[i].name);
    CHECK(after[i].created == before[i].created);
    CHECK(after[i].created_by == before[i].created_by);
    CHECK(after[i].projects == before[i].projects);
    CHECK(after[i].key_term == 1u);
  }
  CHECK(after[1].created == Time(milliseconds(kStartMs)) + std::chrono::hours(2));
  const auto tasks = Ok(f.svc->ListTasks("acme/alpha"));
  REQUIRE(tasks.size() == 1);
  CHECK(tasks[0].name == "t1");

  CHECK(f.log->last_seq() == last_seq);
  const auto v = f.log->Verify();
  CHECK(v.ok());
  CHECK(v.records_checked == last_seq);
  // Names are still unique after reopening, and the refusal continues the chain.
  const Record r =
      OneRecord(f, [&] { CheckFails(f.svc->CreateTenant(kRoot, "Globex"), "exists"); });
  CHECK(r.seq == last_seq + 1);
  CheckRecord(r, "tenant.create", "Globex", "Globex", "error:exists");
  Ok(f.svc->CreateProject(kRoot, "globex/beta"));
  CHECK(Ok(f.svc->ListProjects("globex")).size() == 1);
  CHECK(f.log->Verify().ok());
}
