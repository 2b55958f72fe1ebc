// Key rotation in the Vault: new data-key terms (AddTerm, UseTerm, CountByTerm) and
// master-key rotation (RewrapAllUnder, SwitchMasterKey).
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "crypto/aead.h"
#include "crypto/keyring.h"
#include "store/keys.h"
#include "store/vault.h"
#include "support/temp_dir.h"

// REQUIRE that reports the Status when it is not ok.
#define REQUIRE_OK(expr) REQUIRE((expr).ToString() == "ok")

namespace {

using namespace sigmad::store;
using sigmad::FakeClock;
using sigmad::Result;
using sigmad::Status;
using sigmad::crypto::Aead;
using sigmad::crypto::kSystemTenant;
using sigmad::crypto::SecretBytes;
using sigmad::testing::ReadFile;
using sigmad::testing::TempDir;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Time = std::chrono::system_clock::time_point;

constexpr int64_t kStartMs = 1795417500123;  // a whole millisecond: ListKeys keeps ms

constexpr uint64_t kTenantA = 2001;
constexpr uint64_t kTenantB = 2002;
constexpr uint64_t kTenantNoKey = 2003;  // never given a data key

constexpr uint8_t kOldFill = 0x4B;
constexpr uint8_t kNewFill = 0x6C;

// A master key of 32 bytes, all `fill`: two fills are two different keys.
SecretBytes Kek(uint8_t fill) {
  SecretBytes k(32);
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = fill;
  return k;
}

EnvOptions Options(const fs::path& dir) {
  EnvOptions o;
  o.dir = dir;
  o.initial_map_bytes = size_t{1} << 20;
  return o;
}

std::unique_ptr<Vault> OpenVault(const fs::path& dir, const FakeClock& clock,
                                 uint8_t fill = kOldFill) {
  auto v = Vault::Open(Options(dir), Kek(fill), clock);
  INFO(v.status().ToString());
  REQUIRE(v.ok());
  return std::move(v).value();
}

Table OpenTable(Vault& vault, const std::string& name, Owner owner) {
  auto t = vault.OpenTable(name, owner);
  INFO(t.status().ToString());
  REQUIRE(t.ok());
  return t.value();
}

std::string TenantKey(uint64_t tenant, uint64_t id) {
  return KeyBuilder().U64(tenant).U64(id).Build();
}

void CreateTenantKey(Vault& vault, uint64_t tenant) {
  REQUIRE_OK(vault.env().Update([&](WriteTxn& txn) { return vault.CreateTenantKey(txn, tenant); }));
}

void Put(Vault& vault, const Table& table, std::string_view key, uint64_t tenant,
         std::string_view plaintext) {
  REQUIRE_OK(vault.env().Update(
      [&](WriteTxn& txn) { return vault.Put(txn, table, key, tenant, plaintext); }));
}

// The opened value; the test fails if it does not open or is absent.
std::string GetOk(Vault& vault, const Table& table, std::string_view key, uint64_t tenant) {
  Result<std::optional<std::string>> got = Status::Error("test", "Get did not run");
  REQUIRE_OK(vault.env().View([&](ReadTxn& txn) {
    got = vault.Get(txn, table, key, tenant);
    return Status::Ok();
  }));
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  REQUIRE(got.value().has_value());
  return *got.value();
}

// The term in the header of the raw (sealed) value under `key`, read straight from LMDB.
uint32_t RawTerm(Vault& vault, const Table& table, std::string_view key) {
  std::optional<std::string> raw;
  REQUIRE_OK(vault.env().View([&](ReadTxn& txn) {
    auto v = txn.Get(table.dbi, key);
    if (!v.ok()) return v.status();
    if (v->has_value()) raw = std::string(*v.value());
    return Status::Ok();
  }));
  REQUIRE(raw.has_value());
  auto term = Aead::PeekTerm(*raw);
  INFO(term.status().ToString());
  REQUIRE(term.ok());
  return term.value();
}

// AddTerm in an Update of its own, then UseTerm; returns the new term.
uint32_t Rotate(Vault& vault, uint64_t tenant) {
  std::optional<Vault::NewTerm> added;
  REQUIRE_OK(vault.env().Update([&](WriteTxn& txn) -> Status {
    auto n = vault.AddTerm(txn, tenant);
    if (!n.ok()) return n.status();
    added = std::move(n).value();
    return Status::Ok();
  }));
  REQUIRE(added.has_value());
  const uint32_t term = added->term;
  REQUIRE_OK(vault.UseTerm(std::move(*added)));
  return term;
}

std::vector<Vault::KeyInfo> Keys(Vault& vault) {
  std::vector<Vault::KeyInfo> keys;
  REQUIRE_OK(vault.env().View([&](ReadTxn& txn) {
    auto k = vault.ListKeys(txn);
    if (!k.ok()) return k.status();
    keys = k.value();
    return Status::Ok();
  }));
  return keys;
}

// (tenant, term) of each stored data key, in key order.
std::vector<std::pair<uint64_t, uint32_t>> KeyIds(Vault& vault) {
  std::vector<std::pair<uint64_t, uint32_t>> out;
  for (const auto& k : Keys(vault)) out.emplace_back(k.tenant, k.term);
  return out;
}

Vault::TermCounts Counts(Vault& vault) {
  Vault::TermCounts counts;
  REQUIRE_OK(vault.env().View([&](ReadTxn& txn) {
    auto c = vault.CountByTerm(txn);
    if (!c.ok()) return c.status();
    counts = c.value();
    return Status::Ok();
  }));
  return counts;
}

// The raw wrapped data keys and key check, to see that a failed change left them alone.
std::vector<std::pair<std::string, std::string>> RawKeyMaterial(Vault& vault) {
  std::vector<std::pair<std::string, std::string>> out;
  auto keys = vault.env().OpenDb(kKeysDb);
  REQUIRE(keys.ok());
  auto meta = vault.env().OpenDb(kMetaDb);
  REQUIRE(meta.ok());
  REQUIRE_OK(vault.env().View([&](ReadTxn& txn) -> Status {
    out.clear();
    auto check = txn.Get(meta.value(), kKekCheckKey);
    if (!check.ok()) return check.status();
    if (!check.value()) return Status::Error("test", "no key check");
    out.emplace_back(kKekCheckKey, std::string(*check.value()));
    return txn.ForEach(keys.value(), "", [&](std::string_view k, std::string_view v, bool*) {
      out.emplace_back(std::string(k), std::string(v));
      return Status::Ok();
    });
  }));
  return out;
}

}  // namespace

