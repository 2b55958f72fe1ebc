#include "audit/verify.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "audit/chain.h"
#include "audit/codec.h"

namespace {

using namespace sigmad::audit;
using sigmad::crypto::SecretBytes;
using std::chrono::milliseconds;

constexpr int64_t kStartMs = 1795417500123;

SecretBytes KeyOf(uint8_t fill) {
  SecretBytes k(32);
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = fill;
  return k;
}

const SecretBytes& K1() {
  static const SecretBytes k = KeyOf(0x11);
  return k;
}
const SecretBytes& K2() {
  static const SecretBytes k = KeyOf(0x22);
  return k;
}

KeyLookup Keys(bool with_k1 = true, bool with_k2 = true) {
  return [with_k1, with_k2](std::string_view id) -> const SecretBytes* {
    if (id == "k1" && with_k1) return &K1();
    if (id == "k2" && with_k2) return &K2();
    return nullptr;
  };
}

Fields FieldsFor(uint64_t i) {
  return Fields{
      .time = TimePoint(milliseconds(kStartMs + static_cast<int64_t>(i) * 1000)),
      .actor = i % 3 ? "uid=0(root)" : "uid=1000(ops)",
      .tenant = i % 2 ? "acme" : "",
      .action = i % 5 ? "tenant.update" : "control.access",
      .target = "tenant/acme",
      .outcome = i % 11 ? "ok" : "denied",
      .source = "control",
      .details = i % 7 ? std::nullopt : std::optional<std::string>("batch " + std::to_string(i))};
}

// A log of n records written through Chain, checkpointed every `every` records under k1,
// under k2 from seq `rotate_at` on (0: never rotate).
std::vector<Record> BuildLog(uint64_t n, uint64_t every = 10, uint64_t rotate_at = 0) {
  Chain chain(CheckpointPolicy{every});
  std::vector<Record> log;
  log.reserve(n);
  for (uint64_t i = 1; i <= n; ++i) {
    const bool k2 = rotate_at != 0 && i >= rotate_at;
    auto r = k2 ? chain.Next(FieldsFor(i), {"k2", K2()}) : chain.Next(FieldsFor(i), {"k1", K1()});
    REQUIRE(r.ok());
    REQUIRE(chain.Commit(r.value()).ok());
    log.push_back(std::move(r).value());
  }
  return log;
}

VerifyOptions Gap(uint64_t max_gap) {
  VerifyOptions o;
  o.max_checkpoint_gap = max_gap;
  return o;
}

VerifyResult VerifyAll(const std::vector<Record>& log, KeyLookup keys = Keys(),
                       VerifyOptions options = Gap(10)) {
  Verifier v(std::move(keys), options);
  for (const Record& r : log) {
    if (!v.Add(r)) break;
  }
  return v.Finish();
}

Record& At(std::vector<Record>& log, uint64_t seq) {
  for (Record& r : log) {
    if (r.seq == seq) return r;
  }
  FAIL("no record " << seq);
  return log.front();
}

const Record& At(const std::vector<Record>& log, uint64_t seq) {
  for (const Record& r : log) {
    if (r.seq == seq) return r;
  }
  FAIL("no record " << seq);
  return log.front();
}

size_t IndexOf(const std::vector<Record>& log, uint64_t seq) {
  for (size_t i = 0; i < log.size(); ++i) {
    if (log[i].seq == seq) return i;
  }
  FAIL("no record " << seq);
  return 0;
}

void Rehash(Record& r) { r.hash = ComputeHash(r); }

// What someone with write access to the store but without the checkpoint key can do:
// change record `from`, then re-link and re-hash everything after it.
void RewriteFrom(std::vector<Record>& log, uint64_t from, bool drop_checkpoints) {
  for (size_t i = IndexOf(log, from); i < log.size(); ++i) {
    if (i > 0) log[i].prev_hash = log[i - 1].hash;
    if (log[i].seq == from) log[i].fields.actor = "uid=0(mallory)";
    if (drop_checkpoints) log[i].checkpoint.reset();
    Rehash(log[i]);
  }
}

}  // namespace

