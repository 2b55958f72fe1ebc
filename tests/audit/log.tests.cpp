#include "audit/log.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "audit/codec.h"
#include "audit/record.h"
#include "audit/verify.h"
#include "common/clock.h"
#include "crypto/keyring.h"
#include "store/keys.h"
#include "store/vault.h"
#include "support/temp_dir.h"

// REQUIRE that reports the Status when it is not ok.
#define REQUIRE_OK(expr) REQUIRE((expr).ToString() == "ok")

namespace {

using namespace sigmad::audit;
using Catch::Matchers::Contains;
using sigmad::FakeClock;
using sigmad::Status;
using sigmad::crypto::kSystemTenant;
using sigmad::crypto::SecretBytes;
using sigmad::store::Dbi;
using sigmad::store::EnvOptions;
using sigmad::store::Owner;
using sigmad::store::ReadTxn;
using sigmad::store::Table;
using sigmad::store::Vault;
using sigmad::store::WriteTxn;
using sigmad::testing::TempDir;
namespace fs = std::filesystem;
using std::chrono::milliseconds;

constexpr int64_t kStartMs = 1795417500123;  // 2026-11-23T07:05:00.123Z

SecretBytes Kek() {
  SecretBytes k(32);
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = static_cast<uint8_t>(0xA0 + i);
  return k;
}

// A vault and its audit log on `dir`; the log is destroyed before the vault.
struct Store {
  Store(const fs::path& dir, const FakeClock& clock, CheckpointPolicy policy = {},
        size_t initial_map_bytes = size_t{1} << 20) {
    EnvOptions options;
    options.dir = dir;
    options.initial_map_bytes = initial_map_bytes;
    auto v = Vault::Open(options, Kek(), clock);
    INFO(v.status().ToString());
    REQUIRE(v.ok());
    vault = std::move(v).value();
    auto l = AuditLog::Open(*vault, policy);
    INFO(l.status().ToString());
    REQUIRE(l.ok());
    log = std::move(l).value();
  }

  Table AuditTable() {
    auto t = vault->OpenTable(kAuditTable, Owner::kSystem);
    REQUIRE(t.ok());
    return t.value();
  }

  std::unique_ptr<Vault> vault;
  std::unique_ptr<AuditLog> log;
};

Fields FieldsAt(const FakeClock& clock, uint64_t i) {
  return Fields{.time = clock.Now(),
                .actor = "uid=0(root)",
                .tenant = i % 2 ? "acme" : "",
                .action = "tenant.update",
                .target = "acme/p" + std::to_string(i),
                .outcome = "ok",
                .source = "control",
                .details = std::nullopt};
}

// Appends n records, one transaction each, a second apart.
void AppendN(AuditLog& log, FakeClock& clock, uint64_t n) {
  for (uint64_t i = 0; i < n; ++i) {
    clock.Advance(std::chrono::seconds(1));
    REQUIRE_OK(log.Append(FieldsAt(clock, log.last_seq() + 1)));
  }
}

std::vector<Record> ReadFrom(const AuditLog& log, uint64_t from) {
  std::vector<Record> out;
  REQUIRE_OK(log.Read(from, [&](const Record& r, bool*) {
    out.push_back(r);
    return Status::Ok();
  }));
  return out;
}

Record RecordAt(const AuditLog& log, uint64_t seq) {
  std::optional<Record> out;
  REQUIRE_OK(log.Read(seq, [&](const Record& r, bool* stop) {
    out = r;
    *stop = true;
    return Status::Ok();
  }));
  REQUIRE(out.has_value());
  REQUIRE(out->seq == seq);
  return *out;
}

void RawDelete(Store& s, uint64_t seq) {
  const Table audit = s.AuditTable();
  REQUIRE_OK(s.vault->env().Update([&](WriteTxn& txn) -> Status {
    auto gone = txn.Delete(audit.dbi, AuditKey(seq));
    if (!gone.ok()) return gone.status();
    return gone.value() ? Status::Ok() : Status::Error("test", "no such record");
  }));
}

std::string RawGet(Store& s, uint64_t seq) {
  const Table audit = s.AuditTable();
  std::string out;
  REQUIRE_OK(s.vault->env().View([&](ReadTxn& txn) -> Status {
    auto v = txn.Get(audit.dbi, AuditKey(seq));
    if (!v.ok()) return v.status();
    if (!v.value()) return Status::Error("test", "no such record");
    out = std::string(*v.value());
    return Status::Ok();
  }));
  return out;
}

void RawPut(Store& s, uint64_t seq, const std::string& bytes) {
  const Table audit = s.AuditTable();
  REQUIRE_OK(s.vault->env().Update(
      [&](WriteTxn& txn) { return txn.Put(audit.dbi, AuditKey(seq), bytes); }));
}

// Stores `record` sealed as the log would, over whatever is at its seq.
void Reseal(Store& s, const Record& record) {
  const Table audit = s.AuditTable();
  REQUIRE_OK(s.vault->env().Update([&](WriteTxn& txn) {
    return s.vault->Put(txn, audit, AuditKey(record.seq), kSystemTenant, EncodeRecord(record));
  }));
}

// The checkpoint key log.h documents: HMAC-SHA256(system DEK of `term`,
// "sigmad-audit-checkpoint-v1"), computed here independently of log.cpp.
SecretBytes ExpectedCheckpointKey(Vault& vault, uint32_t term) {
  auto dek = vault.keyring().ExportDataKey(kSystemTenant, term);
  REQUIRE(dek.ok());
  const std::string label = "sigmad-audit-checkpoint-v1";
  SecretBytes key(32);
  unsigned int len = 0;
  REQUIRE(HMAC(EVP_sha256(), dek.value().data(), static_cast<int>(dek.value().size()),
               reinterpret_cast<const unsigned char*>(label.data()), label.size(), key.data(),
               &len) != nullptr);
  REQUIRE(len == 32);
  return key;
}

std::string VerifyText(const VerifyResult& r) {
  return r.failure ? std::string(ReasonName(r.failure->reason)) + " at " +
                         std::to_string(r.failure->seq) + ": " + r.failure->message
                   : std::string("ok");
}

// Verify must have failed first at `seq`, for `reason`.
void CheckFailure(const VerifyResult& r, uint64_t seq, Reason reason) {
  INFO("verify: " << VerifyText(r));
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure->seq == seq);
  CHECK(ReasonName(r.failure->reason) == ReasonName(reason));
}

