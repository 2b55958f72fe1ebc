// Integration tests: sigmactl policy validate, run as the real binary without a daemon.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <signal.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "integration/harness.h"

using namespace sigmad::it;
using Poco::JSON::Object;

namespace {

const fs::path kPolicies = fs::path(SIGMAD_SOURCE_DIR) / "policies";

RunResult Validate(std::vector<std::string> args) {
  args.insert(args.begin(), {SIGMACTL_BIN, "--socket", "/nonexistent/control.sock", "policy",
                             "validate"});
  return Run(args);
}

}  // namespace

TEST_CASE("policy validate: the shipped sets are valid, without any daemon",
          "[integration][policy]") {
  const RunResult r = Validate({(kPolicies / "baseline").string(), (kPolicies / "meti").string(),
                                (kPolicies / "strict").string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK(r.err.empty());
  for (const char* set : {"baseline", "meti", "strict"}) {
    CHECK_THAT(r.out, Catch::Contains((kPolicies / set).string() +
                                      ": valid (8 documents: SecurityPolicy EncryptionPolicy "
                                      "BackupPolicy RetentionPolicy AccessPolicy "
                                      "NotificationPolicy MaintenancePolicy StatusPagePolicy)"));
  }
}

TEST_CASE("policy validate: every problem as FILE:LINE:COL, exit 1, files unchanged",
          "[integration][policy]") {
  TempDir tmp;
  const fs::path set = tmp.path() / "set";
  fs::create_directories(set);
  fs::copy(kPolicies / "baseline", set);
  const std::string backup = ReadFile(set / "30-backup.yaml");
  std::string broken = backup;
  broken.replace(broken.find("\n    keepDays: 30\n"), 18, "\n    keepDays: 60\n");
  broken.replace(broken.find("\n  verifyAfterBackup: true\n"), 27, "\n  verifyAfterBackup: yes\n");
  WriteFile(set / "30-backup.yaml", broken);
  WriteFile(set / "90-extra.yaml", "apiVersion: sigmad.io/v1\nkind: Firewall\n");

  const RunResult r = Validate({set.string(), (kPolicies / "meti").string()});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 1);
  const std::string b = (set / "30-backup.yaml").string();
  CHECK_THAT(r.out, Catch::Contains(b + ":") &&
                        Catch::Contains(": 'spec.verifyAfterBackup' must be true or false, got the "
                                        "string \"yes\" (write true or false)\n"));
  CHECK_THAT(r.out, Catch::Contains((set / "90-extra.yaml").string() + ":2:7: 'kind' must be one of "));
  CHECK_THAT(r.out, Catch::Contains(set.string() + ": invalid, 2 problems\n"));
  CHECK_THAT(r.out, Catch::Contains((kPolicies / "meti").string() + ": valid"));
  CHECK(ReadFile(set / "30-backup.yaml") == broken);  // validate never writes

  SECTION("--json gives the same verdict for scripts") {
    std::vector<std::string> args = {SIGMACTL_BIN, "--json", "policy", "validate", set.string()};
    const RunResult j = Run(args);
    CHECK(j.exit_code == 1);
    Poco::JSON::Parser parser;
    auto o = parser.parse(j.out).extract<Object::Ptr>();
    CHECK_FALSE(o->getValue<bool>("valid"));
    auto s = o->getArray("sets")->getObject(0);
    CHECK(s->getValue<std::string>("path") == set.string());
    CHECK(s->getArray("errors")->size() == 2);
    CHECK(s->getArray("errors")->getObject(1)->getValue<int>("line") == 2);
  }
  SECTION("once fixed, the rule between documents shows") {
    broken.replace(broken.find("\n  verifyAfterBackup: yes\n"), 26, "\n  verifyAfterBackup: true\n");
    WriteFile(set / "30-backup.yaml", broken);
    fs::remove(set / "90-extra.yaml");
    const RunResult again = Validate({set.string()});
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.out,
               Catch::Contains("'spec.maxBackupAgeForDeletedDataDays' is 120 days, but a terminated "
                               "tenant's data is deleted after 90 days") &&
                   Catch::Contains("keeps backups up to 60 days: the data can stay in backups "
                                   "for 150 days\n"));
  }
}

