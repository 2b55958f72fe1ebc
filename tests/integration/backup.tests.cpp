// Integration tests: sigmactl backup run|list|verify|prune|restore|drill, the backup and
// drill schedule, and RPO/RTO in status, against the real sigmad --dev (whose backups go
// to DIR/backups). Backup files are damaged directly while sigmad runs (it reads them
// afresh each time); old clocks come from libfaketime, a full disk from RLIMIT_FSIZE.
#include <Poco/DigestEngine.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/SHA2Engine.h>
#include <signal.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"

using namespace sigmad::it;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

using SteadyClock = std::chrono::steady_clock;

// The stream layout (daemon/backup/stream.h): a 32-byte header, then chunks of 1 MiB of
// plaintext sealed with 33 bytes of overhead, the last one shorter.
constexpr size_t kHeaderBytes = 32;
constexpr size_t kSealedChunkBytes = (size_t{1} << 20) + 33;

Object::Ptr Json(const RunResult& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  Poco::JSON::Parser parser;
  return parser.parse(r.out).extract<Object::Ptr>();
}

Object::Ptr Parse(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Object::Ptr>();
}

std::string Sha256(const std::string& bytes) {
  Poco::SHA2Engine sha(Poco::SHA2Engine::SHA_256);
  sha.update(bytes.data(), static_cast<unsigned>(bytes.size()));
  return Poco::DigestEngine::digestToHex(sha.digest());
}

// The names in `dir`, sorted.
std::vector<std::string> Names(const fs::path& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) out.push_back(e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> FilesOf(const std::string& id) {
  return {id + ".manifest", id + ".sigbk"};
}

// A CSV of 64 one-digit columns c0..c63, about `bytes` long; `seed` makes two of them
// differ. sigmad stores each value as a double, so it makes about 4 bytes of store per
// byte of CSV: the quickest way to a store of many MiB through the front door.
std::string DigitsCsv(size_t bytes, int seed) {
  std::string csv;
  for (int c = 0; c < 64; ++c) csv += (c ? ",c" : "c") + std::to_string(c);
  csv += '\n';
  for (long row = 0; csv.size() < bytes; ++row) {
    for (int c = 0; c < 64; ++c) {
      if (c) csv += ',';
      csv += static_cast<char>('0' + (row * 7 + c * seed) % 10);
    }
    csv += '\n';
  }
  return csv;
}

// libfaketime's environment: `spec` is FAKETIME's value ("-45d", "@2026-12-06 00:59:54").
std::vector<std::string> FakeTime(const std::string& spec) {
  fs::path lib;  // /usr/lib/<multiarch>/faketime/; scripts/install-deps installs it
  for (const auto& arch : fs::directory_iterator("/usr/lib")) {
    if (fs::exists(arch.path() / "faketime/libfaketimeMT.so.1")) {
      lib = arch.path() / "faketime/libfaketimeMT.so.1";
    }
  }
  REQUIRE(!lib.empty());
  return {"LD_PRELOAD=" + lib.string(), "FAKETIME=" + spec, "FAKETIME_DONT_FAKE_MONOTONIC=1",
          "TZ=UTC", "ASAN_OPTIONS=verify_asan_link_order=0"};
}

// Whole days from the UTC date of `iso` ("2026-11-03T...") to today's UTC date.
long DaysOld(const std::string& iso) {
  int y = 0;
  unsigned m = 0, d = 0;
  REQUIRE(std::sscanf(iso.c_str(), "%d-%u-%u", &y, &m, &d) == 3);
  const std::chrono::sys_days created{std::chrono::year{y} / m / d};
  return (std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()) - created)
      .count();
}