std::unique_ptr<AuditLog> OpenLog(Vault& vault, CheckpointPolicy policy) {
  auto l = AuditLog::Open(vault, policy);
  INFO(l.status().ToString());
  REQUIRE(l.ok());
  return std::move(l).value();
}

}  // namespace

TEST_CASE("AuditLog::Update commits a change with its records, or neither", "[audit][log]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock);
  auto things = s.vault->OpenTable("things", Owner::kSystem);
  REQUIRE(things.ok());
  const Table table = things.value();
  auto change_present = [&](const std::string& key) {
    bool present = false;
    REQUIRE_OK(s.vault->env().View([&](ReadTxn& txn) {
      auto v = s.vault->Get(txn, table, key, kSystemTenant);
      if (!v.ok()) return v.status();
      present = v.value().has_value();
      return Status::Ok();
    }));
    return present;
  };

  CHECK(s.log->last_seq() == 0);
  REQUIRE_OK(s.log->Update([&](WriteTxn& txn, AuditLog::Appender& a) -> Status {
    if (Status p = s.vault->Put(txn, table, "first", kSystemTenant, "1"); !p.ok()) return p;
    return a.Append(FieldsAt(clock, 1));
  }));
  CHECK(change_present("first"));
  CHECK(s.log->last_seq() == 1);
  const Digest hash1 = s.log->last_hash();
  CHECK(hash1 == RecordAt(*s.log, 1).hash);

  SECTION("fn fails after Append: neither the change nor the record") {
    const Status u = s.log->Update([&](WriteTxn& txn, AuditLog::Appender& a) -> Status {
      if (Status p = s.vault->Put(txn, table, "second", kSystemTenant, "2"); !p.ok()) return p;
      if (Status r = a.Append(FieldsAt(clock, 2)); !r.ok()) return r;
      return Status::Error("test", "the change failed after its record was appended");
    });
    CHECK(u.code() == "test");
  }
  SECTION("fn fails after two Appends") {
    const Status u = s.log->Update([&](WriteTxn& txn, AuditLog::Appender& a) -> Status {
      if (Status p = s.vault->Put(txn, table, "second", kSystemTenant, "2"); !p.ok()) return p;
      if (Status r = a.Append(FieldsAt(clock, 2)); !r.ok()) return r;
      if (Status r = a.Append(FieldsAt(clock, 3)); !r.ok()) return r;
      return Status::Error("test", "failed");
    });
    CHECK(u.code() == "test");
  }
  SECTION("the record is refused (no actor): the change is not made") {
    Fields bad = FieldsAt(clock, 2);
    bad.actor.clear();
    const Status u = s.log->Update([&](WriteTxn& txn, AuditLog::Appender& a) -> Status {
      if (Status p = s.vault->Put(txn, table, "second", kSystemTenant, "2"); !p.ok()) return p;
      return a.Append(bad);
    });
    CHECK(u.code() == code::kInvalidRecord);
    // Append on its own refuses it the same way.
    CHECK(s.log->Append(bad).code() == code::kInvalidRecord);
  }
  CHECK_FALSE(change_present("second"));
  CHECK(s.log->last_seq() == 1);
  CHECK(s.log->last_hash() == hash1);
  CHECK(ReadFrom(*s.log, 1).size() == 1);

  // The next record gets the next number: no gap.
  clock.Advance(std::chrono::seconds(1));
  REQUIRE_OK(s.log->Append(FieldsAt(clock, 2)));
  CHECK(s.log->last_seq() == 2);
  const auto all = ReadFrom(*s.log, 1);
  REQUIRE(all.size() == 2);
  CHECK(all[1].seq == 2);
  CHECK(all[1].prev_hash == hash1);
  const VerifyResult v = s.log->Verify();
  INFO(VerifyText(v));
  CHECK(v.ok());
  CHECK(v.records_checked == 2);
}

