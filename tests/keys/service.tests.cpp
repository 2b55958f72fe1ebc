#include "keys/service.h"

#include <sys/stat.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "audit/log.h"
#include "common/clock.h"
#include "crypto/keyring.h"
#include "crypto/master_key.h"
#include "store/keys.h"
#include "store/vault.h"
#include "support/temp_dir.h"
#include "tenancy/service.h"

// REQUIRE that reports the Status when it is not ok.
#define REQUIRE_OK(expr) REQUIRE((expr).ToString() == "ok")

namespace {

using namespace sigmad::keys;
using Catch::Matchers::Contains;
using sigmad::FakeClock;
using sigmad::Result;
using sigmad::Status;
using sigmad::audit::AuditLog;
using sigmad::audit::CheckpointPolicy;
using sigmad::audit::Record;
using sigmad::crypto::kSystemTenant;
using sigmad::crypto::SecretBytes;
using sigmad::store::EnvOptions;
using sigmad::store::Vault;
using sigmad::tenancy::Actor;
using sigmad::tenancy::TenancyService;
using sigmad::tenancy::TenantInfo;
using sigmad::testing::ModeOf;
using sigmad::testing::ReadFile;
using sigmad::testing::TempDir;
using sigmad::testing::WriteFile;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Time = std::chrono::system_clock::time_point;

constexpr int64_t kStartMs = 1795417500123;  // whole milliseconds: keys and records keep ms

const Actor kRoot{"uid=0(root)", "control"};

// A master key of 32 bytes, all `fill`: two fills are two different keys.
SecretBytes Key(uint8_t fill) {
  SecretBytes k(32);
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = fill;
  return k;
}
constexpr uint8_t kOldFill = 0x3C;
constexpr uint8_t kNewFill = 0x7E;

std::string Bytes(const SecretBytes& s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

template <typename T>
T Ok(Result<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

template <typename T>
void CheckFails(const Result<T>& r, const std::string& code) {
  INFO(r.status().ToString());
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == code);
}

// The store in DIR/store with the master key in `key_path`, its audit log (a checkpoint
// every 2 records, so rotations cross checkpoints), tenancy and the key service.
// Destroyed in reverse order: services first, the store last.
struct Fixture {
  Fixture(const fs::path& store_dir, const fs::path& key_path, const FakeClock& clock,
          bool replace_key_file) {
    auto kek = sigmad::crypto::LoadMasterKey(key_path);
    INFO(kek.status().ToString());
    REQUIRE(kek.ok());
    EnvOptions options;
    options.dir = store_dir;
    options.initial_map_bytes = size_t{1} << 20;
    vault = Ok(Vault::Open(options, std::move(kek).value(), clock));
    log = Ok(AuditLog::Open(*vault, CheckpointPolicy{2}));
    tenancy = Ok(TenancyService::Open(*vault, *log, clock));
    keys = std::make_unique<KeyService>(*vault, *log, *tenancy, clock, key_path,
                                        replace_key_file);
  }

  // Closes everything (LMDB allows one environment per store and process), then opens
  // the store again.
  void Reopen(const fs::path& store_dir, const fs::path& key_path, const FakeClock& clock,
              bool replace_key_file) {
    keys.reset();
    tenancy.reset();
    log.reset();
    vault.reset();
    *this = Fixture(store_dir, key_path, clock, replace_key_file);
  }

  std::unique_ptr<Vault> vault;
  std::unique_ptr<AuditLog> log;
  std::unique_ptr<TenancyService> tenancy;
  std::unique_ptr<KeyService> keys;
};

// A temp dir with a store directory and its master key file (written by WriteMasterKey).
struct Setup {
  TempDir dir;
  fs::path store = dir / "store";
  fs::path key_path = dir / "master.key";
  Setup() {
    fs::create_directory(store);
    REQUIRE_OK(sigmad::crypto::WriteMasterKey(key_path, Key(kOldFill)));
  }
};

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

void CheckRecord(const Record& r, const std::string& action, const std::string& tenant,
                 const std::string& target, const std::string& outcome) {
  CHECK(r.fields.action == action);
  CHECK(r.fields.tenant == tenant);
  CHECK(r.fields.target == target);
  CHECK(r.fields.outcome == outcome);
  CHECK(r.fields.actor == kRoot.name);
  CHECK(r.fields.source == kRoot.source);
}

void CheckAuditVerifies(const AuditLog& log) {
  const auto v = log.Verify();
  INFO((v.failure ? v.failure->message : std::string("ok")));
  CHECK(v.ok());
  CHECK(v.records_checked == log.last_seq());
}

// (owner, term, current, values) of each row, for whole-table comparisons.
struct RowView {
  std::string owner;
  uint32_t term;
  bool current;
  size_t values;
  bool operator==(const RowView&) const = default;
};
std::ostream& operator<<(std::ostream& os, const RowView& r) {
  return os << "{" << r.owner << " term " << r.term << (r.current ? " current" : "") << ", "
            << r.values << " values}";
}

std::vector<RowView> View(const std::vector<KeyRow>& rows) {
  std::vector<RowView> out;
  for (const auto& r : rows) out.push_back({r.owner, r.term, r.current, r.values});
  return out;
}

// The stored values a tenant's records hold: its tenant record, projects and tasks.
size_t TenancyValues(Fixture& f, const std::string& tenant) {
  size_t n = 1;
  for (const auto& p : Ok(f.tenancy->ListProjects(tenant))) n += 1 + p.tasks;
  return n;
}

// A new master key file at `path`, mode 0400.
void NewKeyFile(const fs::path& path, uint8_t fill) {
  REQUIRE_OK(sigmad::crypto::WriteMasterKey(path, Key(fill)));
}

}  // namespace

TEST_CASE("KeyService::KeyStatus lists every data key: system first, owners by name",
          "[keys][service]") {
  Setup s;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(s.store, s.key_path, clock, false);

  SECTION("a new store: the system key only") {
    const auto rows = Ok(f.keys->KeyStatus());
    REQUIRE(rows.size() == 1);
    CHECK(rows[0].owner == "system");
    CHECK(rows[0].term == 1u);
    CHECK(rows[0].current);
    CHECK(rows[0].values == 0u);
    CHECK(rows[0].created == Time(milliseconds(kStartMs)));
  }
  SECTION("tenants, rotated keys and value counts") {
    // Tenant ids are random, so the key order in the store is not the name order.
    clock.Advance(std::chrono::minutes(1));
    Ok(f.tenancy->CreateTenant(kRoot, "zeta"));
    clock.Advance(std::chrono::minutes(1));
    const TenantInfo acme = Ok(f.tenancy->CreateTenant(kRoot, "acme"));
    clock.Advance(std::chrono::minutes(1));
    Ok(f.tenancy->CreateTenant(kRoot, "mid"));
    Ok(f.tenancy->CreateProject(kRoot, "acme/alpha"));
    Ok(f.tenancy->CreateTask(kRoot, "acme/alpha/t1"));
    Ok(f.tenancy->CreateProject(kRoot, "zeta/p"));
    clock.Advance(std::chrono::minutes(1));
    const Time rotated_at = clock.Now();
    Ok(f.keys->Rotate(kRoot, "acme"));
    Ok(f.tenancy->CreateProject(kRoot, "acme/beta"));  // sealed under acme's term 2

    const auto rows = Ok(f.keys->KeyStatus());
    const std::vector<RowView> expected{
        {"system", 1, true, static_cast<size_t>(f.log->last_seq())},
        {"acme", 1, false, 3},  // tenant record, alpha, t1
        {"acme", 2, true, 1},   // beta
        {"mid", 1, true, 1},
        {"zeta", 1, true, 2},
    };
    CHECK(View(rows) == expected);
    REQUIRE(rows.size() == expected.size());
    CHECK(rows[1].created == Time(milliseconds(kStartMs)) + std::chrono::minutes(2));
    CHECK(rows[2].created == rotated_at);
    CHECK(rows[3].created == Time(milliseconds(kStartMs)) + std::chrono::minutes(3));
    CHECK(rows[4].created == Time(milliseconds(kStartMs)) + std::chrono::minutes(1));
    CHECK(f.vault->keyring().CurrentTerm(acme.id) == 2u);

    SECTION("after the system key rotates, new audit records count under its term 2") {
      const uint64_t before = f.log->last_seq();
      Ok(f.keys->Rotate(kRoot, ""));
      // The rotation's record is written in the transaction that stores term 2, before
      // term 2 is in use, so it is sealed under term 1.
      CHECK(f.log->last_seq() == before + 1);
      Ok(f.tenancy->CreateProject(kRoot, "mid/p"));  // one more audit record
      const auto after = View(Ok(f.keys->KeyStatus()));
      REQUIRE(after.size() == 6);
      CHECK(after[0] == RowView{"system", 1, false, static_cast<size_t>(before + 1)});
      CHECK(after[1] == RowView{"system", 2, true, 1});
      CHECK(after[4] == RowView{"mid", 1, true, 2});
    }
  }
}

// Tenant names are compared without case everywhere else (tenancy/names.h FoldName;
// ListTenants sorts by it), so "owners by name" must put "acme" before "Globex".
TEST_CASE("KeyService::KeyStatus orders owners by name as tenancy does, ignoring case",
          "[keys][service]") {
  Setup s;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(s.store, s.key_path, clock, false);
  Ok(f.tenancy->CreateTenant(kRoot, "Globex"));
  Ok(f.tenancy->CreateTenant(kRoot, "acme"));
  std::vector<std::string> listed;
  for (const auto& t : Ok(f.tenancy->ListTenants())) listed.push_back(t.name);
  REQUIRE(listed == std::vector<std::string>{"acme", "Globex"});

  std::vector<std::string> owners;
  for (const auto& r : Ok(f.keys->KeyStatus())) owners.push_back(r.owner);
  CHECK(owners == std::vector<std::string>{"system", "acme", "Globex"});
}

TEST_CASE("KeyService::Rotate makes a new term for the system key or a tenant's",
          "[keys][service]") {
  Setup s;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(s.store, s.key_path, clock, false);
  const TenantInfo acme = Ok(f.tenancy->CreateTenant(kRoot, "acme"));
  const TenantInfo globex = Ok(f.tenancy->CreateTenant(kRoot, "globex"));
  Ok(f.tenancy->CreateProject(kRoot, "acme/alpha"));
  clock.Advance(std::chrono::hours(1));

  SECTION("the system key: Rotate(\"\")") {
    const uint64_t records_before = f.log->last_seq();
    std::optional<Rotated> r;
    const Record rec = OneRecord(f, [&] { r = Ok(f.keys->Rotate(kRoot, "")); });
    CheckRecord(rec, "key.rotate", "", "system data key term 2", "ok");
    CHECK(rec.fields.time == clock.Now());
    CHECK(r->owner == "system");
    CHECK(r->previous == 1u);
    CHECK(r->term == 2u);
    // Every audit record so far, the rotation's own included, is under term 1.
    CHECK(r->values_under_old_terms == records_before + 1);
    CHECK(f.vault->keyring().CurrentTerm(kSystemTenant) == 2u);
    CHECK(f.vault->keyring().CurrentTerm(acme.id) == 1u);
    CHECK(f.vault->keyring().CurrentTerm(globex.id) == 1u);

    // Again: term 3, and the audit chain (checkpointed under terms 1, 2, 3) verifies.
    Ok(f.tenancy->CreateProject(kRoot, "globex/p"));
    const auto again = Ok(f.keys->Rotate(kRoot, ""));
    CHECK(again.previous == 2u);
    CHECK(again.term == 3u);
    Ok(f.tenancy->CreateProject(kRoot, "globex/q"));
    Ok(f.tenancy->CreateProject(kRoot, "globex/r"));
    CheckAuditVerifies(*f.log);
  }
  SECTION("a tenant's key: Rotate(\"acme\")") {
    std::optional<Rotated> r;
    const Record rec = OneRecord(f, [&] { r = Ok(f.keys->Rotate(kRoot, "acme")); });
    CheckRecord(rec, "key.rotate", "acme", "acme data key term 2", "ok");
    CHECK(r->owner == "acme");
    CHECK(r->previous == 1u);
    CHECK(r->term == 2u);
    CHECK(r->values_under_old_terms == TenancyValues(f, "acme"));
    CHECK(r->values_under_old_terms == 2u);
    CHECK(f.vault->keyring().CurrentTerm(acme.id) == 2u);
    CHECK(f.vault->keyring().CurrentTerm(globex.id) == 1u);
    CHECK(f.vault->keyring().CurrentTerm(kSystemTenant) == 1u);
    // Old data still reads; the tenant's new data goes under term 2.
    CHECK(Ok(f.tenancy->ListProjects("acme")).size() == 1);
    Ok(f.tenancy->CreateProject(kRoot, "acme/beta"));
    CHECK(Ok(f.tenancy->ListProjects("acme")).size() == 2);

    SECTION("the name is looked up without case; the record names the tenant as stored") {
      std::optional<Rotated> r3;
      const Record rec3 = OneRecord(f, [&] { r3 = Ok(f.keys->Rotate(kRoot, "ACME")); });
      CheckRecord(rec3, "key.rotate", "acme", "acme data key term 3", "ok");
      CHECK(r3->owner == "acme");
      CHECK(r3->previous == 2u);
      CHECK(r3->term == 3u);
      CHECK(r3->values_under_old_terms == 3u);  // tenant record, alpha, beta
    }
    SECTION("after a reopen the rotated term is still current") {
      f.Reopen(s.store, s.key_path, clock, false);
      CHECK(f.vault->keyring().CurrentTerm(acme.id) == 2u);
      CHECK(f.vault->keyring().Terms(acme.id) == std::vector<uint32_t>{1, 2});
      CHECK(Ok(f.tenancy->ListProjects("acme")).size() == 2);
    }
    CheckAuditVerifies(*f.log);
  }
  SECTION("an unknown tenant: not_found, audited, nothing rotated") {
    Result<Rotated> r = Status::Error("test", "not run");
    const Record rec = OneRecord(f, [&] { r = f.keys->Rotate(kRoot, "nobody"); });
    CheckFails(r, "not_found");
    CheckRecord(rec, "key.rotate", "nobody", "tenant nobody", "error:not_found");
    CHECK(f.vault->keyring().CurrentTerm(kSystemTenant) == 1u);
    CHECK(f.vault->keyring().CurrentTerm(acme.id) == 1u);
    CHECK(Ok(f.keys->KeyStatus()).size() == 3);
  }
  SECTION("an invalid name: invalid_name, audited without the raw name") {
    for (const std::string& bad : {std::string("Secret-Sauce/../x"), std::string("Secret Sauce"),
                                  std::string("-Secret-Sauce"), std::string(65, 'S')}) {
      INFO("name '" << bad << "'");
      Result<Rotated> r = Status::Error("test", "not run");
      const Record rec = OneRecord(f, [&] { r = f.keys->Rotate(kRoot, bad); });
      CheckFails(r, "invalid_name");
      CheckRecord(rec, "key.rotate", "", "(invalid name)", "error:invalid_name");
      for (const std::string& field : {rec.fields.actor, rec.fields.tenant, rec.fields.action,
                                       rec.fields.target, rec.fields.outcome, rec.fields.source,
                                       rec.fields.details.value_or("")}) {
        CHECK_THAT(field, !Contains("Secret", Catch::CaseSensitive::No));
        CHECK_THAT(field, !Contains("SSSS"));
      }
    }
    CHECK(Ok(f.keys->KeyStatus()).size() == 3);
    CHECK(f.vault->keyring().CurrentTerm(kSystemTenant) == 1u);
  }
}

// The key of value i of `tenant` in a kTenantFirst test table.
std::string ThingKey(uint64_t tenant, uint32_t i) {
  return sigmad::store::KeyBuilder().U64(tenant).U32(i).Build();
}

TEST_CASE("KeyService: a rewrap a previous run left half done resumes at Start",
          "[keys][service][rewrap]") {
  Setup s;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(s.store, s.key_path, clock, false);
  const TenantInfo acme = Ok(f.tenancy->CreateTenant(kRoot, "acme"));
  const TenantInfo globex = Ok(f.tenancy->CreateTenant(kRoot, "globex"));
  constexpr uint32_t kThings = 600;  // three of the worker's 256-value batches
  auto things = Ok(f.vault->OpenTable("things", sigmad::store::Owner::kTenantFirst));
  REQUIRE_OK(f.vault->env().Update([&](sigmad::store::WriteTxn& txn) -> Status {
    for (uint32_t i = 0; i < kThings; ++i) {
      for (uint64_t t : {acme.id, globex.id}) {
        if (Status p = f.vault->Put(txn, things, ThingKey(t, i), t, "thing " + std::to_string(i));
            !p.ok()) {
          return p;
        }
      }
    }
    return Status::Ok();
  }));
  auto old_values = [&](uint64_t tenant, uint32_t current) {
    size_t n = 0;
    REQUIRE_OK(f.vault->env().View([&](sigmad::store::ReadTxn& txn) -> Status {
      auto counts = f.vault->CountByTerm(txn);
      if (!counts.ok()) return counts.status();
      for (const auto& [k, count] : counts.value()) {
        if (k.first == tenant && k.second < current) n += count;
      }
      return Status::Ok();
    }));
    return n;
  };

  // The worker is not running: the job is saved with the rotation and waits.
  const Rotated r = Ok(f.keys->Rotate(kRoot, "acme", /*rewrap=*/true));
  REQUIRE(r.term == 2u);
  REQUIRE(r.values_under_old_terms == kThings + 1);  // the things and the tenant record
  // What a run that crashed after its first batch leaves: one committed step and its
  // saved position.
  REQUIRE_OK(f.vault->env().Update([&](sigmad::store::WriteTxn& txn) -> Status {
    auto jobs = f.vault->PendingRewraps(txn);
    if (!jobs.ok()) return jobs.status();
    REQUIRE(jobs.value().size() == 1);
    auto step = f.vault->Rewrap(txn, acme.id, jobs.value()[0].second, 256);
    if (!step.ok()) return step.status();
    CHECK(step.value().resealed == 256u);
    REQUIRE_FALSE(step.value().next.done);
    return f.vault->SaveRewrap(txn, acme.id, step.value().next);
  }));
  REQUIRE(old_values(acme.id, 2) == kThings + 1 - 256);

  // Restart: the job comes back from the store and the worker finishes it.
  f.Reopen(s.store, s.key_path, clock, false);
  things = Ok(f.vault->OpenTable("things", sigmad::store::Owner::kTenantFirst));
  const uint64_t seq_before = f.log->last_seq();
  f.keys->Start();
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  const RewrapProgress p = f.keys->WaitRewrap(
      acme.id, [](const RewrapProgress&) { return true; },
      [&] { return std::chrono::steady_clock::now() > deadline; });
  INFO(p.error);
  REQUIRE(p.done);
  CHECK(p.resealed == kThings + 1 - 256);  // only what the first run had not done
  CHECK(old_values(acme.id, 2) == 0);
  CHECK(old_values(globex.id, 2) == kThings + 1);  // another tenant's values untouched
  REQUIRE_OK(f.vault->env().View([&](sigmad::store::ReadTxn& txn) -> Status {
    auto jobs = f.vault->PendingRewraps(txn);
    if (!jobs.ok()) return jobs.status();
    CHECK(jobs.value().empty());
    for (uint32_t i = 0; i < kThings; ++i) {
      for (uint64_t t : {acme.id, globex.id}) {
        auto got = f.vault->Get(txn, things, ThingKey(t, i), t);
        if (!got.ok()) return got.status();
        REQUIRE(got.value().has_value());
        CHECK(*got.value() == "thing " + std::to_string(i));
      }
    }
    return Status::Ok();
  }));
  // The finished job is audited once, by the worker, with the count of this run.
  const auto records = RecordsFrom(*f.log, seq_before + 1);
  REQUIRE(records.size() == 1);
  CHECK(records[0].fields.action == "key.rewrap");
  CHECK(records[0].fields.tenant == "acme");
  CHECK(records[0].fields.actor == "sigmad");
  CHECK(records[0].fields.details == std::to_string(kThings + 1 - 256) +
                                         " value(s) re-sealed under the current term");
  CheckAuditVerifies(*f.log);
  f.keys->Stop();
}

TEST_CASE("KeyService::RotateMaster re-wraps every key under the new master key",
          "[keys][service]") {
  Setup s;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const fs::path new_key = s.dir / "new.key";
  const bool replace = GENERATE(true, false);
  INFO("replace_key_file " << replace);
  size_t keys_stored = 0;
  {
    Fixture f(s.store, s.key_path, clock, replace);
    Ok(f.tenancy->CreateTenant(kRoot, "acme"));
    Ok(f.tenancy->CreateTenant(kRoot, "globex"));
    Ok(f.tenancy->CreateProject(kRoot, "acme/alpha"));
    Ok(f.keys->Rotate(kRoot, "acme"));
    Ok(f.keys->Rotate(kRoot, ""));
    Ok(f.tenancy->CreateProject(kRoot, "acme/beta"));
    keys_stored = Ok(f.keys->KeyStatus()).size();
    REQUIRE(keys_stored == 5);  // system 1, 2; acme 1, 2; globex 1
    NewKeyFile(new_key, kNewFill);
    clock.Advance(std::chrono::hours(1));

    std::optional<MasterRotated> m;
    const Record rec = OneRecord(f, [&] { m = Ok(f.keys->RotateMaster(kRoot, new_key)); });
    CheckRecord(rec, "key.rotate_master", "", "master key", "ok");
    CHECK(m->keys_rewrapped == keys_stored);
    CHECK(m->key_path == s.key_path);
    CHECK(m->key_file_replaced == replace);
    if (replace) {
      CHECK(ReadFile(s.key_path) == Bytes(Key(kNewFill)));
      CHECK(ModeOf(s.key_path) == 0400u);
      CHECK_FALSE(fs::exists(fs::symlink_status(s.dir / "master.key.new")));
    } else {
      CHECK(ReadFile(s.key_path) == Bytes(Key(kOldFill)));
    }
    CHECK(ReadFile(new_key) == Bytes(Key(kNewFill)));  // the operator's file stays

    // The running daemon uses the new key at once.
    auto probe = Ok(sigmad::crypto::Keyring::Create(Key(kNewFill)));
    CHECK(probe->VerifyKekCheck(Ok(f.vault->keyring().MakeKekCheck())).ToString() == "ok");
    CheckAuditVerifies(*f.log);
    // ... and keeps working: a new tenant's key is wrapped under it.
    Ok(f.tenancy->CreateTenant(kRoot, "initech"));
    CHECK(Ok(f.tenancy->ListProjects("acme")).size() == 2);
    CheckAuditVerifies(*f.log);
    auto verified = f.vault->Verify(nullptr);
    REQUIRE(verified.ok());
    CHECK(verified->ok());
  }

  SECTION("the store reopens with the new key, everything readable") {
    Fixture f(s.store, new_key, clock, replace);
    CHECK(Ok(f.tenancy->ListTenants()).size() == 3);
    CHECK(Ok(f.tenancy->ListProjects("acme")).size() == 2);
    CHECK(Ok(f.keys->KeyStatus()).size() == keys_stored + 1);
    CheckAuditVerifies(*f.log);
    auto verified = f.vault->Verify(nullptr);
    REQUIRE(verified.ok());
    CHECK(verified->ok());
  }
  SECTION("the old key no longer opens it") {
    EnvOptions options;
    options.dir = s.store;
    options.initial_map_bytes = size_t{1} << 20;
    const std::string before = ReadFile(s.store / "data.mdb");
    auto v = Vault::Open(options, Key(kOldFill), clock);
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().code() == "wrong_master_key");
    CHECK(ReadFile(s.store / "data.mdb") == before);
  }
  if (replace) {
    SECTION("dev mode: the replaced DIR/master.key opens it") {
      Fixture f(s.store, s.key_path, clock, replace);
      CHECK(Ok(f.tenancy->ListTenants()).size() == 3);
    }
  }
}

