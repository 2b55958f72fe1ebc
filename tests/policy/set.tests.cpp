#include "policy/set.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/temp_dir.h"

namespace {

using sigmad::policy::CheckSchemas;
using sigmad::policy::Kinds;
using sigmad::policy::LoadedSet;
using sigmad::policy::LoadSet;
using sigmad::policy::ParseSet;
using sigmad::testing::TempDir;
using sigmad::testing::WriteFile;
namespace fs = std::filesystem;

const fs::path kPolicies = fs::path(SIGMAD_SOURCE_DIR) / "policies";

std::string Shown(const LoadedSet& set) {
  std::string out;
  for (const auto& e : set.errors) out += e.ToString() + "\n";
  return out;
}

LoadedSet One(const std::string& text) { return ParseSet({{"p.yaml", text}}); }

// Minimal valid documents of the kinds the rules read; tests change one field.
const std::string kBackup =
    "apiVersion: sigmad.io/v1\n"
    "kind: BackupPolicy\n"
    "metadata:\n"
    "  name: daily\n"
    "spec:\n"
    "  schedule:\n"
    "    time: '01:00'\n"
    "    days: [mon, tue, wed, thu, fri, sat, sun]\n"
    "  target: /var/backups/sigmad\n"
    "  retention:\n"
    "    keepDays: 30\n"
    "  verifyAfterBackup: true\n"
    "  restoreDrill:\n"
    "    days: [sun]\n"
    "    time: '03:00'\n"
    "  rpoHours: 24\n"
    "  separateSite: true\n";

const std::string kRetention =
    "apiVersion: sigmad.io/v1\n"
    "kind: RetentionPolicy\n"
    "metadata:\n"
    "  name: termination\n"
    "spec:\n"
    "  deleteTenantDataAfterDays: 90\n"
    "  maxBackupAgeForDeletedDataDays: 120\n"
    "  auditLogRetentionDays: 400\n";

const std::string kSecurity =
    "apiVersion: sigmad.io/v1\n"
    "kind: SecurityPolicy\n"
    "metadata:\n"
    "  name: sec\n"
    "spec:\n"
    "  passwords: {minLength: 12, requiredClasses: [lower, digit], history: 5, maxAgeDays: 0}\n"
    "  lockout: {attempts: 5, durationMinutes: 15}\n"
    "  sessions: {idleTimeoutMinutes: 30, maxLifetimeHours: 12}\n"
    "  tokens: {maxLifetimeDays: 90}\n"
    "  tls:\n"
    "    minVersion: '1.2'\n"
    "    ciphers: [TLS_AES_256_GCM_SHA384, ECDHE-RSA-AES256-GCM-SHA384]\n"
    "  network: {allow: [127.0.0.0/8]}\n"
    "  adminGroup: sigmad-admin\n"
    "  logTimezone: UTC\n";

const std::string kAccess =
    "apiVersion: sigmad.io/v1\n"
    "kind: AccessPolicy\n"
    "metadata:\n"
    "  name: access\n"
    "spec:\n"
    "  defaultDecision: deny\n"
    "  roles:\n"
    "    - {name: admin, description: Runs it., permissions: [policy.apply]}\n"
    "    - {name: auditor, description: Reads., permissions: [audit.read]}\n"
    "  bindings:\n"
    "    - {group: sigmad-admin, role: admin}\n";

// One window, Sunday 04:00-07:00; kBackup runs at 01:00 daily, its drill Sunday 03:00.
const std::string kMaintenance =
    "apiVersion: sigmad.io/v1\n"
    "kind: MaintenancePolicy\n"
    "metadata:\n"
    "  name: maint\n"
    "spec:\n"
    "  windows:\n"
    "    - {days: [sun], start: '04:00', durationMinutes: 180}\n"
    "  noticeBusinessDays: 5\n"
    "  monthlyBudgetHours: 8\n"
    "  maxConsecutiveOutageHours: 24\n";

std::string Replace(std::string text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

TEST_CASE("policy: every embedded schema compiles", "[policy][set]") {
  INFO(CheckSchemas().ToString());
  CHECK(CheckSchemas().ok());
  CHECK(Kinds() == std::vector<std::string>{"AccessPolicy", "BackupPolicy", "EncryptionPolicy",
                                            "MaintenancePolicy", "NotificationPolicy",
                                            "RetentionPolicy", "SecurityPolicy",
                                            "StatusPagePolicy"});
}

TEST_CASE("policy: every shipped set validates and holds all eight kinds", "[policy][set]") {
  for (const char* name : {"baseline", "meti", "strict"}) {
    INFO(name);
    const LoadedSet set = LoadSet(kPolicies / name);
    CHECK(Shown(set).empty());
    std::vector<std::string> kinds;
    for (const auto& d : set.documents) kinds.push_back(d.kind);
    std::sort(kinds.begin(), kinds.end());
    CHECK(kinds == Kinds());
  }
}

TEST_CASE("policy: the documents' envelope", "[policy][set]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"kind: Nope\n",
       "p.yaml:1:7: 'kind' must be one of AccessPolicy, BackupPolicy, EncryptionPolicy, "
       "MaintenancePolicy, NotificationPolicy, RetentionPolicy, SecurityPolicy, "
       "StatusPagePolicy; got \"Nope\"\n"},
      {"apiVersion: sigmad.io/v1\n",
       "p.yaml:1:1: the document is missing required field 'kind' (one of AccessPolicy, "
       "BackupPolicy, EncryptionPolicy, MaintenancePolicy, NotificationPolicy, RetentionPolicy, "
       "SecurityPolicy, StatusPagePolicy)\n"},
      {"- kind: BackupPolicy\n",
       "p.yaml:1:1: a policy document must be a mapping with apiVersion, kind, metadata and "
       "spec; got a list\n"},
      {"kind: [BackupPolicy]\n",
       "p.yaml:1:7: 'kind' must be one of AccessPolicy, BackupPolicy, EncryptionPolicy, "
       "MaintenancePolicy, NotificationPolicy, RetentionPolicy, SecurityPolicy, "
       "StatusPagePolicy; got a list\n"},
      {"# only a comment\n", "p.yaml: holds no policy document\n"},
      {"kind: BackupPolicy\nspec: {\n", "p.yaml:3:1: invalid YAML: end of map flow not found\n"},
      // yaml-cpp 0.7's LoadAll never returns on these (issue #1040); found by the fuzzer.
      {",\n", "p.yaml:1:1: invalid YAML: this is not a YAML document\n"},
      {"# c\n\n  ,,\n", "p.yaml:3:3: invalid YAML: this is not a YAML document\n"},
      {"--- # c\n~\n...\n", "p.yaml: holds no policy document\n"},
      // Aliases: a cycle recursed forever, an expansion took minutes (review findings).
      {"kind: BackupPolicy\nspec:\n  days: &a [mon, *a]\n",
       "p.yaml:1:1: invalid YAML: the document nests deeper than 64 levels or has more than "
       "100000 nodes (an alias loop or expansion?)\n"},
      {"a: &a [x,x,x,x,x,x,x,x,x,x]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\n"
       "c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\n"
       "e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nf: [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n",
       "p.yaml:1:1: invalid YAML: the document nests deeper than 64 levels or has more than "
       "100000 nodes (an alias loop or expansion?)\n"},
      {Replace(kRetention, "deleteTenantDataAfterDays: 90", "deleteTenantDataAfterDays: !!int abc"),
       "p.yaml:6:30: 'spec.deleteTenantDataAfterDays' must be an integer, got the string \"abc\"\n"},
      {Replace(kBackup, "apiVersion: sigmad.io/v1", "apiVersion: sigmad.io/v2"),
       "p.yaml:1:13: 'apiVersion' must be \"sigmad.io/v1\", got the string \"sigmad.io/v2\"\n"},
      {Replace(kBackup, "  name: daily", "  name: Daily_Backups"),
       "p.yaml:4:9: 'metadata.name' must match ^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$, got "
       "\"Daily_Backups\"\n"},
  };
  for (const auto& [text, expected] : cases) {
    INFO(text);
    const LoadedSet set = One(text);  // and with the rules of a set around it:
    CHECK(Shown(ParseSet({{"b.yaml", kBackup}, {"p.yaml", text}})) == expected);
    CHECK(Shown(set) == expected);
    CHECK(set.documents.empty());
  }
}