TEST_CASE("AuditLog::Update with several records commits them in order", "[audit][log]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock);
  REQUIRE_OK(s.log->Update([&](WriteTxn&, AuditLog::Appender& a) -> Status {
    for (uint64_t i = 1; i <= 3; ++i) {
      if (Status r = a.Append(FieldsAt(clock, i)); !r.ok()) return r;
    }
    return Status::Ok();
  }));
  CHECK(s.log->last_seq() == 3);
  const auto all = ReadFrom(*s.log, 1);
  REQUIRE(all.size() == 3);
  for (uint64_t i = 0; i < 3; ++i) {
    CHECK(all[i].seq == i + 1);
    CHECK(all[i].fields == FieldsAt(clock, i + 1));
  }
  CHECK(all[1].prev_hash == all[0].hash);
  CHECK(all[2].prev_hash == all[1].hash);
  CHECK(s.log->Verify().ok());
}

TEST_CASE("AuditLog::Update re-run after the map grows leaves no gap", "[audit][log]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  // A small map, and a change that does not fit in it: Env::Update grows the map and
  // runs fn again, after the first run had already appended records.
  Store s(dir.path(), clock, {}, size_t{64} << 10);
  auto blobs = s.vault->OpenTable("blobs", Owner::kSystem);
  REQUIRE(blobs.ok());
  AppendN(*s.log, clock, 2);
  int runs = 0;
  REQUIRE_OK(s.log->Update([&](WriteTxn& txn, AuditLog::Appender& a) -> Status {
    ++runs;
    if (Status r = a.Append(FieldsAt(clock, 3)); !r.ok()) return r;
    const std::string big(size_t{256} << 10, 'x');
    if (Status p = s.vault->Put(txn, blobs.value(), "big", kSystemTenant, big); !p.ok()) return p;
    return a.Append(FieldsAt(clock, 4));
  }));
  CHECK(runs > 1);  // else this test did not test the re-run
  CHECK(s.log->last_seq() == 4);
  const auto all = ReadFrom(*s.log, 1);
  REQUIRE(all.size() == 4);
  CHECK(all[3].seq == 4);
  const VerifyResult v = s.log->Verify();
  INFO(VerifyText(v));
  CHECK(v.ok());
  CHECK(v.records_checked == 4);
}

TEST_CASE("250 records: checkpoints at 100 and 200 under system-dek-1, reopen resumes",
          "[audit][log]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Digest last_hash{};
  {
    Store s(dir.path(), clock);
    AppendN(*s.log, clock, 250);
    CHECK(s.log->last_seq() == 250);
    last_hash = s.log->last_hash();

    const VerifyResult v = s.log->Verify();
    INFO(VerifyText(v));
    CHECK(v.ok());
    CHECK(v.records_checked == 250);
    CHECK(v.checkpoints_checked == 2);
    CHECK(v.first_seq == 1);
    CHECK(v.last_seq == 250);
    CHECK(v.last_checkpoint_seq == 200);
    CHECK(v.last_hash == last_hash);

    // Checkpoints carry the key id of the system data key's term, and their MAC is
    // made with the key derived as log.h says.
    const SecretBytes key = ExpectedCheckpointKey(*s.vault, 1);
    const auto all = ReadFrom(*s.log, 1);
    REQUIRE(all.size() == 250);
    for (const Record& r : all) {
      INFO("seq " << r.seq);
      if (r.seq == 100 || r.seq == 200) {
        REQUIRE(r.checkpoint.has_value());
        CHECK(r.checkpoint->key_id == "system-dek-1");
        CHECK(r.checkpoint->mac == ComputeCheckpointMac(key, r.hash));
      } else {
        CHECK_FALSE(r.checkpoint.has_value());
      }
    }
  }
  // A new Vault and AuditLog on the same directory continue the chain.
  Store s(dir.path(), clock);
  CHECK(s.log->last_seq() == 250);
  CHECK(s.log->last_hash() == last_hash);
  clock.Advance(std::chrono::seconds(1));
  REQUIRE_OK(s.log->Append(FieldsAt(clock, 251)));
  CHECK(s.log->last_seq() == 251);
  const Record r251 = RecordAt(*s.log, 251);
  CHECK(r251.prev_hash == last_hash);
  const VerifyResult v = s.log->Verify();
  INFO(VerifyText(v));
  CHECK(v.ok());
  CHECK(v.records_checked == 251);
  CHECK(v.checkpoints_checked == 2);
}

