#include "store/lmdb.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/keys.h"
#include "support/temp_dir.h"

// REQUIRE that reports the Status when it is not ok.
#define REQUIRE_OK(expr) REQUIRE((expr).ToString() == "ok")

namespace {

using namespace sigmad::store;
using sigmad::Status;
using sigmad::testing::ModeOf;
using sigmad::testing::TempDir;
namespace fs = std::filesystem;
using Catch::Matchers::Contains;

std::unique_ptr<Env> OpenEnv(const fs::path& dir) {
  EnvOptions options;
  options.dir = dir;
  options.initial_map_bytes = size_t{1} << 20;
  auto env = Env::Open(options);
  INFO(env.status().ToString());
  REQUIRE(env.ok());
  return std::move(env).value();
}

Dbi OpenDb(Env& env, const std::string& name) {
  auto dbi = env.OpenDb(name);
  INFO(dbi.status().ToString());
  REQUIRE(dbi.ok());
  return dbi.value();
}

// The value under key, copied out of its transaction; nullopt if absent.
std::optional<std::string> Get(Env& env, const Dbi& dbi, std::string_view key) {
  std::optional<std::string> out;
  const Status s = env.View([&](ReadTxn& txn) {
    auto v = txn.Get(dbi, key);
    if (!v.ok()) return v.status();
    if (v->has_value()) out = std::string(*v.value());
    return Status::Ok();
  });
  INFO(s.ToString());
  REQUIRE(s.ok());
  return out;
}

size_t Count(Env& env, const Dbi& dbi) {
  size_t n = 0;
  const Status s = env.View([&](ReadTxn& txn) {
    auto c = txn.Count(dbi);
    if (!c.ok()) return c.status();
    n = c.value();
    return Status::Ok();
  });
  REQUIRE(s.ok());
  return n;
}

Status Put(Env& env, const Dbi& dbi, std::string_view key, std::string_view value) {
  return env.Update([&](WriteTxn& txn) { return txn.Put(dbi, key, value); });
}

// Keys visited by ForEach(prefix), in order.
std::vector<std::string> Scan(Env& env, const Dbi& dbi, std::string_view prefix) {
  std::vector<std::string> keys;
  const Status s = env.View([&](ReadTxn& txn) {
    keys.clear();
    return txn.ForEach(dbi, prefix, [&](std::string_view k, std::string_view, bool*) {
      keys.emplace_back(k);
      return Status::Ok();
    });
  });
  INFO(s.ToString());
  REQUIRE(s.ok());
  return keys;
}

}  // namespace

TEST_CASE("Put, Get and Delete round-trip and survive reopening", "[store][lmdb]") {
  TempDir dir;
  const std::string binary_key("k\0\xFF", 3);
  const std::string binary_value("v\0\x01\xFE", 4);
  {
    auto env = OpenEnv(dir.path());
    const Dbi tenants = OpenDb(*env, "tenants");
    CHECK(tenants.name() == "tenants");
    REQUIRE_OK(env->Update([&](WriteTxn& txn) {
      if (Status s = txn.Put(tenants, "a", "alpha"); !s.ok()) return s;
      if (Status s = txn.Put(tenants, "empty", ""); !s.ok()) return s;
      if (Status s = txn.Put(tenants, binary_key, binary_value); !s.ok()) return s;
      // A WriteTxn reads its own writes.
      auto v = txn.Get(tenants, "a");
      if (!v.ok()) return v.status();
      return v->value_or("") == "alpha" ? Status::Ok() : Status::Error("test", "lost");
    }));
    CHECK(Get(*env, tenants, "a") == "alpha");
    REQUIRE(Put(*env, tenants, "a", "alpha2").ok());  // overwrite
    CHECK(Get(*env, tenants, "a") == "alpha2");
  }
  // Both files are private to the daemon's user.
  CHECK(ModeOf(dir / "data.mdb") == 0600u);
  CHECK(ModeOf(dir / "lock.mdb") == 0600u);
  {
    auto env = OpenEnv(dir.path());
    const Dbi tenants = OpenDb(*env, "tenants");
    CHECK(Get(*env, tenants, "a") == "alpha2");
    CHECK(Get(*env, tenants, "empty") == "");
    CHECK(Get(*env, tenants, binary_key) == binary_value);
    CHECK(Get(*env, tenants, "absent") == std::nullopt);
    CHECK(Count(*env, tenants) == 3u);

    std::vector<bool> existed;
    REQUIRE_OK(env->Update([&](WriteTxn& txn) {
      existed.clear();
      for (const char* key : {"a", "absent"}) {
        auto d = txn.Delete(tenants, key);
        if (!d.ok()) return d.status();
        existed.push_back(d.value());
      }
      return Status::Ok();
    }));
    CHECK(existed == std::vector<bool>{true, false});
  }
  {
    auto env = OpenEnv(dir.path());
    const Dbi tenants = OpenDb(*env, "tenants");
    CHECK(Get(*env, tenants, "a") == std::nullopt);
    CHECK(Get(*env, tenants, binary_key) == binary_value);
    CHECK(Count(*env, tenants) == 2u);
  }
}

