#include "audit/chain.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

namespace {

using namespace sigmad::audit;
using sigmad::crypto::SecretBytes;
using std::chrono::milliseconds;

constexpr int64_t kStartMs = 1795417500123;  // 2026-11-23T07:05:00.123Z

SecretBytes KeyOf(uint8_t fill, size_t n = 32) {
  SecretBytes k(n);
  for (size_t i = 0; i < n; ++i) k.data()[i] = fill;
  return k;
}

Fields FieldsFor(int i) {
  return Fields{.time = TimePoint(milliseconds(kStartMs + i * 1000)),
                .actor = "uid=0(root)",
                .tenant = i % 2 ? "acme" : "",
                .action = "tenant.update",
                .target = "tenant/acme",
                .outcome = "ok",
                .source = "control",
                .details = std::nullopt};
}

}  // namespace

TEST_CASE("an empty chain starts at seq 1 with a zero prev_hash", "[audit][chain]") {
  Chain chain(CheckpointPolicy{0});
  CHECK(chain.empty());
  CHECK(chain.last_seq() == 0);
  CHECK(chain.last_hash() == Digest{});

  Fields f = FieldsFor(0);
  f.time += std::chrono::microseconds(999);  // kept to the millisecond
  auto r = chain.Next(f);
  REQUIRE(r.status().ToString() == "ok");
  CHECK(r->seq == 1);
  CHECK(r->prev_hash == Digest{});
  CHECK(r->fields.time == TimePoint(milliseconds(kStartMs)));
  CHECK(r->fields.actor == f.actor);
  CHECK(r->hash == ComputeHash(r.value()));
  CHECK_FALSE(r->checkpoint.has_value());

  SECTION("Next does not advance; Commit does") {
    CHECK(chain.Next(f)->seq == 1);
    REQUIRE(chain.Commit(r.value()).ok());
    CHECK(chain.last_seq() == 1);
    CHECK(chain.last_hash() == r->hash);
    auto second = chain.Next(FieldsFor(1));
    REQUIRE(second.ok());
    CHECK(second->seq == 2);
    CHECK(second->prev_hash == r->hash);
  }
  SECTION("Commit refuses anything but the next record") {
    Record altered = r.value();
    altered.fields.actor = "uid=0(mallory)";
    Record relinked = r.value();
    relinked.prev_hash[0] = 1;
    relinked.hash = ComputeHash(relinked);
    Record skipped = r.value();
    skipped.seq = 2;
    skipped.hash = ComputeHash(skipped);
    struct Case {
      const Record* record;
      const char* message;
    };
    for (const Case& c : {Case{&altered, "audit record 1 does not match its hash"},
                          Case{&relinked, "audit record 1 does not link to the hash of record 0"},
                          Case{&skipped, "audit record 2 does not follow 0"}}) {
      INFO(c.message);
      const sigmad::Status s = chain.Commit(*c.record);
      CHECK(s.code() == code::kChain);
      CHECK(s.message() == c.message);
      CHECK(chain.last_seq() == 0);
    }
    REQUIRE(chain.Commit(r.value()).ok());
    CHECK(chain.Commit(r.value()).message() == "audit record 1 does not follow 1");
  }
}

TEST_CASE("Next refuses bad fields and bad keys without changing the chain", "[audit][chain]") {
  Chain chain(CheckpointPolicy{2});
  const SecretBytes key = KeyOf(1);
  REQUIRE(chain.Commit(chain.Next(FieldsFor(0), {"k1", key}).value()).ok());

  SECTION("fields Validate rejects") {
    Fields f = FieldsFor(1);
    f.target = "line\nbreak";
    auto r = chain.Next(f, {"k1", key});
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == code::kInvalidRecord);
    CHECK(chain.last_seq() == 1);
  }
  SECTION("a checkpoint is due and no key was given") {
    auto r = chain.Next(FieldsFor(1));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == code::kInvalidKey);
    CHECK(r.status().message() ==
          "audit record 2 is due a checkpoint but no checkpoint key was supplied");
    CHECK(chain.last_seq() == 1);
  }
  SECTION("a bad key is refused even when no checkpoint is due") {
    const SecretBytes short_key = KeyOf(1, 8);
    REQUIRE(chain.Commit(chain.Next(FieldsFor(1), {"k1", key}).value()).ok());  // seq 2
    auto r = chain.Next(FieldsFor(2), {"k1", short_key});                       // seq 3
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == code::kInvalidKey);
    auto empty_id = chain.Next(FieldsFor(2), {"", key});
    CHECK(empty_id.status().code() == code::kInvalidKey);
    CHECK(chain.last_seq() == 2);
  }
}

