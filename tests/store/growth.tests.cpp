// Map growth, the size cap, and readers running while writers grow the map.
#include <atomic>
#include <catch2/catch.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
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

constexpr size_t kKiB = 1024;
constexpr size_t kMiB = 1024 * kKiB;

std::unique_ptr<Env> OpenEnv(const fs::path& dir, size_t initial, size_t cap) {
  EnvOptions options;
  options.dir = dir;
  options.initial_map_bytes = initial;
  options.max_map_bytes = cap;
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

// Values repeat their key, then a filler derived from it, so any value can be checked
// against its key whatever its size.
char Filler(std::string_view key) {
  unsigned sum = 0;
  for (char c : key) sum += static_cast<unsigned char>(c);
  return static_cast<char>('a' + sum % 26);
}
std::string MakeValue(std::string_view key, size_t size) {
  std::string v(key);
  v.resize(size, Filler(key));
  return v;
}
bool ValueMatches(std::string_view key, std::string_view value) {
  if (!value.starts_with(key)) return false;
  return value.substr(key.size()).find_first_not_of(Filler(key)) == std::string_view::npos;
}

std::string Key(uint32_t batch, uint32_t i) { return KeyBuilder().U32(batch).U32(i).Build(); }

Status WriteBatch(WriteTxn& txn, const Dbi& db, uint32_t batch, uint32_t count, size_t size) {
  for (uint32_t i = 0; i < count; ++i) {
    const std::string key = Key(batch, i);
    if (Status s = txn.Put(db, key, MakeValue(key, size)); !s.ok()) return s;
  }
  return Status::Ok();
}

// Entries of `db` (under `prefix`), every value checked against its key.
size_t CountVerified(Env& env, const Dbi& db, std::string_view prefix = "") {
  size_t n = 0;
  size_t bad = 0;
  const Status s = env.View([&](ReadTxn& txn) {
    n = bad = 0;
    return txn.ForEach(db, prefix, [&](std::string_view key, std::string_view value, bool*) {
      if (!ValueMatches(key, value)) ++bad;
      ++n;
      return Status::Ok();
    });
  });
  INFO(s.ToString());
  REQUIRE(s.ok());
  CHECK(bad == 0u);
  return n;
}

size_t MapBytes(Env& env) {
  auto info = env.Info();
  REQUIRE(info.ok());
  return info->map_bytes;
}

}  // namespace

TEST_CASE("The map grows as data is written, and keeps its size across reopening",
          "[store][growth]") {
  TempDir dir;
  constexpr size_t kInitial = 128 * kKiB;
  constexpr size_t kCap = size_t{1} << 30;
  size_t grown = 0;
  size_t entries = 0;
  {
    auto env = OpenEnv(dir.path(), kInitial, kCap);
    const Dbi db = OpenDb(*env, "blobs");
    REQUIRE(MapBytes(*env) == kInitial);

    SECTION("4 MiB in one Update: fn is re-run from the start after each growth") {
      int calls = 0;
      const Status s = env->Update([&](WriteTxn& txn) {
        ++calls;
        return WriteBatch(txn, db, 0, 1024, 4 * kKiB);
      });
      INFO(s.ToString());
      REQUIRE(s.ok());
      CHECK(calls > 1);
      entries = 1024;
    }
    SECTION("many small Updates") {
      for (uint32_t batch = 0; batch < 300; ++batch) {
        const Status s =
            env->Update([&](WriteTxn& txn) { return WriteBatch(txn, db, batch, 8, 2 * kKiB); });
        INFO("batch " << batch << ": " << s.ToString());
        REQUIRE(s.ok());
      }
      entries = 300 * 8;
    }
    CHECK(CountVerified(*env, db) == entries);
    grown = MapBytes(*env);
    CHECK(grown >= 4 * kMiB);
    CHECK(grown <= 64 * kMiB);  // doubled as needed, not jumped to the 1 GiB cap
  }
  // The grown size was recorded in the file; the smaller initial size does not shrink it.
  auto env = OpenEnv(dir.path(), kInitial, kCap);
  CHECK(MapBytes(*env) == grown);
  CHECK(CountVerified(*env, OpenDb(*env, "blobs")) == entries);
}

