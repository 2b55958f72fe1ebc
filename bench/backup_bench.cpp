// backup_bench: the peers, the report and main (what is measured and why: backup_bench.h).
#include "backup_bench.h"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "backup/stream.h"
#include "common/file.h"
#include "crypto/digest.h"
#include "harness.h"

namespace sigmad::bench {
namespace {

namespace fs = std::filesystem;

// The shell peers. $1.. are the arguments RunBash passes; every one ends on disk.
constexpr char kRawBackup[] =
    "mdb_copy -c \"$1\" | openssl enc -aes-256-ctr -K \"$2\" -iv \"$3\" -out \"$4\" "
    "&& sync \"$4\" \"$5\"";
constexpr char kRawRestore[] =
    "openssl enc -d -aes-256-ctr -K \"$1\" -iv \"$2\" -in \"$3\" -out \"$4/data.mdb\" "
    "&& sync \"$4/data.mdb\" \"$4\"";
constexpr char kMdbCopyPipe[] = "mdb_copy -c \"$1\" | cat > /dev/null";
constexpr char kMdbCopyPlainPipe[] = "mdb_copy \"$1\" | cat > /dev/null";

constexpr ProtoVariant kProtoVariants[] = {ProtoVariant::kSame, ProtoVariant::kHashThread,
                                           ProtoVariant::kNoHash, ProtoVariant::kEarlyWriteback,
                                           ProtoVariant::kNoCompact};

double Median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t mid = v.size() / 2;
  return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

// One timed run of a peer: wall and CPU seconds (this process's threads and its waited-for
// children: the shell peers' tools), and the share of the CPUs other processes took.
struct Run {
  double wall_s = 0, cpu_s = 0, others = 0;
};

struct Log {
  std::vector<Run> runs;
  std::vector<double> Walls() const {
    std::vector<double> w;
    for (const Run& r : runs) w.push_back(r.wall_s);
    return w;
  }
  double MedianWall() const { return Median(Walls()); }
  double MinWall() const {
    const auto w = Walls();
    return w.empty() ? 0 : *std::min_element(w.begin(), w.end());
  }
  double MedianCpu() const {
    std::vector<double> c;
    for (const Run& r : runs) c.push_back(r.cpu_s);
    return Median(c);
  }
  double MaxOthers() const {
    double m = 0;
    for (const Run& r : runs) m = std::max(m, r.others);
    return m;
  }
};

// Everything the peers share. Set up once, untimed.
struct Ctx {
  Ctx(const Options& o, Store& s, const Clock& c) : opt(o), st(s), clock(c) {}
  const Options& opt;
  Store& st;
  const Clock& clock;
  backup::BackupKeys keys;
  backup::WriteOptions write_options;
  fs::path root, ours_dir, raw_dir, ref_dir, restore_dir, split_dir, log;
  backup::Manifest ref;         // the reference backup that restore and verify read
  fs::path ref_raw;             // the raw peer's file of the same store
  std::string key_hex, iv_hex;  // the raw peer's throwaway key and IV
  std::string copy;             // the store copy in memory (diagnostics)
  std::string sealed;           // the reference backup's stream in memory (diagnostics)
  uint64_t manifest_bytes = 0, raw_bytes = 0;
  uint64_t no_compact_bytes = 0;  // the store copy proto.no_compact made
  // ours.verify's two parts, per run (the warm-ups' first), in seconds.
  std::vector<std::pair<double, double>> verify_parts;
  size_t verified_records = 0;
  int seq = 0;  // names fresh restore dirs
  std::map<std::string, Log> logs;

  double StoreMib() const { return static_cast<double>(ref.store_bytes) / kMiB; }
  Status Expect(uint64_t got, const std::string& what) const {
    if (got == ref.store_bytes) return Status::Ok();
    return Fail(what + " holds " + std::to_string(got) + " bytes of store copy, expected " +
                std::to_string(ref.store_bytes));
  }
  fs::path FreshDir(const std::string& stem) {
    return restore_dir / (stem + "." + std::to_string(seq++));
  }
};

Status MakeDir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::create_directory(dir, ec)) {
    return Fail("cannot create " + dir.string() + ": " + (ec ? ec.message() : "it exists"));
  }
  return Status::Ok();
}