TEST_CASE("A failing Update leaves the store unchanged", "[store][lmdb]") {
  TempDir dir;
  auto env = OpenEnv(dir.path());
  const Dbi db = OpenDb(*env, "jobs");
  REQUIRE(Put(*env, db, "kept", "1").ok());

  SECTION("fn returns an error: that exact Status comes back, nothing is written") {
    const Status s = env->Update([&](WriteTxn& txn) {
      if (Status p = txn.Put(db, "new", "x"); !p.ok()) return p;
      if (Status p = txn.Put(db, "kept", "changed"); !p.ok()) return p;
      return Status::Error("policy_denied", "no jobs for you");
    });
    CHECK(s.code() == "policy_denied");
    CHECK(s.message() == "no jobs for you");
  }
  SECTION("fn throws: the transaction is aborted and the store stays usable") {
    CHECK_THROWS_AS(env->Update([&](WriteTxn& txn) -> Status {
      REQUIRE(txn.Put(db, "new", "x").ok());
      REQUIRE(txn.Put(db, "kept", "changed").ok());
      throw std::runtime_error("boom");
    }),
                    std::runtime_error);
    REQUIRE(Put(*env, db, "after", "y").ok());
    CHECK(Get(*env, db, "after") == "y");
    CHECK(Count(*env, db) == 2u);
  }
  CHECK(Get(*env, db, "new") == std::nullopt);
  CHECK(Get(*env, db, "kept") == "1");
}

TEST_CASE("Put with kNoOverwrite refuses a present key with code 'exists'", "[store][lmdb]") {
  TempDir dir;
  auto env = OpenEnv(dir.path());
  const Dbi db = OpenDb(*env, "tenants");
  REQUIRE(Put(*env, db, "t1", "first").ok());

  Status refused;
  REQUIRE_OK(env->Update([&](WriteTxn& txn) {
    refused = txn.Put(db, "t1", "second", PutMode::kNoOverwrite);
    // The refusal does not spoil the transaction.
    return txn.Put(db, "t2", "other", PutMode::kNoOverwrite);
  }));
  CHECK(refused.code() == "exists");
  CHECK_THAT(refused.message(), Contains("'tenants'"));
  CHECK(Get(*env, db, "t1") == "first");
  CHECK(Get(*env, db, "t2") == "other");
}

