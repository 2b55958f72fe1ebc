// backup_bench: an encrypted backup of the sealed store (backup::WriteBackup) against the
// raw cost of the same work done by standard tools, in one run (issue 6).
//
// The store. One store is generated per run, before anything is timed (its time is
// reported apart): store::Vault values sealed under --tenants tenants' data keys (8),
// in two tenant-first tables, value sizes log-uniform in --min-value..--max-value
// (4..64 KiB), until the store uses --store-mib (1024) of its file (Env::Info). The
// store's file is read once, and again (untimed) right before every peer that reads it,
// as is each restore's input file: every peer reads its input from the page cache, none
// from the disk. (Reading again matters: a kernel may drop idle page cache early, as
// DAMON's pageout scheme does on the VM these numbers come from.)
//
// The peers run interleaved (harness.h: --warmups untimed rounds, then --reps rounds,
// each in a new random order), each timed on the wall clock, with its CPU time:
//   ours.backup   backup::WriteBackup into a target dir, as `sigmactl backup run`: LMDB's
//                 compacted copy (Env::CopyTo, a thread writing into a pipe) sealed in
//                 chunks (AES-256-GCM, StreamWriter), the SHA-256 of the stream, written,
//                 fsynced and linked (NewFile), then the manifest the same way
//   raw.backup    bash: mdb_copy -c STORE | openssl enc -aes-256-ctr -K .. -iv .. -out FILE
//                 && sync FILE DIR   (the raw cost of copy + encryption, ending on disk)
//   ours.restore  backup::ExtractBackup of a reference backup into a fresh dir
//   raw.restore   bash: openssl enc -d -aes-256-ctr -in FILE -out DIR/data.mdb && sync ..
//   ours.verify   ExtractBackup + CheckStoreCopy (every sealed value opened), as `sigmactl
//                 backup verify` does; reported as MiB of store per second
// The target: ours.backup <= 1.25 x raw.backup, medians of wall time. Restore's ratio is
// printed too (no target). Every output is checked: before the timed rounds, ours
// restored and raw decrypted must be the same bytes (so mdb_copy -c wrote the copy to
// its stdout, and Env::CopyTo made the same copy); each timed output must have the size
// of that copy, and the verify must open every value. Between peers the file system is
// synced (syncfs), so no peer pays for the files the one before it wrote or deleted.
//
// Noise: the run prints each peer's runs, its CPU time, and "others", the largest share
// of all CPUs that other processes took during one of its runs (/proc/stat user + nice +
// system, less this process and its children, less kernel threads: the writeback work
// a peer's own fsync causes is not counted as others).
//
// Diagnostic peers (on unless --no-diagnostics) split ours.backup into its parts:
//   split.copy      Env::CopyTo into a pipe, drained in 1 MiB reads (WriteBackup without
//                   sealing, hashing and writing)
//   split.copy.null Env::CopyTo straight into /dev/null: LMDB's walk, no byte copied
//   split.mdb_copy  mdb_copy -c STORE | cat > /dev/null (the raw peer's copy, its pipe)
//   split.mdb_copy.plain  the same without -c: LMDB's copy without compaction
//   split.seal      StreamWriter over the store copy held in memory, output discarded
//   split.sha256    crypto::Sha256Hasher over the store copy in memory, 1 MiB at a time
//   split.unseal    StreamReader over the reference backup's stream in memory (restore's
//                   and verify's decryption), output discarded
//   split.write     NewFile: the store copy written from memory, 1 MiB at a time, Commit
// and variants of WriteBackup rebuilt from the public parts (proto.*, backup_proto.cpp)
// measure changes to it: proto.backup must match ours.backup, the others change one thing.
//
// Output is a measurement: the exit status is 0 whether or not the target is met, and 1
// only if the benchmark itself failed (a store, backup or peer error, a wrong output).
// --quick (a 64 MiB store, one round, no warm-up) is the ctest smoke test; --peers runs
// only the named peers (to profile one: perf record -p after "timed rounds" appears).
//
// Files: backup_bench.h (this), backup_bench.cpp (the peers, the report, main),
// backup_fixture.cpp (the store, the shell peers, CPU accounting), backup_proto.cpp
// (the WriteBackup variants). Thread-safety: one thread, but for the copier and hasher
// threads that a peer starts and joins within its run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "backup/archive.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/vault.h"
#include "support.h"