TEST_CASE("policy: a set holds one document of each kind", "[policy][set]") {
  const LoadedSet set =
      ParseSet({{"a.yaml", kBackup}, {"b.yaml", "---\n" + Replace(kBackup, "name: daily", "name: other")}});
  CHECK(Shown(set) ==
        "b.yaml:2:1: a policy set holds one BackupPolicy; 'other' is another besides 'daily' at "
        "a.yaml:1\n");
  CHECK(set.documents.size() == 1);
}

TEST_CASE("policy: document markers, wherever the documents are", "[policy][set]") {
  // A stray "," after a good document, and --- / ... markers in every position.
  CHECK(Shown(One(kBackup + "---\n,\n")) ==
        "p.yaml:19:1: invalid YAML: this is not a YAML document\n");
  const LoadedSet set = One("%YAML 1.2\n---\n" + kBackup + "...\n--- # next\n" + kRetention);
  CHECK(Shown(set).empty());
  REQUIRE(set.documents.size() == 2);
  CHECK(set.documents[1].line == 22);
  // An error in the second document carries the stream's line number.
  CHECK(Shown(One(kBackup + "---\n" +
                  Replace(kRetention, "auditLogRetentionDays: 400", "auditLogRetentionDays: 0"))) ==
        "p.yaml:26:26: 'spec.auditLogRetentionDays' must be at least 1, got 0\n");
  std::string many;
  for (int i = 0; i < 300; ++i) many += "---\n~\n";
  CHECK(Shown(One(many)) == "p.yaml: invalid YAML: the stream holds more than 256 YAML documents\n");
}