TEST_CASE("an untouched log verifies", "[audit][verify]") {
  const std::vector<Record> log = BuildLog(1000);

  SECTION("from records") {
    const VerifyResult r = VerifyAll(log);
    INFO((r.failure ? r.failure->message : "ok"));
    REQUIRE(r.ok());
    CHECK(r.records_checked == 1000);
    CHECK(r.checkpoints_checked == 100);
    CHECK(r.first_seq == 1);
    CHECK(r.last_seq == 1000);
    CHECK(r.last_hash == log.back().hash);
    CHECK(r.last_checkpoint_seq == 1000);
  }
  SECTION("from storage bytes") {
    Verifier v(Keys(), Gap(10));
    for (const Record& rec : log) REQUIRE(v.AddEncoded(EncodeRecord(rec)));
    const VerifyResult r = v.Finish();
    REQUIRE(r.ok());
    CHECK(r.records_checked == 1000);
    CHECK(r.checkpoints_checked == 100);
  }
  SECTION("an empty log") {
    const VerifyResult r = VerifyAll({});
    CHECK(r.ok());
    CHECK(r.records_checked == 0);
    CHECK(r.first_seq == 0);
    CHECK(r.last_seq == 0);
  }
  SECTION("a log shorter than one checkpoint interval") {
    const VerifyResult r = VerifyAll(BuildLog(9));
    CHECK(r.ok());
    CHECK(r.checkpoints_checked == 0);
    CHECK(r.last_checkpoint_seq == 0);
  }
}