Status Remove(const fs::path& path) {
  std::error_code ec;
  fs::remove_all(path, ec);
  if (ec) return Fail("cannot remove " + path.string() + ": " + ec.message());
  return Status::Ok();
}

// Whether two files hold the same bytes.
Result<bool> SameBytes(const fs::path& a, const fs::path& b) {
  std::ifstream fa(a, std::ios::binary), fb(b, std::ios::binary);
  if (!fa || !fb) return Fail("cannot read " + a.string() + " or " + b.string());
  std::string ba(kMiB, '\0'), bb(kMiB, '\0');
  for (;;) {
    fa.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    fb.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    if (fa.gcount() != fb.gcount()) return false;
    if (std::memcmp(ba.data(), bb.data(), static_cast<size_t>(fa.gcount())) != 0) return false;
    if (fa.gcount() == 0 || !fa || !fb) return fa.eof() && fb.eof();
  }
}

// A peer: `input` (if not empty) is read through first, untimed, so that it is in the
// page cache; `body` is timed; `cleanup` (may be empty) runs after, untimed, and then the
// file system is synced so that no peer pays for what the previous one left (unlinked
// files' discards, journal commits).
using Body = std::function<Status()>;
Peer Timed(Ctx& c, const std::string& name, const fs::path& input, Body body, Body cleanup = {}) {
  Log* log = &c.logs[name];
  const fs::path root = c.root;
  return Peer(name, [log, input, body, cleanup, root](int rep) -> Result<double> {
    if (!input.empty()) {
      if (auto warm = ReadWhole(input); !warm.ok()) return warm.status();
    }
    const CpuSample a = CpuSample::Now();
    Status s = body();
    const CpuSample b = CpuSample::Now();
    if (!s.ok()) return s;
    if (cleanup) {
      if (Status cs = cleanup(); !cs.ok()) return cs;
    }
    const int fd = open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
      (void)syncfs(fd);
      close(fd);
    }
    if (rep >= 0) log->runs.push_back({b.wall_s - a.wall_s, b.own_s - a.own_s, OthersShare(a, b)});
    return (b.wall_s - a.wall_s) * 1e9;
  });
}

// Env::CopyTo into a pipe, drained by this thread in 1 MiB reads: WriteBackup's copy.
Status CopyThroughPipe(store::Env& env) {
  return backup::PipeStoreCopy([&env](int fd) { return env.CopyTo(fd); },
                               [](std::string_view bytes) {
                                 KeepAlive(bytes.data());
                                 return Status::Ok();
                               });
}