TEST_CASE("KeyService::RotateMaster refusals are audited and change nothing",
          "[keys][service]") {
  Setup s;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const bool replace = GENERATE(true, false);
  INFO("replace_key_file " << replace);
  std::vector<std::string> keys_before;
  {
    Fixture f(s.store, s.key_path, clock, replace);
    Ok(f.tenancy->CreateTenant(kRoot, "acme"));
    const uint64_t seq_before = f.log->last_seq();

    struct Case {
      const char* what;
      std::function<fs::path()> make;  // the new key file to offer
      std::string code;
      std::string says;
    };
    const std::vector<Case> cases{
        {"the key already in use, as another file",
         [&] {
           const fs::path p = s.dir / "same.key";
           NewKeyFile(p, kOldFill);
           return p;
         },
         "same_key", "holds the master key already in use"},
        {"the key file itself", [&] { return s.key_path; }, "same_key",
         "holds the master key already in use"},
        {"a key file others can read",
         [&] {
           const fs::path p = s.dir / "open.key";
           WriteFile(p, Bytes(Key(kNewFill)));
           REQUIRE(chmod(p.c_str(), 0444) == 0);
           return p;
         },
         "master_key", "has mode 0444"},
        {"a missing file", [&] { return s.dir / "missing.key"; }, "master_key",
         "No such file or directory"},
        {"a file of the wrong size",
         [&] {
           const fs::path p = s.dir / "short.key";
           WriteFile(p, std::string(16, 'k'));
           REQUIRE(chmod(p.c_str(), 0400) == 0);
           return p;
         },
         "master_key", "holds 16 bytes"},
    };
    for (const Case& c : cases) {
      INFO(c.what);
      const fs::path offered = c.make();
      Result<MasterRotated> r = Status::Error("test", "not run");
      const Record rec = OneRecord(f, [&] { r = f.keys->RotateMaster(kRoot, offered); });
      CheckFails(r, c.code);
      CHECK_THAT(r.status().message(), Contains(c.says));
      CheckRecord(rec, "key.rotate_master", "", offered.string(), "error:" + c.code);
      CHECK(ReadFile(s.key_path) == Bytes(Key(kOldFill)));
      CHECK(ModeOf(s.key_path) == 0400u);
      CHECK_FALSE(fs::exists(fs::symlink_status(s.dir / "master.key.new")));
      auto probe = Ok(sigmad::crypto::Keyring::Create(Key(kOldFill)));
      CHECK(probe->VerifyKekCheck(Ok(f.vault->keyring().MakeKekCheck())).ToString() == "ok");
    }
    CHECK(f.log->last_seq() == seq_before + cases.size());
    CheckAuditVerifies(*f.log);
  }
  // The old key still opens the store; nothing was re-wrapped.
  Fixture f(s.store, s.key_path, clock, replace);
  CHECK(Ok(f.tenancy->ListTenants()).size() == 1);
  CheckAuditVerifies(*f.log);
}