TEST_CASE("each kind of tampering is named at the first bad record", "[audit][verify]") {
  struct Case {
    const char* name;
    std::function<void(std::vector<Record>&)> tamper;
    uint64_t bad_seq;
    Reason reason;
    const char* message_part;
  };
  const std::vector<Case> cases = {
      {"a field of 37 altered", [](auto& log) { At(log, 37).fields.target = "tenant/other"; }, 37,
       Reason::kHashMismatch, "record 37 does not match its hash"},
      {"the time of 37 altered", [](auto& log) { At(log, 37).fields.time += milliseconds(1); }, 37,
       Reason::kHashMismatch, "the record was altered"},
      {"37 altered and re-hashed",
       [](auto& log) {
         At(log, 37).fields.outcome = "ok";
         At(log, 37).fields.actor = "uid=0(mallory)";
         Rehash(At(log, 37));
       },
       38, Reason::kPrevHashMismatch, "record 38 does not link to record 37"},
      {"50 removed", [](auto& log) { log.erase(log.begin() + IndexOf(log, 50)); }, 51,
       Reason::kSequenceGap, "record 51 follows record 49: record 50 is missing"},
      {"50..52 removed",
       [](auto& log) {
         const auto at = log.begin() + IndexOf(log, 50);
         log.erase(at, at + 3);
       },
       53, Reason::kSequenceGap, "records 50..52 are missing"},
      {"the first record removed", [](auto& log) { log.erase(log.begin()); }, 2,
       Reason::kSequenceGap,
       "the log starts at record 2 and no audit.prune record says older records were pruned: "
       "record 1 is missing"},
      {"the first 99 records removed, up to a checkpoint",
       [](auto& log) { log.erase(log.begin(), log.begin() + 99); }, 100, Reason::kSequenceGap,
       "records 1..99 are missing"},
      {"a forged, chained record 21 inserted between 20 and 21",
       [](auto& log) {
         Record forged = At(log, 21);
         forged.fields.actor = "uid=0(mallory)";
         forged.checkpoint.reset();
         Rehash(forged);
         log.insert(log.begin() + IndexOf(log, 21), forged);
       },
       21, Reason::kDuplicateSequence, "sequence number 21 appears twice"},
      {"a forged, unchained record inserted between 20 and 21",
       [](auto& log) {
         Record forged = At(log, 21);
         forged.fields.action = "tenant.delete";
         forged.prev_hash.fill(0x5A);
         Rehash(forged);
         log.insert(log.begin() + IndexOf(log, 21), forged);
       },
       21, Reason::kPrevHashMismatch, "record 21 does not link to record 20"},
      {"a copy of 20 replayed after it",
       [](auto& log) { log.insert(log.begin() + IndexOf(log, 21), At(log, 20)); }, 20,
       Reason::kDuplicateSequence, "sequence number 20 appears twice"},
      {"60 and 61 swapped",
       [](auto& log) { std::swap(log[IndexOf(log, 60)], log[IndexOf(log, 61)]); }, 61,
       Reason::kOutOfOrder, "record 61 is stored before record 60"},
      {"60 and 62 swapped",
       [](auto& log) { std::swap(log[IndexOf(log, 60)], log[IndexOf(log, 62)]); }, 62,
       Reason::kOutOfOrder, "record 62 is stored before record 61"},
      {"record 1 re-linked to a non-zero prev_hash",
       [](auto& log) {
         log.front().prev_hash[0] = 1;
         Rehash(log.front());
       },
       1, Reason::kPrevHashMismatch, "record 1 has a non-zero prev_hash"},
      {"the checkpoint MAC of 40 altered", [](auto& log) { At(log, 40).checkpoint->mac[3] ^= 4; },
       40, Reason::kCheckpointMacMismatch, "record 40 has a wrong checkpoint MAC under key 'k1'"},
      {"the checkpoint of 40 stripped", [](auto& log) { At(log, 40).checkpoint.reset(); }, 40,
       Reason::kHashMismatch, "record 40 does not match its hash"},
      {"the checkpoint of 40 renamed to an unknown key and re-hashed",
       [](auto& log) {
         At(log, 40).checkpoint->key_id = "k9";
         Rehash(At(log, 40));
       },
       40, Reason::kUnknownKeyId,
       "record 40 has a checkpoint under key id 'k9', which is not a known checkpoint key"},
      {"the checkpoint of 40 moved to another known key and re-hashed",
       [](auto& log) {
         At(log, 40).checkpoint->key_id = "k2";
         Rehash(At(log, 40));
       },
       40, Reason::kCheckpointMacMismatch, "under key 'k2'"},
      {"rewritten from 37 on without the key",
       [](auto& log) { RewriteFrom(log, 37, /*drop_checkpoints=*/false); }, 40,
       Reason::kCheckpointMacMismatch, "record 40 has a wrong checkpoint MAC"},
      {"rewritten from 37 on, checkpoints dropped",
       [](auto& log) { RewriteFrom(log, 37, /*drop_checkpoints=*/true); }, 41,
       Reason::kMissingCheckpoint,
       "record 41 makes 11 records without a checkpoint since record 30 (at most 10 are "
       "allowed)"},
  };
  const std::vector<Record> pristine = BuildLog(1000);
  for (const Case& c : cases) {
    INFO(c.name);
    std::vector<Record> log = pristine;
    c.tamper(log);
    const VerifyResult r = VerifyAll(log);
    REQUIRE_FALSE(r.ok());
    INFO(r.failure->message);
    CHECK(r.failure->seq == c.bad_seq);
    CHECK(ReasonName(r.failure->reason) == ReasonName(c.reason));
    CHECK_THAT(r.failure->message, Catch::Matchers::Contains(c.message_part));
    CHECK(r.last_seq <= c.bad_seq);  // the summary covers the verified prefix only
  }
}

TEST_CASE("the summary stops before the first bad record", "[audit][verify]") {
  std::vector<Record> log = BuildLog(100);
  At(log, 37).fields.target = "x";
  const VerifyResult r = VerifyAll(log);
  REQUIRE_FALSE(r.ok());
  CHECK(r.records_checked == 36);
  CHECK(r.checkpoints_checked == 3);
  CHECK(r.first_seq == 1);
  CHECK(r.last_seq == 36);
  CHECK(r.last_hash == At(log, 36).hash);
  CHECK(r.last_checkpoint_seq == 30);
  CHECK(r.failure->message == "record 37 does not match its hash (stored " +
                                  DigestHex(At(log, 37).hash) + ", contents hash to " +
                                  DigestHex(ComputeHash(At(log, 37))) +
                                  "): the record was altered");
}