TEST_CASE("checkpoints are filled every N records under the current key", "[audit][chain]") {
  const SecretBytes k1 = KeyOf(1);
  const SecretBytes k2 = KeyOf(2);
  Chain chain(CheckpointPolicy{3});
  std::vector<Record> log;
  for (int i = 0; i < 12; ++i) {
    const bool rotated = i >= 6;  // seq 7 on: k2
    auto r = rotated ? chain.Next(FieldsFor(i), {"k2", k2}) : chain.Next(FieldsFor(i), {"k1", k1});
    REQUIRE(r.ok());
    REQUIRE(chain.Commit(r.value()).ok());
    log.push_back(std::move(r).value());
  }
  for (const Record& r : log) {
    INFO("seq " << r.seq);
    CHECK(r.hash == ComputeHash(r));
    if (r.seq % 3 != 0) {
      CHECK_FALSE(r.checkpoint.has_value());
      continue;
    }
    REQUIRE(r.checkpoint.has_value());
    const bool rotated = r.seq >= 7;
    CHECK(r.checkpoint->key_id == (rotated ? "k2" : "k1"));
    CHECK(r.checkpoint->mac == ComputeCheckpointMac(rotated ? k2 : k1, r.hash));
  }

  SECTION("a policy of 0 never checkpoints") {
    Chain none(CheckpointPolicy{0});
    for (int i = 0; i < 5; ++i) {
      auto r = none.Next(FieldsFor(i), {"k1", k1});
      REQUIRE(r.ok());
      CHECK_FALSE(r->checkpoint.has_value());
      REQUIRE(none.Commit(r.value()).ok());
    }
  }
  SECTION("the default policy is every 100") {
    CHECK(Chain().policy().every == 100);
    CHECK(CheckpointPolicy{}.Due(100));
    CHECK_FALSE(CheckpointPolicy{}.Due(99));
  }
}

TEST_CASE("NextCheckpoint checkpoints a record that is not due one", "[audit][chain]") {
  const SecretBytes k1 = KeyOf(1);
  Chain chain(CheckpointPolicy{100});
  REQUIRE(chain.Commit(chain.Next(FieldsFor(0), {"k1", k1}).value()).ok());
  auto r = chain.NextCheckpoint(FieldsFor(1), {"k1", k1});
  REQUIRE(r.ok());
  CHECK(r->seq == 2);
  REQUIRE(r->checkpoint.has_value());
  CHECK(r->checkpoint->key_id == "k1");
  CHECK(r->hash == ComputeHash(r.value()));
  CHECK(r->checkpoint->mac == ComputeCheckpointMac(k1, r->hash));
  CHECK(chain.last_seq() == 1);  // like Next, it does not advance
  REQUIRE(chain.Commit(r.value()).ok());
  // The regular schedule is unchanged: seq 3 has none.
  CHECK_FALSE(chain.Next(FieldsFor(2), {"k1", k1})->checkpoint.has_value());
  // A bad key is refused as by Next.
  const SecretBytes short_key = KeyOf(3, 8);
  CHECK(chain.NextCheckpoint(FieldsFor(2), {"k1", short_key}).status().code() ==
        std::string(code::kInvalidKey));
}

TEST_CASE("Resume continues after the newest stored record", "[audit][chain]") {
  const SecretBytes key = KeyOf(1);
  Chain chain(CheckpointPolicy{5});
  Record last;
  for (int i = 0; i < 7; ++i) {
    last = chain.Next(FieldsFor(i), {"k1", key}).value();
    REQUIRE(chain.Commit(last).ok());
  }
  auto resumed = Chain::Resume(last, CheckpointPolicy{5});
  REQUIRE(resumed.ok());
  CHECK(resumed->last_seq() == 7);
  CHECK(resumed->last_hash() == last.hash);
  CHECK(resumed->Next(FieldsFor(7), {"k1", key}).value() ==
        chain.Next(FieldsFor(7), {"k1", key}).value());

  SECTION("a damaged newest record is refused") {
    Record damaged = last;
    damaged.fields.outcome = "denied";
    auto r = Chain::Resume(damaged);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == code::kChain);
    CHECK_THAT(r.status().message(), Catch::Matchers::Contains("seq 7"));
  }
}
