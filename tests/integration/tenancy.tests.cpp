// Integration tests: tenants, projects and tasks through the real sigmactl and sigmad,
// and what the trusted store keeps on disk.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "integration/harness.h"

using namespace sigmad::it;
using Poco::JSON::Array;
using Poco::JSON::Object;

namespace {

Object::Ptr Json(const RunResult& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  REQUIRE(r.exit_code == 0);
  Poco::JSON::Parser parser;
  return parser.parse(r.out).extract<Object::Ptr>();
}

std::vector<std::string> Names(const Array::Ptr& a) {
  std::vector<std::string> out;
  for (const auto& v : *a) out.push_back(v.extract<Object::Ptr>()->getValue<std::string>("name"));
  return out;
}

// A failed sigmactl call: its exit code and the one message line it printed.
void CheckFails(const RunResult& r, int code, const std::string& message) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  CHECK(r.exit_code == code);
  CHECK(r.err == "sigmactl: " + message + "\n");
  CHECK(r.out.empty());
}

}  // namespace

TEST_CASE("tenants, projects and tasks end to end", "[integration][tenancy]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  auto ctl = [&](std::vector<std::string> args) { return Ctl(d.socket(), args); };

  RunResult created = ctl({"tenant", "create", "acme"});
  REQUIRE(created.exit_code == 0);
  CHECK(created.out == "created tenant acme (data key term 1)\n");
  REQUIRE(ctl({"tenant", "create", "Globex"}).exit_code == 0);
  REQUIRE(ctl({"project", "create", "acme/lab"}).exit_code == 0);
  REQUIRE(ctl({"project", "create", "acme/plant-2"}).exit_code == 0);
  RunResult task = ctl({"task", "create", "acme/lab/run-1"});
  REQUIRE(task.exit_code == 0);
  CHECK(task.out == "created task acme/lab/run-1\n");
  REQUIRE(ctl({"task", "create", "acme/lab/run-2"}).exit_code == 0);

  SECTION("lists and shows, human and --json") {
    auto tenants = Json(ctl({"--json", "tenant", "list"}))->getArray("tenants");
    CHECK(Names(tenants) == std::vector<std::string>{"acme", "Globex"});
    auto acme = tenants->getObject(0);
    CHECK(acme->getValue<int>("projects") == 2);
    CHECK(acme->getValue<int>("key_term") == 1);
    CHECK_THAT(acme->getValue<std::string>("created_by"),
               Catch::Matches("uid=" + std::to_string(geteuid()) + R"(\([a-z_][a-z0-9_-]*\))"));

    RunResult table = ctl({"tenant", "list"});
    REQUIRE(table.exit_code == 0);
    CHECK_THAT(table.out, Catch::StartsWith("TENANT  PROJECTS  KEY TERM  CREATED\nacme    2 "));

    auto show = Json(ctl({"--json", "tenant", "show", "ACME"}));  // names ignore case
    CHECK(show->getValue<std::string>("name") == "acme");
    CHECK(Names(show->getArray("project_list")) == std::vector<std::string>{"lab", "plant-2"});
    CHECK(show->getArray("project_list")->getObject(0)->getValue<int>("tasks") == 2);

    auto projects = Json(ctl({"--json", "project", "list", "acme"}))->getArray("projects");
    CHECK(Names(projects) == std::vector<std::string>{"lab", "plant-2"});
    auto tasks = Json(ctl({"--json", "task", "list", "acme/lab"}))->getArray("tasks");
    CHECK(Names(tasks) == std::vector<std::string>{"run-1", "run-2"});
    RunResult empty = ctl({"task", "list", "acme/plant-2"});
    CHECK(empty.out == "project acme/plant-2 has no tasks\n");
    CHECK(Json(ctl({"--json", "project", "list", "Globex"}))->getArray("projects")->size() == 0);
  }
  SECTION("bad names and paths are refused with what was wrong, changing nothing") {
    CheckFails(ctl({"tenant", "create", ""}), 1, "tenant name is empty");
    CheckFails(ctl({"tenant", "create", std::string(65, 'x')}), 1,
               "tenant name is 65 bytes long; the limit is 64");
    CheckFails(ctl({"tenant", "create", "a b"}), 1,
               "tenant name 'a b' contains a space; use letters, digits, '-', '_' and '.'");
    CheckFails(ctl({"tenant", "create", "--", "-acme"}), 1,
               "tenant name '-acme' must start with a letter or a digit");
    CheckFails(ctl({"tenant", "create", "ACME"}), 1, "tenant 'acme' already exists");
    CheckFails(ctl({"project", "create", "acme"}), 1,
               "'acme' is not of the form TENANT/PROJECT (1 part, expected 2)");
    CheckFails(ctl({"project", "create", "acme/lab"}), 1, "project 'acme/lab' already exists");
    CheckFails(ctl({"project", "create", "nobody/lab"}), 1, "tenant 'nobody' does not exist");
    CheckFails(ctl({"task", "create", "acme/none/t"}), 1, "project 'acme/none' does not exist");
    CheckFails(ctl({"task", "create", "acme/lab/run-1"}), 1,
               "task 'acme/lab/run-1' already exists");
    CheckFails(ctl({"task", "create", "acme/lab/r\x01"}), 1,
               "task name 'r\\x01' contains byte \\x01; use letters, digits, '-', '_' and '.'");
    CheckFails(ctl({"tenant", "show", "nobody"}), 1, "tenant 'nobody' does not exist");
    // Nothing changed.
    CHECK(Names(Json(ctl({"--json", "tenant", "list"}))->getArray("tenants")) ==
          std::vector<std::string>{"acme", "Globex"});
    CHECK(Json(ctl({"--json", "task", "list", "acme/lab"}))->getArray("tasks")->size() == 2);
  }
  SECTION("a project with tasks is deleted only with --force") {
    CheckFails(ctl({"project", "delete", "acme/lab"}), 1,
               "project 'acme/lab' has 2 tasks; delete them first or use --force");
    CHECK(Json(ctl({"--json", "task", "list", "acme/lab"}))->getArray("tasks")->size() == 2);
    RunResult forced = ctl({"project", "delete", "acme/lab", "--force"});
    REQUIRE(forced.exit_code == 0);
    CHECK(forced.out == "deleted project acme/lab and 2 tasks\n");
    CheckFails(ctl({"task", "list", "acme/lab"}), 1, "project 'acme/lab' does not exist");
    RunResult plain = ctl({"project", "delete", "acme/plant-2"});
    CHECK(plain.out == "deleted project acme/plant-2 and 0 tasks\n");
    CHECK(Json(ctl({"--json", "tenant", "show", "acme"}))->getValue<int>("projects") == 0);
  }
  SECTION("a task is deleted") {
    RunResult gone = ctl({"task", "delete", "acme/lab/run-1"});
    REQUIRE(gone.exit_code == 0);
    CHECK(gone.out == "deleted task acme/lab/run-1\n");
    CHECK(Names(Json(ctl({"--json", "task", "list", "acme/lab"}))->getArray("tasks")) ==
          std::vector<std::string>{"run-2"});
    CheckFails(ctl({"task", "delete", "acme/lab/run-1"}), 1, "task 'acme/lab/run-1' does not exist");
  }
  SECTION("everything survives a restart") {
    REQUIRE(d.Stop() == 0);
    REQUIRE(d.Start());
    CHECK(Names(Json(ctl({"--json", "tenant", "list"}))->getArray("tenants")) ==
          std::vector<std::string>{"acme", "Globex"});
    CHECK(Names(Json(ctl({"--json", "task", "list", "acme/lab"}))->getArray("tasks")) ==
          std::vector<std::string>{"run-1", "run-2"});
    REQUIRE(ctl({"task", "create", "acme/lab/run-3"}).exit_code == 0);
  }
  CHECK(d.Stop() == 0);
}