TEST_CASE("Vault::AddTerm + UseTerm: a new current term, old values still open",
          "[store][vault][rotation]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const std::string key_old = TenantKey(kTenantA, 1);
  const std::string key_new = TenantKey(kTenantA, 2);
  const std::string key_b = TenantKey(kTenantB, 1);
  {
    auto vault = OpenVault(dir.path(), clock);
    const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
    const Table sys = OpenTable(*vault, "sys", Owner::kSystem);
    CreateTenantKey(*vault, kTenantA);
    CreateTenantKey(*vault, kTenantB);
    Put(*vault, things, key_old, kTenantA, "before rotation");
    Put(*vault, things, key_b, kTenantB, "tenant B value");
    Put(*vault, sys, "s1", kSystemTenant, "system value");
    CHECK(RawTerm(*vault, things, key_old) == 1u);

    clock.Advance(std::chrono::minutes(5));
    std::optional<Vault::NewTerm> added;
    REQUIRE_OK(vault->env().Update([&](WriteTxn& txn) -> Status {
      auto n = vault->AddTerm(txn, kTenantA);
      if (!n.ok()) return n.status();
      added = std::move(n).value();
      return Status::Ok();
    }));
    REQUIRE(added.has_value());
    CHECK(added->tenant == kTenantA);
    CHECK(added->term == 2u);
    CHECK(added->dek.size() == sigmad::crypto::kDataKeyBytes);
    // Stored, but not in use until UseTerm.
    CHECK(vault->keyring().CurrentTerm(kTenantA) == 1u);
    CHECK(vault->keyring().Terms(kTenantA) == std::vector<uint32_t>{1});
    REQUIRE_OK(vault->UseTerm(std::move(*added)));

    CHECK(vault->keyring().CurrentTerm(kTenantA) == 2u);
    CHECK(vault->keyring().Terms(kTenantA) == std::vector<uint32_t>{1, 2});
    CHECK(vault->keyring().CurrentTerm(kTenantB) == 1u);
    CHECK(vault->keyring().CurrentTerm(kSystemTenant) == 1u);

    // The stored key keeps when it was made.
    const auto keys = Keys(*vault);
    REQUIRE(keys.size() == 4);
    CHECK(keys[2].tenant == kTenantA);
    CHECK(keys[2].term == 2u);
    CHECK(keys[2].created == Time(milliseconds(kStartMs)) + std::chrono::minutes(5));

    SECTION("old values open, new values are sealed under term 2") {
      CHECK(GetOk(*vault, things, key_old, kTenantA) == "before rotation");
      Put(*vault, things, key_new, kTenantA, "after rotation");
      CHECK(RawTerm(*vault, things, key_new) == 2u);
      CHECK(RawTerm(*vault, things, key_old) == 1u);
      CHECK(GetOk(*vault, things, key_new, kTenantA) == "after rotation");
      // Other tenants are not rotated.
      Put(*vault, things, TenantKey(kTenantB, 2), kTenantB, "B again");
      CHECK(RawTerm(*vault, things, TenantKey(kTenantB, 2)) == 1u);
    }
    SECTION("overwriting an old value reseals it under the new term") {
      Put(*vault, things, key_old, kTenantA, "rewritten");
      CHECK(RawTerm(*vault, things, key_old) == 2u);
      CHECK(GetOk(*vault, things, key_old, kTenantA) == "rewritten");
    }
    SECTION("a second rotation gives term 3") {
      CHECK(Rotate(*vault, kTenantA) == 3u);
      CHECK(vault->keyring().CurrentTerm(kTenantA) == 3u);
      Put(*vault, things, key_new, kTenantA, "under 3");
      CHECK(RawTerm(*vault, things, key_new) == 3u);
      CHECK(GetOk(*vault, things, key_old, kTenantA) == "before rotation");
    }
    SECTION("the system key rotates the same way") {
      CHECK(Rotate(*vault, kSystemTenant) == 2u);
      Put(*vault, sys, "s2", kSystemTenant, "system after");
      CHECK(RawTerm(*vault, sys, "s2") == 2u);
      CHECK(GetOk(*vault, sys, "s1", kSystemTenant) == "system value");
    }
  }
  // Whatever the section did, the store reopens with term 2 (or more) current for A and
  // every value opening.
  auto vault = OpenVault(dir.path(), clock);
  const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
  const Table sys = OpenTable(*vault, "sys", Owner::kSystem);
  const auto terms = vault->keyring().Terms(kTenantA);
  REQUIRE(terms.size() >= 2);
  CHECK(terms.front() == 1u);
  CHECK(vault->keyring().CurrentTerm(kTenantA) == terms.back());
  CHECK(GetOk(*vault, things, key_b, kTenantB) == "tenant B value");
  CHECK(GetOk(*vault, sys, "s1", kSystemTenant) == "system value");
  const std::string at_old = GetOk(*vault, things, key_old, kTenantA);
  CHECK((at_old == "before rotation" || at_old == "rewritten"));
}