TEST_CASE("Add asks for one more record after a jump, then stops", "[audit][verify]") {
  std::vector<Record> log = BuildLog(30);
  Verifier v(Keys(), Gap(10));
  for (uint64_t seq = 1; seq <= 5; ++seq) REQUIRE(v.Add(At(log, seq)));
  CHECK(v.Add(At(log, 7)));        // gap or reorder: undecided
  CHECK_FALSE(v.Add(At(log, 8)));  // a gap after all
  CHECK_FALSE(v.Add(At(log, 6)));  // too late to change the verdict
  const VerifyResult r = v.Finish();
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure->seq == 7);
  CHECK(r.failure->reason == Reason::kSequenceGap);
  CHECK(r.records_checked == 5);
}

TEST_CASE("undecodable stored bytes are named by the seq expected", "[audit][verify]") {
  const std::vector<Record> log = BuildLog(100);
  Verifier v(Keys(), Gap(10));
  for (const Record& rec : log) {
    std::string bytes = EncodeRecord(rec);
    if (rec.seq == 64) bytes.resize(bytes.size() - 1);
    if (!v.AddEncoded(bytes)) break;
  }
  const VerifyResult r = v.Finish();
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure->seq == 64);
  CHECK(r.failure->reason == Reason::kMalformed);
  CHECK_THAT(r.failure->message,
             Catch::Matchers::StartsWith("the record after record 63 (seq 64 expected) cannot "
                                         "be read: audit record is corrupt: truncated: "));
  CHECK(r.records_checked == 63);
}

TEST_CASE("key rotation: old key ids stay verifiable", "[audit][verify]") {
  // k1 checkpoints 10..490, k2 from 500 on.
  const std::vector<Record> log = BuildLog(1000, 10, 495);
  REQUIRE(At(log, 490).checkpoint->key_id == "k1");
  REQUIRE(At(log, 500).checkpoint->key_id == "k2");

  SECTION("both keys supplied") {
    const VerifyResult r = VerifyAll(log, Keys(true, true));
    REQUIRE(r.ok());
    CHECK(r.checkpoints_checked == 100);
  }
  SECTION("k1 not supplied: the first k1 checkpoint is named") {
    const VerifyResult r = VerifyAll(log, Keys(false, true));
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->seq == 10);
    CHECK(r.failure->reason == Reason::kUnknownKeyId);
    CHECK(r.failure->message ==
          "record 10 has a checkpoint under key id 'k1', which is not a known checkpoint key");
  }
  SECTION("k2 not supplied: the first k2 checkpoint is named") {
    const VerifyResult r = VerifyAll(log, Keys(true, false));
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->seq == 500);
    CHECK(r.failure->reason == Reason::kUnknownKeyId);
  }
  SECTION("k1 and k2 swapped in the lookup") {
    KeyLookup swapped = [](std::string_view id) -> const SecretBytes* {
      return id == "k1" ? &K2() : id == "k2" ? &K1() : nullptr;
    };
    const VerifyResult r = VerifyAll(log, swapped);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->seq == 10);
    CHECK(r.failure->reason == Reason::kCheckpointMacMismatch);
  }
  SECTION("no lookup at all") {
    const VerifyResult r = VerifyAll(log, nullptr);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->reason == Reason::kUnknownKeyId);
  }
}

