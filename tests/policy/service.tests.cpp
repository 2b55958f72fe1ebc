#include "policy/service.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include "audit/log.h"
#include "common/clock.h"
#include "store/vault.h"
#include "support/temp_dir.h"
#include "support/vault.h"

namespace {

using sigmad::testing::Ok;
using namespace sigmad::policy;
using sigmad::FakeClock;
using sigmad::Status;
using sigmad::testing::TempDir;
using sigmad::testing::WriteFile;
namespace fs = std::filesystem;
using Time = std::chrono::system_clock::time_point;

const sigmad::tenancy::Actor kRoot{"uid=0(root)", "control"};

struct Fixture {
  TempDir dir;
  FakeClock clock{Time(std::chrono::milliseconds(1795417500123))};
  std::unique_ptr<sigmad::store::Vault> vault;
  std::unique_ptr<sigmad::audit::AuditLog> log;
  std::unique_ptr<PolicyService> svc;
  Fixture() { Open(); }
  void Open() {
    svc.reset();
    log.reset();
    vault.reset();
    vault = sigmad::testing::OpenTestVault(dir.path(), clock);
    log = Ok(sigmad::audit::AuditLog::Open(*vault));
    svc = Ok(PolicyService::Open(*vault, *log, clock));
  }
};

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

Files Baseline() { return BaselineFiles(); }

TEST_CASE("PolicyService::Apply stores versions, equal sets make none", "[policy][service]") {
  Fixture f;
  CHECK_FALSE(Ok(f.svc->Active()).has_value());
  const Applied one = Ok(f.svc->Apply(kRoot, "apply /x", Baseline()));
  CHECK(one.changed);
  CHECK(one.info.version == 1u);
  CHECK(one.info.kinds.size() == 8);
  CHECK(one.info.applied_at == f.clock.Now());

  // Comments and layout do not count: no version.
  Files commented = Baseline();
  commented[0].second = "# a new comment\n" + commented[0].second;
  const Applied same = Ok(f.svc->Apply(kRoot, "apply /y", commented));
  CHECK_FALSE(same.changed);
  CHECK(same.info.version == 1u);

  Files changed = Baseline();
  for (auto& [name, text] : changed) {
    if (name == "30-backup.yaml") text = Replace(text, "\n  rpoHours: 24", "\n  rpoHours: 30");
  }
  const Applied two = Ok(f.svc->Apply(kRoot, "apply /z", changed));
  CHECK(two.changed);
  CHECK(two.info.version == 2u);
  CHECK(two.info.hash != one.info.hash);

  const auto history = Ok(f.svc->History());
  REQUIRE(history.size() == 2);
  CHECK(history[0].source == "apply /x");
  CHECK(history[1].actor == "uid=0(root)");
  CHECK(Ok(f.svc->Version(1)).files == Baseline());
  CHECK(Ok(f.svc->Active())->files == changed);
  CHECK(f.svc->Version(3).status().code() == "not_found");

  SECTION("versions survive a reopen") {
    f.Open();
    CHECK(Ok(f.svc->Active())->info.version == 2u);
    CHECK(Ok(f.svc->Apply(kRoot, "apply /x", Baseline())).info.version == 3u);
  }
  CHECK(f.log->Verify().ok());
}

TEST_CASE("PolicyService::Apply refuses an invalid set, audits it, changes nothing",
          "[policy][service]") {
  Fixture f;
  Ok(f.svc->Apply(kRoot, "apply /x", Baseline()));
  const uint64_t seq = f.log->last_seq();
  Files bad = Baseline();
  bad[2].second = Replace(bad[2].second, "\n  rpoHours: 24", "\n  rpoHours: 0");
  auto r = f.svc->Apply(kRoot, "apply /bad", bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == "invalid");
  CHECK_THAT(r.status().message(),
             Catch::StartsWith("the policy set from apply /bad is invalid:\n" + bad[2].first + ":") &&
                 Catch::Contains("'spec.rpoHours' must be at least 1, got 0"));
  CHECK(Ok(f.svc->History()).size() == 1);
  REQUIRE(f.log->last_seq() == seq + 1);
  std::string outcome;
  REQUIRE(f.log->Read(seq + 1, [&](const sigmad::audit::Record& rec, bool*) {
    outcome = rec.fields.action + " " + rec.fields.outcome + " " + rec.fields.target;
    return Status::Ok();
  }).ok());
  CHECK(outcome == "policy.apply error:invalid apply /bad");
}

TEST_CASE("PolicyService::LoadDirectory applies a changed directory once", "[policy][service]") {
  Fixture f;
  TempDir set;
  for (const auto& [name, text] : Baseline()) WriteFile(set / name, text);
  DirectoryLoad first = Ok(f.svc->LoadDirectory(set.path()));
  CHECK(first.errors.empty());
  REQUIRE(first.applied);
  CHECK(first.applied->info.version == 1u);
  CHECK(first.applied->info.actor == "sigmad");

  CHECK(Ok(f.svc->LoadDirectory(set.path())).unchanged);
  // A version applied otherwise is not undone by loading the same directory again.
  Files other = Baseline();
  other[2].second = Replace(other[2].second, "\n  rpoHours: 24", "\n  rpoHours: 30");
  Ok(f.svc->Apply(kRoot, "apply /elsewhere", other));
  CHECK(Ok(f.svc->LoadDirectory(set.path())).unchanged);
  CHECK(Ok(f.svc->Active())->info.version == 2u);

  WriteFile(set / "30-backup.yaml", "not: [valid\n");
  DirectoryLoad bad = Ok(f.svc->LoadDirectory(set.path()));
  CHECK_FALSE(bad.errors.empty());
  CHECK_FALSE(bad.applied);
  CHECK(Ok(f.svc->Active())->info.version == 2u);
}

TEST_CASE("CanonicalJson and SetHash ignore layout, not content", "[policy][service]") {
  CHECK(CanonicalJson(YAML::Load("{b: 1, a: [x, 'y', +07, true, ~, 1.5]}")) ==
        R"({"a":["x","y",7,true,null,1.5],"b":1})");
  CHECK(CanonicalJson(YAML::Load("s: \"q\\\"\\n\"")) == R"({"s":"q\"\n"})");
  const LoadedSet a = ParseSet(Baseline());
  Files reordered = Baseline();
  std::reverse(reordered.begin(), reordered.end());
  const LoadedSet b = ParseSet(reordered);
  CHECK(SetHash(a.documents) == SetHash(b.documents));
  CHECK(SetHash(a.documents).size() == 64);
  Files changed = Baseline();
  changed[2].second = Replace(changed[2].second, "\n  rpoHours: 24", "\n  rpoHours: 25");
  CHECK(SetHash(ParseSet(changed).documents) != SetHash(a.documents));
}

}  // namespace