Status Setup(Ctx& c, std::mt19937_64& rng) {
  c.root = c.st.dir->path();
  c.ours_dir = c.root / "ours";
  c.raw_dir = c.root / "raw";
  c.ref_dir = c.root / "ref";
  c.restore_dir = c.root / "restore";
  c.split_dir = c.root / "split";
  c.log = c.root / "peer.log";
  for (const auto& d : {c.ours_dir, c.raw_dir, c.ref_dir, c.restore_dir, c.split_dir}) {
    if (Status s = MakeDir(d); !s.ok()) return s;
  }
  auto keys = backup::BackupKeys::Derive(c.st.vault->keyring());
  if (!keys.ok()) return keys.status();
  c.keys = std::move(keys).value();
  c.write_options.chunk_bytes = c.opt.chunk_bytes;
  c.write_options.schema_version = store::kSchemaVersion;
  c.write_options.sigmad_version = "backup_bench";
  c.key_hex = RandomHex(rng, 32);
  c.iv_hex = RandomHex(rng, 16);

  std::fprintf(stderr, "backup_bench: reference backups (ours and raw), and checking them...\n");
  auto ref = backup::WriteBackup(c.st.vault->env(), c.keys, c.ref_dir,
                                 std::chrono::system_clock::now(), c.write_options);
  if (!ref.ok()) return ref.status();
  c.ref = std::move(ref).value();
  auto manifest_bytes = FileSize(c.ref_dir / c.ref.manifest_file());
  if (!manifest_bytes.ok()) return manifest_bytes.status();
  c.manifest_bytes = manifest_bytes.value();
  c.ref_raw = c.ref_dir / "raw.bin";
  if (Status s = RunBash(
          kRawBackup,
          {c.st.store_dir.string(), c.key_hex, c.iv_hex, c.ref_raw.string(), c.ref_dir.string()},
          c.log);
      !s.ok()) {
    return s;
  }
  auto raw_bytes = FileSize(c.ref_raw);
  if (!raw_bytes.ok()) return raw_bytes.status();
  c.raw_bytes = raw_bytes.value();
  if (Status s = c.Expect(c.raw_bytes, "the raw peer's file"); !s.ok()) return s;

  // Both sides copy the same bytes: ours restored equals raw decrypted, byte for byte.
  const fs::path ours_copy = c.FreshDir("check-ours"), raw_copy = c.FreshDir("check-raw");
  for (const auto& d : {ours_copy, raw_copy}) {
    if (Status s = MakeDir(d); !s.ok()) return s;
  }
  auto extracted = backup::ExtractBackup(c.ref_dir, c.ref, c.keys, ours_copy);
  if (!extracted.ok()) return extracted.status();
  if (Status s =
          RunBash(kRawRestore, {c.key_hex, c.iv_hex, c.ref_raw.string(), raw_copy.string()}, c.log);
      !s.ok()) {
    return s;
  }
  auto same = SameBytes(ours_copy / "data.mdb", raw_copy / "data.mdb");
  if (!same.ok()) return same.status();
  if (!same.value()) {
    return Fail("the store copy in our backup differs from the one mdb_copy -c made");
  }
  if (c.opt.diagnostics) {
    c.copy.resize(c.ref.store_bytes);
    std::ifstream in(ours_copy / "data.mdb", std::ios::binary);
    in.read(c.copy.data(), static_cast<std::streamsize>(c.copy.size()));
    if (Status s = c.Expect(static_cast<uint64_t>(in.gcount()), "the copy in memory"); !s.ok()) {
      return s;
    }
    c.sealed.resize(c.ref.size);
    std::ifstream stream(c.ref_dir / c.ref.stream_file(), std::ios::binary);
    stream.read(c.sealed.data(), static_cast<std::streamsize>(c.sealed.size()));
    if (static_cast<uint64_t>(stream.gcount()) != c.ref.size) {
      return Fail("cannot read the reference backup into memory");
    }
  }
  for (const auto& d : {ours_copy, raw_copy}) {
    if (Status s = Remove(d); !s.ok()) return s;
  }
  return Status::Ok();
}