TEST_CASE("the checkpoint gap follows the policies the log was written with", "[audit][verify]") {
  // Every 10 up to seq 500, every 25 after.
  Chain chain(CheckpointPolicy{10});
  std::vector<Record> log;
  for (uint64_t i = 1; i <= 1000; ++i) {
    if (i == 501) chain.set_policy(CheckpointPolicy{25});
    auto r = chain.Next(FieldsFor(i), {"k1", K1()});
    REQUIRE(r.ok());
    REQUIRE(chain.Commit(r.value()).ok());
    log.push_back(std::move(r).value());
  }
  CHECK(VerifyAll(log, Keys(), Gap(25)).ok());
  const VerifyResult strict = VerifyAll(log, Keys(), Gap(10));
  REQUIRE_FALSE(strict.ok());
  CHECK(strict.failure->seq == 511);
  CHECK(strict.failure->reason == Reason::kMissingCheckpoint);

  SECTION("with the gap check off, stripped checkpoints go unnoticed") {
    std::vector<Record> rewritten = BuildLog(100);
    RewriteFrom(rewritten, 37, /*drop_checkpoints=*/true);
    CHECK(VerifyAll(rewritten, Keys(), Gap(0)).ok());  // the documented trade-off
    CHECK_FALSE(VerifyAll(rewritten, Keys(), Gap(10)).ok());
  }
}

TEST_CASE("what the chain cannot see, and what an anchor adds", "[audit][verify]") {
  const std::vector<Record> pristine = BuildLog(1005);  // last checkpoint: 1000

  SECTION("removing the newest records leaves a valid chain") {
    std::vector<Record> log = pristine;
    log.resize(994);
    CHECK(VerifyAll(log).ok());

    VerifyOptions anchored = Gap(10);
    anchored.anchor = Anchor{1005, pristine.back().hash};
    const VerifyResult r = VerifyAll(log, Keys(), anchored);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->seq == 995);
    CHECK(r.failure->reason == Reason::kTruncated);
    CHECK(r.failure->message ==
          "the log ends at record 994 but the anchor says record 1005 existed: records from "
          "995 on were removed");
    CHECK(r.records_checked == 994);
  }
  SECTION("records after the last checkpoint can be rewritten unnoticed") {
    std::vector<Record> log = pristine;
    RewriteFrom(log, 1003, /*drop_checkpoints=*/false);
    CHECK(VerifyAll(log).ok());

    VerifyOptions anchored = Gap(10);
    anchored.anchor = Anchor{1004, At(pristine, 1004).hash};
    const VerifyResult r = VerifyAll(log, Keys(), anchored);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->seq == 1004);
    CHECK(r.failure->reason == Reason::kAnchorMismatch);
  }
  SECTION("an anchor that matches") {
    VerifyOptions anchored = Gap(10);
    anchored.anchor = Anchor{1005, pristine.back().hash};
    CHECK(VerifyAll(pristine, Keys(), anchored).ok());
    anchored.anchor = Anchor{500, pristine[499].hash};
    CHECK(VerifyAll(pristine, Keys(), anchored).ok());
  }
}

// Appends to `log` (written by BuildLog(n, 10)) an audit.prune record saying the records
// before `first_kept` are removed, with a checkpoint under k1, then `more` plain records.
void AppendPrune(std::vector<Record>& log, uint64_t first_kept, uint64_t more = 5) {
  Chain chain = Chain::Resume(log.back(), CheckpointPolicy{10}).value();
  Fields f = FieldsFor(log.back().seq + 1);
  f.action = std::string(kPruneAction);
  f.target = PruneTarget(first_kept);
  f.outcome = "ok";
  auto prune = chain.NextCheckpoint(f, {"k1", K1()});
  REQUIRE(prune.ok());
  REQUIRE(chain.Commit(prune.value()).ok());
  log.push_back(prune.value());
  for (uint64_t i = 0; i < more; ++i) {
    auto r = chain.Next(FieldsFor(log.back().seq + 1), {"k1", K1()});
    REQUIRE(r.ok());
    REQUIRE(chain.Commit(r.value()).ok());
    log.push_back(r.value());
  }
}

// Removes the records before `first`, as retention (or an attacker) does.
void DropBefore(std::vector<Record>& log, uint64_t first) {
  log.erase(log.begin(), log.begin() + static_cast<std::ptrdiff_t>(IndexOf(log, first)));
}