TEST_CASE("KeyService::RotateMaster when the key file cannot be replaced",
          "[keys][service]") {
  Setup s;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const fs::path new_key = s.dir / "new.key";
  NewKeyFile(new_key, kNewFill);
  // The configured key path lies in a directory that does not exist, so the staged
  // PATH.new cannot be created; the store has committed by then.
  const fs::path unreachable = s.dir / "gone" / "master.key";
  {
    auto kek = Ok(sigmad::crypto::LoadMasterKey(s.key_path));
    EnvOptions options;
    options.dir = s.store;
    options.initial_map_bytes = size_t{1} << 20;
    auto vault = Ok(Vault::Open(options, std::move(kek), clock));
    auto log = Ok(AuditLog::Open(*vault));
    auto tenancy = Ok(TenancyService::Open(*vault, *log, clock));
    KeyService keys(*vault, *log, *tenancy, clock, unreachable, /*replace_key_file=*/true);
    auto r = keys.RotateMaster(kRoot, new_key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "master_key");
    CHECK_THAT(r.status().message(), Contains("the store now uses the key in " + new_key.string()));
    CHECK_THAT(r.status().message(), Contains("copy it there by hand"));
    const auto records = RecordsFrom(*log, 1);
    REQUIRE_FALSE(records.empty());
    CHECK(records.back().fields.action == "key.rotate_master");
    CHECK(records.back().fields.outcome == "ok");
  }
  Fixture f(s.store, new_key, clock, false);
  CheckAuditVerifies(*f.log);
}