std::vector<Peer> MainPeers(Ctx& c) {
  std::vector<Peer> peers;
  const fs::path store = c.st.store_dir / "data.mdb";
  const fs::path ref_stream = c.ref_dir / c.ref.stream_file();
  auto ours_manifest = std::make_shared<backup::Manifest>();
  peers.push_back(Timed(
      c, "ours.backup", store,
      [&c, ours_manifest] {
        auto m = backup::WriteBackup(c.st.vault->env(), c.keys, c.ours_dir,
                                     std::chrono::system_clock::now(), c.write_options);
        if (!m.ok()) return m.status();
        *ours_manifest = std::move(m).value();
        return Status::Ok();
      },
      [&c, ours_manifest] {
        if (Status s = c.Expect(ours_manifest->store_bytes, "our backup"); !s.ok()) return s;
        if (ours_manifest->size != c.ref.size) return Fail("our backup changed size");
        return backup::DeleteBackup(c.ours_dir, ours_manifest->id);
      }));
  const fs::path raw_file = c.raw_dir / "backup.raw";
  peers.push_back(Timed(
      c, "raw.backup", store,
      [&c, raw_file] {
        return RunBash(
            kRawBackup,
            {c.st.store_dir.string(), c.key_hex, c.iv_hex, raw_file.string(), c.raw_dir.string()},
            c.log);
      },
      [&c, raw_file] {
        auto size = FileSize(raw_file);
        if (!size.ok()) return size.status();
        if (Status s = c.Expect(size.value(), "the raw peer's file"); !s.ok()) return s;
        return Remove(raw_file);
      }));

  auto restored = std::make_shared<fs::path>();
  peers.push_back(Timed(
      c, "ours.restore", ref_stream,
      [&c, restored] {
        *restored = c.FreshDir("ours");
        if (Status s = MakeDir(*restored); !s.ok()) return s;
        auto stats = backup::ExtractBackup(c.ref_dir, c.ref, c.keys, *restored);
        if (!stats.ok()) return stats.status();
        return c.Expect(stats.value().store_bytes, "the restored copy");
      },
      [restored] { return Remove(*restored); }));
  peers.push_back(Timed(
      c, "raw.restore", c.ref_raw,
      [&c, restored] {
        *restored = c.FreshDir("raw");
        if (Status s = MakeDir(*restored); !s.ok()) return s;
        return RunBash(kRawRestore, {c.key_hex, c.iv_hex, c.ref_raw.string(), restored->string()},
                       c.log);
      },
      [&c, restored] {
        auto size = FileSize(*restored / "data.mdb");
        if (!size.ok()) return size.status();
        if (Status s = c.Expect(size.value(), "the raw peer's restored copy"); !s.ok()) return s;
        return Remove(*restored);
      }));

  auto verify_split = std::make_shared<std::pair<double, double>>();
  peers.push_back(Timed(
      c, "ours.verify", ref_stream,
      [&c, restored, verify_split] {
        const auto start = SteadyClock::now();
        *restored = c.FreshDir("verify");
        if (Status s = MakeDir(*restored); !s.ok()) return s;
        auto stats = backup::ExtractBackup(c.ref_dir, c.ref, c.keys, *restored);
        if (!stats.ok()) return stats.status();
        const auto extracted = SteadyClock::now();
        auto report = backup::CheckStoreCopy(*restored, c.st.vault->keyring().CloneKek(),
                                             c.st.vault->Tables(), c.clock);
        if (!report.ok()) return report.status();
        verify_split->first = std::chrono::duration<double>(extracted - start).count();
        verify_split->second = NanosSince(extracted) / 1e9;
        if (!report.value().ok()) return Fail("the verify found values that do not open");
        size_t records = 0;
        for (const auto& db : report.value().dbs) {
          if (db.name != store::kKeysDb) records += db.records;
        }
        if (records != c.st.values) {
          return Fail("the verify opened " + std::to_string(records) + " values, the store has " +
                      std::to_string(c.st.values));
        }
        c.verified_records = records;
        return Status::Ok();
      },
      [&c, restored, verify_split] {
        c.verify_parts.push_back(*verify_split);
        return Remove(*restored);
      }));
  return peers;
}