TEST_CASE("Vault: a reopened store restores the rotated term and opens both terms",
          "[store][vault][rotation]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const std::string k1 = TenantKey(kTenantA, 1);
  const std::string k2 = TenantKey(kTenantA, 2);
  {
    auto vault = OpenVault(dir.path(), clock);
    const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
    CreateTenantKey(*vault, kTenantA);
    Put(*vault, things, k1, kTenantA, "term one");
    REQUIRE(Rotate(*vault, kTenantA) == 2u);
    Put(*vault, things, k2, kTenantA, "term two");
  }
  auto vault = OpenVault(dir.path(), clock);
  const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
  CHECK(vault->keyring().CurrentTerm(kTenantA) == 2u);
  CHECK(vault->keyring().Terms(kTenantA) == std::vector<uint32_t>{1, 2});
  CHECK(GetOk(*vault, things, k1, kTenantA) == "term one");
  CHECK(GetOk(*vault, things, k2, kTenantA) == "term two");
  CHECK(RawTerm(*vault, things, k1) == 1u);
  CHECK(RawTerm(*vault, things, k2) == 2u);
  // New values after the reopen go under term 2, and the next rotation is term 3.
  Put(*vault, things, TenantKey(kTenantA, 3), kTenantA, "after reopen");
  CHECK(RawTerm(*vault, things, TenantKey(kTenantA, 3)) == 2u);
  CHECK(Rotate(*vault, kTenantA) == 3u);
  auto verified = vault->Verify(nullptr);
  REQUIRE(verified.ok());
  CHECK(verified->ok());
}