TEST_CASE("policy: several documents in one file, each checked", "[policy][set]") {
  const LoadedSet set = One(kBackup + "---\n" + kRetention + "---\n");
  CHECK(Shown(set).empty());
  REQUIRE(set.documents.size() == 2);
  CHECK(set.documents[0].kind == "BackupPolicy");
  CHECK(set.documents[1].kind == "RetentionPolicy");
  CHECK(set.documents[1].line == 19);
}

TEST_CASE("policy: the set rules, one broken document each", "[policy][set][rules]") {
  struct Case {
    const char* what;
    std::string text;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"retention shorter than the RPO",
       Replace(Replace(kBackup, "keepDays: 30", "keepDays: 1"), "rpoHours: 24", "rpoHours: 48"),
       "p.yaml:11:5: 'spec.retention' keeps a backup at most 24 hours, less than the RPO target "
       "'spec.rpoHours' of 48 hours\n"},
      {"schedule gaps longer than the RPO",
       Replace(kBackup, "days: [mon, tue, wed, thu, fri, sat, sun]", "days: [mon, thu]"),
       "p.yaml:8:11: 'spec.schedule.days' leaves up to 96 hours between backups, more than the "
       "RPO target 'spec.rpoHours' of 24 hours\n"},
      {"GFS keeping nothing",
       Replace(kBackup, "keepDays: 30", "gfs: {daily: 0, weekly: 0, monthly: 0}"),
       "p.yaml:11:10: 'spec.retention.gfs' keeps no backup: set daily, weekly or monthly above "
       "0\n"},
      {"deleted data outliving its limit in backups",
       kBackup + "---\n" +
           Replace(kRetention, "maxBackupAgeForDeletedDataDays: 120",
                   "maxBackupAgeForDeletedDataDays: 100"),
       "p.yaml:25:35: 'spec.maxBackupAgeForDeletedDataDays' is 100 days, but a terminated "
       "tenant's data is deleted after 90 days ('spec.deleteTenantDataAfterDays') and "
       "BackupPolicy 'daily' (p.yaml:1) keeps backups up to 30 days: the data can stay in "
       "backups for 120 days\n"},
      {"a TLS 1.2 cipher with TLS 1.3 as the minimum",
       Replace(kSecurity, "minVersion: '1.2'", "minVersion: '1.3'"),
       "p.yaml:12:39: 'spec.tls.ciphers[1]' (\"ECDHE-RSA-AES256-GCM-SHA384\") is a TLS 1.2 "
       "cipher, but 'spec.tls.minVersion' is \"1.3\"; TLS 1.3 suites are named TLS_*\n"},
      {"no TLS 1.2 cipher with TLS 1.2 allowed",
       Replace(kSecurity, ", ECDHE-RSA-AES256-GCM-SHA384]", "]"),
       "p.yaml:12:14: 'spec.tls.ciphers' has no TLS 1.2 cipher, so TLS 1.2 clients could not "
       "connect although 'spec.tls.minVersion' is \"1.2\"\n"},
      {"a role defined twice",
       Replace(kAccess, "{name: auditor,", "{name: admin,"),
       "p.yaml:9:14: 'spec.roles[1].name' repeats role \"admin\" of 'spec.roles[0]'\n"},
      {"a binding to an undefined role", Replace(kAccess, "role: admin}", "role: root}"),
       "p.yaml:11:35: 'spec.bindings[0].role' names role \"root\", which 'spec.roles' does not "
       "define (defined: admin, auditor)\n"},
      {"a maintenance window longer than the outage limit",
       Replace(kMaintenance, "maxConsecutiveOutageHours: 24", "maxConsecutiveOutageHours: 2"),
       "p.yaml:7:54: 'spec.windows[0].durationMinutes' is 180 minutes, longer than "
       "'spec.maxConsecutiveOutageHours' (2 hours)\n"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    const LoadedSet set = One(c.text);
    CHECK(Shown(set) == c.expected);
    CHECK(set.warnings.empty());
  }
}