TEST_CASE("ForEach visits a key prefix in numeric order", "[store][lmdb]") {
  TempDir dir;
  auto env = OpenEnv(dir.path());
  const Dbi db = OpenDb(*env, "records");
  auto key = [](uint8_t kind, uint32_t id) { return KeyBuilder().U8(kind).U32(id).Build(); };
  REQUIRE_OK(env->Update([&](WriteTxn& txn) {
    for (uint32_t id : {256u, 2u, 65536u, 10u, 1u}) {
      if (Status s = txn.Put(db, key(1, id), std::to_string(id)); !s.ok()) return s;
    }
    if (Status s = txn.Put(db, key(0, 5), "kind0"); !s.ok()) return s;
    return txn.Put(db, key(2, 0), "kind2");
  }));

  auto ids = [](const std::vector<std::string>& keys) {
    std::vector<uint32_t> out;
    for (const std::string& k : keys) {
      KeyReader r(k);
      REQUIRE(r.U8());
      auto id = r.U32();
      REQUIRE(id);
      REQUIRE(r.done());
      out.push_back(*id);
    }
    return out;
  };

  SECTION("the prefix selects one kind, ascending by id") {
    CHECK(ids(Scan(*env, db, KeyBuilder().U8(1).Build())) ==
          std::vector<uint32_t>{1, 2, 10, 256, 65536});
  }
  SECTION("an empty prefix visits everything; a prefix without keys visits nothing") {
    CHECK(Scan(*env, db, "").size() == 7u);
    CHECK(Scan(*env, db, KeyBuilder().U8(3).Build()).empty());
    CHECK(Scan(*env, db, KeyBuilder().U8(1).U32(3).Build()).empty());
    CHECK(Scan(*env, db, key(1, 10)) == std::vector<std::string>{key(1, 10)});
  }
  SECTION("stop ends the scan; an error from fn is returned as is") {
    std::vector<std::string> seen;
    REQUIRE_OK(env->View([&](ReadTxn& txn) {
      return txn.ForEach(db, KeyBuilder().U8(1).Build(),
                         [&](std::string_view k, std::string_view, bool* stop) {
                           seen.emplace_back(k);
                           *stop = seen.size() == 2;
                           return Status::Ok();
                         });
    }));
    CHECK(ids(seen) == std::vector<uint32_t>{1, 2});

    const Status s = env->View([&](ReadTxn& txn) {
      return txn.ForEach(db, "", [](std::string_view, std::string_view value, bool*) {
        return value == "10" ? Status::Error("test", "found 10") : Status::Ok();
      });
    });
    CHECK(s.ToString() == "test: found 10");
  }
  SECTION("a Cursor seeks to the first key at or after the target") {
    REQUIRE_OK(env->View([&](ReadTxn& txn) {
      auto opened = txn.OpenCursor(db);
      REQUIRE(opened.ok());
      Cursor& c = opened.value();
      REQUIRE(c.Seek(key(1, 3)).ok());
      REQUIRE(c.valid());
      CHECK(c.key() == key(1, 10));
      CHECK(c.value() == "10");
      REQUIRE(c.Next().ok());
      CHECK(c.key() == key(1, 256));
      REQUIRE(c.Seek(key(2, 1)).ok());
      CHECK_FALSE(c.valid());
      REQUIRE(c.Next().ok());  // stays past the end
      CHECK_FALSE(c.valid());
      REQUIRE(c.First().ok());
      CHECK(c.key() == key(0, 5));
      return Status::Ok();
    }));
  }
}

TEST_CASE("DeletePrefix removes exactly the keys under a prefix", "[store][lmdb]") {
  TempDir dir;
  auto env = OpenEnv(dir.path());
  const Dbi db = OpenDb(*env, "blobs");
  // Enough entries to span many pages, so deletes rebalance the tree under the cursor.
  constexpr uint32_t kPerTenant = 3000;
  REQUIRE_OK(env->Update([&](WriteTxn& txn) {
    for (uint64_t tenant : {1u, 2u, 3u}) {
      for (uint32_t i = 0; i < kPerTenant; ++i) {
        Status s = txn.Put(db, KeyBuilder().U64(tenant).U32(i).Build(),
                           std::string(100, static_cast<char>('a' + tenant)));
        if (!s.ok()) return s;
      }
    }
    return Status::Ok();
  }));

  size_t removed = 0;
  REQUIRE_OK(env->Update([&](WriteTxn& txn) {
    auto n = txn.DeletePrefix(db, KeyBuilder().U64(2).Build());
    if (!n.ok()) return n.status();
    removed = n.value();
    return Status::Ok();
  }));
  CHECK(removed == kPerTenant);
  CHECK(Count(*env, db) == 2 * kPerTenant);
  CHECK(Scan(*env, db, KeyBuilder().U64(2).Build()).empty());
  CHECK(Scan(*env, db, KeyBuilder().U64(1).Build()).size() == kPerTenant);
  CHECK(Scan(*env, db, KeyBuilder().U64(3).Build()).size() == kPerTenant);
}

TEST_CASE("Count and ListDbs describe the named databases", "[store][lmdb]") {
  TempDir dir;
  auto env = OpenEnv(dir.path());
  const Dbi b = OpenDb(*env, "b");
  const Dbi a = OpenDb(*env, "a");
  OpenDb(*env, "tenants");
  // OpenDb is cached: the same name gives the same database.
  const Dbi a_again = OpenDb(*env, "a");
  REQUIRE(Put(*env, a, "x", "1").ok());
  REQUIRE(Put(*env, a_again, "y", "2").ok());
  CHECK(Count(*env, a) == 2u);
  CHECK(Count(*env, b) == 0u);

  std::vector<std::string> names;
  REQUIRE_OK(env->View([&](ReadTxn& txn) {
    auto n = txn.ListDbs();
    if (!n.ok()) return n.status();
    names = n.value();
    return Status::Ok();
  }));
  CHECK(names == std::vector<std::string>{"a", "b", "tenants"});

  auto info = env->Info();
  REQUIRE(info.ok());
  CHECK(info->map_bytes == size_t{1} << 20);
  CHECK(info->max_map_bytes == size_t{64} << 30);
  CHECK(info->used_bytes > 0u);
  CHECK(info->used_bytes <= info->map_bytes);
  CHECK(info->readers_used >= 1u);
  CHECK(info->max_readers == 126u);
  CHECK(env->Sync().ok());
}

