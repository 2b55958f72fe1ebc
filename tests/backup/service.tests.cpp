#include "backup/service.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "common/time_format.h"
#include "support/temp_dir.h"
#include "support/vault.h"

namespace sigmad::backup {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using Catch::Matchers::Contains;
using testing::Ok;
using testing::TempDir;

const tenancy::Actor kOperator{"uid=0(root)", "control"};

Clock::WallTime At(const char* utc) { return Ok(ParseUtc(utc)); }

// A live store under a fake clock, with a BackupService on it.
struct Fixture {
  TempDir tmp;
  FakeClock clock{At("2026-12-06T01:00:00Z")};  // a Sunday, December's first
  std::unique_ptr<store::Vault> vault;
  std::unique_ptr<audit::AuditLog> audit;
  std::optional<store::Table> things;
  std::unique_ptr<BackupService> service;

  Fixture() {
    fs::create_directories(tmp / "store");
    fs::create_directories(tmp / "target");
    vault = testing::OpenTestVault(tmp / "store", clock);
    audit = Ok(audit::AuditLog::Open(*vault));
    things = Ok(vault->OpenTable("things", store::Owner::kSystem));
    Put("k", "v1");
    ServiceOptions o;
    o.scratch_dir = tmp / "scratch";
    o.sigmad_version = "test";
    service = Ok(BackupService::Open(*vault, *audit, clock, o));
  }
  void Put(const std::string& key, const std::string& value) {
    REQUIRE(vault->env()
                .Update([&](store::WriteTxn& txn) {
                  return vault->Put(txn, *things, key, crypto::kSystemTenant, value);
                })
                .ok());
  }
  BackupSettings Settings(int keep_days) {
    BackupSettings s;
    s.target = tmp / "target";
    s.retention.keep_days = keep_days;
    s.verify_after = true;
    s.schedule = Ok(Schedule::Parse("01:00", {"mon", "tue", "wed", "thu", "fri", "sat", "sun"}));
    s.drill_schedule = Ok(Schedule::Parse("03:00", {"sun"}));
    s.rpo_hours = 24;
    s.source = "policy version 1 (test)";
    return s;
  }
  std::vector<audit::Fields> Audited(const std::string& action) {
    std::vector<audit::Fields> out;
    REQUIRE(audit
                ->Read(1,
                       [&](const audit::Record& r, bool*) {
                         if (r.fields.action == action) out.push_back(r.fields);
                         return Status::Ok();
                       })
                .ok());
    return out;
  }
  std::vector<std::string> Ids() {
    std::vector<std::string> ids;
    for (const auto& e : Ok(service->List())) ids.push_back(e.listed.id);
    return ids;
  }
};

TEST_CASE("BackupService refuses to run without a policy or a target", "[backup][service]") {
  Fixture f;
  auto r = f.service->Run(kOperator, nullptr);
  CHECK(r.status().code() == "no_policy");
  auto s = f.Settings(30);
  s.target = f.tmp / "missing";
  f.service->SetSettings(s);
  r = f.service->Run(kOperator, nullptr);
  CHECK(r.status().code() == "no_target");
  CHECK_THAT(r.status().message(), Contains("missing") && Contains("policy version 1 (test)"));
  // Separate site: the target on the store's own file system is refused.
  s = f.Settings(30);
  s.separate_site = true;
  f.service->SetSettings(s);
  r = f.service->Run(kOperator, nullptr);
  CHECK(r.status().code() == "same_site");
  // Each refusal is audited as a failed backup.run.
  const auto runs = f.Audited("backup.run");
  REQUIRE(runs.size() == 3);
  CHECK(runs[0].outcome == "error:no_policy");
  CHECK(runs[2].outcome == "error:same_site");
  CHECK(f.Ids().empty());
}

TEST_CASE("BackupService runs, verifies and prunes by keepDays on calendar days",
          "[backup][service]") {
  Fixture f;
  f.service->SetSettings(f.Settings(3));
  std::vector<std::string> made;
  for (int day = 0; day < 5; ++day) {
    auto r = Ok(f.service->Run(kOperator, nullptr));
    made.push_back(r.manifest.id);
    REQUIRE(r.verified);
    CHECK(r.verified->result.ok());
    CHECK(r.verified->records > 0);
    f.clock.Advance(24h);
  }
  // After the run on day 5 (Dec 10), keepDays 3 keeps Dec 8, 9, 10: Dec 6 and 7 went.
  CHECK(f.Ids() == std::vector<std::string>{made[2], made[3], made[4]});
  const auto deleted = f.Audited("backup.delete");
  REQUIRE(deleted.size() == 2);
  CHECK(deleted[0].target == made[0]);
  CHECK(deleted[0].details == "keepDays 3: 3 days old, deleted from day 4");
  // Every backup in the list was verified, and says so.
  for (const auto& e : Ok(f.service->List())) {
    REQUIRE(e.check);
    CHECK(e.check->ok);
  }
  // A dry run a day later deletes nothing and says which would go and why.
  f.clock.Advance(1h);
  auto plan = Ok(f.service->Prune(kOperator, /*dry_run=*/true));
  CHECK(plan.dry_run);
  CHECK(plan.deleted == 0);
  REQUIRE(plan.decisions.size() == 3);
  CHECK(plan.decisions[2].id == made[2]);
  CHECK_FALSE(plan.decisions[2].keep);
  CHECK(f.Ids().size() == 3);
  // No backup ran on Dec 11, yet on Dec 12 keepDays counts calendar days: Dec 8 and 9
  // are 4 and 3 days old and go.
  f.clock.Advance(24h);
  CHECK(Ok(f.service->Prune(kOperator, false)).deleted == 2);
  CHECK(f.Ids() == std::vector<std::string>{made[4]});
}

TEST_CASE("BackupService verify records a damaged backup and restore refuses it",
          "[backup][service]") {
  Fixture f;
  f.service->SetSettings(f.Settings(30));
  const auto m = Ok(f.service->Run(kOperator, nullptr)).manifest;
  const fs::path stream = f.tmp / "target" / m.stream_file();
  std::string bytes = testing::ReadFile(stream);
  bytes[bytes.size() / 2] ^= 0x20;
  {
    std::ofstream out(stream, std::ios::binary | std::ios::trunc);
    out << bytes;
  }
  auto outcomes = Ok(f.service->Verify(kOperator, std::nullopt, nullptr));
  REQUIRE(outcomes.size() == 1);
  CHECK(outcomes[0].result.code() == "integrity");
  auto list = Ok(f.service->List());
  REQUIRE(list[0].check);
  CHECK_FALSE(list[0].check->ok);
  CHECK_THAT(list[0].check->problem, Contains("chunk 0"));

  const fs::path dir = f.tmp / "restored";
  auto r = f.service->RestoreTo(kOperator, m.id, dir, nullptr);
  CHECK(r.status().code() == "integrity");
  CHECK_FALSE(fs::exists(dir));
  CHECK(f.Audited("backup.restore").back().outcome == "error:integrity");
  CHECK(f.service->Verify(kOperator, "20261206T010000Z-00000000", nullptr).status().code() ==
        "not_found");
}

TEST_CASE("BackupService restores into a new directory only", "[backup][service]") {
  Fixture f;
  f.service->SetSettings(f.Settings(30));
  const auto m = Ok(f.service->Run(kOperator, nullptr)).manifest;
  f.Put("k", "v2");  // after the backup
  CHECK(f.service->RestoreTo(kOperator, m.id, "relative/dir", nullptr).status().code() ==
        "invalid_argument");
  fs::create_directories(f.tmp / "busy");
  testing::WriteFile(f.tmp / "busy" / "x", "someone's");
  CHECK(f.service->RestoreTo(kOperator, m.id, f.tmp / "busy", nullptr).status().code() == "exists");
  CHECK(testing::ReadFile(f.tmp / "busy" / "x") == "someone's");

  const fs::path dir = f.tmp / "restored";
  auto r = Ok(f.service->RestoreTo(kOperator, m.id, dir, nullptr));
  CHECK(r.verified.result.ok());
  CHECK(fs::exists(dir / "store" / "data.mdb"));
  CHECK_FALSE(fs::exists(dir / "store" / "lock.mdb"));
  // The copy holds the data at backup time.
  auto copy = testing::OpenTestVault(dir / "store", f.clock);
  auto table = Ok(copy->OpenTable("things", store::Owner::kSystem));
  std::optional<std::string> value;
  REQUIRE(copy->env()
              .View([&](store::ReadTxn& txn) {
                auto v = copy->Get(txn, table, "k", crypto::kSystemTenant);
                if (!v.ok()) return v.status();
                value = v.value();
                return Status::Ok();
              })
              .ok());
  CHECK(value == "v1");
}

TEST_CASE("BackupService drills and reports RPO and RTO", "[backup][service]") {
  Fixture f;
  f.service->SetSettings(f.Settings(30));
  auto before = Ok(f.service->Recovery());
  CHECK_FALSE(before.rpo);
  CHECK_FALSE(before.last_drill);
  CHECK(f.service->Drill(kOperator, nullptr).status().code() == "not_found");
  const auto m = Ok(f.service->Run(kOperator, nullptr)).manifest;
  f.clock.Advance(1h);
  const auto d = Ok(f.service->Drill(kOperator, nullptr));
  CHECK(d.ok);
  CHECK(d.backup_id == m.id);
  auto r = Ok(f.service->Recovery());
  REQUIRE(r.rpo);
  CHECK(*r.rpo == std::chrono::seconds(3600));
  REQUIRE(r.last_good_drill);
  CHECK(r.last_good_drill->backup_id == m.id);
  CHECK(r.backups == 1);
  CHECK(FormatUtc(*r.next_backup) == "2026-12-07T01:00:00.000Z");
  CHECK(FormatUtc(*r.next_drill) == "2026-12-06T03:00:00.000Z");
  CHECK(f.Audited("backup.drill").size() == 2);  // the refusal and the drill
}

// Waits (bounded, in real time) until `done` holds.
bool Eventually(const std::function<bool()>& done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return done();
}

TEST_CASE("BackupService's scheduler runs due backups and requested ones", "[backup][service]") {
  Fixture f;
  f.clock.Advance(-1h);  // 00:00, an hour before the 01:00 backup
  f.service->SetSettings(f.Settings(30));
  f.service->Start();
  // Nothing is due yet.
  std::this_thread::sleep_for(100ms);
  CHECK(f.Ids().empty());
  // A requested backup runs at once.
  REQUIRE(f.service->RequestRun(kOperator).ok());
  CHECK(Eventually([&] { return f.Ids().size() == 1; }));
  // 01:00 comes: the scheduled backup runs (a settings change wakes the scheduler).
  f.clock.Advance(1h);
  f.service->SetSettings(f.Settings(30));
  CHECK(Eventually([&] { return f.Ids().size() == 2; }));
  // 03:30 on Sunday, past the 03:00 drill (the scheduler was asleep): it runs late, once.
  f.clock.Advance(150min);
  f.service->SetSettings(f.Settings(30));
  CHECK(Eventually([&] { return Ok(f.service->Recovery()).last_drill.has_value(); }));
  f.service->Stop();
  CHECK(f.Audited("backup.drill").size() == 1);
  CHECK(f.Audited("backup.drill")[0].actor == "sigmad");
  const auto runs = f.Audited("backup.run");
  REQUIRE(runs.size() == 2);
  CHECK(runs[0].actor == "uid=0(root)");
  CHECK(runs[1].actor == "sigmad");
  CHECK(runs[1].source == "schedule");
  CHECK(f.service->RequestRun(kOperator).code() == "unavailable");
}

TEST_CASE("BackupService's scheduler prunes at UTC midnight, when day N+1 begins",
          "[backup][service]") {
  Fixture f;
  f.service->SetSettings(f.Settings(1));
  const auto m = Ok(f.service->Run(kOperator, nullptr)).manifest;  // Sunday 01:00
  f.clock.Advance(22h + 59min);                                    // 23:59 the same day
  f.service->Start();
  std::this_thread::sleep_for(100ms);
  CHECK(f.Ids() == std::vector<std::string>{m.id});  // 0 days old: kept
  f.clock.Advance(2min);                             // Monday 00:01
  f.service->SetSettings(f.Settings(1));             // wakes the scheduler
  CHECK(Eventually([&] { return f.Ids().empty(); }));
  f.service->Stop();
  const auto deleted = f.Audited("backup.delete");
  REQUIRE(deleted.size() == 1);
  CHECK(deleted[0].actor == "sigmad");
  CHECK(deleted[0].details == "keepDays 1: 1 day old, deleted from day 2");
}

}  // namespace
}  // namespace sigmad::backup