namespace sigmad::bench {

inline constexpr double kBackupTarget = 1.25;  // ours.backup <= kBackupTarget x raw.backup
inline constexpr size_t kMiB = size_t{1} << 20;

// The command line (backup_bench --help).
struct Options {
  std::string dir;          // parent of the temporary directory; default $TMPDIR or /tmp
  size_t store_mib = 1024;  // store size to generate (Env::Info used bytes)
  size_t min_value = 4096, max_value = 65536;  // plaintext sizes, log-uniform
  int tenants = 8;
  int reps = 3;     // timed rounds; medians and minimums are reported
  int warmups = 1;  // untimed rounds first
  size_t chunk_bytes = backup::kDefaultChunkBytes;
  bool diagnostics = true;  // split.* and proto.* peers
  uint64_t seed = 1;
  bool quick = false;
  bool keep = false;    // keep the temporary directory
  std::string command;  // the command line, echoed in the report
};

// --- backup_fixture.cpp ---

// The generated store, open, and what it holds.
struct Store {
  std::unique_ptr<TempDir> dir;  // the run's temporary directory: store/, and the peers'
  std::filesystem::path store_dir;
  std::unique_ptr<store::Vault> vault;
  std::vector<store::Table> tables;
  size_t values = 0, tenants = 0;
  uint64_t plaintext_bytes = 0;  // of all values, before sealing
  uint64_t used_bytes = 0;       // Env::Info after loading
  uint64_t file_bytes = 0;       // data.mdb's size
  double load_seconds = 0;       // generating, sealing and committing
  double warm_seconds = 0;       // reading data.mdb once
};

// A new temporary dir under opt.dir with a store generated as described above (untimed
// by the peers), its file read once into the page cache.
Result<std::unique_ptr<Store>> MakeStore(const Options& opt, std::mt19937_64& rng,
                                         const Clock& clock);

// Reads a file through once (into the page cache); its size.
Result<uint64_t> ReadWhole(const std::filesystem::path& path);

// Runs `script` with bash (-o pipefail) and `args` as $1..; stdout and stderr go to
// `log`. An error quotes the log's end and names the Debian package when a tool is
// missing.
Status RunBash(const std::string& script, const std::vector<std::string>& args,
               const std::filesystem::path& log);

// Random bytes as lower-case hex (the raw peer's throwaway key and IV).
std::string RandomHex(std::mt19937_64& rng, size_t bytes);

// Size of a file, or an error naming it.
Result<uint64_t> FileSize(const std::filesystem::path& path);

// CPU time of this process (all its threads) and of its waited-for children, and the
// whole machine's busy time, to tell a peer's own work from other processes'.
struct CpuSample {
  double wall_s = 0;          // steady clock
  double own_s = 0;           // user + system, self and children
  double machine_busy_s = 0;  // /proc/stat user + nice + system, all CPUs
  // CPU seconds of each kernel thread by pid (writeback, journal: work a peer's own file
  // I/O causes, not counted as others).
  std::map<int, double> kernel_threads;
  static CpuSample Now();
};
// The share of all CPUs that other processes used between a and b (0..1).
double OthersShare(const CpuSample& a, const CpuSample& b);

// --- backup_proto.cpp ---

// WriteBackup rebuilt from the public parts of backup/ and common/file.h, with one
// change at a time, to measure what a change to WriteBackup would gain. Writes
// `dir`/NAME.sigbk; no manifest (a few hundred bytes, fsynced: its cost is in
// ours.backup, not here). Variants:
enum class ProtoVariant {
  kSame,            // as WriteBackup (must match ours.backup)
  kHashThread,      // SHA-256 of the stream on a thread of its own, overlapping the sealing
  kNoHash,          // no SHA-256 at all (what the hash costs)
  kEarlyWriteback,  // sync_file_range every 8 MiB, so the final fsync finds little left
  kNoCompact,       // LMDB's copy without compaction (`mdb_copy DIR` into the pipe, in a
                    // child: Env::CopyTo always compacts); copies free pages too
};
struct ProtoResult {
  uint64_t stream_bytes = 0, store_bytes = 0;
};
const char* ProtoName(ProtoVariant v);
Result<ProtoResult> ProtoBackup(ProtoVariant variant, store::Env& env,
                                const backup::BackupKeys& keys, const std::filesystem::path& dir,
                                const std::string& name, size_t chunk_bytes);

}  // namespace sigmad::bench
