#include "audit/record.h"

#include <catch2/catch.hpp>
#include <cctype>
#include <chrono>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace {

using namespace sigmad::audit;
using std::chrono::milliseconds;

TimePoint At(int64_t ms) { return TimePoint(milliseconds(ms)); }

constexpr int64_t kKnownMs = 1795417500123;  // 2026-11-23T07:05:00.123Z

Record KnownRecord() {
  Record r;
  r.seq = 1;
  r.fields = Fields{.time = At(kKnownMs),
                    .actor = "uid=0(root)",
                    .tenant = "acme",
                    .action = "tenant.create",
                    .target = "tenant/acme",
                    .outcome = "ok",
                    .source = "control",
                    .details = "plan=basic"};
  r.hash = ComputeHash(r);
  return r;
}

sigmad::crypto::SecretBytes KeyOf(uint8_t fill, size_t n = 32) {
  sigmad::crypto::SecretBytes k(n);
  for (size_t i = 0; i < n; ++i) k.data()[i] = fill;
  return k;
}

Fields GoodFields() {
  return Fields{.time = At(kKnownMs),
                .actor = "uid=0(root)",
                .tenant = "acme",
                .action = "tenant.create",
                .target = "tenant/acme",
                .outcome = "ok",
                .source = "control",
                .details = std::nullopt};
}

}  // namespace

TEST_CASE("the hash follows the documented canonical encoding", "[audit][record]") {
  // Expected values computed independently (Python hashlib/hmac) from the encoding
  // documented in record.h.
  const Record first = KnownRecord();
  CHECK(CanonicalBytes(first).size() == 152u);
  CHECK(CanonicalBytes(first).substr(0, 16) == std::string("sigmad-audit-v1\0", 16));
  CHECK(DigestHex(first.hash) ==
        "4e90dc0045c97041a4c0f2ca3501f7d645d655c1742664cd1c8380af1e171e12");

  Record second;
  second.seq = 2;
  second.fields = Fields{.time = At(kKnownMs + 1000),
                         .actor = "uid=1000(ops)",
                         .tenant = "",
                         .action = "control.access",
                         .target = "",
                         .outcome = "denied",
                         .source = "control",
                         .details = std::nullopt};
  second.prev_hash = first.hash;
  second.checkpoint = Checkpoint{"k1", {}};
  second.hash = ComputeHash(second);
  CHECK(DigestHex(second.hash) ==
        "e119446d031235faf7f75fd23f3c600654838c74653d21fbf0d7c5800362770d");
  CHECK(DigestHex(ComputeCheckpointMac(KeyOf(0x01), second.hash)) ==
        "25f6e3fd66efd07ec32fc1c655121a0ad15528ffae46679546065d515c1e4232");
}

TEST_CASE("the hash is deterministic and covers every field", "[audit][record]") {
  const Record base = KnownRecord();
  REQUIRE(ComputeHash(base) == ComputeHash(KnownRecord()));

  SECTION("the stored hash and MAC are not inputs") {
    Record r = base;
    r.hash[0] ^= 1;
    r.checkpoint = Checkpoint{"k1", {}};
    Record other = r;
    other.checkpoint->mac[5] = 7;
    CHECK(ComputeHash(r) == ComputeHash(other));
  }

  SECTION("changing any single field changes the hash") {
    struct Change {
      const char* field;
      std::function<void(Record&)> apply;
    };
    const std::vector<Change> changes = {
        {"seq", [](Record& r) { r.seq = 2; }},
        {"time +1ms", [](Record& r) { r.fields.time += milliseconds(1); }},
        {"time before 1970", [](Record& r) { r.fields.time = At(-kKnownMs); }},
        {"actor", [](Record& r) { r.fields.actor = "uid=0(rooT)"; }},
        {"tenant", [](Record& r) { r.fields.tenant = "acmf"; }},
        {"tenant empty", [](Record& r) { r.fields.tenant.clear(); }},
        {"action", [](Record& r) { r.fields.action = "tenant.delete"; }},
        {"target", [](Record& r) { r.fields.target = "tenant/acme2"; }},
        {"outcome", [](Record& r) { r.fields.outcome = "denied"; }},
        {"source", [](Record& r) { r.fields.source = "api"; }},
        {"details", [](Record& r) { r.fields.details = "plan=gold"; }},
        {"details absent", [](Record& r) { r.fields.details.reset(); }},
        {"details empty", [](Record& r) { r.fields.details = ""; }},
        {"prev_hash", [](Record& r) { r.prev_hash[31] = 1; }},
        {"checkpoint added",
         [](Record& r) {
           r.checkpoint = Checkpoint{"k1", {}};
         }},
        // Field boundaries are length-prefixed: moving bytes between fields changes it.
        {"boundary actor|tenant",
         [](Record& r) {
           r.fields.actor = "uid=0(root)a";
           r.fields.tenant = "cme";
         }},
        {"boundary action|target",
         [](Record& r) {
           r.fields.action = "tenant.createtenant/acme";
           r.fields.target = "";
         }},
    };
    for (const Change& c : changes) {
      INFO("changed: " << c.field);
      Record r = base;
      c.apply(r);
      CHECK(ComputeHash(r) != base.hash);
    }
  }

  SECTION("the checkpoint key id is covered") {
    Record a = base;
    a.checkpoint = Checkpoint{"k1", {}};
    Record b = base;
    b.checkpoint = Checkpoint{"k2", {}};
    CHECK(ComputeHash(a) != ComputeHash(b));
  }

  SECTION("absent details and empty details differ") {
    Record a = base;
    a.fields.details.reset();
    Record b = base;
    b.fields.details = "";
    CHECK(ComputeHash(a) != ComputeHash(b));
  }

  SECTION("time counts in whole milliseconds") {
    Record r = base;
    r.fields.time += std::chrono::microseconds(999);
    CHECK(ComputeHash(r) == base.hash);
  }
}