// RotateMaster must switch the keyring to the new KEK before any other audited writer
// (a tenant being created) can wrap a data key: one wrapped under the old master key in
// a store whose check and other keys are under the new one would make the next
// RotateMaster fail and the store open with neither key. A stress test (it failed
// within a few rotations, every run, when the switch came after the audit lock).
TEST_CASE("KeyService::RotateMaster while tenants are being created keeps every key usable",
          "[keys][service]") {
  Setup s;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const fs::path key_a = s.key_path;
  const fs::path key_b = s.dir / "b.key";
  NewKeyFile(key_b, kNewFill);
  constexpr int kRotations = 100;
  fs::path last_key = key_a;
  std::vector<std::string> failures;
  int created = 0;
  {
    Fixture f(s.store, s.key_path, clock, false);
    std::atomic<bool> stop{false};
    std::atomic<int> made{0};
    // No Catch assertions on this thread: it only counts.
    std::thread creator([&] {
      for (int i = 0; !stop.load(); ++i) {
        if (f.tenancy->CreateTenant(kRoot, "t" + std::to_string(i)).ok()) ++made;
      }
    });
    for (int i = 0; i < kRotations && failures.empty(); ++i) {
      const fs::path next = i % 2 == 0 ? key_b : key_a;
      auto r = f.keys->RotateMaster(kRoot, next);
      if (r.ok()) {
        last_key = next;
      } else {
        failures.push_back("rotation " + std::to_string(i + 1) + ": " + r.status().ToString());
      }
    }
    stop = true;
    creator.join();
    created = made.load();
    auto verified = f.vault->Verify(nullptr);
    REQUIRE(verified.ok());
    std::string bad_keys;
    for (const auto& failure : verified->failures) {
      if (failure.db == "keys") bad_keys += failure.reason + "; ";
    }
    INFO("tenants created meanwhile: " << created);
    CHECK(bad_keys.empty());
  }
  INFO("tenants created meanwhile: " << created);
  {
    std::string failed;
    for (const auto& failure : failures) failed += failure + "\n";
    INFO(failed);
    CHECK(failures.empty());
  }
  // Whatever happened, the store must open with the key it last switched to.
  EnvOptions options;
  options.dir = s.store;
  options.initial_map_bytes = size_t{1} << 20;
  auto kek = sigmad::crypto::LoadMasterKey(last_key);
  REQUIRE(kek.ok());
  auto v = Vault::Open(options, std::move(kek).value(), clock);
  INFO(v.status().ToString());
  CHECK(v.ok());
}

