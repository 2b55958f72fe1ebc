// Integration tests: sigmactl policy validate, run as the real binary without a daemon.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <thread>
#include <string>
#include <vector>

#include "integration/harness.h"

using namespace sigmad::it;
using Poco::JSON::Object;

namespace {

const fs::path kPolicies = fs::path(SIGMAD_SOURCE_DIR) / "policies";

std::string Replaced(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

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

TEST_CASE("policy warnings: shown by validate, plan and sigmad's log, the set stays valid",
          "[integration][policy]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  const fs::path dir = d.dir() / "policies.d";
  // The baseline's backup at 05:00 falls in its Sunday 04:00-07:00 maintenance window.
  WriteFile(dir / "30-backup.yaml", Replaced(ReadFile(dir / "30-backup.yaml"),
                                             "\n    time: '01:00'\n", "\n    time: '05:00'\n"));
  const std::string warning =
      (dir / "70-maintenance.yaml").string() +
      ":31:7: warning: 'spec.windows[0]' (from 04:00 for 180 minutes) covers the start of "
      "backups at 05:00 on sun ('spec.schedule' of BackupPolicy 'baseline-backup', " +
      (dir / "30-backup.yaml").string() + ":";

  const RunResult v = Validate({dir.string()});
  INFO(v.out << v.err);
  CHECK(v.exit_code == 0);
  CHECK_THAT(v.out, Catch::StartsWith(warning) &&
                        Catch::EndsWith(dir.string() + ": valid (8 documents: SecurityPolicy "
                                        "EncryptionPolicy BackupPolicy RetentionPolicy "
                                        "AccessPolicy NotificationPolicy MaintenancePolicy "
                                        "StatusPagePolicy), 1 warning\n"));
  const RunResult j = Run({SIGMACTL_BIN, "--json", "policy", "validate", dir.string()});
  Poco::JSON::Parser parser;
  auto set = parser.parse(j.out).extract<Object::Ptr>()->getArray("sets")->getObject(0);
  CHECK(set->getValue<bool>("valid"));
  CHECK(set->getArray("errors")->size() == 0);
  REQUIRE(set->getArray("warnings")->size() == 1);
  CHECK(set->getArray("warnings")->getObject(0)->getValue<int>("line") == 31);

  const RunResult plan = Ctl(d.socket(), {"policy", "plan", dir.string()});
  CHECK(plan.exit_code == 0);
  CHECK_THAT(plan.err, Catch::StartsWith(warning));
  CHECK_THAT(plan.out, Catch::Contains("~ spec.schedule.time: \"01:00\" -> \"05:00\""));

  d.Signal(SIGHUP);
  REQUIRE(d.WaitForLog("policy version 2 active"));
  // The warnings are logged after the activation (and its enforcement) is: wait for them.
  CHECK(d.WaitForLog("WARN   policy: " + warning));
  CHECK(d.Stop() == 0);
}

TEST_CASE("policy plan --detailed-exitcode: every error is 1, never 2", "[integration][policy]") {
  // No daemon at the socket: 3 without the flag, 1 with it.
  const std::string set = (kPolicies / "baseline").string();
  RunResult plain = Run({SIGMACTL_BIN, "--socket", "/nonexistent/sock", "policy", "plan", set});
  CHECK(plain.exit_code == 3);
  RunResult detailed = Run({SIGMACTL_BIN, "--socket", "/nonexistent/sock", "policy", "plan", set,
                            "--detailed-exitcode"});
  CHECK(detailed.exit_code == 1);
  RunResult usage = Run({SIGMACTL_BIN, "policy", "plan", "--detailed-exitcode"});
  CHECK(usage.exit_code == 1);
  CHECK_THAT(usage.err, Catch::Contains("DIR is required"));
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

}  // namespace

TEST_CASE("policies.d: a fresh dev dir runs the baseline as version 1, SIGHUP loads changes",
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

TEST_CASE("policy plan, apply --plan-hash, rollback: end to end through sigmactl",
          "[integration][policy]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  const fs::path set = tmp.path() / "set";
  fs::create_directories(set);
  fs::copy(kPolicies / "baseline", set);
  const std::string backup = ReadFile(set / "30-backup.yaml");

  // Same as the active set: no changes, exit 0 with --detailed-exitcode.
  RunResult same = Ctl(d.socket(), {"policy", "plan", set.string(), "--detailed-exitcode"});
  INFO(same.out << same.err);
  CHECK(same.exit_code == 0);
  CHECK_THAT(same.out, Catch::Contains("  No changes: the set equals the active one.\n"));

  WriteFile(set / "30-backup.yaml",
            Replaced(Replaced(backup, "\n  rpoHours: 24", "\n  rpoHours: 25"),
                     "\n    keepDays: 30\n", "\n    gfs: {daily: 30, weekly: 0, monthly: 0}\n"));
  RunResult plan = Ctl(d.socket(), {"policy", "plan", set.string(), "--detailed-exitcode"});
  INFO(plan.out << plan.err);
  CHECK(plan.exit_code == 2);
  CHECK_THAT(plan.out,
             Catch::StartsWith("Plan for " + set.string() + " against policy version 1 (set hash ") &&
                 Catch::Contains("  ~ BackupPolicy baseline-backup\n"
                                 "      + spec.retention.gfs: {\"daily\":30,\"monthly\":0,\"weekly\":0}\n"
                                 "      - spec.retention.keepDays: 30\n"
                                 "      ~ spec.rpoHours: 24 -> 25\n") &&
                 Catch::Contains("Plan: 0 to add, 1 to change, 0 to remove.\n"));
  const std::string hash = plan.out.substr(plan.out.find("Plan hash: ") + 11, 64);

  SECTION("--json plan for scripts") {
    RunResult j = Ctl(d.socket(), {"--json", "policy", "plan", set.string()});
    CHECK(j.exit_code == 0);
    Poco::JSON::Parser parser;
    auto o = parser.parse(j.out).extract<Object::Ptr>();
    CHECK(o->getValue<std::string>("plan_hash") == hash);
    CHECK(o->getArray("changes")->size() == 3);
    CHECK(o->getArray("changes")->getObject(2)->getValue<std::string>("path") == "spec.rpoHours");
  }
  SECTION("apply with a stale plan hash is refused; with the right one it applies") {
    fs::path other = tmp.path() / "other";
    fs::create_directories(other);
    fs::copy(kPolicies / "strict", other);
    RunResult first = Ctl(d.socket(), {"policy", "apply", other.string()});
    CHECK(first.exit_code == 0);
    CHECK(first.out == "applied " + other.string() + " as policy version 2 (set hash " +
                           first.out.substr(first.out.find("(set hash ") + 10, 12) + ")\n");
    RunResult stale = Ctl(d.socket(), {"policy", "apply", set.string(), "--plan-hash", hash});
    CHECK(stale.exit_code == 1);
    CHECK_THAT(stale.err, Catch::StartsWith("sigmactl: the plan " + hash.substr(0, 16) +
                                            " no longer holds: the active set is version 2"));
    CHECK(History(d).size() == 2);

    RunResult replan = Ctl(d.socket(), {"policy", "plan", set.string()});
    const std::string hash2 = replan.out.substr(replan.out.find("Plan hash: ") + 11, 64);
    RunResult ok = Ctl(d.socket(), {"policy", "apply", set.string(), "--plan-hash", hash2});
    CHECK(ok.exit_code == 0);
    CHECK_THAT(ok.out, Catch::StartsWith("applied " + set.string() + " as policy version 3"));

    RunResult back = Ctl(d.socket(), {"policy", "rollback", "1"});
    CHECK(back.out == "rolled back to version 1: policy version 4 is now active, equal to version 1\n");
    CHECK(History(d).back() == "4 uid=0(root) rollback to version 1");
    CHECK(Ctl(d.socket(), {"policy", "show", "--version", "4"}).out.find(backup) != std::string::npos);
    RunResult again = Ctl(d.socket(), {"policy", "rollback", "1"});
    CHECK(again.out == "version 1 equals the active policy version 4; nothing changed\n");
    RunResult missing = Ctl(d.socket(), {"policy", "rollback", "9"});
    CHECK(missing.exit_code == 1);
    CHECK(missing.err == "sigmactl: there is no policy version 9\n");
    CHECK(Ctl(d.socket(), {"audit", "verify"}).exit_code == 0);
  }
  SECTION("a set with one bad document changes nothing") {
    WriteFile(set / "60-notification.yaml",
              Replaced(ReadFile(set / "60-notification.yaml"), "incidentNotifyWithinHours: 72",
                       "incidentNotifyWithinHours: 0"));
    RunResult bad = Ctl(d.socket(), {"policy", "apply", set.string()});
    CHECK(bad.exit_code == 1);
    CHECK_THAT(bad.err, Catch::Contains((set / "60-notification.yaml").string() + ":") &&
                            Catch::Contains("'spec.incidentNotifyWithinHours' must be at least 1, got 0") &&
                            Catch::Contains("is invalid (1 problem(s)); nothing was sent to sigmad"));
    CHECK(History(d).size() == 1);
  }
  SECTION("concurrent applies serialize: each is one whole version") {
    fs::path other = tmp.path() / "other";
    fs::create_directories(other);
    fs::copy(kPolicies / "meti", other);
    std::vector<std::thread> threads;
    std::vector<RunResult> results(4);
    for (int i = 0; i < 4; ++i) {
      threads.emplace_back([&, i] {
        results[i] = Ctl(d.socket(), {"policy", "apply", (i % 2 ? other : set).string()});
      });
    }
    for (auto& t : threads) t.join();
    for (const auto& r : results) CHECK(r.exit_code == 0);
    const auto history = History(d);
    CHECK(history.size() >= 3);
    CHECK(history.size() <= 5);
    // The active version is exactly one of the two sets.
    const std::string active = Ctl(d.socket(), {"policy", "show"}).out;
    CHECK((active.find("meti-backup") != std::string::npos) !=
          (active.find("\n  rpoHours: 25\n") != std::string::npos));
    CHECK(Ctl(d.socket(), {"audit", "verify"}).exit_code == 0);
  }
  CHECK(d.Stop() == 0);
}

TEST_CASE("policy enforcement lists every rule honestly, adminGroup is enforced",
          "[integration][policy]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  RunResult r = Ctl(d.socket(), {"policy", "enforcement"});
  INFO(r.out << r.err);
  CHECK(r.exit_code == 0);
  CHECK_THAT(r.out, Catch::StartsWith("KIND ") &&
                        Catch::EndsWith("\n13 of 34 rules enforced; the rest wait for their "
                                        "modules (--json has a note on each)\n"));
  RunResult j = Ctl(d.socket(), {"--json", "policy", "enforcement"});
  Poco::JSON::Parser parser;
  std::vector<std::string> enforced;
  for (const auto& v : *parser.parse(j.out).extract<Object::Ptr>()->getArray("rules")) {
    auto o = v.extract<Object::Ptr>();
    if (o->getValue<std::string>("state") == "enforced") {
      enforced.push_back(o->getValue<std::string>("kind") + " " + o->getValue<std::string>("field"));
    }
  }
  CHECK(enforced == std::vector<std::string>{
                        "SecurityPolicy spec.adminGroup", "SecurityPolicy spec.logTimezone",
                        "EncryptionPolicy spec.algorithm",
                        "EncryptionPolicy spec.dataKeyRotationDays",
                        "EncryptionPolicy spec.masterKeyRotationDays", "BackupPolicy spec.schedule",
                        "BackupPolicy spec.target", "BackupPolicy spec.retention",
                        "BackupPolicy spec.verifyAfterBackup", "BackupPolicy spec.restoreDrill",
                        "BackupPolicy spec.rpoHours", "BackupPolicy spec.separateSite",
                        "RetentionPolicy spec.auditLogRetentionDays"});
  RunResult keys = Ctl(d.socket(), {"key", "status"});
  CHECK_THAT(keys.out, Catch::Contains("\nmaster key: set ") && Catch::EndsWith("d old\n"));
  REQUIRE(d.WaitForLog("policy version 1: data keys rotate after 90 days"));

  // A set naming another admin group: the control socket follows it at once.
  const fs::path set = tmp.path() / "set";
  fs::create_directories(set);
  fs::copy(kPolicies / "baseline", set);
  WriteFile(set / "10-security.yaml", Replaced(ReadFile(set / "10-security.yaml"),
                                               "\n  adminGroup: sigmad-admin\n",
                                               "\n  adminGroup: daemon\n"));
  REQUIRE(Ctl(d.socket(), {"policy", "apply", set.string()}).exit_code == 0);
  CHECK(d.WaitForLog("policy version 2: control-socket admins are now root, uid " +
                     std::to_string(geteuid()) + " and members of group daemon (was sigmad-admin)"));
  CHECK(d.Stop() == 0);
}

TEST_CASE("RetentionPolicy auditLogRetentionDays prunes old audit records behind a checkpoint",
          "[integration][policy][audit]") {
  // The old records are made by a real sigmad whose clock libfaketime sets 500 days back.
  fs::path faketime;  // /usr/lib/<multiarch>/faketime/; scripts/install-deps installs it
  for (const auto& arch : fs::directory_iterator("/usr/lib")) {
    if (fs::exists(arch.path() / "faketime/libfaketimeMT.so.1")) {
      faketime = arch.path() / "faketime/libfaketimeMT.so.1";
    }
  }
  REQUIRE(!faketime.empty());
  TempDir tmp;
  const fs::path state = tmp.path() / "state";
  {
    Daemon past(state, {"LD_PRELOAD=" + faketime.string(), "FAKETIME=-500d",
                        "FAKETIME_DONT_FAKE_MONOTONIC=1", "ASAN_OPTIONS=verify_asan_link_order=0"});
    REQUIRE(past.Start());
    // Each connection is an audited access decision: 110 records, without 110 processes.
    for (int i = 0; i < 110; ++i) {
      RawClient c(past.socket());
      REQUIRE(c.Send("{\"v\":1,\"id\":1,\"method\":\"version\"}\n"));
      REQUIRE(c.ReadLine().has_value());
    }
    REQUIRE(past.Stop() == 0);
  }
  // Back in the present, first with a retention longer than that: nothing goes.
  const fs::path retention = state / "policies.d" / "40-retention.yaml";
  const std::string baseline = ReadFile(retention);
  WriteFile(retention, Replaced(baseline, "\n  auditLogRetentionDays: 400\n",
                                "\n  auditLogRetentionDays: 36500\n"));
  Daemon d(state);
  REQUIRE(d.Start());
  REQUIRE(d.WaitForLog("policy version 2: audit records are kept 36500 days"));
  RunResult verify = Ctl(d.socket(), {"audit", "verify"});
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::Contains(" records (seq 1..") && !Catch::Contains("pruned"));

  // Applying the baseline's 400 days prunes at once: records 1..99 are 500 days old, and
  // record 100 is the first checkpoint (one every 100 records).
  REQUIRE(Ctl(d.socket(), {"policy", "apply", (kPolicies / "baseline").string()}).exit_code == 0);
  REQUIRE(d.WaitForLog("audit-log retention: removed 99 record(s) older than 400 days; the log "
                       "now starts at record 100 (RetentionPolicy auditLogRetentionDays 400, "
                       "audit record "));
  verify = Ctl(d.socket(), {"audit", "verify"});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
  CHECK_THAT(verify.out, Catch::StartsWith("audit log intact: ") &&
                             Catch::Contains(" records (seq 100..") &&
                             Catch::Contains("\nrecords before 100 were pruned by the audit-log "
                                             "retention\n"));
  const RunResult tail = Ctl(d.socket(), {"audit", "tail", "-n", "1000"});
  CHECK_THAT(tail.out, Catch::Contains("\n100  ") && !Catch::Contains("\n99  "));
  CHECK_THAT(tail.out, Catch::Contains("sigmad               audit.prune     before seq 100"));
  // --json says the same for scripts.
  const RunResult json = Ctl(d.socket(), {"--json", "audit", "verify"});
  CHECK_THAT(json.out, Catch::Contains("\"first_seq\": 100,") &&
                           Catch::Contains("\"pruned_before\": 100,"));

  // After a restart the pruned log still verifies, and nothing more is due.
  REQUIRE(d.Stop() == 0);
  REQUIRE(d.Start());
  CHECK(Ctl(d.socket(), {"audit", "verify"}).exit_code == 0);
  CHECK(d.Stop() == 0);
  const std::string log = d.Log();
  CHECK(log.find("audit-log retention: removed") == log.rfind("audit-log retention: removed"));
}