TEST_CASE("checkpoint MACs depend on the key and the hash", "[audit][record]") {
  const Digest h = KnownRecord().hash;
  const Digest mac = ComputeCheckpointMac(KeyOf(0x01), h);
  CHECK(mac == ComputeCheckpointMac(KeyOf(0x01), h));
  CHECK(mac != ComputeCheckpointMac(KeyOf(0x02), h));
  Digest other = h;
  other[0] ^= 0x80;
  CHECK(mac != ComputeCheckpointMac(KeyOf(0x01), other));
  CHECK(DigestsEqual(mac, mac));
  CHECK_FALSE(DigestsEqual(mac, other));
}

TEST_CASE("Validate accepts well-formed fields", "[audit][record]") {
  Fields f = GoodFields();
  CHECK(Validate(f).ToString() == "ok");

  SECTION("optional fields may be empty or absent") {
    f.tenant.clear();
    f.target.clear();
    f.source.clear();
    CHECK(Validate(f).ok());
  }
  SECTION("outcomes") {
    for (const char* outcome : {"ok", "denied", "error:invalid_config", "error:x"}) {
      INFO(outcome);
      f.outcome = outcome;
      CHECK(Validate(f).ok());
    }
  }
  SECTION("UTF-8 text and fields at the limit") {
    f.actor = "uid=1000(j\xC3\xBCrgen)";         // ü
    f.target = "\xE2\x82\xAC \xF0\x9F\x94\x91";  // € and a 4-byte code point
    f.details = std::string(kMaxFieldBytes, 'd');
    CHECK(Validate(f).ok());
  }
}

TEST_CASE("Validate rejects bad fields with a message naming the field", "[audit][record]") {
  struct Case {
    const char* name;
    std::function<void(Fields&)> apply;
    const char* message;
  };
  const std::vector<Case> cases = {
      {"empty actor", [](Fields& f) { f.actor.clear(); },
       "audit field 'actor' is empty; it is required"},
      {"empty action", [](Fields& f) { f.action.clear(); },
       "audit field 'action' is empty; it is required"},
      {"empty outcome", [](Fields& f) { f.outcome.clear(); },
       "audit field 'outcome' is empty; it is required"},
      {"unknown outcome", [](Fields& f) { f.outcome = "success"; },
       "audit field 'outcome' must be \"ok\", \"denied\" or \"error:<code>\""},
      {"error without code", [](Fields& f) { f.outcome = "error:"; },
       "audit field 'outcome' must be \"ok\", \"denied\" or \"error:<code>\""},
      {"newline in target", [](Fields& f) { f.target = "a\nb"; },
       "audit field 'target' contains the control character U+000A at byte 1; fields are "
       "single-line text"},
      {"CR in actor", [](Fields& f) { f.actor = "root\r"; },
       "audit field 'actor' contains the control character U+000D at byte 4; fields are "
       "single-line text"},
      {"tab in details", [](Fields& f) { f.details = "a\tb"; },
       "audit field 'details' contains the control character U+0009 at byte 1; fields are "
       "single-line text"},
      {"NUL in tenant", [](Fields& f) { f.tenant = std::string("ac\0me", 5); },
       "audit field 'tenant' contains the control character U+0000 at byte 2; fields are "
       "single-line text"},
      {"ESC in source", [](Fields& f) { f.source = "\x1b[31mapi"; },
       "audit field 'source' contains the control character U+001B at byte 0; fields are "
       "single-line text"},
      {"DEL in action", [](Fields& f) { f.action = "x\x7f"; },
       "audit field 'action' contains the control character U+007F at byte 1; fields are "
       "single-line text"},
      {"C1 NEL in target", [](Fields& f) { f.target = "a\xC2\x85"; },
       "audit field 'target' contains the control character U+0085 at byte 1; fields are "
       "single-line text"},
      {"line separator", [](Fields& f) { f.target = "a\xE2\x80\xA8"; },
       "audit field 'target' contains the control character U+2028 at byte 1; fields are "
       "single-line text"},
      {"invalid UTF-8", [](Fields& f) { f.actor = "ab\xFF"; },
       "audit field 'actor' is not valid UTF-8 (byte 2)"},
      {"truncated UTF-8", [](Fields& f) { f.actor = "ab\xC3"; },
       "audit field 'actor' is not valid UTF-8 (byte 2)"},
      {"overlong UTF-8 newline", [](Fields& f) { f.actor = "\xC0\x8A"; },
       "audit field 'actor' is not valid UTF-8 (byte 0)"},
      {"UTF-8 surrogate", [](Fields& f) { f.actor = "\xED\xA0\x80"; },
       "audit field 'actor' is not valid UTF-8 (byte 0)"},
      {"overlong target", [](Fields& f) { f.target = std::string(kMaxFieldBytes + 1, 't'); },
       "audit field 'target' is 1025 bytes; the limit is 1024"},
      {"overlong details", [](Fields& f) { f.details = std::string(5000, 'd'); },
       "audit field 'details' is 5000 bytes; the limit is 1024"},
      {"empty details", [](Fields& f) { f.details = ""; },
       "audit field 'details' is present but empty; leave it unset instead"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    Fields f = GoodFields();
    c.apply(f);
    const sigmad::Status s = Validate(f);
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == code::kInvalidRecord);
    CHECK(s.message() == c.message);
  }
}