// Each part of ours.backup alone, and the WriteBackup variants.
std::vector<Peer> DiagnosticPeers(Ctx& c) {
  std::vector<Peer> peers;
  const fs::path store = c.st.store_dir / "data.mdb";
  peers.push_back(
      Timed(c, "split.copy", store, [&c] { return CopyThroughPipe(c.st.vault->env()); }));
  peers.push_back(Timed(c, "split.copy.null", store, [&c] {
    const int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (fd < 0) return Fail(std::string("cannot open /dev/null: ") + std::strerror(errno));
    Status s = c.st.vault->env().CopyTo(fd);
    close(fd);
    return s;
  }));
  peers.push_back(Timed(c, "split.mdb_copy.plain", store, [&c] {
    return RunBash(kMdbCopyPlainPipe, {c.st.store_dir.string()}, c.log);
  }));
  peers.push_back(Timed(c, "split.mdb_copy", store,
                        [&c] { return RunBash(kMdbCopyPipe, {c.st.store_dir.string()}, c.log); }));
  peers.push_back(Timed(c, "split.seal", {}, [&c] {
    auto writer = backup::StreamWriter::Begin(
        *c.keys.stream, backup::kStreamKeyTerm,
        [](std::string_view bytes) {
          KeepAlive(bytes.data());
          return Status::Ok();
        },
        c.opt.chunk_bytes);
    if (!writer.ok()) return writer.status();
    for (size_t at = 0; at < c.copy.size(); at += kMiB) {
      if (Status s = writer.value().Write(std::string_view(c.copy).substr(at, kMiB)); !s.ok()) {
        return s;
      }
    }
    return writer.value().Finish();
  }));
  peers.push_back(Timed(c, "split.unseal", {}, [&c] {
    uint64_t opened = 0;
    backup::StreamReader reader(*c.keys.stream, [&](std::string_view plain) {
      opened += plain.size();
      KeepAlive(plain.data());
      return Status::Ok();
    });
    for (size_t at = 0; at < c.sealed.size(); at += kMiB) {
      if (Status s = reader.Feed(std::string_view(c.sealed).substr(at, kMiB)); !s.ok()) return s;
    }
    if (Status s = reader.Finish(); !s.ok()) return s;
    return c.Expect(opened, "the unsealed stream");
  }));
  peers.push_back(Timed(c, "split.sha256", {}, [&c] {
    crypto::Sha256Hasher hash;
    for (size_t at = 0; at < c.copy.size(); at += kMiB) {
      hash.Update(std::string_view(c.copy).substr(at, kMiB));
    }
    const crypto::Sha256Digest d = hash.Finish();
    KeepAlive(d);
    return Status::Ok();
  }));
  peers.push_back(Timed(
      c, "split.write", {},
      [&c] {
        auto file = NewFile::Create(c.split_dir, "write.bin", 0600);
        if (!file.ok()) return file.status();
        for (size_t at = 0; at < c.copy.size(); at += kMiB) {
          if (Status s = file.value().Write(std::string_view(c.copy).substr(at, kMiB)); !s.ok()) {
            return s;
          }
        }
        return file.value().Commit();
      },
      [&c] { return Remove(c.split_dir / "write.bin"); }));
  for (const ProtoVariant v : kProtoVariants) {
    const fs::path file = c.split_dir / "proto.sigbk";
    peers.push_back(Timed(
        c, ProtoName(v), store,
        [&c, v] {
          auto made = ProtoBackup(v, c.st.vault->env(), c.keys, c.split_dir, "proto.sigbk",
                                  c.opt.chunk_bytes);
          if (!made.ok()) return made.status();
          if (v != ProtoVariant::kNoCompact) {
            if (made.value().stream_bytes != c.ref.size) return Fail("wrong size: proto backup");
            return Status::Ok();
          }
          // Not compacted: the free pages too, up to the last page in use.
          if (made.value().store_bytes < c.ref.store_bytes ||
              made.value().store_bytes > c.st.file_bytes) {
            return Fail("proto.no_compact copied " + std::to_string(made.value().store_bytes) +
                        " bytes of store");
          }
          c.no_compact_bytes = made.value().store_bytes;
          return Status::Ok();
        },
        [file] { return Remove(file); }));
  }
  return peers;
}

// --- the report ---

std::string FsType(const fs::path& dir) {
  struct statfs s {};
  if (statfs(dir.c_str(), &s) != 0) return "?";
  switch (static_cast<unsigned long>(s.f_type)) {
    case EXT4_SUPER_MAGIC:
      return "ext4";
    case TMPFS_MAGIC:
      return "tmpfs";
    case XFS_SUPER_MAGIC:
      return "xfs";
    case BTRFS_SUPER_MAGIC:
      return "btrfs";
    default:
      return "f_type 0x" + [&] {
        char hex[32];
        std::snprintf(hex, sizeof hex, "%lx", static_cast<unsigned long>(s.f_type));
        return std::string(hex);
      }();
  }
}

// The first line a command prints (tool versions), or "?".
std::string FirstLine(Ctx& c, const std::string& script) {
  if (!RunBash(script, {}, c.log).ok()) return "?";
  std::ifstream in(c.log);
  std::string line;
  std::getline(in, line);
  return line.empty() ? "?" : line;
}