namespace {

TEST_CASE("KeyService: data keys older than the policy's age are overdue and rotated",
          "[keys][service][policy]") {
  Setup s;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(s.store, s.key_path, clock, false);
  Ok(f.tenancy->CreateTenant(kRoot, "acme"));
  clock.Advance(std::chrono::hours(24 * 10));
  Ok(f.tenancy->CreateTenant(kRoot, "globex"));  // 10 days younger

  auto overdue = [&] {
    std::vector<std::string> out;
    for (const auto& r : Ok(f.keys->KeyStatus())) {
      if (r.overdue) out.push_back(r.owner + " " + std::to_string(r.term));
    }
    return out;
  };
  // No age set: nothing is ever overdue.
  clock.Advance(std::chrono::hours(24 * 1000));
  CHECK(overdue().empty());
  CHECK(Ok(f.keys->RotateOverdue()) == 0u);

  f.keys->SetDataKeyMaxAge(std::chrono::hours(24 * 1005));
  // system and acme are 1010 days old, globex 1000.
  CHECK(overdue() == std::vector<std::string>{"system 1", "acme 1"});
  const uint64_t seq = f.log->last_seq();
  CHECK(Ok(f.keys->RotateOverdue()) == 2u);
  CHECK(overdue().empty());
  CHECK(f.vault->keyring().CurrentTerm(kSystemTenant) == 2u);
  const auto records = RecordsFrom(*f.log, seq + 1);
  REQUIRE(records.size() == 2);
  for (const auto& r : records) {
    CHECK(r.fields.action == "key.rotate");
    CHECK(r.fields.actor == "sigmad");
    CHECK(r.fields.source == "policy");
  }
  // Old keys are not current, so never overdue; globex comes due later.
  clock.Advance(std::chrono::hours(24 * 5));
  CHECK(overdue() == std::vector<std::string>{"globex 1"});
  CHECK(Ok(f.keys->RotateOverdue()) == 1u);
  f.keys->SetDataKeyMaxAge(std::nullopt);
  clock.Advance(std::chrono::hours(24 * 5000));
  CHECK(overdue().empty());
  CheckAuditVerifies(*f.log);
}

}  // namespace

