#include "audit/export.h"

#include <Poco/JSON/Parser.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <string>

namespace {

using namespace sigmad::audit;

const std::string kPrevHex = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
const std::string kHashHex(64, 'c');  // 0xcc bytes
const std::string kMacHex = "abababababababababababababababababababababababababababababababab";

Record Known() {
  Record r;
  r.seq = 42;
  r.fields = Fields{.time = TimePoint(std::chrono::milliseconds(1795417500123)),
                    .actor = "uid=0(root)",
                    .tenant = "acme, inc.",
                    .action = "tenant.update",
                    .target = "say \"hi\"",
                    .outcome = "error:quota_exceeded",
                    .source = "control",
                    .details = "a,b"};
  for (size_t i = 0; i < r.prev_hash.size(); ++i) r.prev_hash[i] = static_cast<uint8_t>(i);
  r.hash.fill(0xcc);
  r.checkpoint = Checkpoint{"k1", {}};
  r.checkpoint->mac.fill(0xab);
  return r;
}

Record Plain() {
  Record r = Known();
  r.seq = 43;
  r.fields.tenant = "";
  r.fields.target = "tenant/acme";
  r.fields.outcome = "ok";
  r.fields.details.reset();
  r.checkpoint.reset();
  return r;
}

}  // namespace

TEST_CASE("ToJson renders every field exactly", "[audit][export]") {
  CHECK(ToJson(Known()) ==
        "{\"seq\":42,\"time\":\"2026-11-23T07:05:00.123Z\",\"actor\":\"uid=0(root)\","
        "\"tenant\":\"acme, inc.\",\"action\":\"tenant.update\",\"target\":\"say \\\"hi\\\"\","
        "\"outcome\":\"error:quota_exceeded\",\"source\":\"control\",\"details\":\"a,b\","
        "\"prev_hash\":\"" +
            kPrevHex + "\",\"hash\":\"" + kHashHex +
            "\",\"checkpoint\":{\"key_id\":\"k1\",\"mac\":\"" + kMacHex + "\"}}");
  CHECK(ToJson(Plain()) ==
        "{\"seq\":43,\"time\":\"2026-11-23T07:05:00.123Z\",\"actor\":\"uid=0(root)\","
        "\"tenant\":\"\",\"action\":\"tenant.update\",\"target\":\"tenant/acme\","
        "\"outcome\":\"ok\",\"source\":\"control\",\"details\":null,"
        "\"prev_hash\":\"" +
            kPrevHex + "\",\"hash\":\"" + kHashHex + "\",\"checkpoint\":null}");

  SECTION("a tampered record with a newline still makes one line") {
    Record r = Plain();
    r.fields.target = "a\nb\x01";
    const std::string line = ToJson(r);
    CHECK(line.find('\n') == std::string::npos);
    CHECK_THAT(line, Catch::Matchers::Contains("\"target\":\"a\\nb\\u0001\""));
  }
  SECTION("it parses back to the same values") {
    Poco::JSON::Parser parser;
    auto obj = parser.parse(ToJson(Known())).extract<Poco::JSON::Object::Ptr>();
    CHECK(obj->getValue<uint64_t>("seq") == 42);
    CHECK(obj->getValue<std::string>("target") == "say \"hi\"");
    CHECK(obj->getObject("checkpoint")->getValue<std::string>("mac") == kMacHex);
  }
}

TEST_CASE("CSV has a header and RFC 4180 rows", "[audit][export]") {
  CHECK(CsvHeader() ==
        "seq,time,actor,tenant,action,target,outcome,source,details,prev_hash,hash,"
        "checkpoint_key_id,checkpoint_mac\r\n");
  CHECK(ToCsvRow(Known()) ==
        "42,2026-11-23T07:05:00.123Z,uid=0(root),\"acme, inc.\",tenant.update,"
        "\"say \"\"hi\"\"\",error:quota_exceeded,control,\"a,b\"," +
            kPrevHex + "," + kHashHex + ",k1," + kMacHex + "\r\n");
  CHECK(ToCsvRow(Plain()) ==
        "43,2026-11-23T07:05:00.123Z,uid=0(root),,tenant.update,tenant/acme,ok,control,," +
            kPrevHex + "," + kHashHex + ",,\r\n");

  SECTION("line breaks inside a field are quoted") {
    Record r = Plain();
    r.fields.target = "a\r\nb";
    r.fields.actor = "\"";
    CHECK_THAT(ToCsvRow(r),
               Catch::Matchers::StartsWith("43,2026-11-23T07:05:00.123Z,\"\"\"\",,tenant.update,"
                                           "\"a\r\nb\",ok,"));
  }
}
