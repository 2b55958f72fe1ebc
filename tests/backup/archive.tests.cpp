#include "backup/archive.h"

#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <string>

#include "common/time_format.h"
#include "support/temp_dir.h"
#include "support/vault.h"

namespace sigmad::backup {
namespace {

namespace fs = std::filesystem;
using Catch::Matchers::Contains;
using testing::Ok;
using testing::ReadFile;
using testing::TempDir;
using testing::WriteFile;

constexpr size_t kChunk = kMinChunkBytes;  // many chunks, so swapping two is possible

SystemClock& TheClock() {
  static SystemClock clock;
  return clock;
}

std::chrono::system_clock::time_point At(const char* utc) { return Ok(ParseUtc(utc)); }

// A live store with `n` sealed values in table "things" (system-owned).
struct Live {
  TempDir tmp;
  std::unique_ptr<store::Vault> vault;
  std::optional<store::Table> table;
  BackupKeys keys;

  explicit Live(int n, uint8_t kek_fill = 0x42) {
    fs::create_directories(tmp / "store");
    fs::create_directories(tmp / "target");
    vault = testing::OpenTestVault(tmp / "store", TheClock(), kek_fill);
    table = Ok(vault->OpenTable("things", store::Owner::kSystem));
    Put(0, n, "v1-");
    keys = Ok(BackupKeys::Derive(vault->keyring()));
  }
  void Put(int from, int to, const std::string& prefix) {
    REQUIRE(vault->env()
                .Update([&](store::WriteTxn& txn) -> Status {
                  for (int i = from; i < to; ++i) {
                    const std::string key = "k" + std::to_string(i);
                    Status s = vault->Put(txn, *table, key, crypto::kSystemTenant,
                                          prefix + std::to_string(i) + std::string(200, '.'));
                    if (!s.ok()) return s;
                  }
                  return Status::Ok();
                })
                .ok());
  }
  Manifest Backup(const char* when = "2026-12-06T01:00:00Z") {
    WriteOptions o;
    o.chunk_bytes = kChunk;
    o.schema_version = store::kSchemaVersion;
    o.sigmad_version = "test";
    return Ok(WriteBackup(vault->env(), keys, tmp / "target", At(when), o));
  }
  fs::path target() const { return tmp / "target"; }
  std::set<std::string> TargetFiles() const {
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(target())) names.insert(e.path().filename());
    return names;
  }
  // Extracts backup `m` into a fresh dir; the status of the extraction.
  Status Extract(const Manifest& m, const fs::path& into) {
    fs::create_directories(into);
    return ExtractBackup(target(), m, keys, into).status();
  }
};

std::string Bytes(const fs::path& p) { return ReadFile(p); }
void Overwrite(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out << bytes;
}

TEST_CASE("A backup round-trips: written, listed, extracted, checked", "[backup][archive]") {
  Live live(500);
  const Manifest m = live.Backup();
  CHECK(IsBackupId(m.id));
  CHECK(m.id.rfind("20261206T010000Z-", 0) == 0);
  CHECK(FormatUtc(m.created) == "2026-12-06T01:00:00.000Z");
  CHECK(m.generations == std::vector<std::string>{"daily", "weekly", "monthly"});  // 1st Sunday
  CHECK(m.schema_version == store::kSchemaVersion);
  CHECK(m.master_key_id == live.keys.master_key_id);
  CHECK(live.TargetFiles() == std::set<std::string>{m.id + ".manifest", m.id + ".sigbk"});
  CHECK(fs::file_size(live.target() / m.stream_file()) == m.size);
  CHECK(testing::ModeOf(live.target() / m.stream_file()) == 0600);
  // Nothing of the values is readable in the file.
  CHECK(Bytes(live.target() / m.stream_file()).find("v1-1") == std::string::npos);

  // Writes after the backup are not in it.
  live.Put(500, 600, "v2-");
  const auto listed = Ok(ListBackups(live.target(), live.keys));
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].problem.ok());
  REQUIRE(listed[0].manifest);
  CHECK(listed[0].manifest->sha256 == m.sha256);

  const fs::path copy = live.tmp / "copy";
  REQUIRE(live.Extract(m, copy).ok());
  const auto report =
      Ok(CheckStoreCopy(copy, live.vault->keyring().CloneKek(), live.vault->Tables(), TheClock()));
  CHECK(report.ok());
  size_t things = 0;
  for (const auto& db : report.dbs) {
    if (db.name == "things") things = db.records;
  }
  CHECK(things == 500);
  // The copy was opened read-only: nothing in it changed.
  CHECK(fs::file_size(copy / "data.mdb") == m.store_bytes);

  // A table the backup predates is skipped, not an error.
  auto later = Ok(live.vault->OpenTable("later", store::Owner::kSystem));
  (void)later;
  CHECK(CheckStoreCopy(copy, live.vault->keyring().CloneKek(), live.vault->Tables(), TheClock())
            .ok());
}