TEST_CASE("the store on disk holds no names in clear", "[integration][tenancy][store]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  const std::string secret = "Quarterly-Forecast-Zeta";
  REQUIRE(Ctl(d.socket(), {"tenant", "create", secret}).exit_code == 0);
  REQUIRE(Ctl(d.socket(), {"project", "create", secret + "/" + secret + "-p"}).exit_code == 0);
  REQUIRE(d.Stop() == 0);
  const std::string data = ReadFile(d.dir() / "store" / "data.mdb");
  REQUIRE(data.size() > 0);
  CHECK(data.find(secret) == std::string::npos);
  CHECK(data.find("Quarterly") == std::string::npos);
  CHECK(data.find("uid=") == std::string::npos);  // audit records are sealed too
}

TEST_CASE("a wrong master key stops sigmad and changes nothing", "[integration][store]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "state";
  {
    Daemon d(dir);
    REQUIRE(d.Start());
    REQUIRE(Ctl(d.socket(), {"tenant", "create", "acme"}).exit_code == 0);
    REQUIRE(d.Stop() == 0);
  }
  const std::string before = ReadFile(dir / "store" / "data.mdb");
  fs::remove(dir / "master.key");
  REQUIRE(Run({SIGMAD_BIN, "--create-master-key", (dir / "master.key").string()}).exit_code == 0);
  RunResult r = Run({SIGMAD_BIN, "--dev", dir.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("the master key does not open the store in " +
                                    (dir / "store").string()));
  CHECK_FALSE(fs::exists(dir / "control.sock"));
  CHECK(ReadFile(dir / "store" / "data.mdb") == before);
}