TEST_CASE("PruneTarget names the first record kept, ParsePruneTarget reads only that",
          "[audit][verify]") {
  CHECK(PruneTarget(1200) == "before seq 1200");
  CHECK(ParsePruneTarget("before seq 1200") == 1200u);
  CHECK(ParsePruneTarget("before seq 18446744073709551615") == UINT64_MAX);
  for (const char* bad : {"", "before seq ", "before seq 0", "before seq 012", "before seq 12x",
                          "before seq -1", "before seq 1 ", " before seq 1", "Before seq 1",
                          "before seq 99999999999999999999", "before seq 18446744073709551616"}) {
    INFO(bad);
    CHECK_FALSE(ParsePruneTarget(bad).has_value());
  }
}

TEST_CASE("a pruned log verifies from the first record kept", "[audit][verify]") {
  std::vector<Record> log = BuildLog(1000);
  AppendPrune(log, 500);  // record 1001

  SECTION("before the deletion, the whole log") {
    const VerifyResult r = VerifyAll(log);
    INFO((r.failure ? r.failure->message : ""));
    REQUIRE(r.ok());
    CHECK(r.first_seq == 1);
    CHECK(r.pruned_before == 500);
  }
  SECTION("after it: records 500..1006") {
    DropBefore(log, 500);
    const VerifyResult r = VerifyAll(log);
    INFO((r.failure ? r.failure->message : ""));
    REQUIRE(r.ok());
    CHECK(r.first_seq == 500);
    CHECK(r.last_seq == 1006);
    CHECK(r.records_checked == 507);
    CHECK(r.checkpoints_checked == 52);  // 500, 510, ..., 1000, and the prune record
    CHECK(r.last_checkpoint_seq == 1001);
    CHECK(r.pruned_before == 500);
  }
  SECTION("half way through the deletion (a crash, or the next batch not run yet)") {
    DropBefore(log, 321);
    const VerifyResult r = VerifyAll(log);
    INFO((r.failure ? r.failure->message : ""));
    REQUIRE(r.ok());
    CHECK(r.first_seq == 321);
  }
  SECTION("more removed than the prune said") {
    DropBefore(log, 510);
    const VerifyResult r = VerifyAll(log);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->seq == 510);
    CHECK(r.failure->reason == Reason::kSequenceGap);
    CHECK(r.failure->message ==
          "the log starts at record 510 but the last audit.prune record kept the records from "
          "500 on: records 500..509 are missing");
    CHECK(r.records_checked == 0);
    CHECK(r.first_seq == 0);
  }
  SECTION("the first record kept is still tied to the rest") {
    DropBefore(log, 500);
    log.front().fields.actor = "uid=0(mallory)";
    Rehash(log.front());
    const VerifyResult r = VerifyAll(log);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->seq == 500);
    CHECK(r.failure->reason == Reason::kCheckpointMacMismatch);
  }
  SECTION("an anchor in the pruned part is reported, not failed") {
    DropBefore(log, 500);
    VerifyOptions anchored = Gap(10);
    anchored.anchor = Anchor{42, ComputeHash(log.front())};  // any hash: it cannot be checked
    VerifyResult r = VerifyAll(log, Keys(), anchored);
    CHECK(r.ok());
    CHECK(r.anchor_pruned);
    anchored.anchor = Anchor{700, At(log, 700).hash};
    r = VerifyAll(log, Keys(), anchored);
    CHECK(r.ok());
    CHECK_FALSE(r.anchor_pruned);
  }
}

TEST_CASE("a missing start is mentioned when a later failure is reported", "[audit][verify]") {
  std::vector<Record> log = BuildLog(100);
  DropBefore(log, 13);
  log.erase(log.begin() + static_cast<std::ptrdiff_t>(IndexOf(log, 80)));
  const VerifyResult r = VerifyAll(log);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure->seq == 81);
  CHECK(r.failure->message ==
        "record 81 follows record 79: record 80 is missing; also, the log starts at record 13 "
        "and no audit.prune record before that failure explains it");
}