void PrintHeader(Ctx& c) {
  const Options& o = c.opt;
  const Store& st = c.st;
  utsname u{};
  uname(&u);
  std::printf("backup_bench: backup::WriteBackup against mdb_copy -c | openssl enc -aes-256-ctr\n");
  std::printf("  command: %s\n", o.command.c_str());
  std::printf("  machine: %s, %ld CPUs, kernel %s; temp dir %s (%s)\n", CpuModel().c_str(),
              sysconf(_SC_NPROCESSORS_ONLN), u.release, c.root.c_str(), FsType(c.root).c_str());
  std::printf("  tools: mdb_copy %s; %s; bash -o pipefail; sync FILE DIR (coreutils)\n",
              FirstLine(c, "mdb_copy -V").c_str(), FirstLine(c, "openssl version").c_str());
  std::printf(
      "  store: %zu values (%.1f MiB of plaintext, %zu..%zu B log-uniform), %zu tenants, "
      "2 tenant-first tables\n",
      st.values, static_cast<double>(st.plaintext_bytes) / kMiB, o.min_value, o.max_value,
      st.tenants);
  std::printf(
      "         %.1f MiB used (data.mdb %.1f MiB); generated in %.1f s (not part of any peer); "
      "read once into the page cache in %.2f s: every peer reads a warm store\n",
      static_cast<double>(st.used_bytes) / kMiB, static_cast<double>(st.file_bytes) / kMiB,
      st.load_seconds, st.warm_seconds);
  std::printf(
      "  store copy (mdb_copy -c = Env::CopyTo, checked byte for byte): %llu B = %.1f MiB; "
      "chunks of %zu B\n",
      static_cast<unsigned long long>(c.ref.store_bytes), c.StoreMib(), o.chunk_bytes);
  std::printf(
      "  %d warm-up round(s), %d timed round(s); each round runs every peer once, in a new "
      "random order; the file system is synced between peers\n",
      o.warmups, o.reps);
}

bool Ran(const Ctx& c, const std::string& name) {
  const auto it = c.logs.find(name);
  return it != c.logs.end() && !it->second.runs.empty();
}

void PrintRow(const Ctx& c, const std::string& name, const char* note = "") {
  if (!Ran(c, name)) return;
  const Log& l = c.logs.at(name);
  std::string runs;
  for (const Run& r : l.runs) {
    char one[32];
    std::snprintf(one, sizeof one, "%s%.2f", runs.empty() ? "" : " ", r.wall_s);
    runs += one;
  }
  const double median = l.MedianWall();
  std::printf("  %-28s %8.3f %8.3f %8.3f %8.0f %6.0f%%  %-24s %s\n", name.c_str(), median,
              l.MinWall(), l.MedianCpu(), median > 0 ? c.StoreMib() / median : 0,
              100 * l.MaxOthers(), runs.c_str(), note);
}

void PrintTableHead(const char* title) {
  std::printf("\n%s\n  %-28s %8s %8s %8s %8s %7s  %-24s\n", title, "peer", "median s", "min s",
              "CPU s", "MiB/s", "others", "runs (wall s)");
}

// "ours / raw = R on medians (on minimums; CPU)" for two peers that both ran.
void PrintRatio(const Ctx& c, const char* what, const std::string& ours, const std::string& raw,
                const std::string& verdict) {
  if (!Ran(c, ours) || !Ran(c, raw)) return;
  const Log& o = c.logs.at(ours);
  const Log& r = c.logs.at(raw);
  std::printf("  %-8s %s / %s = %.3f on medians (%.3f on minimums; CPU %.3f); %s\n", what,
              ours.c_str(), raw.c_str(), o.MedianWall() / r.MedianWall(), o.MinWall() / r.MinWall(),
              o.MedianCpu() / r.MedianCpu(), verdict.c_str());
}