// A dev sigmad with tenant acme and project acme/lab.
struct Appliance {
  TempDir tmp;
  Daemon d{tmp.path() / "state"};
  Appliance() {
    REQUIRE(d.Start());
    REQUIRE(Ctl({"tenant", "create", "acme"}).exit_code == 0);
    REQUIRE(Ctl({"project", "create", "acme/lab"}).exit_code == 0);
  }
  RunResult Ctl(const std::vector<std::string>& args) { return sigmad::it::Ctl(d.socket(), args); }
  fs::path backups() const { return d.dir() / "backups"; }
  // Imports acme/lab/`name` from a DigitsCsv of `csv_bytes` (about 4x that in store).
  void ImportDigits(const std::string& name, size_t csv_bytes, int seed) {
    const fs::path file = tmp.path() / (name + ".csv");
    WriteFile(file, DigitsCsv(csv_bytes, seed));
    std::string inputs;
    for (int c = 0; c < 63; ++c) inputs += (c ? ",c" : "c") + std::to_string(c);
    RunResult r = Ctl({"dataset", "import", "acme/lab", name, "--file", file.string(), "--inputs",
                       inputs, "--outputs", "c63"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    fs::remove(file);
  }
  // backup run --wait; the new backup's id.
  std::string Backup() {
    RunResult r = Ctl({"--json", "backup", "run", "--wait"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    return Json(r)->getObject("backup")->getValue<std::string>("id");
  }
  // The VERIFIED column of `backup list` for `id`.
  std::string Verified(const std::string& id) {
    const RunResult list = Ctl({"backup", "list"});
    for (const auto& line : Lines(list.out)) {
      if (line.rfind(id + " ", 0) != 0) continue;
      for (const char* mark : {"  ok ", "  FAILED ", "  UNREADABLE: ", "  never"}) {
        const size_t at = line.find(mark);
        if (at != std::string::npos) return line.substr(at + 2);
      }
    }
    FAIL("backup " << id << " is not in the list:\n" << list.out << list.err);
    return "";
  }
};

// The audit records (audit export, parsed), oldest first.
std::vector<Object::Ptr> AuditRecords(const fs::path& socket) {
  RunResult r = Ctl(socket, {"audit", "export"});
  REQUIRE(r.exit_code == 0);
  std::vector<Object::Ptr> out;
  for (const auto& line : Lines(r.out)) out.push_back(Parse(line));
  return out;
}

std::vector<Object::Ptr> AuditOf(const fs::path& socket, const std::string& action) {
  std::vector<Object::Ptr> out;
  for (auto& r : AuditRecords(socket)) {
    if (r->getValue<std::string>("action") == action) out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_CASE("backup, more writes, restore: the copy holds exactly the data at backup time",
          "[integration][backup]") {
  Appliance a;
  REQUIRE(a.Ctl({"tenant", "create", "globex"}).exit_code == 0);
  REQUIRE(a.Ctl({"project", "create", "globex/plant"}).exit_code == 0);
  const fs::path csv = a.tmp.path() / "runs.csv";
  WriteFile(csv, "temp,alloy,strength\n20.5,A,100\n30,B,115.25\n40,A,130.5\n");
  REQUIRE(a.Ctl({"dataset", "import", "acme/lab", "runs", "--file", csv.string(), "--inputs",
                 "temp,alloy", "--outputs", "strength"})
              .exit_code == 0);
  const std::string runs = a.Ctl({"dataset", "export", "acme/lab/runs"}).out;
  REQUIRE(runs == "temp,alloy,strength\n20.5,A,100\n30,B,115.25\n40,A,130.5\n");

  RunResult run = a.Ctl({"backup", "run", "--wait"});
  INFO(run.out << run.err);
  REQUIRE(run.exit_code == 0);
  const auto lines = Lines(run.out);
  REQUIRE(lines.size() == 3);
  CHECK_THAT(lines[0], Catch::Matches(R"(backup \d{8}T\d{6}Z-[0-9a-f]{8} written: [0-9.]+ KiB )"
                                      R"(\([0-9.]+ KiB of store\) in \d+ ms)"));
  CHECK_THAT(lines[1], Catch::Matches(R"(verified: \d+ values opened)"));
  CHECK(lines[2] == "pruned by keepDays 30: 0 deleted");
  const std::string id = lines[0].substr(7, 25);

  // More writes after the backup: a tenant, a project, a dataset, and a deletion.
  REQUIRE(a.Ctl({"tenant", "create", "initech"}).exit_code == 0);
  REQUIRE(a.Ctl({"project", "create", "acme/later"}).exit_code == 0);
  REQUIRE(a.Ctl({"dataset", "import", "acme/lab", "later", "--file", csv.string(), "--inputs",
                 "temp", "--outputs", "strength"})
              .exit_code == 0);
  REQUIRE(a.Ctl({"dataset", "delete", "acme/lab/runs"}).exit_code == 0);

  SECTION("list, list --json, verify and prune --dry-run describe it") {
    CHECK_THAT(a.Verified(id), Catch::StartsWith("ok 20"));
    const RunResult list = a.Ctl({"backup", "list"});
    CHECK_THAT(list.out, Catch::StartsWith("target: " + a.backups().string() +
                                           "\nID                         CREATED"));
    auto j = Json(a.Ctl({"--json", "backup", "list"}));
    CHECK(j->getValue<std::string>("target") == a.backups().string());
    REQUIRE(j->getArray("backups")->size() == 1);
    auto b = j->getArray("backups")->getObject(0);
    const std::string stream = ReadFile(a.backups() / (id + ".sigbk"));
    CHECK(b->getValue<std::string>("id") == id);
    CHECK_THAT(b->getValue<std::string>("created_at"),
               Catch::Matches(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"));
    CHECK(b->getValue<uint64_t>("size") == stream.size());
    CHECK(b->getValue<std::string>("sha256") == Sha256(stream));
    CHECK(b->getValue<uint64_t>("store_bytes") + kHeaderBytes + 33 <= stream.size());
    CHECK(b->getValue<int>("schema_version") >= 1);
    CHECK_THAT(b->getValue<std::string>("master_key_id"), Catch::Matches("[0-9a-f]{16}"));
    CHECK(b->getArray("generations")->getElement<std::string>(0) == "daily");
    CHECK(b->getValue<std::string>("problem").empty());
    CHECK(b->getObject("verified")->getValue<bool>("ok"));
    CHECK(b->getObject("verified")->getValue<std::string>("problem").empty());
    CHECK(Names(a.backups()) == FilesOf(id));
    // The manifest: one JSON line naming the stream file, and its MAC.
    const auto manifest = Lines(ReadFile(a.backups() / (id + ".manifest")));
    REQUIRE(manifest.size() == 2);
    CHECK(Parse(manifest[0])->getValue<std::string>("file") == id + ".sigbk");
    CHECK_THAT(manifest[1], Catch::Matches("hmac-sha256 [0-9a-f]{64}"));

    RunResult v = a.Ctl({"backup", "verify", id});
    INFO(v.out << v.err);
    CHECK(v.exit_code == 0);
    CHECK_THAT(v.out, Catch::Matches(id + R"(: intact \(\d+ values opened, [0-9.]+ KiB of store, )"
                                          R"(\d+ ms\)\n)"));
    CHECK(a.Ctl({"backup", "verify", "--all"}).exit_code == 0);
    RunResult dry = a.Ctl({"backup", "prune", "--dry-run"});
    CHECK_THAT(dry.out, Catch::StartsWith("rule: keepDays 30\nID ") &&
                            Catch::Contains("  keep    keepDays 30: 0 days old\n"));
    CHECK(Names(a.backups()) == FilesOf(id));
  }
  SECTION("restore, then serve the copy with the same master key") {
    const fs::path to = a.tmp.path() / "restored";
    RunResult r = a.Ctl({"backup", "restore", id, "--to", to.string()});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("restored backup " + id + " to " + to.string() +
                                        " and verified it ("));
    CHECK(Names(to) == std::vector<std::string>{"store"});
    CHECK(Names(to / "store") == std::vector<std::string>{"data.mdb"});
    CHECK(Ctl(a.d.socket(), {"audit", "export"})
              .out.find("\"action\":\"backup.restore\",\"target\":\"" + id +
                        "\",\"outcome\":\"ok\"") != std::string::npos);

    fs::copy_file(a.d.dir() / "master.key", to / "master.key");
    fs::permissions(to / "master.key", fs::perms::owner_read);
    Daemon restored(to);
    REQUIRE(restored.Start());
    auto ctl = [&](const std::vector<std::string>& args) { return Ctl(restored.socket(), args); };
    auto tenants = Json(ctl({"--json", "tenant", "list"}))->getArray("tenants");
    std::set<std::string> names;
    for (const auto& t : *tenants)
      names.insert(t.extract<Object::Ptr>()->getValue<std::string>("name"));
    CHECK(names == std::set<std::string>{"acme", "globex"});
    CHECK_THAT(ctl({"project", "list", "acme"}).out,
               Catch::Contains("\nlab ") && !Catch::Contains("later"));
    CHECK_THAT(ctl({"project", "list", "globex"}).out, Catch::Contains("\nplant "));
    const RunResult datasets = ctl({"dataset", "list", "acme/lab"});
    CHECK(Lines(datasets.out).size() == 2);  // the header and runs
    CHECK_THAT(datasets.out, Catch::Contains("\nruns ") && !Catch::Contains("later"));
    CHECK(ctl({"dataset", "export", "acme/lab/runs"}).out == runs);
    RunResult verify = ctl({"store", "verify"});
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
    CHECK(ctl({"audit", "verify"}).exit_code == 0);
    // The copy's audit log ends at the backup: it knows the import, not what came after.
    const std::string audit = ctl({"audit", "export"}).out;
    CHECK_THAT(audit,
               Catch::Contains("\"action\":\"dataset.import\",\"target\":\"acme/lab/runs\""));
    CHECK_THAT(audit, !Catch::Contains("initech") && !Catch::Contains("acme/lab/later"));
    CHECK(restored.Stop() == 0);
  }
  CHECK(a.d.Stop() == 0);
}

TEST_CASE(
    "backup verify and restore name a flipped byte, a truncation, a swapped chunk "
    "and an edited manifest",
    "[integration][backup]") {
  Appliance a;
  a.ImportDigits("wide", size_t{1} << 20, 3);  // about 4 MiB of store: 5 chunks
  const std::string id = a.Backup();
  const fs::path stream = a.backups() / (id + ".sigbk");
  const fs::path manifest = a.backups() / (id + ".manifest");
  const std::string good_stream = ReadFile(stream), good_manifest = ReadFile(manifest);
  REQUIRE(good_stream.size() > kHeaderBytes + 3 * kSealedChunkBytes);

  struct Tamper {
    const char* what;
    std::function<void()> damage;
    std::string problem;  // in verify's and restore's error
    const char* listed;   // how backup list shows it then
  };
  const std::vector<Tamper> tampers = {
      {"a flipped byte in chunk 1",
       [&] {
         std::string s = good_stream;
         const size_t at = kHeaderBytes + kSealedChunkBytes + 4096;
         s[at] = static_cast<char>(s[at] ^ 0x10);
         WriteFile(stream, s);
       },
       "backup " + id +
           ": chunk 1 does not authenticate: it was changed, moved, or comes from "
           "another stream or key",
       "FAILED "},
      {"a truncated file", [&] { fs::resize_file(stream, good_stream.size() - 1000); },
       "backup " + id + ": " + stream.string() + " is " +
           std::to_string(good_stream.size() - 1000) + " bytes, its manifest says " +
           std::to_string(good_stream.size()) + " (truncated)",
       "FAILED "},
      {"bytes appended", [&] { WriteFile(stream, good_stream + "more"); },
       "bytes, its manifest says " + std::to_string(good_stream.size()) +
           " (something was appended)",
       "FAILED "},
      {"chunks 1 and 2 swapped",
       [&] {
         std::string s = good_stream;
         const size_t one = kHeaderBytes + kSealedChunkBytes, two = one + kSealedChunkBytes;
         std::swap_ranges(s.begin() + static_cast<long>(one), s.begin() + static_cast<long>(two),
                          s.begin() + static_cast<long>(two));
         WriteFile(stream, s);
       },
       "backup " + id + ": chunk 1 does not authenticate: it was changed, moved", "FAILED "},
      {"a manifest edited (backdated)",
       [&] {
         std::string m = good_manifest;
         const size_t year = m.find("\"created\":\"") + 11;
         REQUIRE(m.substr(year, 3) == "202");
         m[year + 3] = m[year + 3] == '0' ? '1' : '0';
         WriteFile(manifest, m);
       },
       manifest.string() + ": the manifest does not match its MAC: it was edited or damaged",
       "UNREADABLE: "},
  };
  for (const auto& t : tampers) {
    INFO(t.what);
    t.damage();
    for (const char* how : {"ID", "--all"}) {
      RunResult v = a.Ctl({"backup", "verify", std::string(how) == "ID" ? id : "--all"});
      INFO(how << ": " << v.out << v.err);
      CHECK(v.exit_code == 1);
      CHECK_THAT(v.err,
                 Catch::StartsWith("sigmactl: 1 of 1 backup(s) do not verify:\n  " + id + ": ") &&
                     Catch::Contains(t.problem));
    }
    CHECK_THAT(a.Verified(id), Catch::StartsWith(t.listed));
    if (std::string(t.listed) == "UNREADABLE: ") {  // prune never deletes on its word
      CHECK_THAT(a.Ctl({"backup", "prune", "--dry-run"}).out,
                 Catch::EndsWith("rule: keepDays 30\nno backups\nnot touched, does not verify: " +
                                 id + ": " + t.problem + "\n"));
    }
    const fs::path to = a.tmp.path() / "restored";
    RunResult r = a.Ctl({"backup", "restore", id, "--to", to.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains(t.problem));
    CHECK_FALSE(fs::exists(to));
    // Put the good files back: the same backup verifies again, so it was the damage.
    WriteFile(stream, good_stream);
    WriteFile(manifest, good_manifest);
    CHECK(a.Ctl({"backup", "verify", id}).exit_code == 0);
    CHECK_THAT(a.Verified(id), Catch::StartsWith("ok "));
  }
  // Every failed verification and refused restore was audited.
  const auto verifies = AuditOf(a.d.socket(), "backup.verify");
  CHECK(std::count_if(verifies.begin(), verifies.end(), [](const Object::Ptr& r) {
          return r->getValue<std::string>("outcome") == "error:integrity";
        }) == 2 * static_cast<long>(tampers.size()));
  const auto restores = AuditOf(a.d.socket(), "backup.restore");
  CHECK(restores.size() == tampers.size());
  CHECK(Names(a.backups()) == FilesOf(id));
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("kill -9 during backups leaves no partial backup in the catalogue or the target",
          "[integration][backup][crash]") {
  Appliance a;
  a.ImportDigits("big", size_t{6} << 20, 3);  // about 24 MiB of store
  // A backup's duration, request to reply, spans the kill points: the shorter of two, so
  // that a slow first one (cold caches, a busy machine) does not put kills after the end.
  std::set<std::string> seen;
  auto took = SteadyClock::duration::max();
  for (int i = 0; i < 2; ++i) {
    const auto t0 = SteadyClock::now();
    seen.insert(a.Backup());
    took = std::min(took, SteadyClock::now() - t0);
  }
  INFO("one backup took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                          << " ms");

  std::random_device device;
  const unsigned seed = device();
  INFO("seed " << seed);
  std::mt19937 random(seed);
  constexpr int kKills = 8;
  int interrupted = 0;
  for (int i = 0; i < kKills; ++i) {
    // One kill in each eighth of the duration, at a random point in it.
    std::uniform_real_distribution<double> in_slot(i, i + 1);
    const auto delay =
        std::chrono::duration_cast<SteadyClock::duration>(took * in_slot(random) / kKills);
    RunResult run;
    std::thread backup([&] { run = a.Ctl({"backup", "run", "--wait"}); });
    std::this_thread::sleep_for(delay);
    a.d.Signal(SIGKILL);
    backup.join();
    REQUIRE(a.d.WaitExit(10s).has_value());
    if (run.exit_code != 0) ++interrupted;
    INFO("kill " << i << " after "
                 << std::chrono::duration_cast<std::chrono::milliseconds>(delay).count()
                 << " ms; backup run: " << run.exit_code << " " << run.out << run.err);
    REQUIRE(a.d.Start());

    // The target holds whole backups only: each manifest with its stream and each stream
    // with its manifest, nothing else (no temp files).
    std::set<std::string> manifests, streams;
    for (const auto& name : Names(a.backups())) {
      INFO(name);
      const size_t dot = name.find('.');
      const std::string stem = name.substr(0, dot), ext = name.substr(dot);
      CHECK((ext == ".manifest" || ext == ".sigbk"));
      (ext == ".manifest" ? manifests : streams).insert(stem);
    }
    CHECK(manifests == streams);
    // The catalogue lists exactly those, all readable, and loses none seen before.
    auto list = Json(a.Ctl({"--json", "backup", "list"}))->getArray("backups");
    std::set<std::string> listed;
    for (const auto& v : *list) {
      auto b = v.extract<Object::Ptr>();
      listed.insert(b->getValue<std::string>("id"));
      CHECK(b->getValue<std::string>("problem").empty());
    }
    CHECK(listed == manifests);
    for (const auto& id : seen) CHECK(listed.count(id) == 1);
    seen.insert(listed.begin(), listed.end());
    // Verification copies a crash left are cleared at start.
    std::error_code ec;
    CHECK((!fs::exists(a.d.dir() / "scratch" / "backup", ec) ||
           fs::is_empty(a.d.dir() / "scratch" / "backup", ec)));
  }
  INFO(interrupted << " of " << kKills << " kills interrupted a backup");
  CHECK(interrupted >= kKills / 2);  // most kills landed in a backup, not after it
  RunResult verify = a.Ctl({"backup", "verify", "--all"});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK(Lines(verify.out).size() == seen.size());
  CHECK(a.Ctl({"store", "verify"}).exit_code == 0);
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("a backup stream without its manifest (a crash between the two) is gone after a restart",
          "[integration][backup][crash]") {
  // The state a kill -9 leaves between the stream's commit and the manifest's: made by
  // hand, since the window is too short to hit reliably.
  Appliance a;
  const std::string kept = a.Backup(), orphan = a.Backup();
  REQUIRE(a.d.Stop() == 0);
  fs::remove(a.backups() / (orphan + ".manifest"));
  REQUIRE(a.d.Start());
  CHECK(Json(a.Ctl({"--json", "backup", "list"}))->getArray("backups")->size() == 1);
  CHECK(Names(a.backups()) == FilesOf(kept));
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("sigmad --dev on a restored backup without its master key refuses and makes no key",
          "[integration][backup]") {
  Appliance a;
  const std::string id = a.Backup();
  const fs::path to = a.tmp.path() / "restored";
  REQUIRE(a.Ctl({"backup", "restore", id, "--to", to.string()}).exit_code == 0);
  Daemon restored(to);
  CHECK_FALSE(restored.Start());
  CHECK_THAT(restored.Log(), Catch::Contains((to / "store").string() + " holds a store but " +
                                             (to / "master.key").string() +
                                             " is missing: put that store's master key there"));
  // A key made up for a store that already exists could never open it, and would sit
  // where the right one must go (mode 0400): none is made, nor anything else.
  CHECK_FALSE(fs::exists(to / "master.key"));
  CHECK_FALSE(fs::exists(to / "sigmad.yaml"));
  // With the store's own key it serves.
  fs::remove(to / "master.key");
  fs::copy_file(a.d.dir() / "master.key", to / "master.key");
  fs::permissions(to / "master.key", fs::perms::owner_read);
  REQUIRE(restored.Start());
  CHECK_THAT(Ctl(restored.socket(), {"tenant", "list"}).out, Catch::Contains("\nacme "));
  CHECK(restored.Stop() == 0);
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("a refused backup restore leaves nothing behind, and makes no missing parents",
          "[integration][backup]") {
  Appliance a;
  const std::string id = a.Backup();
  // --to under a directory that does not exist: refused before anything is made.
  const fs::path parent = a.tmp.path() / "new";
  RunResult r = a.Ctl({"backup", "restore", id, "--to", (parent / "restored").string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err,
             Catch::EndsWith(": its parent directory " + parent.string() + " does not exist\n"));
  CHECK_FALSE(fs::exists(parent));
  // A damaged backup into a new directory: the directory it made goes again.
  const fs::path stream = a.backups() / (id + ".sigbk");
  WriteFile(stream, ReadFile(stream) + "more");
  r = a.Ctl({"backup", "restore", id, "--to", (a.tmp.path() / "restored").string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::EndsWith(" (something was appended)\n"));
  CHECK_FALSE(fs::exists(a.tmp.path() / "restored"));
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("a file size limit stops a backup with a clear error and older backups stay intact",
          "[integration][backup]") {
  Appliance a;
  const std::string old = a.Backup();  // of the near-empty store: 64 KiB
  const std::string old_stream = ReadFile(a.backups() / (old + ".sigbk"));
  // RLIMIT_FSIZE fails any write at or past the limit, in any file: LMDB's too, and a
  // backup is never larger than the store file. So the store gets free pages below the
  // limit for its own writes (a dataset imported first, then deleted), and data above it
  // that makes the next backup larger than the limit.
  a.ImportDigits("filler", size_t{1} << 20, 3);  // about 4 MiB of store, from the start
  a.ImportDigits("big", size_t{2} << 20, 5);     // about 8 MiB, after it
  REQUIRE(a.Ctl({"dataset", "delete", "acme/lab/filler"}).exit_code == 0);
  // LMDB reuses the oldest freed pages first: write until those are the filler's.
  for (int i = 0; i < 60; ++i) {
    RawClient c(a.d.socket());
    REQUIRE(c.Send("{\"v\":1,\"id\":1,\"method\":\"version\"}\n"));
    REQUIRE(c.ReadLine().has_value());
  }
  constexpr rlim_t kLimit = rlim_t{6} << 20;
  rlimit before{};
  REQUIRE(prlimit(a.d.pid(), RLIMIT_FSIZE, nullptr, &before) == 0);
  const rlimit limited{kLimit, before.rlim_max};
  REQUIRE(prlimit(a.d.pid(), RLIMIT_FSIZE, &limited, nullptr) == 0);
  {
    RunResult probe = a.Ctl({"tenant", "create", "probe"});
    INFO("sigmad's own store writes must stay below the limit: " << probe.err);
    REQUIRE(probe.exit_code == 0);
  }

  RunResult r = a.Ctl({"backup", "run", "--wait"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  const std::string target = a.backups().string();
  CHECK_THAT(r.err,
             Catch::StartsWith("sigmactl: backup to " + target + " failed: cannot write " + target +
                               "/") &&
                 Catch::EndsWith(".sigbk: File too large; existing backups are untouched\n"));
  // Nothing partial is left, the older backup is as it was and still verifies.
  CHECK(Names(a.backups()) == FilesOf(old));
  CHECK(ReadFile(a.backups() / (old + ".sigbk")) == old_stream);
  CHECK(a.Ctl({"backup", "verify", old}).exit_code == 0);
  // A run the scheduler thread makes (scheduled, or `backup run` without --wait) fails the
  // same way, and status shows it.
  REQUIRE(a.Ctl({"backup", "run"}).exit_code == 0);
  Object::Ptr last_run;
  for (int i = 0; i < 100 && !last_run; ++i) {
    auto b = Json(a.Ctl({"--json", "status"}))->getObject("backups");
    if (b->has("last_run")) last_run = b->getObject("last_run");
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(last_run);
  CHECK_FALSE(last_run->getValue<bool>("ok"));
  CHECK_THAT(last_run->getValue<std::string>("error"),
             Catch::StartsWith("backup to " + target + " failed: cannot write ") &&
                 Catch::Contains(": File too large;"));
  CHECK_THAT(a.Ctl({"status"}).out, Catch::Contains("\nlast backup  FAILED 20"));
  CHECK(Names(a.backups()) == FilesOf(old));
  auto runs = AuditOf(a.d.socket(), "backup.run");
  REQUIRE(runs.size() == 3);
  for (size_t i : {1, 2}) {
    CHECK(runs[i]->getValue<std::string>("outcome") == "error:io");
    CHECK(runs[i]->getValue<std::string>("target") == target);
  }

  // Space again: the next backup works, and it is larger than the limit was.
  REQUIRE(prlimit(a.d.pid(), RLIMIT_FSIZE, &before, nullptr) == 0);
  const std::string next = a.Backup();
  CHECK(fs::file_size(a.backups() / (next + ".sigbk")) > kLimit);
  CHECK(Json(a.Ctl({"--json", "backup", "list"}))->getArray("backups")->size() == 2);
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("backup prune deletes what keepDays no longer keeps, says why, and audits it",
          "[integration][backup]") {
  TempDir tmp;
  const fs::path state = tmp.path() / "state";
  // Backups taken "days ago" by a sigmad whose clock libfaketime sets back. Each run also
  // prunes by its own clock, so no two are 30 days apart.
  for (const char* ago : {"-45d", "-30d", "-16d"}) {
    INFO(ago);
    Daemon past(state, FakeTime(ago));
    REQUIRE(past.Start());
    RunResult r = Ctl(past.socket(), {"backup", "run", "--wait"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::EndsWith("pruned by keepDays 30: 0 deleted\n"));
    REQUIRE(past.Stop() == 0);
  }
  Daemon d(state);
  REQUIRE(d.Start());
  auto plan = [&](const Object::Ptr& prune) {
    std::map<std::string, std::pair<bool, std::string>> out;  // id -> keep, reasons
    for (const auto& v : *prune->getArray("backups")) {
      auto b = v.extract<Object::Ptr>();
      std::string reasons;
      for (const auto& r : *b->getArray("reasons")) reasons += r.toString();
      out[b->getValue<std::string>("id")] = {b->getValue<bool>("keep"), reasons};
    }
    return out;
  };
  auto dry = Json(Ctl(d.socket(), {"--json", "backup", "prune", "--dry-run"}));
  CHECK(dry->getValue<bool>("dry_run"));
  CHECK(dry->getValue<std::string>("rule") == "keepDays 30");
  REQUIRE(dry->getArray("backups")->size() == 3);
  // Newest first; each one's age from its own date, so the test holds across midnight.
  std::vector<std::string> ids, expected_rows;
  std::set<std::string> doomed;
  for (const auto& v : *dry->getArray("backups")) {
    auto b = v.extract<Object::Ptr>();
    const std::string id = b->getValue<std::string>("id");
    const long age = DaysOld(b->getValue<std::string>("created_at"));
    const bool keep = age < 30;
    const std::string why =
        "keepDays 30: " + std::to_string(age) + " days old" + (keep ? "" : ", deleted from day 31");
    CHECK(plan(dry)[id] == std::make_pair(keep, why));
    if (!keep) doomed.insert(id);
    ids.push_back(id);
    expected_rows.push_back(id + "  " + b->getValue<std::string>("created_at") + "  " +
                            (keep ? "keep        " : "would delete") + "  " + why);
  }
  REQUIRE(doomed.size() == 2);  // 45 and 30 days old
  CHECK(plan(dry)[ids[0]].first);
  RunResult human = Ctl(d.socket(), {"backup", "prune", "--dry-run"});
  CHECK(human.out ==
        "rule: keepDays 30\n"
        "ID                         CREATED                   ACTION        WHY\n" +
            expected_rows[0] + "\n" + expected_rows[1] + "\n" + expected_rows[2] + "\n");
  CHECK(Names(state / "backups").size() == 6);  // a dry run deletes nothing

  RunResult pruned = Ctl(d.socket(), {"backup", "prune"});
  INFO(pruned.out << pruned.err);
  CHECK(pruned.exit_code == 0);
  CHECK_THAT(pruned.out, Catch::Contains("  deleted  keepDays 30: ") &&
                             Catch::Contains("  keep     keepDays 30: "));
  CHECK(Names(state / "backups") == FilesOf(ids[0]));
  auto left = Json(Ctl(d.socket(), {"--json", "backup", "list"}))->getArray("backups");
  REQUIRE(left->size() == 1);
  CHECK(left->getObject(0)->getValue<std::string>("id") == ids[0]);

  // One backup.delete record per deleted backup, with the rule's reason, then the prune.
  std::map<std::string, std::string> deleted;
  for (const auto& r : AuditOf(d.socket(), "backup.delete")) {
    CHECK(r->getValue<std::string>("outcome") == "ok");
    CHECK_THAT(r->getValue<std::string>("actor"), Catch::StartsWith("uid="));
    deleted[r->getValue<std::string>("target")] = r->getValue<std::string>("details");
  }
  CHECK(deleted.size() == 2);
  for (const auto& id : doomed) CHECK(deleted[id] == plan(dry)[id].second);
  const auto prunes = AuditOf(d.socket(), "backup.prune");
  REQUIRE_FALSE(prunes.empty());
  CHECK(prunes.back()->getValue<std::string>("details") == "keepDays 30: 2 deleted, 1 kept");

  // A backup now is 0 days old; pruning again deletes nothing.
  RunResult now = Ctl(d.socket(), {"backup", "run", "--wait"});
  CHECK_THAT(now.out, Catch::EndsWith("pruned by keepDays 30: 0 deleted\n"));
  CHECK_THAT(Ctl(d.socket(), {"backup", "prune", "--dry-run"}).out,
             Catch::Contains("  keep    keepDays 30: 0 days old\n"));
  CHECK(d.Stop() == 0);
}

TEST_CASE("backup drill, and RPO and RTO in status", "[integration][backup]") {
  Appliance a;
  CHECK_THAT(a.Ctl({"status"}).out, Catch::Contains("\nRPO          no verified backup; EXCEEDS "
                                                    "the policy's 24h\n") &&
                                        Catch::Contains("\nRTO          no restore drill yet\n"));
  RunResult none = a.Ctl({"backup", "drill"});
  CHECK(none.exit_code == 1);
  CHECK(none.err == "sigmactl: no backup in " + a.backups().string() +
                        " to drill with; run sigmactl backup run\n");

  // Without --wait the scheduler thread takes it.
  RunResult started = a.Ctl({"backup", "run"});
  CHECK(started.exit_code == 0);
  CHECK(started.out == "backup started; sigmactl backup list shows it once it is written\n");
  Array::Ptr list;
  for (int i = 0; i < 100; ++i) {
    list = Json(a.Ctl({"--json", "backup", "list"}))->getArray("backups");
    if (list->size() == 1 && !list->getObject(0)->get("verified").isEmpty()) break;
    std::this_thread::sleep_for(100ms);
  }
  REQUIRE(list->size() == 1);
  const std::string id = list->getObject(0)->getValue<std::string>("id");

  RunResult drill = a.Ctl({"backup", "drill"});
  INFO(drill.out << drill.err);
  CHECK(drill.exit_code == 0);
  CHECK_THAT(drill.out, Catch::Matches("restore drill: backup " + id +
                                       R"( \(\d{4}-\d\d-\d\dT[0-9:.]+Z\) restored and verified )"
                                       R"(in \d+ ms \([0-9.]+ KiB of store\)\n)"));
  // The drill restores into scratch and leaves nothing there; the live data is untouched.
  CHECK(fs::is_empty(a.d.dir() / "scratch" / "backup"));
  CHECK(a.Ctl({"store", "verify"}).exit_code == 0);

  const RunResult human = a.Ctl({"status"});
  CHECK_THAT(human.out, Catch::Matches(R"([\s\S]*\nRPO +\d+s \(newest verified backup )" + id +
                                       R"(\); within the policy's 24h\n[\s\S]*)"));
  CHECK_THAT(human.out, Catch::Matches(R"([\s\S]*\nRTO +\d+ ms \(last good restore drill\)\n)"
                                       R"([\s\S]*)"));
  CHECK_THAT(human.out, Catch::Contains("\nbackups      1 in " + a.backups().string() + "; next "));
  auto b = Json(a.Ctl({"--json", "status"}))->getObject("backups");
  CHECK(b->getValue<long long>("rpo_seconds") >= 0);
  CHECK(b->getValue<long long>("rpo_seconds") <= 60);
  CHECK(b->getValue<int>("rpo_hours_allowed") == 24);
  CHECK(b->getValue<bool>("rpo_met"));
  CHECK(b->getObject("newest_verified")->getValue<std::string>("id") == id);
  auto last = b->getObject("last_drill");
  REQUIRE(last);
  CHECK(last->getValue<bool>("ok"));
  CHECK(last->getValue<std::string>("backup_id") == id);
  CHECK(last->getValue<std::string>("problem").empty());
  CHECK_THAT(last->getValue<std::string>("actor"), Catch::StartsWith("uid="));
  CHECK(b->getValue<long long>("rto_ms") == last->getValue<long long>("took_ms"));
  CHECK(b->getValue<long long>("rto_ms") >= 0);
  CHECK_THAT(b->getValue<std::string>("next_drill_at"), Catch::EndsWith("T03:00:00.000Z"));
  CHECK_THAT(b->getValue<std::string>("next_backup_at"), Catch::EndsWith("T01:00:00.000Z"));
  const auto drills = AuditOf(a.d.socket(), "backup.drill");
  REQUIRE(drills.size() == 2);
  CHECK(drills[0]->getValue<std::string>("outcome") == "error:not_found");
  CHECK(drills[1]->getValue<std::string>("target") == id);
  CHECK(drills[1]->getValue<std::string>("outcome") == "ok");
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("the schedule: a backup at 01:00 UTC on a month's first Sunday, a drill at 03:00",
          "[integration][backup]") {
  // 2026-12-06 is the first Sunday of December: the scheduled backup is daily, weekly
  // and monthly. libfaketime starts sigmad's clock a few seconds before and lets it run.
  TempDir tmp;
  const fs::path state = tmp.path() / "state";
  auto wait_for = [](const std::function<bool()>& done) {
    for (int i = 0; i < 100 && !done(); ++i) std::this_thread::sleep_for(200ms);
    return done();
  };
  std::string id;
  {
    Daemon d(state, FakeTime("@2026-12-06 00:59:54"));
    REQUIRE(d.Start());
    CHECK(Json(Ctl(d.socket(), {"--json", "status"}))
              ->getObject("backups")
              ->getValue<std::string>("next_backup_at") == "2026-12-06T01:00:00.000Z");
    Array::Ptr list;
    REQUIRE(wait_for([&] {
      list = Json(Ctl(d.socket(), {"--json", "backup", "list"}))->getArray("backups");
      return list->size() == 1 && !list->getObject(0)->get("verified").isEmpty();
    }));
    auto b = list->getObject(0);
    id = b->getValue<std::string>("id");
    CHECK_THAT(id, Catch::StartsWith("20261206T0100"));
    CHECK_THAT(b->getValue<std::string>("created_at"), Catch::StartsWith("2026-12-06T01:00:"));
    std::vector<std::string> generations;
    for (const auto& g : *b->getArray("generations")) generations.push_back(g.toString());
    CHECK(generations == std::vector<std::string>{"daily", "weekly", "monthly"});
    CHECK(b->getObject("verified")->getValue<bool>("ok"));
    // Audited as the scheduler's: actor sigmad, source schedule.
    for (const char* action : {"backup.run", "backup.verify", "backup.prune"}) {
      INFO(action);
      const auto records = AuditOf(d.socket(), action);
      REQUIRE(records.size() == 1);
      CHECK(records[0]->getValue<std::string>("actor") == "sigmad");
      CHECK(records[0]->getValue<std::string>("source") == "schedule");
      CHECK(records[0]->getValue<std::string>("outcome") == "ok");
    }
    CHECK(AuditOf(d.socket(), "backup.run")[0]->getValue<std::string>("target") == id);
    CHECK(d.Stop() == 0);
  }
  {
    Daemon d(state, FakeTime("@2026-12-06 02:59:54"));
    REQUIRE(d.Start());
    Object::Ptr backups;
    REQUIRE(wait_for([&] {
      backups = Json(Ctl(d.socket(), {"--json", "status"}))->getObject("backups");
      return !backups->get("last_drill").isEmpty();
    }));
    auto drill = backups->getObject("last_drill");
    CHECK(drill->getValue<bool>("ok"));
    CHECK(drill->getValue<std::string>("backup_id") == id);
    CHECK(drill->getValue<std::string>("actor") == "sigmad");
    CHECK_THAT(drill->getValue<std::string>("time"), Catch::StartsWith("2026-12-06T03:00:"));
    CHECK(backups->getValue<std::string>("next_drill_at") == "2026-12-13T03:00:00.000Z");
    const auto records = AuditOf(d.socket(), "backup.drill");
    REQUIRE(records.size() == 1);
    CHECK(records[0]->getValue<std::string>("source") == "schedule");
    // No backup was due between 01:00 and 03:00.
    CHECK(AuditOf(d.socket(), "backup.run").size() == 1);
    CHECK(d.Stop() == 0);
  }
}

TEST_CASE("sigmad keeps serving tenants while a large backup runs", "[integration][backup]") {
  Appliance a;
  a.ImportDigits("big", size_t{6} << 20, 5);  // about 24 MiB of store
  // Three backups in a row, each timed; meanwhile tenants are created and listed, each
  // call timed.
  struct Span {
    SteadyClock::time_point start, end;
  };
  std::vector<Span> backups;
  std::vector<RunResult> runs;
  std::atomic<bool> done{false};
  std::thread backup([&] {
    for (int i = 0; i < 3; ++i) {
      const auto start = SteadyClock::now();
      runs.push_back(a.Ctl({"backup", "run", "--wait"}));
      backups.push_back({start, SteadyClock::now()});
    }
    done = true;
  });
  std::vector<std::pair<std::string, Span>> calls;
  for (int i = 0; !done; ++i) {
    const std::string name = "t" + std::to_string(i);
    const auto t0 = SteadyClock::now();
    RunResult create = a.Ctl({"tenant", "create", name});
    const auto t1 = SteadyClock::now();
    RunResult list = a.Ctl({"tenant", "list"});
    const auto t2 = SteadyClock::now();
    INFO(name << ": " << create.err << list.err);
    CHECK(create.exit_code == 0);
    CHECK(list.exit_code == 0);
    CHECK_THAT(list.out, Catch::Contains("\n" + name + " "));
    calls.push_back({"create", {t0, t1}});
    calls.push_back({"list", {t1, t2}});
  }
  backup.join();
  for (const auto& r : runs) {
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
  }
  // Calls that ran whole inside one backup (after its request was surely sent).
  std::map<std::string, int> inside;
  for (const auto& [what, call] : calls) {
    for (const auto& b : backups) {
      if (call.start >= b.start + 50ms && call.end <= b.end) ++inside[what];
    }
  }
  INFO(calls.size() << " calls; the backups took "
                    << std::chrono::duration_cast<std::chrono::milliseconds>(backups.back().end -
                                                                             backups.front().start)
                           .count()
                    << " ms");
  CHECK(inside["create"] >= 1);
  CHECK(inside["list"] >= 1);
  CHECK(Json(a.Ctl({"--json", "backup", "verify", "--all"}))->getArray("backups")->size() == 3);
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("backup verify and restore refuse bad input and change nothing",
          "[integration][backup]") {
  Appliance a;
  const std::string id = a.Backup();
  const auto files = Names(a.backups());

  SECTION("verify needs exactly one of ID and --all") {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"backup", "verify"}, {"backup", "verify", id, "--all"}}) {
      RunResult r = a.Ctl(args);
      CHECK(r.exit_code == 2);
      CHECK(r.err == "sigmactl: backup verify needs a backup ID or --all (not both)\n");
    }
  }
  SECTION("a malformed or unknown id is named") {
    for (const char* verb : {"verify", "restore"}) {
      INFO(verb);
      const fs::path to = a.tmp.path() / "to";
      std::vector<std::string> args{"backup", verb, "20261203T0100Z-nope"};
      if (std::string(verb) == "restore") args.insert(args.end(), {"--to", to.string()});
      RunResult r = a.Ctl(args);
      CHECK(r.exit_code == 1);
      CHECK(r.err ==
            "sigmactl: '20261203T0100Z-nope' is not a backup id (like "
            "20261203T010000Z-5f3a9c1e)\n");
      args[2] = "20991231T235959Z-0123abcd";
      r = a.Ctl(args);
      CHECK(r.exit_code == 1);
      CHECK(r.err ==
            "sigmactl: no backup 20991231T235959Z-0123abcd in " + a.backups().string() + "\n");
      CHECK_FALSE(fs::exists(to));
    }
  }
  SECTION("restore into a non-empty dir or onto a file changes nothing") {
    const fs::path full = a.tmp.path() / "full";
    fs::create_directories(full / "store");
    WriteFile(full / "store" / "data.mdb", "precious");
    WriteFile(full / "notes", "keep me");
    RunResult r = a.Ctl({"backup", "restore", id, "--to", full.string()});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "sigmactl: " + full.string() +
                       " exists and is not an empty directory; restore into a new one (nothing "
                       "was changed)\n");
    CHECK(Names(full) == std::vector<std::string>{"notes", "store"});
    CHECK(Names(full / "store") == std::vector<std::string>{"data.mdb"});
    CHECK(ReadFile(full / "store" / "data.mdb") == "precious");
    CHECK(ReadFile(full / "notes") == "keep me");

    const fs::path file = a.tmp.path() / "file";
    WriteFile(file, "a file");
    r = a.Ctl({"backup", "restore", id, "--to", file.string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains(" exists and is not an empty directory"));
    CHECK(ReadFile(file) == "a file");

    // Neither --to nor --in-place, or both: a usage error before anything is sent.
    r = a.Ctl({"backup", "restore", id});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("sigmactl: backup restore needs --to DIR"));
    const fs::path to = a.tmp.path() / "to";
    r = a.Ctl({"backup", "restore", id, "--to", to.string(), "--in-place"});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::StartsWith("--to excludes --in-place\n"));
    CHECK_FALSE(fs::exists(to));
  }
  SECTION("restore into an empty dir that exists works") {
    const fs::path empty = a.tmp.path() / "empty";
    fs::create_directories(empty);
    RunResult r = a.Ctl({"backup", "restore", id, "--to", empty.string()});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(Names(empty / "store") == std::vector<std::string>{"data.mdb"});
  }
  CHECK(Names(a.backups()) == files);
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("backup restore --in-place swaps the store in, keeps the old one aside, serves again",
          "[integration][backup]") {
  Appliance a;
  const std::string id = a.Backup();
  REQUIRE(a.Ctl({"tenant", "create", "later"}).exit_code == 0);

  // A damaged backup is refused before anything is swapped: the live store is untouched.
  const fs::path stream = a.backups() / (id + ".sigbk");
  const std::string good = ReadFile(stream);
  WriteFile(stream, good + "x");
  RunResult r = a.Ctl({"backup", "restore", id, "--in-place"});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("(something was appended)"));
  CHECK_THAT(a.Ctl({"tenant", "list"}).out, Catch::Contains("\nlater "));
  CHECK_FALSE(fs::exists(a.d.dir() / "restore-staging"));
  WriteFile(stream, good);

  r = a.Ctl({"backup", "restore", id, "--in-place"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::Contains("restored backup " + id + " in place; sigmad serves it now") &&
                        Catch::Contains("store.before-restore-"));
  // The same daemon now serves the store as it was at the backup.
  const std::string tenants = a.Ctl({"tenant", "list"}).out;
  CHECK_THAT(tenants, Catch::Contains("\nacme "));
  CHECK_THAT(tenants, !Catch::Contains("later"));
  CHECK(a.Ctl({"store", "verify"}).exit_code == 0);
  CHECK(a.Ctl({"audit", "verify"}).exit_code == 0);
  auto status = Json(a.Ctl({"--json", "status"}));
  REQUIRE_FALSE(status->get("restored").isEmpty());
  CHECK(status->getObject("restored")->getValue<std::string>("backup") == id);
  CHECK(status->getObject("restored")->getValue<bool>("ok"));
  CHECK_THAT(a.Ctl({"audit", "tail", "-n", "30"}).out, Catch::Contains("backup.restore"));
  // The previous store is kept aside, whole: it still holds the tenant made later.
  size_t aside = 0;
  for (const auto& e : fs::directory_iterator(a.d.dir())) {
    if (e.path().filename().string().rfind("store.before-restore-", 0) != 0) continue;
    ++aside;
    CHECK(fs::exists(e.path() / "data.mdb"));
  }
  CHECK(aside == 1);
  CHECK_FALSE(fs::exists(a.d.dir() / "restore-staging"));
  // Restarting serves the restored store too.
  CHECK(a.d.Stop() == 0);
  REQUIRE(a.d.Start());
  CHECK_THAT(a.Ctl({"tenant", "list"}).out, !Catch::Contains("later"));
  CHECK(a.d.Stop() == 0);
}

TEST_CASE("the watchdog is pinged all through an in-place restore, until the store is served",
          "[integration][backup][notify]") {
  // systemd keeps the watchdog armed while RELOADING=1, and the main loop that pings it
  // has stopped: the drain, a backup finishing, the swap and reopening the store could
  // outlast WatchdogSec=. Without the restore's own pinger no ping comes in between.
  TempDir tmp;
  NotifyListener notify(tmp.path() / "notify.sock");
  Daemon d(tmp.path() / "state", {notify.env(), "WATCHDOG_USEC=100000"});
  // Read the datagrams as systemd would, all the time: a full queue would block sigmad.
  std::atomic<bool> done{false};
  std::thread reader([&] {
    while (!done) notify.WaitFor("__never__", 1s);
  });
  REQUIRE(d.Start());
  REQUIRE(Ctl(d.socket(), {"tenant", "create", "acme"}).exit_code == 0);
  RunResult r = Ctl(d.socket(), {"--json", "backup", "run", "--wait"});
  REQUIRE(r.exit_code == 0);
  const std::string id = Json(r)->getObject("backup")->getValue<std::string>("id");
  r = Ctl(d.socket(), {"backup", "restore", id, "--in-place"});
  done = true;
  reader.join();
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  // Count pings between the restore's RELOADING=1 and the READY=1 that follows it.
  const auto& seen = notify.seen();
  size_t reloading = seen.size();
  for (size_t i = 0; i < seen.size(); ++i) {
    if (seen[i].find("STATUS=Restoring backup") != std::string::npos) {
      reloading = i;
      break;
    }
  }
  REQUIRE(reloading < seen.size());
  int pings = 0;
  size_t i = reloading;
  for (; i < seen.size() && seen[i].find("READY=1") == std::string::npos; ++i) {
    pings += seen[i] == "WATCHDOG=1";
  }
  CHECK(i < seen.size());  // READY=1 came
  // Pings come every 50 ms; the swap takes longer than that (its fsyncs alone).
  CHECK(pings >= 1);
  CHECK(d.Stop() == 0);
}