TEST_CASE("a second prune: the last prune record is the one that counts", "[audit][verify]") {
  std::vector<Record> log = BuildLog(1000);
  AppendPrune(log, 300, 94);  // record 1001, then 1002..1095
  AppendPrune(log, 700);      // record 1096
  DropBefore(log, 300);
  CHECK(VerifyAll(log).ok());  // the second deletion has not started
  DropBefore(log, 700);
  CHECK(VerifyAll(log).ok());
  CHECK(VerifyAll(log).pruned_before == 700);

  // Removing the second prune record as well is a gap in the middle.
  std::vector<Record> gap = log;
  gap.erase(gap.begin() + static_cast<std::ptrdiff_t>(IndexOf(gap, 1096)));
  const VerifyResult r = VerifyAll(gap);
  REQUIRE_FALSE(r.ok());
  CHECK(r.failure->seq == 1097);
  CHECK(r.failure->reason == Reason::kSequenceGap);
}

TEST_CASE("a prune record sigmad did not write is refused", "[audit][verify]") {
  std::vector<Record> pristine = BuildLog(1000);
  AppendPrune(pristine, 500);
  struct Case {
    const char* name;
    std::function<void(Record&)> forge;
    Reason reason;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"without a checkpoint",
       [](Record& r) { r.checkpoint.reset(); },
       Reason::kInvalidPruneRecord,
       "record 1001 is an audit.prune record without a checkpoint: it was not written by sigmad"},
      {"with a checkpoint made without the key",
       [](Record& r) { r.checkpoint->mac.fill(7); },
       Reason::kCheckpointMacMismatch, "record 1001 has a wrong checkpoint MAC"},
      {"naming a later record",
       [](Record& r) { r.fields.target = PruneTarget(1001); },
       Reason::kInvalidPruneRecord,
       "record 1001 is an audit.prune record whose target 'before seq 1001' does not name an "
       "earlier record"},
      {"with an unreadable target",
       [](Record& r) { r.fields.target = "before seq five hundred"; },
       Reason::kInvalidPruneRecord, "whose target 'before seq five hundred'"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    std::vector<Record> log = pristine;
    Record& prune = At(log, 1001);
    c.forge(prune);
    RewriteFrom(log, 1001, /*drop_checkpoints=*/false);  // re-hashed and re-linked
    // Except in the MAC case, the MAC is made right, with the key: the shape alone must
    // be enough to refuse the record.
    if (prune.checkpoint && c.reason != Reason::kCheckpointMacMismatch) {
      prune.checkpoint->mac = ComputeCheckpointMac(K1(), prune.hash);
    }
    DropBefore(log, 500);
    const VerifyResult r = VerifyAll(log);
    REQUIRE_FALSE(r.ok());
    CHECK(r.failure->seq == 1001);
    CHECK(ReasonName(r.failure->reason) == ReasonName(c.reason));
    CHECK_THAT(r.failure->message, Catch::Matchers::Contains(c.message));
  }
}

TEST_CASE("reason names are stable", "[audit][verify]") {
  struct Case {
    Reason reason;
    const char* name;
  };
  for (const Case c :
       {Case{Reason::kMalformed, "malformed"}, Case{Reason::kHashMismatch, "hash_mismatch"},
        Case{Reason::kPrevHashMismatch, "prev_hash_mismatch"},
        Case{Reason::kSequenceGap, "sequence_gap"},
        Case{Reason::kDuplicateSequence, "duplicate_sequence"},
        Case{Reason::kOutOfOrder, "out_of_order"},
        Case{Reason::kMissingCheckpoint, "missing_checkpoint"},
        Case{Reason::kCheckpointMacMismatch, "checkpoint_mac_mismatch"},
        Case{Reason::kUnknownKeyId, "unknown_key_id"},
        Case{Reason::kInvalidPruneRecord, "invalid_prune_record"},
        Case{Reason::kAnchorMismatch, "anchor_mismatch"}, Case{Reason::kTruncated, "truncated"}}) {
    CHECK(ReasonName(c.reason) == c.name);
  }
}