TEST_CASE("Growth stops at max_map_bytes with a clear error and no partial commit",
          "[store][growth]") {
  TempDir dir;
  constexpr size_t kCap = 1 * kMiB;
  auto env = OpenEnv(dir.path(), 128 * kKiB, kCap);
  const Dbi db = OpenDb(*env, "blobs");
  REQUIRE_OK(env->Update([&](WriteTxn& txn) { return WriteBatch(txn, db, 0, 1, 100); }));
  size_t expected = 1;

  SECTION("one Update larger than the cap") {
    const Status s =
        env->Update([&](WriteTxn& txn) { return WriteBatch(txn, db, 1, 1024, 4 * kKiB); });
    CHECK(s.code() == "store_full");
    CHECK_THAT(s.message(),
               Contains("mdb_put in 'blobs': MDB_MAP_FULL: Environment mapsize limit reached"));
    CHECK_THAT(s.message(), Contains("max_map_bytes 1 MiB (1048576 bytes)"));
    CHECK_THAT(s.message(), Contains("raise the cap"));
  }
  SECTION("an fn that ignores the failed Put and returns ok still commits nothing") {
    const Status s = env->Update([&](WriteTxn& txn) {
      (void)WriteBatch(txn, db, 1, 1024, 4 * kKiB);
      return Status::Ok();
    });
    CHECK(s.code() == "store_full");
  }
  SECTION("many Updates: those that fit are kept, the one that hit the cap is not") {
    Status s;
    uint32_t batch = 1;
    for (; batch < 1000 && s.ok(); ++batch) {
      s = env->Update([&](WriteTxn& txn) { return WriteBatch(txn, db, batch, 4, 4 * kKiB); });
    }
    CHECK(s.code() == "store_full");
    const uint32_t committed = batch - 2;  // batches 1 .. batch-2; batch-1 failed
    CHECK(committed >= 20u);               // 80 KiB and more fit in 1 MiB
    expected += 4 * committed;
  }
  CHECK(MapBytes(*env) == kCap);
  CHECK(CountVerified(*env, db) == expected);
}

TEST_CASE("Readers see consistent snapshots while writers grow the map", "[store][growth]") {
  TempDir dir;
  auto env = OpenEnv(dir.path(), 128 * kKiB, size_t{1} << 30);
  const Dbi data = OpenDb(*env, "data");
  const Dbi progress = OpenDb(*env, "progress");
  constexpr int kWriters = 2;
  constexpr int kReaders = 4;
  constexpr uint32_t kBatches = 120;
  constexpr uint32_t kPerBatch = 20;

  // Writer w writes batches 0..kBatches-1 under prefix U8(w), each batch in one Update
  // that also records the batch number in `progress`. A snapshot that shows progress p
  // for writer w must hold exactly (p + 1) * kPerBatch intact entries under U8(w).
  std::atomic<int> writers_left{kWriters};
  std::atomic<int> failures{0};
  std::atomic<int> snapshots{0};
  std::mutex first_error_mu;
  std::string first_error;  // GUARDED_BY(first_error_mu)
  auto fail = [&](const std::string& what) {
    if (failures++ == 0) {
      std::lock_guard lock(first_error_mu);
      first_error = what;
    }
  };

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      const uint8_t prefix = static_cast<uint8_t>(w);
      for (uint32_t b = 0; b < kBatches; ++b) {
        const Status s = env->Update([&](WriteTxn& txn) {
          for (uint32_t i = 0; i < kPerBatch; ++i) {
            const std::string key = KeyBuilder().U8(prefix).U32(b).U32(i).Build();
            if (Status p = txn.Put(data, key, MakeValue(key, kKiB)); !p.ok()) return p;
          }
          return txn.Put(progress, KeyBuilder().U8(prefix).Build(), KeyBuilder().U32(b).Build());
        });
        if (!s.ok()) fail("writer " + std::to_string(w) + ": " + s.ToString());
      }
      --writers_left;
    });
  }
  for (int r = 0; r < kReaders; ++r) {
    threads.emplace_back([&] {
      do {
        const Status s = env->View([&](ReadTxn& txn) -> Status {
          for (int w = 0; w < kWriters; ++w) {
            const std::string prefix = KeyBuilder().U8(static_cast<uint8_t>(w)).Build();
            auto p = txn.Get(progress, prefix);
            if (!p.ok()) return p.status();
            size_t expected = 0;
            if (p->has_value()) {
              KeyReader reader(*p.value());
              auto batch = reader.U32();
              if (!batch) return Status::Error("test", "bad progress value");
              expected = (size_t{*batch} + 1) * kPerBatch;
            }
            size_t seen = 0;
            Status scan =
                txn.ForEach(data, prefix, [&](std::string_view k, std::string_view v, bool*) {
                  ++seen;
                  return ValueMatches(k, v) ? Status::Ok() : Status::Error("test", "bad value");
                });
            if (!scan.ok()) return scan;
            if (seen != expected) {
              return Status::Error("test", "writer " + std::to_string(w) + ": saw " +
                                               std::to_string(seen) + " entries, progress says " +
                                               std::to_string(expected));
            }
          }
          return Status::Ok();
        });
        if (!s.ok()) fail("reader: " + s.ToString());
        ++snapshots;
      } while (writers_left.load() > 0);
    });
  }
  for (std::thread& t : threads) t.join();

  INFO(first_error);
  CHECK(failures.load() == 0);
  CHECK(snapshots.load() >= kReaders);
  CHECK(CountVerified(*env, data) == kWriters * kBatches * kPerBatch);
  CHECK(MapBytes(*env) > 2 * kMiB);
}
