#include <catch2/catch.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "store/keys.h"
#include "store/lmdb.h"
#include "support/temp_dir.h"

// REQUIRE that reports the Status when it is not ok.
#define REQUIRE_OK(expr) REQUIRE((expr).ToString() == "ok")

namespace {

using namespace sigmad::store;
using sigmad::Status;
using sigmad::testing::TempDir;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

std::unique_ptr<Env> OpenEnv(const fs::path& dir, size_t initial = size_t{1} << 20) {
  EnvOptions options;
  options.dir = dir;
  options.initial_map_bytes = initial;
  auto env = Env::Open(options);
  INFO(env.status().ToString());
  REQUIRE(env.ok());
  return std::move(env).value();
}

Dbi OpenDb(Env& env, const std::string& name) {
  auto dbi = env.OpenDb(name);
  REQUIRE(dbi.ok());
  return dbi.value();
}

std::optional<std::string> Get(Env& env, const std::string& db, std::string_view key) {
  const Dbi dbi = OpenDb(env, db);
  std::optional<std::string> out;
  REQUIRE_OK(env.View([&](ReadTxn& txn) {
    auto v = txn.Get(dbi, key);
    if (!v.ok()) return v.status();
    if (v->has_value()) out = std::string(*v.value());
    return Status::Ok();
  }));
  return out;
}

// The stored schema version bytes (4, big-endian), or nullopt.
std::optional<std::string> StoredVersion(Env& env) { return Get(env, kMetaDb, kSchemaVersionKey); }
std::string Encoded(uint32_t v) { return KeyBuilder().U32(v).Build(); }

uint32_t Ensure(Env& env, uint32_t current, const Migrations& migrations = {}) {
  auto r = env.EnsureSchema(current, migrations);
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return r.value();
}

}  // namespace

TEST_CASE("EnsureSchema records the version of a new store and accepts it again",
          "[store][schema]") {
  TempDir dir;
  auto env = OpenEnv(dir.path());
  int migrations_run = 0;
  const Migrations count_runs = {{2,
                                  [&](WriteTxn&) {
                                    ++migrations_run;
                                    return Status::Ok();
                                  }},
                                 {3, [&](WriteTxn&) {
                                    ++migrations_run;
                                    return Status::Ok();
                                  }}};

  CHECK(Ensure(*env, 3, count_runs) == 0u);  // 0: a new store
  CHECK(StoredVersion(*env) == std::string("\0\0\0\x03", 4));
  CHECK(Ensure(*env, 3, count_runs) == 3u);
  env.reset();
  env = OpenEnv(dir.path());
  CHECK(Ensure(*env, 3, count_runs) == 3u);
  CHECK(migrations_run == 0);
}

TEST_CASE("EnsureSchema migrates step by step in one transaction", "[store][schema]") {
  TempDir dir;
  auto env = OpenEnv(dir.path());
  REQUIRE(Ensure(*env, 1) == 0u);
  const Dbi tenants = OpenDb(*env, "tenants");
  REQUIRE_OK(env->Update([&](WriteTxn& txn) { return txn.Put(tenants, "t1", "v1-format"); }));

  std::vector<uint32_t> order;
  const Migrations migrations = {{2,
                                  [&](WriteTxn& txn) {
                                    order.push_back(2);
                                    auto v = txn.Get(tenants, "t1");
                                    if (!v.ok()) return v.status();
                                    if (v->value_or("") != "v1-format")
                                      return Status::Error("test", "not at v1");
                                    return txn.Put(tenants, "t1", "v2-format");
                                  }},
                                 {3,
                                  [&](WriteTxn& txn) {
                                    order.push_back(3);
                                    auto v = txn.Get(tenants, "t1");  // sees step 2's write
                                    if (!v.ok()) return v.status();
                                    if (v->value_or("") != "v2-format")
                                      return Status::Error("test", "not at v2");
                                    if (Status s = txn.Put(tenants, "t1", "v3-format"); !s.ok())
                                      return s;
                                    return txn.Put(tenants, "added-by-v3", "x");
                                  }},
                                 {4, [&](WriteTxn&) {
                                    order.push_back(4);
                                    return Status::Ok();
                                  }}};

  CHECK(Ensure(*env, 3, migrations) == 1u);
  CHECK(order == std::vector<uint32_t>{2, 3});  // 4 is beyond current: not run
  CHECK(StoredVersion(*env) == Encoded(3));
  CHECK(Get(*env, "tenants", "t1") == "v3-format");
  CHECK(Get(*env, "tenants", "added-by-v3") == "x");
}