TEST_CASE("policy validate: unreadable paths and usage", "[integration][policy]") {
  TempDir tmp;
  const RunResult missing = Validate({(tmp.path() / "nope").string()});
  CHECK(missing.exit_code == 1);
  CHECK(missing.out == (tmp.path() / "nope").string() +
                           ": cannot read: no such file or directory\n" +
                           (tmp.path() / "nope").string() + ": invalid, 1 problem\n");
  const RunResult none = Run({SIGMACTL_BIN, "policy", "validate"});
  CHECK(none.exit_code == 2);
  CHECK_THAT(none.err, Catch::Contains("PATH is required"));
}

namespace {

// (version, actor, source) rows of `policy history --json`.
std::vector<std::string> History(const Daemon& d) {
  const RunResult r = Ctl(d.socket(), {"--json", "policy", "history"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  Poco::JSON::Parser parser;
  std::vector<std::string> rows;
  for (const auto& v : *parser.parse(r.out).extract<Object::Ptr>()->getArray("versions")) {
    auto o = v.extract<Object::Ptr>();
    rows.push_back(o->getValue<std::string>("version") + " " + o->getValue<std::string>("actor") +
                   " " + o->getValue<std::string>("source"));
  }
  return rows;
}

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

}  // namespace

TEST_CASE("policies.d: a fresh dev dir runs the baseline as version 1; SIGHUP loads changes",
          "[integration][policy]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  const fs::path dir = d.dir() / "policies.d";
  const std::string source = "policies.d " + dir.string();
  CHECK(History(d) == std::vector<std::string>{"1 sigmad " + source});
  // The seeded files are the shipped baseline, byte for byte.
  for (const auto& f : fs::directory_iterator(kPolicies / "baseline")) {
    CHECK(ReadFile(dir / f.path().filename()) == ReadFile(f.path()));
  }
  RunResult show = Ctl(d.socket(), {"policy", "show"});
  CHECK(show.exit_code == 0);
  CHECK_THAT(show.out, Catch::StartsWith("# policy version 1, applied ") &&
                           Catch::Contains("# ---- 30-backup.yaml ----\n" +
                                           ReadFile(dir / "30-backup.yaml")));

  const std::string backup = ReadFile(dir / "30-backup.yaml");
  SECTION("an invalid set is refused, logged, and the active version stays") {
    WriteFile(dir / "30-backup.yaml", Replaced(backup, "\n  rpoHours: 24", "\n  rpoHours: 0"));
    d.Signal(SIGHUP);
    REQUIRE(d.WaitForLog(dir.string() + " is invalid (1 problem(s)); policy version 1 stays "
                                        "active"));
    CHECK_THAT(d.Log(), Catch::Contains((dir / "30-backup.yaml").string() + ":") &&
                            Catch::Contains(": 'spec.rpoHours' must be at least 1, got 0"));
    CHECK(History(d).size() == 1);
    CHECK(Ctl(d.socket(), {"policy", "show"}).out == show.out);
  }
  SECTION("a comment-only edit makes no version; a real change makes version 2") {
    WriteFile(dir / "30-backup.yaml", "# reviewed\n" + backup);
    d.Signal(SIGHUP);
    REQUIRE(d.WaitForLog(dir.string() + " equals the active policy version 1; nothing to apply"));
    CHECK(History(d).size() == 1);

    WriteFile(dir / "30-backup.yaml", Replaced(backup, "\n  rpoHours: 24", "\n  rpoHours: 25"));
    d.Signal(SIGHUP);
    REQUIRE(d.WaitForLog("policy version 2 active"));
    CHECK(History(d) == std::vector<std::string>{"1 sigmad " + source, "2 sigmad " + source});
    CHECK_THAT(Ctl(d.socket(), {"policy", "show", "--version", "1"}).out,
               Catch::Contains("\n  rpoHours: 24\n"));
    CHECK_THAT(Ctl(d.socket(), {"policy", "show"}).out, Catch::Contains("\n  rpoHours: 25\n"));
    // Audited, and a restart with the same directory makes no new version.
    CHECK_THAT(Ctl(d.socket(), {"audit", "export"}).out,
               Catch::Contains("\"action\":\"policy.apply\",\"target\":\"policy version 2\""));
    REQUIRE(d.Stop() == 0);
    REQUIRE(d.Start());
    REQUIRE(d.WaitForLog("unchanged since it was last loaded"));
    CHECK(History(d).size() == 2);
  }
  SECTION("an unknown version is an error") {
    const RunResult r = Ctl(d.socket(), {"policy", "show", "--version", "7"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "sigmactl: there is no policy version 7\n");
  }
  CHECK(d.Stop() == 0);
}