TEST_CASE("A new system key term starts a new checkpoint key, old checkpoints still verify",
          "[audit][log]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock, CheckpointPolicy{10});
  AppendN(*s.log, clock, 15);
  auto dek2 = sigmad::crypto::Keyring::NewDataKey();
  REQUIRE(dek2.ok());
  REQUIRE_OK(s.vault->keyring().AddKey(kSystemTenant, 2, std::move(dek2).value(), true));
  AppendN(*s.log, clock, 10);

  const Record r10 = RecordAt(*s.log, 10);
  REQUIRE(r10.checkpoint.has_value());
  CHECK(r10.checkpoint->key_id == "system-dek-1");
  CHECK(r10.checkpoint->mac == ComputeCheckpointMac(ExpectedCheckpointKey(*s.vault, 1), r10.hash));
  const Record r20 = RecordAt(*s.log, 20);
  REQUIRE(r20.checkpoint.has_value());
  CHECK(r20.checkpoint->key_id == "system-dek-2");
  CHECK(r20.checkpoint->mac == ComputeCheckpointMac(ExpectedCheckpointKey(*s.vault, 2), r20.hash));

  const VerifyResult v = s.log->Verify();
  INFO(VerifyText(v));
  CHECK(v.ok());
  CHECK(v.records_checked == 25);
  CHECK(v.checkpoints_checked == 2);
}