TEST_CASE("EnsureSchema changes nothing when it cannot serve the stored version",
          "[store][schema]") {
  TempDir dir;
  auto env = OpenEnv(dir.path());
  bool ran = false;

  SECTION("a missing migration step is named") {
    REQUIRE(Ensure(*env, 1) == 0u);
    const Migrations only_v3 = {{3, [&](WriteTxn&) {
                                   ran = true;
                                   return Status::Ok();
                                 }}};
    auto r = env->EnsureSchema(3, only_v3);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "schema");
    CHECK(r.status().message() ==
          "no migration to store schema v2 (the store is at v1, this sigmad needs v3)");
    CHECK(StoredVersion(*env) == Encoded(1));
  }
  SECTION("a store newer than this sigmad") {
    REQUIRE(Ensure(*env, 5) == 0u);
    const Migrations any = {{3, [&](WriteTxn&) {
                               ran = true;
                               return Status::Ok();
                             }}};
    auto r = env->EnsureSchema(3, any);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "schema");
    CHECK(r.status().message() ==
          "store schema v5 is newer than this sigmad supports (v3); upgrade sigmad");
    CHECK(StoredVersion(*env) == Encoded(5));
  }
  SECTION("a failing migration aborts every step") {
    REQUIRE(Ensure(*env, 1) == 0u);
    const Dbi tenants = OpenDb(*env, "tenants");
    const Migrations failing = {
        {2,
         [&](WriteTxn& txn) {
           ran = true;
           return txn.Put(tenants, "from-v2", "x");
         }},
        {3, [&](WriteTxn&) { return Status::Error("migration", "cannot convert t7"); }}};
    auto r = env->EnsureSchema(3, failing);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "migration");
    CHECK(r.status().message() == "store schema migration v2 -> v3: cannot convert t7");
    CHECK(StoredVersion(*env) == Encoded(1));
    CHECK(Get(*env, "tenants", "from-v2") == std::nullopt);
    ran = false;  // it did run, and was rolled back
  }
  SECTION("a damaged version record") {
    const Dbi meta = OpenDb(*env, kMetaDb);
    REQUIRE_OK(env->Update([&](WriteTxn& txn) { return txn.Put(meta, kSchemaVersionKey, "abc"); }));
    auto r = env->EnsureSchema(1, {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "schema");
    CHECK_THAT(r.status().message(), Contains("holds 3 bytes"));
    CHECK_THAT(r.status().message(), Contains("damaged"));
    CHECK(StoredVersion(*env) == "abc");
  }
  SECTION("version 0 is refused") {
    auto r = env->EnsureSchema(0, {});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "schema");
    CHECK(StoredVersion(*env) == std::nullopt);
  }
  CHECK_FALSE(ran);
}

TEST_CASE("A migration that outgrows the map is re-run after growth", "[store][schema]") {
  TempDir dir;
  auto env = OpenEnv(dir.path(), 128 * 1024);
  REQUIRE(Ensure(*env, 1) == 0u);
  const Dbi blobs = OpenDb(*env, "blobs");
  int calls = 0;
  const Migrations big = {{2, [&](WriteTxn& txn) {
                             ++calls;
                             for (uint32_t i = 0; i < 512; ++i) {
                               Status s = txn.Put(blobs, KeyBuilder().U32(i).Build(),
                                                  std::string(4096, 'b'));
                               if (!s.ok()) return s;
                             }
                             return Status::Ok();
                           }}};
  CHECK(Ensure(*env, 2, big) == 1u);
  CHECK(calls > 1);
  CHECK(StoredVersion(*env) == Encoded(2));
  size_t n = 0;
  REQUIRE_OK(env->View([&](ReadTxn& txn) {
    auto c = txn.Count(blobs);
    if (!c.ok()) return c.status();
    n = c.value();
    return Status::Ok();
  }));
  CHECK(n == 512u);
}
