#include "policy/schema.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace {

using sigmad::policy::IsCidr;
using sigmad::policy::IsTimeOfDay;
using sigmad::policy::Problem;
using sigmad::policy::Schema;
using sigmad::policy::YamlType;

// A schema using every supported keyword.
constexpr char kTestSchema[] = R"({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://sigmad.io/schema/v1/Test.json",
  "title": "Test", "description": "every keyword once",
  "$defs": {
    "weekday": {"type": "string", "enum": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]}
  },
  "type": "object",
  "additionalProperties": false,
  "required": ["apiVersion", "spec"],
  "properties": {
    "apiVersion": {"const": "sigmad.io/v1"},
    "spec": {
      "type": "object",
      "additionalProperties": false,
      "required": ["minLength", "version"],
      "properties": {
        "minLength": {"type": "integer", "minimum": 8, "maximum": 128, "$comment": "x"},
        "version": {"type": "string", "enum": ["1.2", "1.3"]},
        "verify": {"type": "boolean", "examples": [true]},
        "name": {"type": "string", "minLength": 2, "maxLength": 5, "pattern": "^[a-z]+$"},
        "days": {"type": "array", "items": {"$ref": "#/$defs/weekday"}, "minItems": 1,
                 "maxItems": 3, "uniqueItems": true},
        "allow": {"type": "array", "items": {"type": "string", "format": "cidr"}},
        "at": {"type": "string", "format": "time-of-day"},
        "ratio": {"type": "number", "minimum": 0, "maximum": 1.5},
        "retention": {
          "type": "object", "additionalProperties": false, "required": [],
          "minProperties": 1, "maxProperties": 1,
          "properties": {"keepDays": {"type": "integer"}, "gfs": {"type": "integer"}}
        }
      }
    }
  }
})";

const Schema& TestSchema() {
  static const Schema schema = [] {
    auto s = Schema::Compile(kTestSchema, "Test.schema.json");
    INFO(s.status().ToString());
    REQUIRE(s.ok());
    return std::move(s).value();
  }();
  return schema;
}

std::vector<Problem> Check(const std::string& yaml) {
  std::vector<Problem> problems;
  TestSchema().Validate(YAML::Load(yaml), &problems);
  return problems;
}

std::string Shown(const std::vector<Problem>& ps) {
  std::string out;
  for (const auto& p : ps) out += std::to_string(p.line) + ":" + std::to_string(p.column) + ": " + p.message + "\n";
  return out;
}

const std::string kValid =
    "apiVersion: sigmad.io/v1\n"
    "spec:\n"
    "  minLength: 12\n"
    "  version: \"1.2\"\n";

TEST_CASE("Schema: a valid document has no problems", "[policy][schema]") {
  CHECK(Shown(Check(kValid)).empty());
  CHECK(Shown(Check(kValid + "  verify: true\n  name: abc\n  days: [mon, sun]\n"
                             "  allow: [10.0.0.0/8, 'fd00::/8', 0.0.0.0/0, 192.168.1.7/32]\n"
                             "  at: '01:00'\n  ratio: 0.5\n  retention: {keepDays: 30}\n"))
            .empty());
}

struct Case {
  const char* what;
  std::string yaml;
  std::string expected;  // LINE:COL: message
};