TEST_CASE("ValidateCheckpointKey", "[audit][record]") {
  CHECK(ValidateCheckpointKey("k1", KeyOf(1)).ok());
  CHECK(ValidateCheckpointKey("k1", KeyOf(1, kMinCheckpointKeyBytes)).ok());
  struct Case {
    std::string id;
    size_t key_bytes;
    const char* message;
  };
  for (const Case& c : {Case{"", 32, "checkpoint key id is empty"},
                        Case{std::string(kMaxKeyIdBytes + 1, 'k'), 32,
                             "checkpoint key id is 129 bytes; the limit is 128"},
                        Case{"k\n1", 32,
                             "checkpoint key id contains the control character U+000A at "
                             "byte 1; fields are single-line text"},
                        Case{"k1", 15, "checkpoint key 'k1' is shorter than 16 bytes"},
                        Case{"k1", 0, "checkpoint key 'k1' is shorter than 16 bytes"}}) {
    INFO(c.message);
    const sigmad::Status s = ValidateCheckpointKey(c.id, KeyOf(7, c.key_bytes));
    REQUIRE_FALSE(s.ok());
    CHECK(s.code() == code::kInvalidKey);
    CHECK(s.message() == c.message);
  }
}

TEST_CASE("digests print as lowercase hex and parse back", "[audit][record]") {
  Digest d{};
  for (size_t i = 0; i < d.size(); ++i) d[i] = static_cast<uint8_t>(i * 8 + 1);
  const std::string hex = DigestHex(d);
  CHECK(hex == "0109111921293139414951596169717981899199a1a9b1b9c1c9d1d9e1e9f1f9");
  auto parsed = ParseDigestHex(hex);
  REQUIRE(parsed.ok());
  CHECK(parsed.value() == d);

  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  REQUIRE(ParseDigestHex(upper).ok());
  CHECK(ParseDigestHex(upper).value() == d);

  for (const std::string& bad : {hex.substr(1), hex + "0", std::string(63, '0') + "g"}) {
    INFO(bad);
    auto r = ParseDigestHex(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "invalid_digest");
  }
}

TEST_CASE("time converts to and from Unix milliseconds", "[audit][record]") {
  CHECK(UnixMillis(At(kKnownMs)) == kKnownMs);
  CHECK(UnixMillis(At(kKnownMs) + std::chrono::microseconds(999)) == kKnownMs);
  CHECK(UnixMillis(At(-1) + std::chrono::microseconds(1)) == -1);  // toward the past
  REQUIRE(FromUnixMillis(kKnownMs).has_value());
  CHECK(*FromUnixMillis(kKnownMs) == At(kKnownMs));
  CHECK(*FromUnixMillis(-5) == At(-5));
  CHECK_FALSE(FromUnixMillis(std::numeric_limits<int64_t>::max()).has_value());
  CHECK_FALSE(FromUnixMillis(std::numeric_limits<int64_t>::min()).has_value());
}