TEST_CASE("Concurrent appenders get distinct, gapless sequence numbers", "[audit][log]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock, CheckpointPolicy{10});
  constexpr int kThreads = 4;
  constexpr int kEach = 25;
  std::vector<std::thread> threads;
  std::vector<int> failures(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        Fields f = FieldsAt(clock, static_cast<uint64_t>(i));
        f.actor = "thread-" + std::to_string(t);
        if (!s.log->Append(f).ok()) ++failures[static_cast<size_t>(t)];
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(failures == std::vector<int>(kThreads, 0));
  CHECK(s.log->last_seq() == kThreads * kEach);
  const VerifyResult v = s.log->Verify();
  INFO(VerifyText(v));
  CHECK(v.ok());
  CHECK(v.records_checked == kThreads * kEach);
  CHECK(v.checkpoints_checked == kThreads * kEach / 10);
}

TEST_CASE("AuditLog::Read returns records in order from a sequence number", "[audit][log]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock, CheckpointPolicy{10});
  AppendN(*s.log, clock, 30);

  SECTION("from 1, and from 0, everything") {
    for (uint64_t from : {uint64_t{0}, uint64_t{1}}) {
      const auto all = ReadFrom(*s.log, from);
      REQUIRE(all.size() == 30);
      for (size_t i = 0; i < all.size(); ++i) CHECK(all[i].seq == i + 1);
    }
  }
  SECTION("from the middle") {
    const auto tail = ReadFrom(*s.log, 17);
    REQUIRE(tail.size() == 14);
    for (size_t i = 0; i < tail.size(); ++i) {
      CHECK(tail[i].seq == 17 + i);
      CHECK(tail[i].fields.target == "acme/p" + std::to_string(17 + i));
    }
  }
  SECTION("past the end: nothing") { CHECK(ReadFrom(*s.log, 31).empty()); }
  SECTION("stop ends the read") {
    std::vector<uint64_t> seen;
    REQUIRE_OK(s.log->Read(5, [&](const Record& r, bool* stop) {
      seen.push_back(r.seq);
      *stop = seen.size() == 3;
      return Status::Ok();
    }));
    CHECK(seen == std::vector<uint64_t>{5, 6, 7});
  }
  SECTION("an error from fn ends the read and is returned") {
    int calls = 0;
    const Status r = s.log->Read(1, [&](const Record&, bool*) {
      ++calls;
      return Status::Error("test", "enough");
    });
    CHECK(r.code() == "test");
    CHECK(calls == 1);
  }
  SECTION("a record that does not open is an error naming it") {
    std::string bad = RawGet(s, 20);
    bad[bad.size() / 2] = static_cast<char>(bad[bad.size() / 2] ^ 0x10);
    RawPut(s, 20, bad);
    std::vector<uint64_t> seen;
    const Status r = s.log->Read(18, [&](const Record& rec, bool*) {
      seen.push_back(rec.seq);
      return Status::Ok();
    });
    CHECK(r.code() == "integrity");
    CHECK_THAT(r.message(), Contains("audit record 20"));
    CHECK(seen == std::vector<uint64_t>{18, 19});
  }
}

TEST_CASE("AuditLog::Verify names the first tampered record", "[audit][log]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  constexpr uint64_t kN = 35;
  const CheckpointPolicy policy{10};  // checkpoints at 10, 20, 30
  Store s(dir.path(), clock, policy);
  AppendN(*s.log, clock, kN);
  {
    const VerifyResult v = s.log->Verify();
    INFO(VerifyText(v));
    REQUIRE(v.ok());
    REQUIRE(v.records_checked == kN);
  }

  SECTION("a deleted record: a gap at the record after it") {
    RawDelete(s, 17);
    const VerifyResult v = s.log->Verify();
    CheckFailure(v, 18, Reason::kSequenceGap);
    CHECK_THAT(v.failure->message, Contains("record 17 is missing"));
    CHECK(v.records_checked == 16);
  }
  SECTION("the first record deleted") {
    RawDelete(s, 1);
    CheckFailure(s.log->Verify(), 2, Reason::kSequenceGap);
  }
  SECTION("a record altered and re-sealed with the vault, old hash kept") {
    Record r = RecordAt(*s.log, 17);
    r.fields.outcome = "denied";
    Reseal(s, r);
    const VerifyResult v = s.log->Verify();
    CheckFailure(v, 17, Reason::kHashMismatch);
    CHECK(v.records_checked == 16);
  }
  SECTION("a record altered and re-hashed: the next one does not link") {
    Record r = RecordAt(*s.log, 17);
    r.fields.actor = "uid=1000(mallory)";
    r.hash = ComputeHash(r);
    Reseal(s, r);
    CheckFailure(s.log->Verify(), 18, Reason::kPrevHashMismatch);
  }
  SECTION("the chain rewritten from 17 on without the checkpoint key") {
    Digest prev = RecordAt(*s.log, 16).hash;
    for (uint64_t seq = 17; seq <= kN; ++seq) {
      Record r = RecordAt(*s.log, seq);
      if (seq == 17) r.fields.actor = "uid=1000(mallory)";
      r.prev_hash = prev;
      r.hash = ComputeHash(r);
      prev = r.hash;
      Reseal(s, r);
    }
    // Hashes and links are consistent again; the checkpoint at 20 is not.
    CheckFailure(s.log->Verify(), 20, Reason::kCheckpointMacMismatch);
  }
  SECTION("a checkpoint renamed to a key id the log does not have") {
    for (const std::string id : {"system-dek-2", "system-dek-", "system-dek-x", "other-1"}) {
      INFO("key id " << id);
      Record r = RecordAt(*s.log, 10);
      r.checkpoint->key_id = id;
      r.hash = ComputeHash(r);  // the key id is hashed: keep the record self-consistent
      Reseal(s, r);
      CheckFailure(s.log->Verify(), 10, Reason::kUnknownKeyId);
    }
  }
  SECTION("a flipped byte in a sealed record: reported at its seq") {
    for (uint64_t seq : {uint64_t{1}, uint64_t{17}, uint64_t{20}}) {
      INFO("seq " << seq);
      const std::string sealed = RawGet(s, seq);
      std::string bad = sealed;
      bad[bad.size() - 3] = static_cast<char>(bad[bad.size() - 3] ^ 0x01);
      RawPut(s, seq, bad);
      const VerifyResult v = s.log->Verify();
      CheckFailure(v, seq, Reason::kMalformed);
      CHECK(v.records_checked == seq - 1);
      RawPut(s, seq, sealed);
    }
    CHECK(s.log->Verify().ok());
  }
  SECTION("a record copied over the next one does not open there") {
    RawPut(s, 18, RawGet(s, 17));  // sealed for key 17: the aad names the key
    CheckFailure(s.log->Verify(), 18, Reason::kMalformed);
  }
  SECTION("the newest record removed while the log is open: truncated") {
    RawDelete(s, kN);
    const VerifyResult v = s.log->Verify();
    CheckFailure(v, kN, Reason::kTruncated);
    CHECK(v.records_checked == kN - 1);
  }
  SECTION("the newest record altered and re-hashed while the log is open: anchor") {
    Record r = RecordAt(*s.log, kN);
    r.fields.outcome = "denied";
    r.hash = ComputeHash(r);
    Reseal(s, r);
    CheckFailure(s.log->Verify(), kN, Reason::kAnchorMismatch);
  }
}

// The anchor Verify uses is the newest record this process appended or, right after
// Open, the newest record found in the store. So tampering with the tail while the
// daemon is down, with no record after it and no checkpoint covering it, is not
// detected by AuditLog::Verify (verify.h: only an anchor kept outside the store can
// catch that). What is detected: a damaged tail stops Open.
TEST_CASE("AuditLog tail tampering while closed: what is and is not detected", "[audit][log]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  constexpr uint64_t kN = 35;
  const CheckpointPolicy policy{10};
  Digest hash_34{};
  {
    Store s(dir.path(), clock, policy);
    AppendN(*s.log, clock, kN);
    hash_34 = RecordAt(*s.log, 34).hash;

    SECTION("the newest record removed") {
      RawDelete(s, kN);
      s.log.reset();
      s.log = OpenLog(*s.vault, policy);
      // NOT detected: the chain now ends at 34 and is valid; the next append reuses 35.
      const VerifyResult v = s.log->Verify();
      INFO(VerifyText(v));
      CHECK(v.ok());
      CHECK(v.records_checked == kN - 1);
      CHECK(s.log->last_seq() == kN - 1);
      CHECK(s.log->last_hash() == hash_34);
      REQUIRE_OK(s.log->Append(FieldsAt(clock, kN)));
      CHECK(s.log->last_seq() == kN);
      CHECK(s.log->Verify().ok());
    }
    SECTION("the newest record altered and re-hashed") {
      Record r = RecordAt(*s.log, kN);
      r.fields.outcome = "denied";
      r.hash = ComputeHash(r);
      Reseal(s, r);
      s.log.reset();
      s.log = OpenLog(*s.vault, policy);
      // NOT detected: nothing links to it and 35 is not a checkpoint.
      CHECK(s.log->Verify().ok());
      CHECK(RecordAt(*s.log, kN).fields.outcome == "denied");
    }
    SECTION("the newest record altered, old hash kept: Open refuses to append to it") {
      Record r = RecordAt(*s.log, kN);
      r.fields.outcome = "denied";
      Reseal(s, r);
      s.log.reset();
      auto reopened = AuditLog::Open(*s.vault, policy);
      REQUIRE_FALSE(reopened.ok());
      CHECK(reopened.status().code() == code::kChain);
      CHECK_THAT(reopened.status().message(), Contains("seq 35"));
    }
    SECTION("the newest record's sealed bytes damaged: Open fails") {
      std::string bad = RawGet(s, kN);
      bad[20] = static_cast<char>(bad[20] ^ 0x01);
      RawPut(s, kN, bad);
      s.log.reset();
      auto reopened = AuditLog::Open(*s.vault, policy);
      REQUIRE_FALSE(reopened.ok());
      CHECK(reopened.status().code() == "integrity");
      CHECK_THAT(reopened.status().message(), Contains("newest audit record"));
    }
    SECTION("an older record removed is still found after reopening") {
      RawDelete(s, 30);
      s.log.reset();
      s.log = OpenLog(*s.vault, policy);
      CheckFailure(s.log->Verify(), 31, Reason::kSequenceGap);
    }
  }
}

namespace {

TimePoint TimeOf(uint64_t seq) {  // of record `seq` written by AppendN from kStartMs
  return TimePoint(milliseconds(kStartMs)) + std::chrono::seconds(seq);
}

uint64_t FirstSeq(const AuditLog& log) { return ReadFrom(log, 1).front().seq; }

}  // namespace

TEST_CASE("Prune removes old records up to the newest checkpoint, the rest verifies",
          "[audit][log][prune]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Digest last_hash{};
  {
    Store s(dir.path(), clock, CheckpointPolicy{10});
    AppendN(*s.log, clock, 95);
    // Records 1..56 are older than the cut; the newest checkpoint after only those is 50.
    auto r = s.log->Prune(TimeOf(57), clock.Now(), "a test");
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    CHECK(r.value().removed == 49);
    CHECK(r.value().first_kept == 50);
    CHECK(r.value().prune_seq == 96);
    CHECK_FALSE(r.value().more);

    const auto kept = ReadFrom(*s.log, 1);
    REQUIRE(kept.size() == 47);  // 50..96
    CHECK(kept.front().seq == 50);
    CHECK(kept.front().checkpoint.has_value());
    const Record& prune = kept.back();
    CHECK(prune.seq == 96);
    CHECK(prune.fields.action == "audit.prune");
    CHECK(prune.fields.actor == "sigmad");
    CHECK(prune.fields.source == "retention");
    CHECK(prune.fields.target == "before seq 50");
    CHECK(prune.fields.outcome == "ok");
    CHECK(prune.fields.details ==
          "records 1..49, older than 2026-11-23T07:05:57.123Z: a test");
    REQUIRE(prune.checkpoint.has_value());  // not due (96), but written with one
    CHECK(prune.checkpoint->mac ==
          ComputeCheckpointMac(ExpectedCheckpointKey(*s.vault, 1), prune.hash));

    const VerifyResult v = s.log->Verify();
    INFO(VerifyText(v));
    CHECK(v.ok());
    CHECK(v.first_seq == 50);
    CHECK(v.last_seq == 96);
    CHECK(v.pruned_before == 50);

    // Again with the same cut: nothing is due, nothing is written.
    auto again = s.log->Prune(TimeOf(57), clock.Now(), "a test");
    REQUIRE(again.ok());
    CHECK(again.value().removed == 0);
    CHECK(again.value().prune_seq == 0);
    CHECK(s.log->last_seq() == 96);
    last_hash = s.log->last_hash();
  }
  // Reopened, the pruned log resumes and keeps verifying.
  Store s(dir.path(), clock, CheckpointPolicy{10});
  CHECK(s.log->last_hash() == last_hash);
  AppendN(*s.log, clock, 20);
  const VerifyResult v = s.log->Verify();
  INFO(VerifyText(v));
  CHECK(v.ok());
  CHECK(v.first_seq == 50);
  CHECK(v.last_seq == 116);
}

TEST_CASE("Prune with nothing old enough behind a checkpoint changes nothing",
          "[audit][log][prune]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock, CheckpointPolicy{10});
  SECTION("an empty log") {
    auto r = s.log->Prune(clock.Now(), clock.Now(), "a test");
    REQUIRE(r.ok());
    CHECK(r.value().prune_seq == 0);
    CHECK(s.log->last_seq() == 0);
  }
  SECTION("every record is newer than the cut") {
    AppendN(*s.log, clock, 35);
    auto r = s.log->Prune(TimeOf(1), clock.Now(), "a test");
    REQUIRE(r.ok());
    CHECK(r.value().prune_seq == 0);
    CHECK(s.log->last_seq() == 35);
  }
  SECTION("old records, but no checkpoint after them yet") {
    AppendN(*s.log, clock, 9);
    auto r = s.log->Prune(clock.Now() + std::chrono::hours(1), clock.Now(), "a test");
    REQUIRE(r.ok());
    CHECK(r.value().prune_seq == 0);
    CHECK(FirstSeq(*s.log) == 1);
  }
}

TEST_CASE("Prune looks at max_records records per call and says when there are more",
          "[audit][log][prune]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock, CheckpointPolicy{10});
  AppendN(*s.log, clock, 95);
  std::vector<uint64_t> kept;
  for (bool more = true; more;) {
    auto r = s.log->Prune(TimeOf(57), clock.Now(), "a test", /*max_records=*/25);
    INFO(r.status().ToString());
    REQUIRE(r.ok());
    kept.push_back(r.value().first_kept);
    more = r.value().more;
    const VerifyResult v = s.log->Verify();
    INFO(VerifyText(v));
    REQUIRE(v.ok());
  }
  CHECK(kept == std::vector<uint64_t>{20, 40, 50});
  CHECK(FirstSeq(*s.log) == 50);
}

TEST_CASE("A prune cut short after its record verifies, and the next one carries on",
          "[audit][log][prune]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock, CheckpointPolicy{10});
  AppendN(*s.log, clock, 95);
  // What a crash after the prune record and the first batch leaves: records 1..29 gone
  // of the 1..49 it named.
  Fields f = FieldsAt(clock, 96);
  f.actor = "sigmad";
  f.action = std::string(kPruneAction);
  f.target = PruneTarget(50);
  REQUIRE_OK(s.log->Update([&](WriteTxn&, AuditLog::Appender& a) { return a.AppendCheckpoint(f); }));
  for (uint64_t seq = 1; seq < 30; ++seq) RawDelete(s, seq);
  {
    const VerifyResult v = s.log->Verify();
    INFO(VerifyText(v));
    CHECK(v.ok());
    CHECK(v.first_seq == 30);
  }
  auto r = s.log->Prune(TimeOf(57), clock.Now(), "a test");
  REQUIRE(r.ok());
  CHECK(r.value().first_kept == 50);
  CHECK(r.value().removed == 20);
  CHECK(FirstSeq(*s.log) == 50);
  CHECK(s.log->Verify().ok());

  SECTION("but records removed past the prune's mark are a gap") {
    RawDelete(s, 50);
    CheckFailure(s.log->Verify(), 51, Reason::kSequenceGap);
  }
}

TEST_CASE("Prune refuses to delete old records that do not verify", "[audit][log][prune]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock, CheckpointPolicy{10});
  AppendN(*s.log, clock, 95);
  // Before any prune in this process, the whole log is verified; after one, what the
  // prune removes and where the log starts.
  const bool after_a_prune = GENERATE(false, true);
  INFO((after_a_prune ? "after a prune" : "first prune"));
  if (after_a_prune) {
    auto none = s.log->Prune(TimeOf(1), clock.Now(), "a test");  // nothing old enough
    REQUIRE(none.ok());
    REQUIRE(none.value().prune_seq == 0);
  }
  std::string why;
  SECTION("an altered record") {
    Record r7 = RecordAt(*s.log, 7);
    r7.fields.actor = "uid=0(mallory)";
    Reseal(s, r7);
    why = after_a_prune ? "the oldest audit records do not verify, so none are pruned: record 7 "
                          "does not match its hash"
                        : "the audit log does not verify, so no record is pruned: record 7 "
                          "does not match its hash";
  }
  SECTION("a removed record") {
    RawDelete(s, 33);
    why = after_a_prune ? "the oldest audit records do not verify, so none are pruned: record 34 "
                          "follows record 32: record 33 is missing"
                        : "the audit log does not verify, so no record is pruned: record 34 "
                          "follows record 32: record 33 is missing";
  }
  SECTION("a checkpoint that does not authenticate") {
    Record r50 = RecordAt(*s.log, 50);
    r50.checkpoint->mac[0] ^= 1;
    Reseal(s, r50);
    why = "record 50 has a wrong checkpoint MAC";
  }
  SECTION("the oldest records removed by hand: a prune must not bless that") {
    for (uint64_t seq = 1; seq <= 12; ++seq) RawDelete(s, seq);
    why = after_a_prune ? "the audit log starts at record 13 but started at record 1: records "
                          "were removed other than by retention, so none are pruned"
                        : "the audit log does not verify, so no record is pruned: the log starts "
                          "at record 13 and no audit.prune record says older records were "
                          "pruned: records 1..12 are missing";
  }
  const std::vector<Record> before = ReadFrom(*s.log, 1);
  const uint64_t last = s.log->last_seq();
  auto r = s.log->Prune(TimeOf(57), clock.Now(), "a test");
  REQUIRE_FALSE(r.ok());
  CHECK(r.status().code() == std::string(code::kChain));
  CHECK_THAT(r.status().message(), Contains(why));
  CHECK(ReadFrom(*s.log, 1) == before);
  CHECK(s.log->last_seq() == last);
  CHECK_FALSE(s.log->Verify().ok());  // the evidence is still there
}

TEST_CASE("Prune makes progress however small max_records is", "[audit][log][prune]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock, CheckpointPolicy{10});
  AppendN(*s.log, clock, 95);
  auto r = s.log->Prune(TimeOf(57), clock.Now(), "a test", /*max_records=*/3);
  REQUIRE(r.ok());
  CHECK(r.value().first_kept == 10);  // it looked as far as the first checkpoint
  CHECK(r.value().more);
}

TEST_CASE("Prune runs alongside appenders and other prunes", "[audit][log][prune]") {
  TempDir dir;
  FakeClock clock{TimePoint(milliseconds(kStartMs))};
  Store s(dir.path(), clock, CheckpointPolicy{10});
  AppendN(*s.log, clock, 200);
  std::vector<std::thread> threads;
  std::vector<std::string> errors(4);  // per thread; Catch's assertions are not thread-safe
  for (size_t t = 0; t < 2; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        if (Status a = s.log->Append(FieldsAt(clock, 0)); !a.ok()) errors[2 * t] = a.ToString();
      }
    });
    threads.emplace_back([&, t] {
      for (uint64_t i = 1; i <= 5; ++i) {
        auto r = s.log->Prune(TimeOf(30 * i + t), clock.Now(), "a test");
        if (!r.ok()) errors[2 * t + 1] = r.status().ToString();
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(errors == std::vector<std::string>(4));
  const VerifyResult v = s.log->Verify();
  INFO(VerifyText(v));
  CHECK(v.ok());
  CHECK(v.first_seq == 150);  // the last cut: records before 151 are old; checkpoint 150
  CHECK(v.last_seq == s.log->last_seq());
}