TEST_CASE("LMDB failures carry the call, the place and mdb_strerror's text", "[store][lmdb]") {
  TempDir dir;

  SECTION("opening a directory that does not exist") {
    EnvOptions options;
    options.dir = dir / "missing";
    auto env = Env::Open(options);
    REQUIRE_FALSE(env.ok());
    CHECK(env.status().code() == "store");
    CHECK(env.status().message() ==
          "mdb_env_open in '" + (dir / "missing").string() + "': No such file or directory");
    CHECK_FALSE(fs::exists(dir / "missing"));
  }
  SECTION("bad map sizes are refused before anything is opened") {
    EnvOptions options;
    options.dir = dir.path();
    options.initial_map_bytes = size_t{2} << 20;
    options.max_map_bytes = size_t{1} << 20;
    auto env = Env::Open(options);
    REQUIRE_FALSE(env.ok());
    CHECK(env.status().code() == "invalid_config");
    CHECK_FALSE(fs::exists(dir / "data.mdb"));
  }
  SECTION("keys LMDB cannot store") {
    auto env = OpenEnv(dir.path());
    const Dbi db = OpenDb(*env, "tenants");
    for (const std::string& key : {std::string(), std::string(512, 'k')}) {
      INFO("key length " << key.size());
      const Status s = Put(*env, db, key, "v");
      CHECK(s.code() == "store");
      CHECK_THAT(s.message(), Contains("mdb_put in 'tenants': MDB_BAD_VALSIZE: "));
    }
    CHECK(Put(*env, db, std::string(511, 'k'), "v").ok());
  }
  SECTION("more named databases than max_dbs") {
    EnvOptions options;
    options.dir = dir.path();
    options.max_dbs = 2;
    auto env = Env::Open(options);
    REQUIRE(env.ok());
    REQUIRE(env.value()->OpenDb("one").ok());
    REQUIRE(env.value()->OpenDb("two").ok());
    auto third = env.value()->OpenDb("three");
    REQUIRE_FALSE(third.ok());
    CHECK(third.status().message() ==
          "mdb_dbi_open in 'three': MDB_DBS_FULL: Environment maxdbs limit reached");
  }
}

TEST_CASE("Calls into the same Env from inside a transaction fail instead of deadlocking",
          "[store][lmdb]") {
  TempDir dir;
  auto env = OpenEnv(dir.path());
  const Dbi db = OpenDb(*env, "jobs");
  std::vector<Status> inner;

  REQUIRE_OK(env->View([&](ReadTxn&) {
    inner.push_back(env->Update([](WriteTxn&) { return Status::Ok(); }));
    inner.push_back(env->View([](ReadTxn&) { return Status::Ok(); }));
    return Status::Ok();
  }));
  REQUIRE_OK(env->Update([&](WriteTxn& txn) {
    inner.push_back(env->OpenDb("other").status());
    inner.push_back(env->Info().status());
    inner.push_back(env->EnsureSchema(1, {}).status());
    return txn.Put(db, "k", "v");
  }));
  REQUIRE(inner.size() == 5u);
  for (const Status& s : inner) {
    CHECK(s.code() == "nested_txn");
    CHECK_THAT(s.message(), Contains("would deadlock"));
  }
  CHECK(Get(*env, db, "k") == "v");  // the outer transaction committed

  SECTION("another store may be used inside a transaction") {
    TempDir other_dir;
    auto other = OpenEnv(other_dir.path());
    const Dbi other_db = OpenDb(*other, "copy");
    REQUIRE_OK(env->View([&](ReadTxn& txn) {
      auto v = txn.Get(db, "k");
      if (!v.ok()) return v.status();
      return Put(*other, other_db, "k", v->value_or(""));
    }));
    CHECK(Get(*other, other_db, "k") == "v");
  }
}