// The backup ratio (0 if ours.backup or raw.backup did not run).
double PrintResults(const Ctx& c) {
  PrintTableHead(
      "results (wall seconds; CPU s = all threads and child processes; MiB/s = store copy / "
      "median; others = the most of all CPUs other processes took during a run)");
  for (const char* n :
       {"ours.backup", "raw.backup", "ours.restore", "raw.restore", "ours.verify"}) {
    PrintRow(c, n);
  }
  std::printf("\n");
  double ratio = 0;
  if (Ran(c, "ours.backup") && Ran(c, "raw.backup")) {
    ratio = c.logs.at("ours.backup").MedianWall() / c.logs.at("raw.backup").MedianWall();
    char verdict[64];
    std::snprintf(verdict, sizeof verdict, "target <= %.2f: %s", kBackupTarget,
                  ratio <= kBackupTarget ? "MET" : "MISSED");
    PrintRatio(c, "backup:", "ours.backup", "raw.backup", verdict);
  }
  PrintRatio(c, "restore:", "ours.restore", "raw.restore", "no target");
  if (Ran(c, "ours.verify")) {
    // The parts of the run whose total is the median (the lower middle for an even count).
    const auto& runs = c.logs.at("ours.verify").runs;
    std::vector<size_t> order(runs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::sort(order.begin(), order.end(),
              [&](size_t a, size_t b) { return runs[a].wall_s < runs[b].wall_s; });
    const size_t mid = order[(order.size() - 1) / 2];
    const size_t warmup_runs = c.verify_parts.size() - runs.size();
    const auto [extract, check] = c.verify_parts[warmup_runs + mid];
    std::printf(
        "  verify:  %.0f MiB/s of store (median %.2f s); the median run: %.2f s = extract %.2f s "
        "+ open every value %.2f s; %zu values opened\n",
        c.StoreMib() / c.logs.at("ours.verify").MedianWall(), c.logs.at("ours.verify").MedianWall(),
        runs[mid].wall_s, extract, check, c.verified_records);
  }
  std::printf(
      "  sizes: ours %llu B .sigbk (store copy + %llu B: 32 B header, %zu B per chunk) + %llu B "
      "manifest; raw %llu B (CTR, no header, no tag)\n",
      static_cast<unsigned long long>(c.ref.size),
      static_cast<unsigned long long>(c.ref.size - c.ref.store_bytes), crypto::kSealOverhead,
      static_cast<unsigned long long>(c.manifest_bytes),
      static_cast<unsigned long long>(c.raw_bytes));
  return ratio;
}

void PrintDiagnostics(const Ctx& c) {
  PrintTableHead(
      "where the time goes: each part alone (backup: copy, seal, sha256, write; restore: unseal, "
      "sha256, write)");
  PrintRow(c, "split.copy", "Env::CopyTo -> pipe -> 1 MiB reads");
  PrintRow(c, "split.copy.null", "Env::CopyTo -> /dev/null: LMDB's walk alone");
  PrintRow(c, "split.mdb_copy", "mdb_copy -c | cat > /dev/null");
  PrintRow(c, "split.mdb_copy.plain", "mdb_copy | cat > /dev/null (no compaction)");
  PrintRow(c, "split.seal", "StreamWriter, from memory");
  PrintRow(c, "split.sha256", "Sha256Hasher, from memory");
  PrintRow(c, "split.unseal", "StreamReader, from memory (restore's decryption)");
  PrintRow(c, "split.write", "NewFile Write + Commit (fsync)");
  PrintTableHead("WriteBackup variants (no manifest; proto.backup should match ours.backup)");
  const std::string same = ProtoName(ProtoVariant::kSame);
  for (const ProtoVariant v : kProtoVariants) {
    if (!Ran(c, ProtoName(v))) continue;
    const double t = c.logs.at(ProtoName(v)).MedianWall();
    std::string note;
    char part[64];
    if (Ran(c, same)) {
      std::snprintf(part, sizeof part, "%+.1f%% vs proto.backup",
                    100 * (t / c.logs.at(same).MedianWall() - 1));
      note += part;
    }
    if (Ran(c, "raw.backup")) {
      std::snprintf(part, sizeof part, "; / raw.backup %.3f",
                    t / c.logs.at("raw.backup").MedianWall());
      note += part;
    }
    PrintRow(c, ProtoName(v), note.c_str());
  }
  if (c.no_compact_bytes > 0) {
    std::printf("  (proto.no_compact's store copy: %llu B, the compacted one %llu B)\n",
                static_cast<unsigned long long>(c.no_compact_bytes),
                static_cast<unsigned long long>(c.ref.store_bytes));
  }
}

int Main(int argc, char** argv) {
  Options opt;
  if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') opt.dir = tmp;
  if (opt.dir.empty()) opt.dir = "/tmp";
  bool no_diagnostics = false;
  CLI::App app{"backup_bench: backup::WriteBackup against mdb_copy -c | openssl enc",
               "backup_bench"};
  app.add_option("--dir", opt.dir, "parent directory for the store and the backups")
      ->check(CLI::ExistingDirectory);
  app.add_option("--store-mib", opt.store_mib, "store size to generate, MiB")
      ->check(CLI::Range(1, 1 << 20));
  app.add_option("--min-value", opt.min_value, "smallest value, bytes")
      ->check(CLI::Range(1, 16 << 20));
  app.add_option("--max-value", opt.max_value, "largest value, bytes")
      ->check(CLI::Range(1, 16 << 20));
  app.add_option("--tenants", opt.tenants, "tenants owning the values")->check(CLI::Range(1, 1000));
  app.add_option("--reps", opt.reps, "timed rounds")->check(CLI::Range(1, 100));
  app.add_option("--warmups", opt.warmups, "untimed rounds first")->check(CLI::Range(0, 10));
  app.add_option("--chunk-bytes", opt.chunk_bytes, "the backup stream's chunk size")
      ->check(CLI::Range(backup::kMinChunkBytes, backup::kMaxChunkBytes));
  app.add_flag("--no-diagnostics", no_diagnostics, "skip the split.* and proto.* peers");
  std::vector<std::string> only;
  app.add_option("--peers", only, "run only these peers (names as printed), e.g. to profile one")
      ->delimiter(',');
  app.add_option("--seed", opt.seed, "seed of the generated store");
  app.add_flag("--keep", opt.keep,
               "keep the temporary directory (the store and reference backups)");
  app.add_flag("--quick", opt.quick,
               "a 64 MiB store, one round, no warm-up (smoke test; overrides --store-mib, "
               "--reps, --warmups)");
  CLI11_PARSE(app, argc, argv);
  for (int i = 0; i < argc; ++i) opt.command += (i == 0 ? "" : " ") + std::string(argv[i]);
  opt.diagnostics = !no_diagnostics;
  if (opt.quick) {
    opt.store_mib = 64;
    opt.reps = 1;
    opt.warmups = 0;
  }
  if (opt.min_value > opt.max_value) {
    std::fprintf(stderr, "backup_bench: --min-value is larger than --max-value\n");
    return 2;
  }

  static const SystemClock clock{};
  std::mt19937_64 rng(opt.seed);
  std::fprintf(stderr, "backup_bench: generating a %zu MiB store in %s...\n", opt.store_mib,
               opt.dir.c_str());
  auto st = MakeStore(opt, rng, clock);
  if (!st.ok()) {
    std::fprintf(stderr, "backup_bench: %s\n", st.status().ToString().c_str());
    return 1;
  }
  if (opt.keep) {
    st.value()->dir->Keep();
    std::fprintf(stderr, "backup_bench: keeping %s\n", st.value()->dir->path().c_str());
  }
  Ctx c(opt, *st.value(), clock);
  if (Status s = Setup(c, rng); !s.ok()) {
    std::fprintf(stderr, "backup_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  std::vector<Peer> peers = MainPeers(c);
  if (opt.diagnostics) {
    for (Peer& p : DiagnosticPeers(c)) peers.push_back(std::move(p));
  }
  if (!only.empty()) {
    std::vector<Peer> chosen;
    for (const std::string& name : only) {
      const auto it =
          std::find_if(peers.begin(), peers.end(), [&](const Peer& p) { return p.name == name; });
      if (it == peers.end()) {
        std::fprintf(stderr, "backup_bench: --peers: no peer \"%s\"%s\n", name.c_str(),
                     opt.diagnostics ? "" : " (split.* and proto.* need diagnostics on)");
        return 2;
      }
      chosen.push_back(std::move(*it));
      peers.erase(it);
    }
    peers = std::move(chosen);
  }
  std::fprintf(stderr, "backup_bench: %zu peers, %d warm-up + %d timed rounds...\n", peers.size(),
               opt.warmups, opt.reps);
  if (Status s = RunInterleaved(peers, opt.warmups, opt.reps); !s.ok()) {
    std::fprintf(stderr, "backup_bench: %s\n", s.ToString().c_str());
    return 1;
  }
  PrintHeader(c);
  const double ratio = PrintResults(c);
  if (opt.diagnostics) PrintDiagnostics(c);
  if (!only.empty()) {
    std::printf("\nbackup_bench: the chosen peers ran\n");
  } else {
    std::printf("\nbackup_bench: every peer ran; backup ours / raw = %.3f (target <= %.2f: %s)\n",
                ratio, kBackupTarget, ratio <= kBackupTarget ? "met" : "missed");
  }
  return 0;
}

}  // namespace
}  // namespace sigmad::bench

int main(int argc, char** argv) { return sigmad::bench::Main(argc, argv); }