namespace {

TEST_CASE("KeyService: the master key's age, overdue past the policy's age, rotation resets it",
          "[keys][service][policy]") {
  Setup s;
  FakeClock clock{Time(milliseconds(kStartMs))};
  Fixture f(s.store, s.key_path, clock, false);
  MasterKeyInfo m = Ok(f.keys->MasterKeyStatus());
  CHECK(m.created == clock.Now());
  CHECK_FALSE(m.max_age.has_value());
  CHECK_FALSE(m.overdue);

  f.keys->SetMasterKeyMaxAge(std::chrono::hours(24 * 365));
  clock.Advance(std::chrono::hours(24 * 364));
  CHECK_FALSE(Ok(f.keys->MasterKeyStatus()).overdue);
  clock.Advance(std::chrono::hours(24));
  CHECK(Ok(f.keys->MasterKeyStatus()).overdue);
  // Never rotated automatically: overdue data keys are, the master key is not.
  Ok(f.keys->RotateOverdue());
  CHECK(Ok(f.keys->MasterKeyStatus()).overdue);

  // After a reopen the time is read back, not reset.
  f.Reopen(s.store, s.key_path, clock, false);
  f.keys->SetMasterKeyMaxAge(std::chrono::hours(24 * 365));
  CHECK(Ok(f.keys->MasterKeyStatus()).created == Time(milliseconds(kStartMs)));

  NewKeyFile(s.dir / "new.key", kNewFill);
  Ok(f.keys->RotateMaster(kRoot, s.dir / "new.key"));
  m = Ok(f.keys->MasterKeyStatus());
  CHECK(m.created == clock.Now());
  CHECK_FALSE(m.overdue);
}

}  // namespace