TEST_CASE("A damaged backup is refused, naming the damage", "[backup][archive]") {
  Live live(400);
  const Manifest m = live.Backup();
  const fs::path stream = live.target() / m.stream_file();
  const std::string good = Bytes(stream);
  REQUIRE(m.size > 4 * (kChunk + crypto::kSealOverhead));
  const size_t sealed = kChunk + crypto::kSealOverhead;
  const fs::path copy = live.tmp / "copy";

  SECTION("a flipped byte") {
    std::string bad = good;
    bad[kStreamHeaderBytes + sealed + 100] ^= 0x01;  // inside chunk 1
    Overwrite(stream, bad);
    const Status s = live.Extract(m, copy);
    CHECK(s.code() == "integrity");
    CHECK_THAT(s.message(), Contains("chunk 1"));
  }
  SECTION("a truncated file") {
    Overwrite(stream, good.substr(0, good.size() - sealed));
    const Status s = live.Extract(m, copy);
    CHECK(s.code() == "integrity");
    CHECK_THAT(s.message(), Contains("truncated"));
  }
  SECTION("two chunks swapped") {
    std::string bad = good;
    const size_t a = kStreamHeaderBytes + sealed, b = kStreamHeaderBytes + 2 * sealed;
    bad.replace(a, sealed, good.substr(b, sealed));
    bad.replace(b, sealed, good.substr(a, sealed));
    Overwrite(stream, bad);
    const Status s = live.Extract(m, copy);
    CHECK(s.code() == "integrity");
    CHECK_THAT(s.message(), Contains("chunk 1"));
  }
  SECTION("bytes appended") {
    Overwrite(stream, good + "x");
    CHECK_THAT(live.Extract(m, copy).message(), Contains("appended"));
  }
  SECTION("the file missing") {
    fs::remove(stream);
    CHECK_THAT(live.Extract(m, copy).message(), Contains("missing"));
  }
  SECTION("a FIFO in its place: refused at once, not waited on") {
    fs::remove(stream);
    REQUIRE(mkfifo(stream.c_str(), 0600) == 0);
    CHECK_THAT(live.Extract(m, copy).message(), Contains("not a regular file"));
  }
  SECTION("a symlink in its place") {
    fs::rename(stream, live.tmp / "elsewhere");
    fs::create_symlink(live.tmp / "elsewhere", stream);
    CHECK(live.Extract(m, copy).code() == "io");
  }
  // Whatever the damage, no store copy appears.
  CHECK_FALSE(fs::exists(copy / "data.mdb"));
}

