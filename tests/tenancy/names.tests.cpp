#include "tenancy/names.h"

#include <catch2/catch.hpp>
#include <string>

using namespace sigmad::tenancy;

TEST_CASE("tenancy: valid names pass", "[tenancy][names]") {
  for (const char* name : {"a", "Z", "0", "acme", "Acme-Corp", "r_and_d", "v1.2", "x-", "9lives"}) {
    INFO(name);
    CHECK(ValidateName(Kind::kTenant, name).ok());
  }
  CHECK(ValidateName(Kind::kTask, std::string(kMaxNameBytes, 'a')).ok());
  CHECK(ValidateName(Kind::kProject, "system").ok());  // reserved for tenants only
}

TEST_CASE("tenancy: bad names are refused with the rule they break", "[tenancy][names]") {
  struct Case {
    Kind kind;
    std::string name, message;
  };
  const Case cases[] = {
      {Kind::kTenant, "", "tenant name is empty"},
      {Kind::kProject, std::string(65, 'a'), "project name is 65 bytes long; the limit is 64"},
      {Kind::kTask, "-x", "task name '-x' must start with a letter or a digit"},
      {Kind::kTenant, ".hidden", "tenant name '.hidden' must start with a letter or a digit"},
      {Kind::kTenant, "a/b", "tenant name 'a/b' contains '/'; use letters, digits, '-', '_' and '.'"},
      {Kind::kProject, "my project",
       "project name 'my project' contains a space; use letters, digits, '-', '_' and '.'"},
      {Kind::kTask, std::string("a\nb"),
       "task name 'a\\x0ab' contains byte \\x0a; use letters, digits, '-', '_' and '.'"},
      {Kind::kTenant, "System", "tenant name 'System' is reserved (it names sigmad's own keys)"},
      {Kind::kTenant, "caf\xc3\xa9",
       "tenant name 'caf\\xc3\\xa9' contains byte \\xc3; use letters, digits, '-', '_' and '.'"},
  };
  for (const auto& c : cases) {
    INFO(c.message);
    const auto s = ValidateName(c.kind, c.name);
    CHECK(s.code() == "invalid_name");
    CHECK(s.message() == c.message);
  }
}

TEST_CASE("tenancy: names compare without case", "[tenancy][names]") {
  CHECK(FoldName("Acme-Corp.R_D") == "acme-corp.r_d");
  CHECK(FoldName("acme") == FoldName("ACME"));
  CHECK(FoldName("acme") != FoldName("acme2"));
}

TEST_CASE("tenancy: paths split into the expected parts", "[tenancy][names]") {
  SECTION("good paths") {
    auto one = ParsePath("acme", 1);
    REQUIRE(one.ok());
    CHECK(one.value() == std::vector<std::string>{"acme"});
    auto three = ParsePath("acme/lab/run-1", 3);
    REQUIRE(three.ok());
    CHECK(three.value() == std::vector<std::string>{"acme", "lab", "run-1"});
  }
  SECTION("wrong number of parts") {
    auto r = ParsePath("acme", 2);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() ==
          "'acme' is not of the form TENANT/PROJECT (1 part, expected 2)");
    auto r2 = ParsePath("a/b/c/d", 3);
    CHECK(r2.status().message() ==
          "'a/b/c/d' is not of the form TENANT/PROJECT/TASK (4 parts, expected 3)");
  }
  SECTION("an empty part names its kind") {
    auto r = ParsePath("acme/", 2);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "project name is empty");
    auto r2 = ParsePath("/lab", 2);
    CHECK(r2.status().message() == "tenant name is empty");
  }
  SECTION("a bad part is reported by its kind") {
    auto r = ParsePath("acme/la b/t", 3);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() ==
          "project name 'la b' contains a space; use letters, digits, '-', '_' and '.'");
  }
}