namespace {

TEST_CASE("PolicyService::Plan, Apply with a plan hash, Rollback", "[policy][service]") {
  Fixture f;
  // Nothing active: every document is an addition.
  PlanResult first = Ok(f.svc->Plan(Baseline()));
  CHECK(first.errors.empty());
  CHECK(first.active_version == 0u);
  CHECK(first.changes.size() == 8);
  CHECK(first.changes[0].op == '+');
  CHECK(first.changes[0].path.empty());
  Ok(f.svc->Apply(kRoot, "apply /x", Baseline(), first.plan_hash));

  Files changed = Baseline();
  changed[2].second = Replace(changed[2].second, "\n  rpoHours: 24", "\n  rpoHours: 25");
  changed.erase(changed.begin() + 7);  // 80-status-page.yaml
  const PlanResult p = Ok(f.svc->Plan(changed));
  REQUIRE(p.changes.size() == 2);
  CHECK(p.changes[0] == Change{'~', "BackupPolicy", "baseline-backup", "spec.rpoHours", "24", "25"});
  CHECK(p.changes[1].op == '-');
  CHECK(p.changes[1].kind == "StatusPagePolicy");
  CHECK(p.plan_hash == PlanHash(p.active_hash, p.new_hash));

  // Something else is applied in between: the plan no longer holds.
  Files other = Baseline();
  other[2].second = Replace(other[2].second, "\n  rpoHours: 24", "\n  rpoHours: 26");
  Ok(f.svc->Apply(kRoot, "apply /other", other));
  auto stale = f.svc->Apply(kRoot, "apply /changed", changed, p.plan_hash);
  CHECK(stale.status().code() == "plan_changed");
  CHECK(Ok(f.svc->History()).size() == 2);

  const Applied back = Ok(f.svc->Rollback(kRoot, 1));
  CHECK(back.changed);
  CHECK(back.info.version == 3u);
  CHECK(back.info.source == "rollback to version 1");
  CHECK(back.info.hash == Ok(f.svc->Version(1)).info.hash);
  CHECK_FALSE(Ok(f.svc->Rollback(kRoot, 3)).changed);
  CHECK(f.svc->Rollback(kRoot, 42).status().code() == "not_found");

  const PlanResult invalid = Ok(f.svc->Plan({{"a.yaml", "kind: Nope\n"}}));
  CHECK(invalid.errors.size() == 1);
  CHECK(f.log->Verify().ok());
}

TEST_CASE("Diff: maps by key, equal-length lists by entry, renames as metadata.name",
          "[policy][service]") {
  auto docs = [](const std::string& yaml) { return ParseSet({{"a.yaml", yaml}}).documents; };
  const std::string base =
      "apiVersion: sigmad.io/v1\nkind: StatusPagePolicy\nmetadata: {name: s}\n"
      "spec: {public: true, components: [api, store], showIncidentHistoryDays: 30}\n";
  const auto a = docs(base);
  REQUIRE(a.size() == 1);
  CHECK(Diff(a, a).empty());
  const auto b = docs(Replace(Replace(base, "[api, store]", "[api, backups]"), "name: s", "name: t"));
  REQUIRE(b.size() == 1);
  CHECK(Diff(a, b) == std::vector<Change>{
                          {'~', "StatusPagePolicy", "t", "metadata.name", "\"s\"", "\"t\""},
                          {'~', "StatusPagePolicy", "t", "spec.components[1]", "\"store\"",
                           "\"backups\""}});
  const auto c = docs(Replace(base, "[api, store]", "[api]"));
  CHECK(Diff(a, c) == std::vector<Change>{{'~', "StatusPagePolicy", "s", "spec.components",
                                           "[\"api\",\"store\"]", "[\"api\"]"}});
}

}  // namespace