TEST_CASE("Vault::AddTerm in a failed Update changes neither the store nor the keyring",
          "[store][vault][rotation]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const std::string k1 = TenantKey(kTenantA, 1);
  {
    auto vault = OpenVault(dir.path(), clock);
    const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
    CreateTenantKey(*vault, kTenantA);
    Put(*vault, things, k1, kTenantA, "kept");
    const auto material = RawKeyMaterial(*vault);

    uint32_t term_in_txn = 0;
    const Status s = vault->env().Update([&](WriteTxn& txn) -> Status {
      auto n = vault->AddTerm(txn, kTenantA);
      if (!n.ok()) return n.status();
      term_in_txn = n.value().term;
      return Status::Error("test", "the rest of the change failed");
    });
    CHECK(s.code() == "test");
    CHECK(term_in_txn == 2u);
    CHECK(RawKeyMaterial(*vault) == material);
    CHECK(KeyIds(*vault) == std::vector<std::pair<uint64_t, uint32_t>>{{kSystemTenant, 1},
                                                                      {kTenantA, 1}});
    CHECK(vault->keyring().CurrentTerm(kTenantA) == 1u);
    CHECK(vault->keyring().Terms(kTenantA) == std::vector<uint32_t>{1});
    Put(*vault, things, TenantKey(kTenantA, 2), kTenantA, "still term 1");
    CHECK(RawTerm(*vault, things, TenantKey(kTenantA, 2)) == 1u);
  }
  auto vault = OpenVault(dir.path(), clock);
  const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
  CHECK(vault->keyring().CurrentTerm(kTenantA) == 1u);
  CHECK(vault->keyring().Terms(kTenantA) == std::vector<uint32_t>{1});
  CHECK(GetOk(*vault, things, k1, kTenantA) == "kept");
  // The term the failed Update took is free again.
  CHECK(Rotate(*vault, kTenantA) == 2u);
}

TEST_CASE("Vault::AddTerm refuses a tenant without keys", "[store][vault][rotation]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  auto vault = OpenVault(dir.path(), clock);
  CreateTenantKey(*vault, kTenantA);
  const auto before = KeyIds(*vault);

  SECTION("a tenant that never had a key") {
    Result<Vault::NewTerm> n = Status::Error("test", "AddTerm did not run");
    const Status s = vault->env().Update([&](WriteTxn& txn) -> Status {
      n = vault->AddTerm(txn, kTenantNoKey);
      return n.ok() ? Status::Ok() : n.status();
    });
    CHECK(s.code() == "no_key");
    REQUIRE_FALSE(n.ok());
    CHECK(n.status().code() == "no_key");
    CHECK_THAT(n.status().message(), Catch::Matchers::Contains(std::to_string(kTenantNoKey)));
  }
  SECTION("the neighbour of a tenant that has keys") {
    // Its keys-DB prefix differs from kTenantA's only in the last byte.
    Result<Vault::NewTerm> n = Status::Error("test", "AddTerm did not run");
    const Status s = vault->env().Update([&](WriteTxn& txn) -> Status {
      n = vault->AddTerm(txn, kTenantA + 1);
      return n.ok() ? Status::Ok() : n.status();
    });
    CHECK(s.code() == "no_key");
  }
  CHECK(KeyIds(*vault) == before);
  CHECK_FALSE(vault->keyring().CurrentTerm(kTenantNoKey).has_value());
}

