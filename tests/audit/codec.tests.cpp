#include "audit/codec.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <string>
#include <vector>

namespace {

using namespace sigmad::audit;

TimePoint At(int64_t ms) { return TimePoint(std::chrono::milliseconds(ms)); }

std::vector<Record> Samples() {
  Record plain;
  plain.seq = 1;
  plain.fields = Fields{.time = At(1795417500123),
                        .actor = "uid=0(root)",
                        .tenant = "",
                        .action = "daemon.start",
                        .target = "",
                        .outcome = "ok",
                        .source = "",
                        .details = std::nullopt};
  plain.hash = ComputeHash(plain);

  Record full;
  full.seq = 0x0102030405060708;
  full.fields = Fields{.time = At(-86400000 - 7),  // before 1970
                       .actor = "api-key:ops-1",
                       .tenant = "acme, inc.",
                       .action = "tenant.update",
                       .target = "tenant/acme \"main\"",
                       .outcome = "error:quota_exceeded",
                       .source = "api",
                       .details = "j\xC3\xBCrgen asked"};
  for (size_t i = 0; i < full.prev_hash.size(); ++i) full.prev_hash[i] = static_cast<uint8_t>(i);
  full.checkpoint = Checkpoint{"k2026-11", {}};
  full.hash = ComputeHash(full);
  full.checkpoint->mac.fill(0xAB);

  Record altered = plain;  // decoding does not judge the hash
  altered.fields.actor = "uid=0(mallory)";
  return {plain, full, altered};
}

}  // namespace

TEST_CASE("EncodeRecord and DecodeRecord round-trip", "[audit][codec]") {
  for (const Record& r : Samples()) {
    INFO("seq " << r.seq);
    const std::string bytes = EncodeRecord(r);
    CHECK(static_cast<uint8_t>(bytes[0]) == kStorageFormatVersion);
    auto decoded = DecodeRecord(bytes);
    REQUIRE(decoded.status().ToString() == "ok");
    CHECK(decoded.value() == r);
    CHECK(EncodeRecord(decoded.value()) == bytes);
  }
}

TEST_CASE("DecodeRecord rejects every truncation", "[audit][codec]") {
  for (const Record& r : Samples()) {
    const std::string bytes = EncodeRecord(r);
    for (size_t n = 0; n < bytes.size(); ++n) {
      INFO("seq " << r.seq << ", first " << n << " of " << bytes.size() << " bytes");
      auto decoded = DecodeRecord(std::string_view(bytes).substr(0, n));
      REQUIRE_FALSE(decoded.ok());
      CHECK(decoded.status().code() == code::kCorruptRecord);
      if (n == 0) {
        CHECK(decoded.status().message() == "audit record is corrupt: it is empty");
      } else {
        CHECK_THAT(decoded.status().message(),
                   Catch::Matchers::StartsWith("audit record is corrupt: truncated: "));
      }
    }
  }
  SECTION("the message says what is missing where") {
    const std::string bytes = EncodeRecord(Samples()[0]);
    auto decoded = DecodeRecord(std::string_view(bytes).substr(0, 12));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().message() ==
          "audit record is corrupt: truncated: time needs 8 bytes at offset 9, only 3 left");
  }
}

TEST_CASE("DecodeRecord rejects garbage", "[audit][codec]") {
  const std::string good = EncodeRecord(Samples()[1]);
  struct Case {
    const char* name;
    std::string bytes;
    const char* message;
  };
  std::string flagged = EncodeRecord(Samples()[0]);
  // plain: 1+8+8 + actor(4+11) tenant(4) action(4+12) target(4) outcome(4+2) source(4) = 66
  REQUIRE(flagged[66] == '\0');  // details flag
  flagged[66] = '\x02';
  std::string seq0 = EncodeRecord(Samples()[0]);
  seq0.replace(1, 8, std::string(8, '\0'));
  std::string far_future = EncodeRecord(Samples()[0]);
  far_future.replace(9, 8, "\x7f\xff\xff\xff\xff\xff\xff\xff");
  std::string huge_length = EncodeRecord(Samples()[0]);
  huge_length.replace(17, 4, "\xff\xff\xff\xf0");  // actor length

  const std::vector<Case> cases = {
      {"one trailing byte", good + "x",
       "audit record is corrupt: trailing data: 1 byte(s) after the end of the record at offset "},
      {"trailing garbage", good + std::string(40, '\0'),
       "audit record is corrupt: trailing data: 40 byte(s) after the end of the record at offset "},
      {"unknown format version", "\x02" + good.substr(1),
       "audit record is corrupt: format version 2 is not one this sigmad reads (1)"},
      {"version 0", std::string(1, '\0') + good.substr(1),
       "audit record is corrupt: format version 0 is not one this sigmad reads (1)"},
      {"a flag that is not 0 or 1", flagged,
       "audit record is corrupt: details flag at offset 66 is 2, expected 0 or 1"},
      {"sequence 0", seq0, "audit record is corrupt: sequence number 0 (sequences start at 1)"},
      {"time out of range", far_future,
       "audit record is corrupt: time 9223372036854775807 ms is out of range"},
      {"a length past the end", huge_length,
       "audit record is corrupt: truncated: actor needs 4294967280 bytes at offset 21"},
      {"text", "hello, world", "audit record is corrupt: format version 104"},
  };
  for (const Case& c : cases) {
    INFO(c.name);
    auto decoded = DecodeRecord(c.bytes);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.status().code() == code::kCorruptRecord);
    CHECK_THAT(decoded.status().message(), Catch::Matchers::StartsWith(c.message));
  }
}
