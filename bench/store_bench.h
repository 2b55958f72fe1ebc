// store_bench: the sealed store (store::Vault) against its floor, in one run.
//
// For each value size (256 B, 4 KiB, 64 KiB by default) three peers do the same random
// gets (value copied out) and puts (fresh keys):
//   plain   store::Env with raw Put/Get; a get copies the value into a std::string
//   gcm     raw AES-256-GCM (raw_gcm.h) on a value of that size alone, no store
//   sealed  store::Vault: Put seals under the tenant's data key, Get opens into a string
// The floor is plain + gcm: a store that keeps values in LMDB and seals each one cannot
// do better than both costs added (a sealed get may fuse the copy into the decryption,
// so it can land a little under). The target: sealed <= 1.15 x floor, for every row.
//
// Gets run in batches of --get-batch per View and puts in batches of --put-batch per
// Update, the same for plain and sealed, so each pays the same transaction cost per op.
// Gets read keys in a random order over all keys, each timed run a new stretch of it;
// puts insert fresh random keys. Every Update commits with fsync (sigmad never uses
// MDB_NOSYNC): on a disk that dominates puts; run with --dir on a tmpfs to see the CPU
// cost alone. The map starts at --map-gib (4 GiB), so it never grows while timed.
//
// Diagnostic peers, run in the same interleaved repetitions, show where the sealed
// store's time goes: the LMDB lookup alone in each store, Vault::Aad, Keyring::Open/Seal
// and crypto::Aead on values in cache, raw GCM fed the store's header and AAD (in two
// calls, as Aead does, and in one), a zero-filled std::string of the value's size, raw
// GCM on values out of cache, the floor run as one loop (floor.seq), and Vault::Get
// rebuilt from its public parts with changes this benchmark suggests (proto.get.*).
//
// Output is a measurement; the exit status is 0 whether or not the target is met, and
// 1 only if the benchmark itself failed (a store or crypto error, a value that did not
// read back). --quick runs one small size for the ctest smoke test.
//
// Files: store_bench.h (this: options, results, the fixture, the report), store_bench.cpp
// (the peers and main), store_fixture.cpp (stores loaded with the same data),
// store_report.cpp (the tables). Thread-safety: none; one thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"
#include "store/lmdb.h"
#include "store/vault.h"
#include "support.h"

namespace sigmad::bench {

inline constexpr uint64_t kTenant = 7;
inline constexpr char kTableName[] = "records";  // a table name of a typical length (AAD)
inline constexpr size_t kKeyBytes = 8 + 16;      // tenant u64 | 16-byte random id
inline constexpr double kTarget = 1.15;          // sealed <= kTarget x floor
inline constexpr size_t kPool = 16;              // in-memory values the store-less peers cycle
inline constexpr int kWarmups = 1;
inline constexpr size_t kMiB = size_t{1} << 20;

// The command line (store_bench --help).
struct Options {
  std::vector<size_t> sizes{256, 4096, 65536};
  std::string dir;          // parent of the temporary stores; default $TMPDIR or /tmp
  int reps = 7;             // timed repetitions per peer; the median is reported
  size_t get_batch = 1000;  // gets per read transaction
  size_t put_batch = 100;   // puts per write transaction (one commit + fsync each)
  size_t data_mib = 64;     // data per store and size: keys = data / size, clamped
  size_t get_mib = 128;     // bytes read per get repetition, as ops = get_mib / size
  size_t put_mib = 32;      // bytes written per put repetition
  size_t cold_mib = 128;    // raw GCM values opened from memory no cache holds
  size_t map_gib = 4;       // initial map size, so the map never grows while timed
  uint64_t seed = 1;
  bool quick = false;
  std::string command;  // the command line, echoed in the report
};

// What a size measured: the three peers for get and for put, and the diagnostics.
struct Result3 {
  double plain = 0, gcm = 0, sealed = 0;  // ns per op, medians
  double spread = 0;                      // the largest spread of the three
  double Floor() const { return plain + gcm; }
  double Ratio() const { return sealed / Floor(); }
  bool Met() const { return Ratio() <= kTarget; }
};

struct SizeReport {
  size_t size = 0, keys = 0, get_ops = 0, put_ops = 0;
  // Page faults while the gets ran (all peers): a memory map faulted in once and kept
  // should show none; many mean the kernel dropped pages and the gets paid to map them.
  long get_minor_faults = 0, get_major_faults = 0;
  Result3 get, put;
  std::map<std::string, double> median;  // every peer's median ns per op, by name
  double operator[](const std::string& peer) const { return median.at(peer); }
};

// A "bench" error: the benchmark itself failed (not a measurement).

// --- store_fixture.cpp ---

// n bytes from rng.
std::string RandomBytes(std::mt19937_64& rng, size_t n);
// A record key as a tenant-first table has them: kTenant u64 | 16 random bytes.
std::string RandomKey(std::mt19937_64& rng);

// Everything one size works on: both stores holding the same keys and values.
struct Fixture {
  size_t size = 0;
  std::unique_ptr<TempDir> dir;
  std::unique_ptr<store::Env> plain;
  std::optional<store::Dbi> plain_db;
  std::unique_ptr<store::Vault> vault;
  std::optional<store::Table> table;
  std::vector<std::string> keys;  // present in both stores
  // Every key once, in a random order, end to end (kKeyBytes each). Each timed run of a
  // get peer reads the next stretch of it, so no run finds its keys in cache because the
  // run before it just read them. Contiguous, like keys parsed from requests: reading
  // the key itself costs no cache miss, the store's work does.
  std::string get_order;
  std::vector<std::vector<std::string>> fresh;  // per repetition: keys to insert
  std::vector<std::string> values;              // kPool random values to put
};

// A fresh directory under opt.dir with both stores loaded with `keys` random keys and
// values of `size` bytes (untimed), the get order and the keys every put repetition adds.
Result<std::unique_ptr<Fixture>> MakeFixture(const Options& opt, size_t size, size_t keys,
                                             size_t put_ops, std::mt19937_64& rng);

// Reads `keys` from both stores: faults the memory maps in (so no repetition pays
// first-touch page faults) and checks that the sealed store returns what plain holds.
Status PrefaultAndCheck(Fixture& fx, const std::vector<std::string>& keys);

// --- store_report.cpp ---

void PrintHeader(const Options& opt);
// The result table: plain, gcm, floor, sealed and the ratios, PASS/MISS per row.
void PrintTable(const std::vector<SizeReport>& reports);
// The diagnostic tables: where the sealed store's time goes.
void PrintBreakdown(const std::vector<SizeReport>& reports);
// The closing line: how many rows met the target, and which missed.
void PrintSummary(const std::vector<SizeReport>& reports);

}  // namespace sigmad::bench