TEST_CASE("Vault::CountByTerm counts values per tenant and term", "[store][vault][rotation]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  auto vault = OpenVault(dir.path(), clock);
  const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
  const Table other = OpenTable(*vault, "other", Owner::kTenantFirst);
  const Table sys = OpenTable(*vault, "sys", Owner::kSystem);
  CreateTenantKey(*vault, kTenantA);
  CreateTenantKey(*vault, kTenantB);

  SECTION("an empty store counts nothing") { CHECK(Counts(*vault).empty()); }
  SECTION("values across tables, tenants and terms") {
    Put(*vault, things, TenantKey(kTenantA, 1), kTenantA, "a1");
    Put(*vault, things, TenantKey(kTenantA, 2), kTenantA, "a1");
    Put(*vault, other, TenantKey(kTenantA, 1), kTenantA, "a1 in another table");
    Put(*vault, things, TenantKey(kTenantB, 1), kTenantB, "b1");
    Put(*vault, sys, "s1", kSystemTenant, "s1");
    REQUIRE(Rotate(*vault, kTenantA) == 2u);
    Put(*vault, things, TenantKey(kTenantA, 3), kTenantA, "a2");
    Put(*vault, other, TenantKey(kTenantA, 2), kTenantA, "a2");
    Put(*vault, things, TenantKey(kTenantA, 2), kTenantA, "a2, was a1");  // moves a value
    REQUIRE(Rotate(*vault, kTenantA) == 3u);  // a term with no values yet
    REQUIRE(Rotate(*vault, kSystemTenant) == 2u);
    Put(*vault, sys, "s2", kSystemTenant, "s2");
    Put(*vault, sys, "s3", kSystemTenant, "s3");
    Put(*vault, things, TenantKey(kTenantB, 2), kTenantB, "b1");

    const Vault::TermCounts expected{
        {{kSystemTenant, 1}, 1}, {{kSystemTenant, 2}, 2}, {{kTenantA, 1}, 2},
        {{kTenantA, 2}, 3},      {{kTenantB, 1}, 2},
    };
    CHECK(Counts(*vault) == expected);
  }
  SECTION("a damaged header is not counted, and does not stop the count") {
    Put(*vault, things, TenantKey(kTenantA, 1), kTenantA, "a1");
    Put(*vault, things, TenantKey(kTenantA, 2), kTenantA, "a1");
    REQUIRE_OK(vault->env().Update(
        [&](WriteTxn& txn) { return txn.Put(things.dbi, TenantKey(kTenantA, 0), "xx"); }));
    const Vault::TermCounts expected{{{kTenantA, 1}, 2}};
    CHECK(Counts(*vault) == expected);
  }
}

TEST_CASE("Vault::RewrapAllUnder + SwitchMasterKey move the store to a new master key",
          "[store][vault][rotation]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const std::string ka = TenantKey(kTenantA, 1);
  const std::string ka2 = TenantKey(kTenantA, 2);
  const std::string kb = TenantKey(kTenantB, 1);
  std::vector<Vault::KeyInfo> keys_before;
  {
    auto vault = OpenVault(dir.path(), clock, kOldFill);
    const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
    const Table sys = OpenTable(*vault, "sys", Owner::kSystem);
    CreateTenantKey(*vault, kTenantA);
    CreateTenantKey(*vault, kTenantB);
    Put(*vault, things, ka, kTenantA, "a under term 1");
    REQUIRE(Rotate(*vault, kTenantA) == 2u);
    Put(*vault, things, ka2, kTenantA, "a under term 2");
    Put(*vault, things, kb, kTenantB, "b");
    Put(*vault, sys, "s", kSystemTenant, "system");
    keys_before = Keys(*vault);
    REQUIRE(keys_before.size() == 4);  // system 1, A 1, A 2, B 1

    clock.Advance(std::chrono::hours(2));
    size_t rewrapped = 0;
    REQUIRE_OK(vault->env().Update([&](WriteTxn& txn) -> Status {
      auto n = vault->RewrapAllUnder(txn, Kek(kNewFill));
      if (!n.ok()) return n.status();
      rewrapped = n.value();
      return Status::Ok();
    }));
    CHECK(rewrapped == 4u);
    REQUIRE_OK(vault->SwitchMasterKey(Kek(kNewFill)));

    // The running store carries on: values open, keys are made under the new key.
    CHECK(GetOk(*vault, things, ka, kTenantA) == "a under term 1");
    CHECK(GetOk(*vault, things, ka2, kTenantA) == "a under term 2");
    CHECK(vault->keyring().CurrentTerm(kTenantA) == 2u);
    CHECK(Rotate(*vault, kTenantB) == 2u);
    Put(*vault, things, TenantKey(kTenantB, 2), kTenantB, "b under term 2");
    auto verified = vault->Verify(nullptr);
    REQUIRE(verified.ok());
    CHECK(verified->ok());
  }

  SECTION("the new master key opens the store, with every value and term") {
    auto vault = OpenVault(dir.path(), clock, kNewFill);
    const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
    const Table sys = OpenTable(*vault, "sys", Owner::kSystem);
    CHECK(GetOk(*vault, things, ka, kTenantA) == "a under term 1");
    CHECK(GetOk(*vault, things, ka2, kTenantA) == "a under term 2");
    CHECK(GetOk(*vault, things, kb, kTenantB) == "b");
    CHECK(GetOk(*vault, things, TenantKey(kTenantB, 2), kTenantB) == "b under term 2");
    CHECK(GetOk(*vault, sys, "s", kSystemTenant) == "system");
    CHECK(vault->keyring().CurrentTerm(kTenantA) == 2u);
    CHECK(vault->keyring().CurrentTerm(kTenantB) == 2u);
    // Re-wrapping kept each key's creation time.
    const auto keys = Keys(*vault);
    REQUIRE(keys.size() == 5);
    for (const auto& before : keys_before) {
      bool found = false;
      for (const auto& k : keys) {
        if (k.tenant == before.tenant && k.term == before.term) {
          found = true;
          CHECK(k.created == before.created);
        }
      }
      CHECK(found);
    }
    auto verified = vault->Verify(nullptr);
    REQUIRE(verified.ok());
    CHECK(verified->ok());
  }
  SECTION("the old master key no longer does, and changes nothing trying") {
    const std::string before = ReadFile(dir / "data.mdb");
    auto v = Vault::Open(Options(dir.path()), Kek(kOldFill), clock);
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().code() == "wrong_master_key");
    CHECK(ReadFile(dir / "data.mdb") == before);
  }
}