TEST_CASE("Open clears reader slots left by dead processes", "[store][lmdb]") {
  TempDir dir;
  {
    auto env = OpenEnv(dir.path());
    CHECK(env->stale_readers_cleared() == 0);
  }
  // The first process to open a store resets its reader table, so a stale slot only
  // exists while another process keeps the store open: a holder child does that. A
  // second child then dies inside a read transaction, leaving its slot behind.
  int ready[2];
  int release[2];
  REQUIRE(pipe(ready) == 0);
  REQUIRE(pipe(release) == 0);
  const pid_t holder = fork();
  REQUIRE(holder >= 0);
  if (holder == 0) {
    close(ready[0]);
    close(release[1]);
    EnvOptions options;
    options.dir = dir.path();
    auto env = Env::Open(options);
    const char byte = env.ok() ? 'y' : 'n';
    if (write(ready[1], &byte, 1) != 1) _exit(2);
    char ignored;
    while (read(release[0], &ignored, 1) > 0) {
    }
    _exit(env.ok() ? 0 : 1);
  }
  close(ready[1]);
  close(release[0]);
  char byte = 0;
  REQUIRE(read(ready[0], &byte, 1) == 1);
  close(ready[0]);
  REQUIRE(byte == 'y');

  const pid_t dier = fork();
  REQUIRE(dier >= 0);
  if (dier == 0) {
    EnvOptions options;
    options.dir = dir.path();
    auto env = Env::Open(options);
    if (!env.ok()) _exit(2);
    (void)env.value()->View([](ReadTxn&) -> Status { _exit(0); });
    _exit(3);
  }
  int status = 0;
  REQUIRE(waitpid(dier, &status, 0) == dier);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);

  int first = -1;
  int second = -1;
  {
    auto env = OpenEnv(dir.path());
    first = env->stale_readers_cleared();
  }
  {
    auto env = OpenEnv(dir.path());
    second = env->stale_readers_cleared();
  }
  close(release[1]);
  REQUIRE(waitpid(holder, &status, 0) == holder);
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
  CHECK(first == 1);
  CHECK(second == 0);  // already cleared
}

TEST_CASE("CopyTo writes a compacted snapshot that opens read-only", "[store][lmdb]") {
  TempDir tmp;
  fs::create_directory(tmp / "live");
  fs::create_directory(tmp / "copy");
  auto env = OpenEnv(tmp / "live");
  REQUIRE(env->EnsureSchema(3, {}).ok());
  const Dbi dbi = OpenDb(*env, "things");
  for (int i = 0; i < 2000; ++i) {
    REQUIRE_OK(Put(*env, dbi, "k" + std::to_string(i), std::string(100, 'x')));
  }
  REQUIRE_OK(env->Update([&](WriteTxn& txn) { return txn.DeletePrefix(dbi, "k1").status(); }));
  const int fd = ::open((tmp / "copy" / "data.mdb").c_str(), O_CREAT | O_WRONLY, 0600);
  REQUIRE(fd >= 0);
  REQUIRE_OK(env->CopyTo(fd));
  ::close(fd);
  REQUIRE_OK(Put(*env, dbi, "after", "not in the copy"));
  // Compacted: no larger than the pages in use.
  CHECK(fs::file_size(tmp / "copy" / "data.mdb") <= env->Info().value().used_bytes);

  EnvOptions options;
  options.dir = tmp / "copy";
  options.read_only = true;
  auto copy = Env::Open(options);
  REQUIRE_OK(copy.status());
  CHECK(copy.value()->read_only());
  const Dbi copied = OpenDb(*copy.value(), "things");
  CHECK(Count(*copy.value(), copied) == 2000 - 1111);
  CHECK(Get(*copy.value(), copied, "k0") == std::string(100, 'x'));
  CHECK_FALSE(Get(*copy.value(), copied, "after"));
  // Read-only: no writes, no new DBs, no migration.
  const Status put = Put(*copy.value(), copied, "k0", "y");
  CHECK(put.code() == kCodeReadOnly);
  CHECK(copy.value()->OpenDb("missing").status().code() == kCodeNoDb);
  CHECK(copy.value()->EnsureSchema(3, {}).value() == 3);
  CHECK(copy.value()
            ->EnsureSchema(4, {{4, [](WriteTxn&) { return Status::Ok(); }}})
            .status()
            .code() == kCodeSchema);
  CHECK(Get(*copy.value(), copied, "k0") == std::string(100, 'x'));
}
