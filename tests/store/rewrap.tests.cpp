// Vault::Rewrap: re-sealing a tenant's values under its current term in bounded,
// resumable steps.
#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <map>
#include <optional>
#include <string>

#include "common/clock.h"
#include "crypto/aead.h"
#include "crypto/keyring.h"
#include "store/keys.h"
#include "store/vault.h"
#include "support/temp_dir.h"

#define REQUIRE_OK(expr) REQUIRE((expr).ToString() == "ok")

namespace {

using namespace sigmad::store;
using sigmad::FakeClock;
using sigmad::Status;
using sigmad::crypto::kSystemTenant;
using sigmad::crypto::SecretBytes;
using sigmad::testing::TempDir;

constexpr uint64_t kAcme = 7, kGlobex = 9;

SecretBytes MasterKey() {
  SecretBytes k(32);
  std::memset(k.data(), 0x5A, k.size());
  return k;
}

struct Fixture {
  TempDir dir;
  FakeClock clock{std::chrono::system_clock::time_point(std::chrono::hours(490000))};
  std::unique_ptr<Vault> vault;
  std::optional<Table> a_, b_, sys_;  // two tenant tables and a system one

  Fixture() { Open(); }
  void Open() {
    vault.reset();
    EnvOptions o;
    o.dir = dir.path();
    auto v = Vault::Open(o, MasterKey(), clock);
    REQUIRE_OK(v.status());
    vault = std::move(v).value();
    a_ = vault->OpenTable("alpha", Owner::kTenantFirst).value();
    b_ = vault->OpenTable("beta", Owner::kTenantFirst).value();
    sys_ = vault->OpenTable("sys", Owner::kSystem).value();
  }
  const Table& a() const { return *a_; }
  const Table& b() const { return *b_; }
  const Table& sys() const { return *sys_; }
  static std::string Key(uint64_t tenant, uint64_t id) { return KeyBuilder().U64(tenant).U64(id).Build(); }
  void PutMany(const Table& t, uint64_t tenant, int n) {
    REQUIRE_OK(vault->env().Update([&](WriteTxn& txn) -> Status {
      for (int i = 0; i < n; ++i) {
        const std::string key = t.owner == Owner::kSystem ? KeyBuilder().U64(static_cast<uint64_t>(i)).Build()
                                                          : Key(tenant, static_cast<uint64_t>(i));
        if (Status s = vault->Put(txn, t, key, tenant, "v" + std::to_string(i)); !s.ok()) return s;
      }
      return Status::Ok();
    }));
  }
  void Rotate(uint64_t tenant) {
    std::optional<Vault::NewTerm> n;
    REQUIRE_OK(vault->env().Update([&](WriteTxn& txn) -> Status {
      auto added = vault->AddTerm(txn, tenant);
      if (!added.ok()) return added.status();
      n = std::move(added).value();
      return Status::Ok();
    }));
    REQUIRE_OK(vault->UseTerm(std::move(*n)));
  }
  // (tenant, term) -> values, over the registered tables.
  Vault::TermCounts Counts() {
    Vault::TermCounts c;
    REQUIRE_OK(vault->env().View([&](ReadTxn& txn) -> Status {
      auto got = vault->CountByTerm(txn);
      if (!got.ok()) return got.status();
      c = got.value();
      return Status::Ok();
    }));
    return c;
  }
  // One step of at most `batch`, saving the position like the worker does.
  Vault::RewrapStep Step(uint64_t tenant, const Vault::RewrapPosition& at, size_t batch) {
    Vault::RewrapStep out;
    REQUIRE_OK(vault->env().Update([&](WriteTxn& txn) -> Status {
      auto step = vault->Rewrap(txn, tenant, at, batch);
      if (!step.ok()) return step.status();
      out = step.value();
      return out.next.done ? vault->ClearRewrap(txn, tenant)
                           : vault->SaveRewrap(txn, tenant, out.next);
    }));
    return out;
  }
  std::vector<std::pair<uint64_t, Vault::RewrapPosition>> Pending() {
    std::vector<std::pair<uint64_t, Vault::RewrapPosition>> jobs;
    REQUIRE_OK(vault->env().View([&](ReadTxn& txn) -> Status {
      auto p = vault->PendingRewraps(txn);
      if (!p.ok()) return p.status();
      jobs = p.value();
      return Status::Ok();
    }));
    return jobs;
  }
};

}  // namespace

TEST_CASE("rewrap re-seals only the tenant's older values, in bounded steps",
          "[store][rewrap]") {
  Fixture f;
  for (uint64_t t : {kAcme, kGlobex}) {
    REQUIRE_OK(f.vault->env().Update([&](WriteTxn& txn) { return f.vault->CreateTenantKey(txn, t); }));
  }
  f.PutMany(f.a(), kAcme, 40);
  f.PutMany(f.b(), kAcme, 25);
  f.PutMany(f.a(), kGlobex, 10);
  f.Rotate(kAcme);
  f.PutMany(f.b(), kAcme, 1);  // key 0 of beta again, now under term 2
  auto before = f.Counts();
  CHECK(before[{kAcme, 1}] == 64);
  CHECK(before[{kAcme, 2}] == 1);

  Vault::RewrapPosition at;
  size_t steps = 0, resealed = 0;
  for (;;) {
    REQUIRE(steps < 100);
    auto step = f.Step(kAcme, at, 10);
    CHECK(step.resealed <= 10);
    resealed += step.resealed;
    ++steps;
    if (step.next.done) break;
    at = step.next;
  }
  CHECK(resealed == 64);
  CHECK(steps >= 7);  // 64 values at most 10 per step
  auto after = f.Counts();
  CHECK(after[{kAcme, 1}] == 0);
  CHECK(after[{kAcme, 2}] == 65);
  CHECK(after[{kGlobex, 1}] == 10);  // another tenant is untouched
  CHECK(f.Pending().empty());
  auto report = f.vault->Verify({});
  REQUIRE(report.ok());
  CHECK(report.value().ok());
}

TEST_CASE("a rewrap interrupted between steps resumes after reopening", "[store][rewrap]") {
  Fixture f;
  f.PutMany(f.sys(), kSystemTenant, 30);
  f.Rotate(kSystemTenant);
  REQUIRE_OK(f.vault->env().Update([&](WriteTxn& txn) { return f.vault->SaveRewrap(txn, kSystemTenant, {}); }));
  auto first = f.Step(kSystemTenant, {}, 8);
  REQUIRE_FALSE(first.next.done);
  CHECK(first.resealed == 8);

  f.Open();  // "restart": the position comes back from the store
  auto jobs = f.Pending();
  REQUIRE(jobs.size() == 1);
  CHECK(jobs[0].first == kSystemTenant);
  CHECK(jobs[0].second.table == first.next.table);
  CHECK(jobs[0].second.last_key == first.next.last_key);
  auto at = jobs[0].second;
  size_t resealed = first.resealed;
  for (int i = 0; i < 20; ++i) {
    auto step = f.Step(kSystemTenant, at, 8);
    resealed += step.resealed;
    if (step.next.done) break;
    at = step.next;
  }
  CHECK(resealed == 30);
  auto c = f.Counts();
  CHECK(c[{kSystemTenant, 1}] == 0);
  CHECK(f.Pending().empty());
}

TEST_CASE("rewrap of a tenant without keys is refused", "[store][rewrap]") {
  Fixture f;
  Status s = f.vault->env().Update([&](WriteTxn& txn) -> Status {
    auto step = f.vault->Rewrap(txn, 12345, {}, 10);
    return step.ok() ? Status::Ok() : step.status();
  });
  CHECK(s.code() == "no_key");
}