TEST_CASE("Schema: each kind of problem, with its position and exact message",
          "[policy][schema]") {
  const std::vector<Case> cases = {
      {"unknown field, with a suggestion", kValid + "  minLenght: 3\n",
       "5:3: unknown field 'spec.minLenght' (known fields in 'spec': allow, at, days, minLength, "
       "name, ratio, retention, verify, version); did you mean 'minLength'?\n"},
      {"unknown top-level field", "apiVersion: sigmad.io/v1\nspce: {}\n",
       "2:1: unknown field 'spce' (known fields: apiVersion, spec); did you mean 'spec'?\n"
       "1:1: the document is missing required field 'spec'\n"},
      {"missing required field", "apiVersion: sigmad.io/v1\nspec:\n  minLength: 12\n",
       "3:3: 'spec' is missing required field 'version'\n"},
      {"duplicate field", kValid + "  minLength: 13\n",
       "5:3: duplicate field 'spec.minLength' (first at line 3)\n"},
      {"wrong type: string for integer",
       "apiVersion: sigmad.io/v1\nspec:\n  minLength: twelve\n  version: '1.2'\n",
       "3:14: 'spec.minLength' must be an integer, got the string \"twelve\"\n"},
      {"wrong type: unquoted number for a string",
       "apiVersion: sigmad.io/v1\nspec:\n  minLength: 12\n  version: 1.2\n",
       "4:12: 'spec.version' must be a string, got the number 1.2 (to mean the text, quote it: "
       "\"1.2\")\n"},
      {"wrong type: yes for a boolean", kValid + "  verify: yes\n",
       "5:11: 'spec.verify' must be true or false, got the string \"yes\" (write true or false)\n"},
      {"nothing where a value is needed", "apiVersion: sigmad.io/v1\nspec:\n  minLength:\n  version: '1.2'\n",
       "3:3: 'spec.minLength' must be an integer, got nothing (null)\n"},
      {"a list where a mapping is needed", "apiVersion: sigmad.io/v1\nspec: [1]\n",
       "2:7: 'spec' must be a mapping, got a list\n"},
      {"below the minimum", "apiVersion: sigmad.io/v1\nspec:\n  minLength: 4\n  version: '1.2'\n",
       "3:14: 'spec.minLength' must be at least 8, got 4\n"},
      {"above the maximum", "apiVersion: sigmad.io/v1\nspec:\n  minLength: 99999999999999999999\n  version: '1.2'\n",
       "3:14: 'spec.minLength' must be at most 128, got 99999999999999999999\n"},
      {"number above a fractional maximum", kValid + "  ratio: 2\n",
       "5:10: 'spec.ratio' must be at most 1.5, got 2\n"},
      {"not in the enum", "apiVersion: sigmad.io/v1\nspec:\n  minLength: 12\n  version: '1.1'\n",
       "4:12: 'spec.version' must be one of \"1.2\", \"1.3\"; got the string \"1.1\"\n"},
      {"not the const", "apiVersion: v1\nspec:\n  minLength: 12\n  version: '1.2'\n",
       "1:13: 'apiVersion' must be \"sigmad.io/v1\", got the string \"v1\"\n"},
      {"too short", kValid + "  name: a\n",
       "5:9: 'spec.name' must be at least 2 characters long, got 1\n"},
      {"empty", kValid + "  name: ''\n", "5:9: 'spec.name' must not be empty\n"},
      {"too long (code points, not bytes)", kValid + "  name: ééééééé\n",
       "5:9: 'spec.name' must be at most 5 characters long, got 7\n"},
      {"pattern", kValid + "  name: ab1\n", "5:9: 'spec.name' must match ^[a-z]+$, got \"ab1\"\n"},
      {"list item through a $ref", kValid + "  days: [mon, sunday]\n",
       "5:15: 'spec.days[1]' must be one of \"mon\", \"tue\", \"wed\", \"thu\", \"fri\", \"sat\", "
       "\"sun\"; got the string \"sunday\"\n"},
      {"too few items", kValid + "  days: []\n",
       "5:9: 'spec.days' must list at least 1 entry, got 0\n"},
      {"too many items", kValid + "  days: [mon, tue, wed, thu]\n",
       "5:9: 'spec.days' must list at most 3 entries, got 4\n"},
      {"repeated item", kValid + "  days: [sun, mon, sun]\n",
       "5:20: 'spec.days[2]' repeats 'spec.days[0]'; the entries must be different\n"},
      {"CIDR with host bits", kValid + "  allow: [10.0.0.1/8]\n",
       "5:11: 'spec.allow[0]' must be a network in CIDR notation such as 10.0.0.0/8 or fd00::/8, "
       "got \"10.0.0.1/8\": host bits are set; the network is 10.0.0.0/8\n"},
      {"CIDR prefix too long", kValid + "  allow: ['::1/129']\n",
       "5:11: 'spec.allow[0]' must be a network in CIDR notation such as 10.0.0.0/8 or fd00::/8, "
       "got \"::1/129\": the prefix length must be 0 to 128\n"},
      {"time of day", kValid + "  at: '24:00'\n",
       "5:7: 'spec.at' must be a time of day HH:MM from 00:00 to 23:59, got \"24:00\"\n"},
      {"exactly one of: none", kValid + "  retention: {}\n",
       "5:14: 'spec.retention' must set exactly one of keepDays, gfs; it sets none\n"},
      {"exactly one of: both", kValid + "  retention: {keepDays: 3, gfs: 2}\n",
       "5:14: 'spec.retention' must set exactly one of keepDays, gfs; it sets keepDays and gfs\n"},
      {"not a mapping at all", "- a\n- b\n", "1:1: the document must be a mapping, got a list\n"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    CHECK(Shown(Check(c.yaml)) == c.expected);
  }
}

TEST_CASE("Schema: every problem is reported, not just the first", "[policy][schema]") {
  const auto ps = Check("apiVersion: x\nspec:\n  minLength: 1\n  version: '9'\n  bogus: 1\n");
  CHECK(ps.size() == 4);
}

TEST_CASE("Schema::Compile refuses what the validator does not support", "[policy][schema]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"type": "object", "properties": {}})",
       "at the root: every object schema must set \"additionalProperties\": false"},
      {R"({"oneOf": []})", "at /oneOf: keyword \"oneOf\" is not supported by sigmad's validator"},
      {R"({"type": ["string", "null"]})", "at /type: \"type\" must be one of object"},
      {R"({"$ref": "other.json#/x"})", "only local references"},
      {R"({"$ref": "#/$defs/missing"})", "which does not exist"},
      {R"({"format": "email"})", "format \"email\" is not supported (cidr, time-of-day)"},
      {R"({"pattern": "(["})", "pattern is not a valid regular expression"},
      {R"({"type": "object", "additionalProperties": false, "required": ["x"]})",
       "required field \"x\" has no schema"},
      {R"({"type": "object", "additionalProperties": true})",
       "only \"additionalProperties\": false is supported"},
      {"{not json", "is not valid JSON"},
  };
  for (const auto& [json, message] : cases) {
    INFO(json);
    auto s = Schema::Compile(json, "X.schema.json");
    REQUIRE_FALSE(s.ok());
    CHECK(s.status().code() == "invalid_schema");
    CHECK_THAT(s.status().message(), Catch::Contains(message));
  }
}

TEST_CASE("YamlType follows the YAML 1.2 core schema", "[policy][schema]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"12", "integer"},   {"-3", "integer"},     {"+7", "integer"},   {"1.2", "number"},
      {"1e3", "number"},   {".inf", "number"},    {"true", "boolean"}, {"False", "boolean"},
      {"yes", "string"},   {"on", "string"},      {"'12'", "string"},  {"\"true\"", "string"},
      {"~", "null"},       {"null", "null"},      {"", "null"},        {"[1]", "list"},
      {"{a: 1}", "mapping"}, {"!!str 12", "string"}, {"10.0.0.0/8", "string"},
      {"'01:00'", "string"},
      // An explicit tag types a scalar only if it reads as that type (review finding:
      // "!!int abc" was an integer and crashed the rules).
      {"!!int 12", "integer"}, {"!!int abc", "string"}, {"!!int 9e2", "string"},
      {"!!float 1.5", "number"}, {"!!float x", "string"}, {"!!bool true", "boolean"},
      {"!!bool yes", "string"},
  };
  for (const auto& [text, type] : cases) {
    INFO("'" << text << "'");
    CHECK(YamlType(YAML::Load(text)) == type);
  }
}

TEST_CASE("IsCidr and IsTimeOfDay", "[policy][schema]") {
  std::string why;
  for (const char* ok : {"10.0.0.0/8", "0.0.0.0/0", "192.168.1.7/32", "fd00::/8", "::1/128",
                         "2001:db8::/32"}) {
    INFO(ok);
    CHECK(IsCidr(ok, &why));
  }
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"10.0.0.0", "no /prefix length"},
      {"10.0.0.256/8", "\"10.0.0.256\" is not an IPv4 address"},
      {"10.0.0.0/33", "the prefix length must be 0 to 32"},
      {"10.0.0.0/-1", "the prefix length must be 0 to 32"},
      {"10.0.0.0/", "the prefix length must be 0 to 32"},
      {"fd00::1/8", "host bits are set; the network is fd00::/8"},
      {"fd00::/x", "the prefix length must be 0 to 128"},
      {"gg::/8", "\"gg::\" is not an IPv6 address"},
  };
  for (const auto& [text, reason] : bad) {
    INFO(text);
    CHECK_FALSE(IsCidr(text, &why));
    CHECK(why == reason);
  }
  for (const char* ok : {"00:00", "01:00", "23:59", "12:30"}) CHECK(IsTimeOfDay(ok));
  for (const char* bad_time : {"24:00", "1:00", "01:60", "01:00:00", "", "0100"}) {
    CHECK_FALSE(IsTimeOfDay(bad_time));
  }
}

}  // namespace