TEST_CASE("Vault::RewrapAllUnder in a failed Update changes nothing", "[store][vault][rotation]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const std::string ka = TenantKey(kTenantA, 1);
  {
    auto vault = OpenVault(dir.path(), clock, kOldFill);
    const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
    CreateTenantKey(*vault, kTenantA);
    Put(*vault, things, ka, kTenantA, "kept");
    const auto material = RawKeyMaterial(*vault);

    size_t rewrapped = 0;
    const Status s = vault->env().Update([&](WriteTxn& txn) -> Status {
      auto n = vault->RewrapAllUnder(txn, Kek(kNewFill));
      if (!n.ok()) return n.status();
      rewrapped = n.value();
      return Status::Error("test", "the audit record could not be written");
    });
    CHECK(s.code() == "test");
    CHECK(rewrapped == 2u);
    CHECK(RawKeyMaterial(*vault) == material);
    // The keyring still uses the old key: keys it makes now open after a reopen with it.
    CreateTenantKey(*vault, kTenantB);
    Put(*vault, things, TenantKey(kTenantB, 1), kTenantB, "b");
  }
  SECTION("the old key still opens the store") {
    auto vault = OpenVault(dir.path(), clock, kOldFill);
    const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
    CHECK(GetOk(*vault, things, ka, kTenantA) == "kept");
    CHECK(GetOk(*vault, things, TenantKey(kTenantB, 1), kTenantB) == "b");
  }
  SECTION("the new key does not") {
    auto v = Vault::Open(Options(dir.path()), Kek(kNewFill), clock);
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().code() == "wrong_master_key");
  }
}

TEST_CASE("Vault::RewrapAllUnder refuses a new master key of the wrong size",
          "[store][vault][rotation]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  auto vault = OpenVault(dir.path(), clock, kOldFill);
  const auto material = RawKeyMaterial(*vault);
  const Status s = vault->env().Update([&](WriteTxn& txn) -> Status {
    auto n = vault->RewrapAllUnder(txn, SecretBytes(16));
    return n.ok() ? Status::Ok() : n.status();
  });
  CHECK(s.code() == "invalid_key");
  CHECK(vault->SwitchMasterKey(SecretBytes(16)).code() == "invalid_key");
  CHECK(RawKeyMaterial(*vault) == material);
  CreateTenantKey(*vault, kTenantA);  // still wrapping under the old key
  vault.reset();
  CHECK(OpenVault(dir.path(), clock, kOldFill)->keyring().CurrentTerm(kTenantA) == 1u);
}