TEST_CASE("An edited manifest does not verify", "[backup][archive]") {
  Live live(10);
  const Manifest m = live.Backup();
  const fs::path path = live.target() / m.manifest_file();
  const std::string good = Bytes(path);
  CHECK(ReadManifest(live.target(), m.id, live.keys).ok());

  SECTION("a field changed") {
    std::string bad = good;
    const size_t at = bad.find("\"size\":");
    REQUIRE(at != std::string::npos);
    bad[at + 7] = bad[at + 7] == '9' ? '8' : '9';
    Overwrite(path, bad);
    const auto r = ReadManifest(live.target(), m.id, live.keys);
    CHECK(r.status().code() == "integrity");
    CHECK_THAT(r.status().message(), Contains("does not match its MAC"));
    // ... and it is listed with the problem, not hidden.
    const auto listed = Ok(ListBackups(live.target(), live.keys));
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].problem.code() == "integrity");
  }
  SECTION("the MAC line removed") {
    Overwrite(path, good.substr(0, good.find('\n') + 1));
    CHECK_THAT(ReadManifest(live.target(), m.id, live.keys).status().message(),
               Contains("no valid MAC line"));
  }
  SECTION("moved onto another backup's name") {
    const Manifest other = live.Backup("2026-12-07T01:00:00Z");
    fs::copy_file(path, live.target() / other.manifest_file(),
                  fs::copy_options::overwrite_existing);
    CHECK_THAT(ReadManifest(live.target(), other.id, live.keys).status().message(),
               Contains("renamed or copied"));
  }
  SECTION("another master key") {
    Live other(1, 0x17);
    const auto r = ReadManifest(live.target(), m.id, other.keys);
    CHECK(r.status().code() == "wrong_master_key");
    CHECK_THAT(r.status().message(), Contains(live.keys.master_key_id));
  }
  CHECK(ReadManifest(live.target(), "20261206T010000Z-00000000", live.keys).status().code() ==
        "not_found");
  CHECK(ReadManifest(live.target(), "../etc", live.keys).status().code() == "invalid_argument");
}

TEST_CASE("Orphans and temp files are removed, catalogued backups kept", "[backup][archive]") {
  Live live(10);
  const Manifest m = live.Backup();
  WriteFile(live.target() / "20261201T010000Z-0badf00d.sigbk", "a stream without manifest");
  WriteFile(live.target() / ".tmp-20261201T010000Z-0badf00d.manifest-77", "partial");
  WriteFile(live.target() / "notes.txt", "the operator's");
  // Not ours: a temp-looking file of someone else's, a directory, a stray manifest.
  WriteFile(live.target() / ".tmp-notes-of-admin.txt", "someone's");
  fs::create_directory(live.target() / ".tmp-rsync-dir");
  WriteFile(live.target() / "notes.manifest", "not a backup");
  const auto removed = Ok(RemoveOrphans(live.target()));
  CHECK(removed.size() == 2);
  CHECK(live.TargetFiles() == std::set<std::string>{m.id + ".manifest", m.id + ".sigbk",
                                                    "notes.txt", ".tmp-notes-of-admin.txt",
                                                    ".tmp-rsync-dir", "notes.manifest"});
  // The stray manifest is not listed (nor would it stop a verify of everything).
  const auto listed = Ok(ListBackups(live.target(), live.keys));
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].id == m.id);
  fs::remove(live.target() / "notes.manifest");
  fs::remove(live.target() / ".tmp-notes-of-admin.txt");
  fs::remove(live.target() / ".tmp-rsync-dir");
  REQUIRE(DeleteBackup(live.target(), m.id).ok());
  CHECK(live.TargetFiles() == std::set<std::string>{"notes.txt"});
}

TEST_CASE("Backup ids and generations", "[backup][manifest]") {
  CHECK(IsBackupId("20261203T010000Z-5f3a9c1e"));
  CHECK_FALSE(IsBackupId("20261203T010000Z-5F3A9C1E"));
  CHECK_FALSE(IsBackupId("20261203T010000Z-5f3a9c1"));
  CHECK_FALSE(IsBackupId("../../etc/passwd-xxxxxxxx"));
  const auto id = Ok(NewBackupId(At("2026-12-03T23:59:59.999Z")));
  CHECK(id.rfind("20261203T235959Z-", 0) == 0);
  CHECK(IsBackupId(id));
  using G = std::vector<std::string>;
  CHECK(GenerationsOf(At("2026-12-03T01:00:00Z")) == G{"daily"});            // Thu
  CHECK(GenerationsOf(At("2026-12-13T01:00:00Z")) == G{"daily", "weekly"});  // Sun
  CHECK(GenerationsOf(At("2026-11-01T23:59:59Z")) == G{"daily", "weekly", "monthly"});
  CHECK(GenerationsOf(At("2026-11-08T00:00:00Z")) == G{"daily", "weekly"});  // 2nd Sunday
}

}  // namespace
}  // namespace sigmad::backup
