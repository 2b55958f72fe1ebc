#include "store/vault.h"

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
#include "support/temp_dir.h"

// REQUIRE that reports the Status when it is not ok.
#define REQUIRE_OK(expr) REQUIRE((expr).ToString() == "ok")

namespace {

using namespace sigmad::store;
using Catch::Matchers::Contains;
using sigmad::FakeClock;
using sigmad::Result;
using sigmad::Status;
using sigmad::crypto::kSystemTenant;
using sigmad::crypto::SecretBytes;
using sigmad::testing::ReadFile;
using sigmad::testing::TempDir;
namespace fs = std::filesystem;
using std::chrono::milliseconds;
using Time = std::chrono::system_clock::time_point;

constexpr int64_t kStartMs = 1795417500123;  // a whole millisecond: ListKeys keeps ms

constexpr uint64_t kTenantA = 1001;
constexpr uint64_t kTenantB = 1002;
constexpr uint64_t kTenantNoKey = 1003;  // never given a data key

// A master key of 32 bytes, all `fill`: two fills are two different keys.
SecretBytes Kek(uint8_t fill = 0x4B) {
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

std::unique_ptr<Vault> OpenVault(const fs::path& dir, const FakeClock& clock, uint8_t fill = 0x4B) {
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

Dbi RawDb(Vault& vault, const std::string& name) {
  auto d = vault.env().OpenDb(name);
  INFO(d.status().ToString());
  REQUIRE(d.ok());
  return d.value();
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

// Vault::Get in a read transaction of its own.
Result<std::optional<std::string>> Get(Vault& vault, const Table& table, std::string_view key,
                                       uint64_t tenant) {
  Result<std::optional<std::string>> out = Status::Error("test", "Get did not run");
  REQUIRE_OK(vault.env().View([&](ReadTxn& txn) {
    out = vault.Get(txn, table, key, tenant);
    return Status::Ok();
  }));
  return out;
}

// The opened value; the test fails if it does not open or is absent.
std::string GetOk(Vault& vault, const Table& table, std::string_view key, uint64_t tenant) {
  auto got = Get(vault, table, key, tenant);
  INFO(got.status().ToString());
  REQUIRE(got.ok());
  REQUIRE(got.value().has_value());
  return *got.value();
}

// Get must fail with `code` and not leak `plaintext` into the message.
void CheckGetFails(Vault& vault, const Table& table, std::string_view key, uint64_t tenant,
                   const std::string& code, const std::string& plaintext) {
  auto got = Get(vault, table, key, tenant);
  INFO("Get returned " << got.status().ToString());
  REQUIRE_FALSE(got.ok());
  CHECK(got.status().code() == code);
  CHECK_THAT(got.status().message(), Contains("'" + table.dbi.name() + "'"));
  CHECK_THAT(got.status().message(), !Contains(plaintext));
}

// The raw (sealed) bytes under `key`; nullopt if absent.
std::optional<std::string> RawGet(Vault& vault, const Dbi& dbi, std::string_view key) {
  std::optional<std::string> out;
  REQUIRE_OK(vault.env().View([&](ReadTxn& txn) {
    auto v = txn.Get(dbi, key);
    if (!v.ok()) return v.status();
    if (v->has_value()) out = std::string(*v.value());
    return Status::Ok();
  }));
  return out;
}

void RawPut(Vault& vault, const Dbi& dbi, std::string_view key, std::string_view value) {
  REQUIRE_OK(vault.env().Update([&](WriteTxn& txn) { return txn.Put(dbi, key, value); }));
}

VerifyReport VerifyOk(Vault& vault, std::vector<std::string>* progress = nullptr) {
  auto r = vault.Verify([&](const std::string& db) {
    if (progress) progress->push_back(db);
  });
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

// The report's entry for `name`; the test fails if there is none.
VerifyReport::Db DbOf(const VerifyReport& report, const std::string& name) {
  for (const auto& d : report.dbs) {
    if (d.name == name) return d;
  }
  FAIL("no entry for DB '" << name << "' in the report");
  return {};
}

std::vector<std::string> Names(const VerifyReport& report) {
  std::vector<std::string> out;
  for (const auto& d : report.dbs) out.push_back(d.name);
  return out;
}

std::vector<std::pair<std::string, std::string>> ScanAll(Vault& vault, const Table& table,
                                                         std::string_view prefix) {
  std::vector<std::pair<std::string, std::string>> out;
  REQUIRE_OK(vault.env().View([&](ReadTxn& txn) {
    out.clear();
    return vault.Scan(txn, table, prefix, [&](std::string_view k, std::string_view p, bool*) {
      out.emplace_back(std::string(k), std::string(p));
      return Status::Ok();
    });
  }));
  return out;
}

}  // namespace

TEST_CASE("Vault::Open makes a new store: key check, system data key term 1", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  auto vault = OpenVault(dir.path(), clock);

  CHECK(vault->keyring().CurrentTerm(kSystemTenant) == 1u);
  CHECK(vault->keyring().Terms(kSystemTenant) == std::vector<uint32_t>{1});
  CHECK(vault->env().dir() == dir.path());

  // The key check opens under the master key the store was made with.
  auto check = RawGet(*vault, RawDb(*vault, kMetaDb), kKekCheckKey);
  REQUIRE(check.has_value());
  CHECK(vault->keyring().VerifyKekCheck(*check).ToString() == "ok");
  // The schema version was recorded after the key check.
  CHECK(RawGet(*vault, RawDb(*vault, kMetaDb), kSchemaVersionKey) ==
        KeyBuilder().U32(kSchemaVersion).Build());

  // Exactly one data key: the system tenant's, term 1, made now.
  std::vector<Vault::KeyInfo> keys;
  REQUIRE_OK(vault->env().View([&](ReadTxn& txn) {
    auto k = vault->ListKeys(txn);
    if (!k.ok()) return k.status();
    keys = k.value();
    return Status::Ok();
  }));
  REQUIRE(keys.size() == 1);
  CHECK(keys[0].tenant == kSystemTenant);
  CHECK(keys[0].term == 1u);
  CHECK(keys[0].created == clock.Now());
  // Stored under its (tenant, term) key, wrapped: 8 bytes of time + the sealed DEK.
  auto wrapped = RawGet(*vault, RawDb(*vault, kKeysDb), KeyOfDataKey(kSystemTenant, 1));
  REQUIRE(wrapped.has_value());
  CHECK(wrapped->size() == 8 + sigmad::crypto::kDataKeyBytes + sigmad::crypto::kSealOverhead);
}

TEST_CASE("Vault Put/Get round trip, and the data opens again after reopening", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const std::string key_a = TenantKey(kTenantA, 7);
  const std::string binary_plain("tenant A's \0 value \xFF", 20);
  {
    auto vault = OpenVault(dir.path(), clock);
    const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
    const Table sys = OpenTable(*vault, "sys", Owner::kSystem);
    clock.Advance(std::chrono::hours(1));
    CreateTenantKey(*vault, kTenantA);
    CHECK(vault->keyring().CurrentTerm(kTenantA) == 1u);

    // No key yet, no seal: a tenant without a data key cannot store anything.
    REQUIRE_OK(vault->env().Update([&](WriteTxn& txn) {
      const Status s = vault->Put(txn, things, TenantKey(kTenantNoKey, 1), kTenantNoKey, "x");
      CHECK(s.code() == "no_key");
      return Status::Ok();
    }));

    Put(*vault, things, key_a, kTenantA, binary_plain);
    Put(*vault, sys, "settings", kSystemTenant, "system value");
    CHECK(GetOk(*vault, things, key_a, kTenantA) == binary_plain);
    CHECK(GetOk(*vault, sys, "settings", kSystemTenant) == "system value");

    // Absent is not an error.
    auto absent = Get(*vault, things, TenantKey(kTenantA, 8), kTenantA);
    REQUIRE(absent.ok());
    CHECK_FALSE(absent.value().has_value());

    // What is stored is sealed: plaintext size + overhead, no plaintext in it.
    auto raw = RawGet(*vault, things.dbi, key_a);
    REQUIRE(raw.has_value());
    CHECK(raw->size() == binary_plain.size() + sigmad::crypto::kSealOverhead);
    CHECK(raw->find("tenant A") == std::string::npos);
    auto raw_sys = RawGet(*vault, sys.dbi, "settings");
    REQUIRE(raw_sys.has_value());
    CHECK(raw_sys->find("system value") == std::string::npos);
    CHECK(vault->keyring().CurrentTerm(kTenantA) == 1u);
  }
  {
    clock.Advance(std::chrono::hours(1));
    auto vault = OpenVault(dir.path(), clock);
    // The tenant key was reloaded from the keys DB: same term, same key.
    CHECK(vault->keyring().CurrentTerm(kTenantA) == 1u);
    CHECK(vault->keyring().Terms(kTenantA) == std::vector<uint32_t>{1});
    CHECK(vault->keyring().CurrentTerm(kSystemTenant) == 1u);
    CHECK_FALSE(vault->keyring().CurrentTerm(kTenantNoKey).has_value());
    const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
    const Table sys = OpenTable(*vault, "sys", Owner::kSystem);
    CHECK(GetOk(*vault, things, key_a, kTenantA) == binary_plain);
    CHECK(GetOk(*vault, sys, "settings", kSystemTenant) == "system value");
    const auto scanned = ScanAll(*vault, things, KeyBuilder().U64(kTenantA).Build());
    REQUIRE(scanned.size() == 1);
    CHECK(scanned[0].first == key_a);
    CHECK(scanned[0].second == binary_plain);

    // ListKeys keeps when each key was made (not when the store was reopened).
    std::vector<Vault::KeyInfo> keys;
    REQUIRE_OK(vault->env().View([&](ReadTxn& txn) {
      auto k = vault->ListKeys(txn);
      if (!k.ok()) return k.status();
      keys = k.value();
      return Status::Ok();
    }));
    REQUIRE(keys.size() == 2);
    CHECK(keys[0].tenant == kSystemTenant);
    CHECK(keys[0].created == Time(milliseconds(kStartMs)));
    CHECK(keys[1].tenant == kTenantA);
    CHECK(keys[1].term == 1u);
    CHECK(keys[1].created == Time(milliseconds(kStartMs)) + std::chrono::hours(1));
  }
}

TEST_CASE("CreateTenantKey refuses a tenant that has a key and keeps the old one",
          "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  auto vault = OpenVault(dir.path(), clock);
  const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
  CreateTenantKey(*vault, kTenantA);
  Put(*vault, things, TenantKey(kTenantA, 1), kTenantA, "first");

  SECTION("a second key for the same tenant") {
    const Status s =
        vault->env().Update([&](WriteTxn& txn) { return vault->CreateTenantKey(txn, kTenantA); });
    CHECK(s.code() == kCodeExists);
    CHECK(vault->keyring().CurrentTerm(kTenantA) == 1u);
    CHECK(GetOk(*vault, things, TenantKey(kTenantA, 1), kTenantA) == "first");
  }
  SECTION("a failed Update leaves no wrapped key; DiscardTenantKeys drops the installed one") {
    const Status s = vault->env().Update([&](WriteTxn& txn) {
      if (Status k = vault->CreateTenantKey(txn, kTenantB); !k.ok()) return k;
      return Status::Error("test", "the rest of the change failed");
    });
    CHECK(s.code() == "test");
    CHECK_FALSE(RawGet(*vault, RawDb(*vault, kKeysDb), KeyOfDataKey(kTenantB, 1)).has_value());
    vault->DiscardTenantKeys(kTenantB);
    CHECK_FALSE(vault->keyring().CurrentTerm(kTenantB).has_value());
    CreateTenantKey(*vault, kTenantB);  // and it can be created for real afterwards
    CHECK(vault->keyring().CurrentTerm(kTenantB) == 1u);
  }
}

TEST_CASE("Vault::Open with another master key fails and changes nothing", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const std::string key_a = TenantKey(kTenantA, 1);
  {
    auto vault = OpenVault(dir.path(), clock, 0x11);
    const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
    CreateTenantKey(*vault, kTenantA);
    Put(*vault, things, key_a, kTenantA, "kept");
  }
  const std::string before = ReadFile(dir / "data.mdb");

  SECTION("another 32-byte key") {
    auto v = Vault::Open(Options(dir.path()), Kek(0x22), clock);
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().code() == "wrong_master_key");
    CHECK_THAT(v.status().message(), Contains(dir.path().string()));
  }
  SECTION("a fresh random key") {
    auto random = sigmad::crypto::Keyring::NewDataKey();
    REQUIRE(random.ok());
    auto v = Vault::Open(Options(dir.path()), std::move(random).value(), clock);
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().code() == "wrong_master_key");
  }
  SECTION("a key of the wrong size") {
    auto v = Vault::Open(Options(dir.path()), SecretBytes(16), clock);
    REQUIRE_FALSE(v.ok());
    CHECK(v.status().code() == "invalid_key");
  }
  CHECK(ReadFile(dir / "data.mdb") == before);

  // The right key still opens everything.
  auto vault = OpenVault(dir.path(), clock, 0x11);
  const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
  CHECK(GetOk(*vault, things, key_a, kTenantA) == "kept");
}

TEST_CASE("Vault::Aad binds the DB name, the key and the tenant", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  auto vault = OpenVault(dir.path(), clock);
  const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
  const std::string key("k\0y", 3);
  CHECK(Vault::Aad(things, key, 0x0102030405060708).view() ==
        std::string("things\0k\0y\x01\x02\x03\x04\x05\x06\x07\x08", 18));
}

TEST_CASE("RecordAad holds long names and keys too", "[store][vault]") {
  // Short AADs live inside the object, longer ones on the heap: both give the same bytes.
  for (const size_t key_size : {0, 1, 100, 118, 119, 120, 511}) {
    INFO("key of " << key_size << " bytes");
    const std::string key(key_size, '\xab');
    const RecordAad aad("things", key, 0x0102030405060708);
    CHECK(aad.view() == "things" + std::string(1, '\0') + key +
                            std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  }
  const std::string db(300, 'd');
  CHECK(RecordAad(db, "k", 0).view() == db + std::string("\0k", 2) + std::string(8, '\0'));
}

TEST_CASE("A sealed value moved to another key, DB or tenant does not open", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  auto vault = OpenVault(dir.path(), clock);
  const Table projects = OpenTable(*vault, "projects", Owner::kTenantFirst);
  const Table tasks = OpenTable(*vault, "tasks", Owner::kTenantFirst);
  CreateTenantKey(*vault, kTenantA);
  CreateTenantKey(*vault, kTenantB);
  const std::string secret = "secret-of-tenant-A";
  const std::string key_a = TenantKey(kTenantA, 1);
  Put(*vault, projects, key_a, kTenantA, secret);
  const std::string sealed = *RawGet(*vault, projects.dbi, key_a);

  SECTION("another key of the same table, same tenant") {
    const std::string other = TenantKey(kTenantA, 2);
    RawPut(*vault, projects.dbi, other, sealed);
    // The tenant's key is right, the associated data (the key) is not: "integrity".
    CheckGetFails(*vault, projects, other, kTenantA, "integrity", secret);
    auto report = VerifyOk(*vault);
    CHECK_FALSE(report.ok());
    REQUIRE(report.failures.size() == 1);
    CHECK(report.failures[0].db == "projects");
    CHECK(report.failures[0].key_hex == KeyHex(other));
  }
  SECTION("the same key in another table") {
    RawPut(*vault, tasks.dbi, key_a, sealed);
    CheckGetFails(*vault, tasks, key_a, kTenantA, "integrity", secret);
    auto report = VerifyOk(*vault);
    CHECK(DbOf(report, "tasks").failed == 1);
    CHECK(DbOf(report, "projects").failed == 0);
  }
  SECTION("under another tenant's key prefix") {
    const std::string key_b = TenantKey(kTenantB, 1);
    RawPut(*vault, projects.dbi, key_b, sealed);
    // B has a term-1 key, so the keyring tries it: the value does not authenticate
    // under B's key (nor under the aad naming B): "integrity", not A's plaintext.
    CheckGetFails(*vault, projects, key_b, kTenantB, "integrity", secret);
    // Even a caller claiming tenant A for B's key cannot open it: the key is in the aad.
    CheckGetFails(*vault, projects, key_b, kTenantA, "integrity", secret);
    // Listing B's records stops at it, naming the DB and the key.
    const Status s = vault->env().View([&](ReadTxn& txn) {
      return vault->Scan(txn, projects, KeyBuilder().U64(kTenantB).Build(),
                         [&](std::string_view, std::string_view, bool*) {
                           FAIL("Scan handed out a value that should not open");
                           return Status::Ok();
                         });
    });
    CHECK(s.code() == "integrity");
    CHECK_THAT(s.message(), Contains("'projects'") && Contains(KeyHex(key_b)));
    CHECK_THAT(s.message(), !Contains(secret));
    auto report = VerifyOk(*vault);
    REQUIRE(report.failures.size() == 1);
    CHECK(report.failures[0].key_hex == KeyHex(key_b));
  }
  SECTION("under the prefix of a tenant that has no data key") {
    const std::string key_c = TenantKey(kTenantNoKey, 1);
    RawPut(*vault, projects.dbi, key_c, sealed);
    // The keyring has no key of that tenant to even try: "no_key" (as for a forgotten,
    // crypto-shredded tenant). Still no plaintext.
    CheckGetFails(*vault, projects, key_c, kTenantNoKey, "no_key", secret);
    CHECK(DbOf(VerifyOk(*vault), "projects").failed == 1);
  }
  // Whatever was copied, the original still opens where it belongs.
  CHECK(GetOk(*vault, projects, key_a, kTenantA) == secret);
}

TEST_CASE("A flipped byte in a sealed value fails Get and is named by Verify", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  auto vault = OpenVault(dir.path(), clock);
  const Table projects = OpenTable(*vault, "projects", Owner::kTenantFirst);
  const Table sys = OpenTable(*vault, "sys", Owner::kSystem);
  CreateTenantKey(*vault, kTenantA);
  CreateTenantKey(*vault, kTenantB);
  const std::string plain = "a project of A";
  const std::string target = TenantKey(kTenantA, 2);
  Put(*vault, projects, TenantKey(kTenantA, 1), kTenantA, "another project of A");
  Put(*vault, projects, target, kTenantA, plain);
  Put(*vault, projects, TenantKey(kTenantB, 1), kTenantB, "a project of B");
  Put(*vault, sys, "s1", kSystemTenant, "system 1");
  Put(*vault, sys, "s2", kSystemTenant, "system 2");

  SECTION("an intact store verifies, with per-DB record counts") {
    std::vector<std::string> progress;
    const VerifyReport report = VerifyOk(*vault, &progress);
    CHECK(report.ok());
    CHECK(report.failures.empty());
    CHECK(report.unknown.empty());
    // The keys DB first, then the tables in the order they were opened.
    CHECK(Names(report) == std::vector<std::string>{"keys", "projects", "sys"});
    CHECK(progress == std::vector<std::string>{"keys", "projects", "sys"});
    CHECK(DbOf(report, "keys").records == 3);  // system, A and B, term 1 each
    CHECK(DbOf(report, "projects").records == 3);
    CHECK(DbOf(report, "sys").records == 2);
    for (const auto& d : report.dbs) CHECK(d.failed == 0);
  }

  SECTION("every byte outside the header's term") {
    const std::string sealed = *RawGet(*vault, projects.dbi, target);
    for (size_t i = 0; i < sealed.size(); ++i) {
      if (i >= 1 && i < 5) continue;  // the term: its own test below
      INFO("byte " << i << " of " << sealed.size());
      std::string bad = sealed;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      RawPut(*vault, projects.dbi, target, bad);
      CheckGetFails(*vault, projects, target, kTenantA, "integrity", plain);

      const VerifyReport report = VerifyOk(*vault);
      CHECK_FALSE(report.ok());
      CHECK(DbOf(report, "projects").records == 3);
      CHECK(DbOf(report, "projects").failed == 1);
      CHECK(DbOf(report, "sys").failed == 0);
      CHECK(DbOf(report, "keys").failed == 0);
      REQUIRE(report.failures.size() == 1);
      CHECK(report.failures[0].db == "projects");
      CHECK(report.failures[0].key_hex == KeyHex(target));
      CHECK_FALSE(report.failures[0].reason.empty());
    }
    RawPut(*vault, projects.dbi, target, sealed);
    CHECK(VerifyOk(*vault).ok());
    CHECK(GetOk(*vault, projects, target, kTenantA) == plain);
  }

  SECTION("a truncated value") {
    const std::string sealed = *RawGet(*vault, projects.dbi, target);
    for (size_t n : {size_t{0}, size_t{1}, sigmad::crypto::kSealOverhead - 1, sealed.size() - 1}) {
      INFO("kept " << n << " bytes");
      RawPut(*vault, projects.dbi, target, sealed.substr(0, n));
      CheckGetFails(*vault, projects, target, kTenantA, "integrity", plain);
      CHECK(DbOf(VerifyOk(*vault), "projects").failed == 1);
    }
  }

  SECTION("a flipped byte in a system value") {
    std::string bad = *RawGet(*vault, sys.dbi, "s2");
    bad.back() = static_cast<char>(bad.back() ^ 0x80);
    RawPut(*vault, sys.dbi, "s2", bad);
    CheckGetFails(*vault, sys, "s2", kSystemTenant, "integrity", "system 2");
    const VerifyReport report = VerifyOk(*vault);
    CHECK(DbOf(report, "sys").failed == 1);
    REQUIRE(report.failures.size() == 1);
    CHECK(report.failures[0].db == "sys");
    CHECK(report.failures[0].key_hex == KeyHex("s2"));
  }
}

// A flipped bit in the 4-byte term of the sealed header makes Keyring::Open look for a
// term the tenant does not have; the Vault must call that damage ("integrity"), not a
// missing key.
TEST_CASE("A flipped byte in a sealed value's term is an integrity failure",
          "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  auto vault = OpenVault(dir.path(), clock);
  const Table projects = OpenTable(*vault, "projects", Owner::kTenantFirst);
  CreateTenantKey(*vault, kTenantA);
  const std::string plain = "a project of A";
  const std::string target = TenantKey(kTenantA, 2);
  Put(*vault, projects, target, kTenantA, plain);
  const std::string sealed = *RawGet(*vault, projects.dbi, target);
  for (size_t i = 1; i < 5; ++i) {
    INFO("term byte " << i);
    std::string bad = sealed;
    bad[i] = static_cast<char>(bad[i] ^ 0x01);
    RawPut(*vault, projects.dbi, target, bad);
    CheckGetFails(*vault, projects, target, kTenantA, "integrity", plain);
    // Verify does count it (it only reports the message).
    const VerifyReport report = VerifyOk(*vault);
    CHECK(DbOf(report, "projects").failed == 1);
  }
}

TEST_CASE("Verify lists DBs no module opened as unknown, without checking them", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  {
    auto vault = OpenVault(dir.path(), clock);
    const Table known = OpenTable(*vault, "known", Owner::kSystem);
    Put(*vault, known, "k", kSystemTenant, "v");
    RawPut(*vault, RawDb(*vault, "stray"), "k", "not sealed at all");
    // Opened through the Env, not OpenTable: not registered, so not checked.
    const VerifyReport report = VerifyOk(*vault);
    CHECK(report.unknown == std::vector<std::string>{"stray"});
    CHECK(Names(report) == std::vector<std::string>{"keys", "known"});
    CHECK(report.ok());
  }
  auto vault = OpenVault(dir.path(), clock);
  SECTION("after reopening, DBs not opened this time are unknown too") {
    const VerifyReport report = VerifyOk(*vault);
    CHECK(report.unknown == std::vector<std::string>{"known", "stray"});
    CHECK(Names(report) == std::vector<std::string>{"keys"});
    CHECK(report.ok());
  }
  SECTION("once opened as a table, a DB is checked") {
    OpenTable(*vault, "known", Owner::kSystem);
    OpenTable(*vault, "stray", Owner::kSystem);
    OpenTable(*vault, "stray", Owner::kSystem);  // registered once
    const VerifyReport report = VerifyOk(*vault);
    CHECK(report.unknown.empty());
    CHECK(Names(report) == std::vector<std::string>{"keys", "known", "stray"});
    CHECK(DbOf(report, "stray").records == 1);
    CHECK(DbOf(report, "stray").failed == 1);
    CHECK_FALSE(report.ok());
  }
}

TEST_CASE("A damaged wrapped data key is reported by Verify and stops Open", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  const std::string entry_a = KeyOfDataKey(kTenantA, 1);
  {
    auto vault = OpenVault(dir.path(), clock);
    CreateTenantKey(*vault, kTenantA);
    CreateTenantKey(*vault, kTenantB);
    const Dbi keys = RawDb(*vault, kKeysDb);
    const std::string wrapped = *RawGet(*vault, keys, entry_a);

    std::string expected_hex = KeyHex(entry_a);
    const std::string open_code = "integrity";
    std::string open_names = "tenant " + std::to_string(kTenantA) + " term 1";
    SECTION("a flipped byte in the wrapped key") {
      std::string bad = wrapped;
      bad[8 + 20] = static_cast<char>(bad[8 + 20] ^ 0x04);  // past the 8-byte created time
      RawPut(*vault, keys, entry_a, bad);
    }
    SECTION("B's wrapped key copied over A's") {
      RawPut(*vault, keys, entry_a, *RawGet(*vault, keys, KeyOfDataKey(kTenantB, 1)));
    }
    SECTION("A's wrapped key filed under term 2 as well") {
      // Wrapped keys are bound to their (tenant, term): the copy does not unwrap.
      const std::string entry_a2 = KeyOfDataKey(kTenantA, 2);
      RawPut(*vault, keys, entry_a2, wrapped);
      expected_hex = KeyHex(entry_a2);
      open_names = "tenant " + std::to_string(kTenantA) + " term 2";
    }
    SECTION("a malformed entry") {
      const std::string odd = KeyBuilder().U64(kTenantA).Build();  // no term
      RawPut(*vault, keys, odd, wrapped);
      expected_hex = KeyHex(odd);
      open_names = "malformed entry in the keys DB";
    }
    const VerifyReport report = VerifyOk(*vault);
    CHECK_FALSE(report.ok());
    CHECK(DbOf(report, "keys").failed == 1);
    REQUIRE(report.failures.size() == 1);
    CHECK(report.failures[0].db == "keys");
    CHECK(report.failures[0].key_hex == expected_hex);

    vault.reset();
    auto reopened = Vault::Open(Options(dir.path()), Kek(), clock);
    REQUIRE_FALSE(reopened.ok());
    CHECK(reopened.status().code() == open_code);
    CHECK_THAT(reopened.status().message(), Contains(open_names));
  }
}

TEST_CASE("System values: tenant 0 and Owner::kSystem tables", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  auto vault = OpenVault(dir.path(), clock);
  const Table sys = OpenTable(*vault, "sysrec", Owner::kSystem);
  const Table tenant_first = OpenTable(*vault, "things", Owner::kTenantFirst);
  CreateTenantKey(*vault, kTenantA);

  SECTION("Table::TenantOf") {
    CHECK(sys.TenantOf("") == kSystemTenant);
    CHECK(sys.TenantOf(TenantKey(kTenantA, 1)) == kSystemTenant);
    CHECK(tenant_first.TenantOf(TenantKey(kTenantA, 1)) == kTenantA);
    CHECK(tenant_first.TenantOf(KeyBuilder().U64(kSystemTenant).Build()) == kSystemTenant);
    // Too short to name a tenant: no tenant has that id, so nothing opens under it.
    CHECK(tenant_first.TenantOf("short") == ~uint64_t{0});
  }
  SECTION("system values in a system table: any key, opened by Scan and Verify") {
    Put(*vault, sys, "a", kSystemTenant, "one");
    Put(*vault, sys, TenantKey(kTenantA, 1), kSystemTenant, "two");  // not A's: the table's
    const auto all = ScanAll(*vault, sys, "");
    REQUIRE(all.size() == 2);
    CHECK(all[1].second == "one");  // "a" (0x61) sorts after the 0x00.. key
    CHECK(all[0].second == "two");
    const VerifyReport report = VerifyOk(*vault);
    CHECK(report.ok());
    CHECK(DbOf(report, "sysrec").records == 2);
    // The system key opens them, tenant A's does not.
    CheckGetFails(*vault, sys, "a", kTenantA, "integrity", "one");
  }
  SECTION("a system table value sealed for a tenant is reported") {
    // Put trusts the tenant it is given; Verify derives it from the table, so a value
    // sealed for the wrong owner is caught there.
    Put(*vault, sys, "misfiled", kTenantA, "tenant data in a system table");
    const VerifyReport report = VerifyOk(*vault);
    CHECK(DbOf(report, "sysrec").failed == 1);
    REQUIRE(report.failures.size() == 1);
    CHECK(report.failures[0].key_hex == KeyHex("misfiled"));
  }
  SECTION("a system value copied into a tenant-first table under tenant 0") {
    Put(*vault, sys, "x", kSystemTenant, "system secret");
    const std::string key0 = KeyBuilder().U64(kSystemTenant).Bytes("x").Build();
    RawPut(*vault, tenant_first.dbi, key0, *RawGet(*vault, sys.dbi, "x"));
    CheckGetFails(*vault, tenant_first, key0, kSystemTenant, "integrity", "system secret");
    CHECK(DbOf(VerifyOk(*vault), "things").failed == 1);
  }
  SECTION("a value with a key too short for a tenant-first table") {
    Put(*vault, tenant_first, "short", kSystemTenant, "v");
    CHECK(DbOf(VerifyOk(*vault), "things").failed == 1);
  }
  SECTION("the system key survives reopening and is in the keys DB") {
    Put(*vault, sys, "a", kSystemTenant, "one");
    vault.reset();
    vault = OpenVault(dir.path(), clock);
    const Table sys2 = OpenTable(*vault, "sysrec", Owner::kSystem);
    CHECK(GetOk(*vault, sys2, "a", kSystemTenant) == "one");
    CHECK(RawGet(*vault, RawDb(*vault, kKeysDb), KeyOfDataKey(kSystemTenant, 1)).has_value());
  }
}

// Deletes the key check of the store in `dir`, which holds tenant A's data.
void MakeStoreWithoutKeyCheck(const fs::path& dir, const FakeClock& clock) {
  auto vault = OpenVault(dir, clock);
  const Table things = OpenTable(*vault, "things", Owner::kTenantFirst);
  CreateTenantKey(*vault, kTenantA);
  Put(*vault, things, TenantKey(kTenantA, 1), kTenantA, "kept");
  const Dbi meta = RawDb(*vault, kMetaDb);
  REQUIRE_OK(vault->env().Update([&](WriteTxn& txn) -> Status {
    auto gone = txn.Delete(meta, kKekCheckKey);
    if (!gone.ok()) return gone.status();
    return gone.value() ? Status::Ok() : Status::Error("test", "no key check");
  }));
}

TEST_CASE("A store whose key check is gone is not taken for a new store", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  MakeStoreWithoutKeyCheck(dir.path(), clock);
  const std::string before = ReadFile(dir / "data.mdb");
  for (uint8_t fill : {uint8_t{0x4B}, uint8_t{0x22}}) {  // the right key, another key
    INFO("master key fill " << int{fill});
    auto v = Vault::Open(Options(dir.path()), Kek(fill), clock);
    INFO(v.status().ToString());
    REQUIRE_FALSE(v.ok());
    CHECK(ReadFile(dir / "data.mdb") == before);
  }
}

// A store without its key check but with data keys is damaged, not new: Open must say
// so (for the right master key and a wrong one alike) and change nothing.
TEST_CASE("A store whose key check is gone is reported as damaged", "[store][vault]") {
  TempDir dir;
  FakeClock clock{Time(milliseconds(kStartMs))};
  MakeStoreWithoutKeyCheck(dir.path(), clock);
  auto v = Vault::Open(Options(dir.path()), Kek(), clock);
  REQUIRE_FALSE(v.ok());
  CHECK(v.status().code() == "integrity");
  CHECK_THAT(v.status().message(), Contains("key check"));
  CHECK_THAT(v.status().message(), Contains(dir.path().string()));
}