TEST_CASE("policy: maintenance windows that cover a backup or a drill are warnings",
          "[policy][set][rules]") {
  auto warnings = [](const std::string& backup, const std::string& maintenance) {
    const LoadedSet set = ParseSet({{"b.yaml", backup}, {"m.yaml", maintenance}});
    CHECK(Shown(set).empty());  // still valid
    std::string out;
    for (const auto& w : set.warnings) out += w.ToString() + "\n";
    return out;
  };
  CHECK(warnings(kBackup, kMaintenance).empty());
  // A drill exactly at the window's end is outside it; at its start, inside.
  CHECK(warnings(Replace(kBackup, "time: '03:00'", "time: '07:00'"), kMaintenance).empty());
  CHECK(warnings(Replace(kBackup, "time: '03:00'", "time: '04:00'"), kMaintenance) ==
        "m.yaml:7:7: warning: 'spec.windows[0]' (from 04:00 for 180 minutes) covers the start "
        "of restore drills at 04:00 on sun ('spec.restoreDrill' of BackupPolicy 'daily', "
        "b.yaml:1): they would run during maintenance\n");
  // A Sunday-night window runs into Monday, and the week wraps to Sunday.
  const std::string nightly = Replace(kMaintenance, "{days: [sun], start: '04:00', durationMinutes: 180}",
                                      "{days: [sun, sat], start: '23:30', durationMinutes: 120}");
  CHECK(warnings(kBackup, nightly) ==
        "m.yaml:7:7: warning: 'spec.windows[0]' (from 23:30 for 120 minutes) covers the start of "
        "backups at 01:00 on mon, sun ('spec.schedule' of BackupPolicy 'daily', b.yaml:1): they "
        "would run during maintenance\n");
  // Warnings do not make a set invalid; LoadedSet::ok() ignores them.
  CHECK(ParseSet({{"b.yaml", kBackup}, {"m.yaml", nightly}}).ok());
}

TEST_CASE("policy: LoadSet reads a directory's YAML files in name order", "[policy][set]") {
  TempDir dir;
  WriteFile(dir / "20-retention.yaml", kRetention);
  WriteFile(dir / "10-backup.yml", kBackup);
  WriteFile(dir / "README.md", "not a policy");
  WriteFile(dir / ".hidden.yaml", "kind: Nope\n");
  const LoadedSet set = LoadSet(dir.path());
  CHECK(Shown(set).empty());
  REQUIRE(set.documents.size() == 2);
  CHECK(set.documents[0].kind == "BackupPolicy");
  CHECK(set.documents[0].file == (dir / "10-backup.yml").string());

  SECTION("a missing path") {
    CHECK(Shown(LoadSet(dir / "nope")) == (dir / "nope").string() +
                                              ": cannot read: no such file or directory\n");
  }
  SECTION("a directory without policy files") {
    fs::create_directory(dir / "empty");
    CHECK(Shown(LoadSet(dir / "empty")) ==
          (dir / "empty").string() + ": holds no policy files (*.yaml or *.yml)\n");
  }
  SECTION("one file") {
    const LoadedSet one = LoadSet(dir / "10-backup.yml");
    CHECK(Shown(one).empty());
    CHECK(one.documents.size() == 1);
  }
}

}  // namespace

#include "policy/enforcement.h"

namespace {

TEST_CASE("policy: the enforcement registry lists every spec field of every kind once",
          "[policy][enforcement]") {
  using sigmad::policy::EnforcementRegistry;
  using sigmad::policy::SchemaFor;
  std::set<std::string> listed;
  for (const auto& p : EnforcementRegistry()) {
    INFO(p.kind << " " << p.field);
    CHECK(listed.insert(p.kind + " " + p.field).second);
    CHECK_FALSE(p.point.empty());
    CHECK_FALSE(p.note.empty());
    REQUIRE(SchemaFor(p.kind) != nullptr);
  }
  size_t fields = 0;
  for (const std::string& kind : Kinds()) {
    const auto spec = SchemaFor(kind)->SpecFields();
    CHECK_FALSE(spec.empty());
    for (const std::string& f : spec) {
      INFO(kind << " spec." << f);
      CHECK(listed.count(kind + " spec." + f) == 1);
      ++fields;
    }
  }
  CHECK(fields == listed.size());  // nothing listed that the language does not have
}

}  // namespace
