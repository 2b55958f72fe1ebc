// Integration tests: sigmactl key status|rotate|rotate-master against the real sigmad.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <map>
#include <string>

#include "integration/harness.h"

using namespace sigmad::it;
using Poco::JSON::Object;

namespace {

// (owner, term) -> {current, values} from key status --json.
std::map<std::pair<std::string, int>, std::pair<bool, int>> KeyTable(const fs::path& socket) {
  RunResult r = Ctl(socket, {"--json", "key", "status"});
  INFO(r.out << r.err);
  REQUIRE(r.exit_code == 0);
  Poco::JSON::Parser parser;
  auto keys = parser.parse(r.out).extract<Object::Ptr>()->getArray("keys");
  std::map<std::pair<std::string, int>, std::pair<bool, int>> out;
  for (const auto& k : *keys) {
    auto o = k.extract<Object::Ptr>();
    out[{o->getValue<std::string>("owner"), o->getValue<int>("term")}] = {
        o->getValue<bool>("current"), o->getValue<int>("values")};
  }
  return out;
}

}  // namespace

TEST_CASE("key rotation: new values under the new term, old ones still open",
          "[integration][keys]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  REQUIRE(Ctl(d.socket(), {"tenant", "create", "acme"}).exit_code == 0);
  REQUIRE(Ctl(d.socket(), {"project", "create", "acme/old"}).exit_code == 0);

  auto before = KeyTable(d.socket());
  CHECK(before.at({"acme", 1}) == std::pair{true, 2});  // tenant and project records
  CHECK(before.at({"system", 1}).first);

  RunResult rot = Ctl(d.socket(), {"key", "rotate", "--tenant", "acme"});
  INFO(rot.err);
  REQUIRE(rot.exit_code == 0);
  CHECK_THAT(rot.out, Catch::StartsWith("rotated acme data key: term 1 -> 2;"));
  REQUIRE(Ctl(d.socket(), {"project", "create", "acme/new"}).exit_code == 0);

  auto after = KeyTable(d.socket());
  CHECK(after.at({"acme", 1}) == std::pair{false, 2});
  CHECK(after.at({"acme", 2}) == std::pair{true, 1});
  CHECK(after.at({"system", 1}).first);  // only acme's key rotated

  // Old and new values open, also after a restart (keys reload from the store).
  REQUIRE(d.Stop() == 0);
  REQUIRE(d.Start());
  RunResult list = Ctl(d.socket(), {"project", "list", "acme"});
  CHECK_THAT(list.out, Catch::Contains("new ") && Catch::Contains("old "));
  CHECK(Ctl(d.socket(), {"store", "verify"}).exit_code == 0);

  SECTION("the system key rotates too, and the audit log stays verifiable") {
    RunResult sys = Ctl(d.socket(), {"key", "rotate"});
    CHECK_THAT(sys.out, Catch::StartsWith("rotated system data key: term 1 -> 2;"));
    CHECK(KeyTable(d.socket()).at({"system", 2}).first);
    CHECK(Ctl(d.socket(), {"audit", "verify"}).exit_code == 0);
  }
  SECTION("--rewrap re-seals the older values and says so") {
    RunResult r = Ctl(d.socket(), {"key", "rotate", "--tenant", "acme", "--rewrap"});
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("term 2 -> 3;"));
    CHECK_THAT(r.out, Catch::Contains("re-sealed 3 values under term 3; nothing is left under "
                                      "older terms"));
    auto keys = KeyTable(d.socket());
    CHECK(keys.at({"acme", 1}).second == 0);
    CHECK(keys.at({"acme", 2}).second == 0);
    CHECK(keys.at({"acme", 3}) == std::pair{true, 3});
    CHECK(Ctl(d.socket(), {"store", "verify"}).exit_code == 0);
    RunResult tail = Ctl(d.socket(), {"--json", "audit", "tail", "--tenant", "acme", "-n", "1"});
    CHECK_THAT(tail.out, Catch::Contains("\"action\": \"key.rewrap\""));
    CHECK_THAT(tail.out, Catch::Contains("3 value(s) re-sealed under the current term"));
    REQUIRE(d.Stop() == 0);
    REQUIRE(d.Start());
    CHECK(KeyTable(d.socket()).at({"acme", 3}) == std::pair{true, 3});
    CHECK_THAT(Ctl(d.socket(), {"project", "list", "acme"}).out, Catch::Contains("old "));
  }
  SECTION("an unknown tenant is refused and audited") {
    RunResult bad = Ctl(d.socket(), {"key", "rotate", "--tenant", "nobody"});
    CHECK(bad.exit_code == 1);
    CHECK(bad.err == "sigmactl: tenant 'nobody' does not exist\n");
    RunResult tail = Ctl(d.socket(), {"--json", "audit", "tail", "--tenant", "nobody"});
    CHECK_THAT(tail.out, Catch::Contains("\"outcome\": \"error:not_found\""));
  }
  CHECK(d.Stop() == 0);
}

TEST_CASE("master key rotation re-wraps every data key", "[integration][keys]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "state";
  Daemon d(dir);
  REQUIRE(d.Start());
  REQUIRE(Ctl(d.socket(), {"tenant", "create", "acme"}).exit_code == 0);
  const std::string old_key = ReadFile(dir / "master.key");
  const fs::path new_key = tmp.path() / "new.key";
  REQUIRE(Run({SIGMAD_BIN, "--create-master-key", new_key.string()}).exit_code == 0);

  SECTION("refused: a key file others can read, the key in use, a missing path") {
    const fs::path loose = tmp.path() / "loose.key";
    REQUIRE(Run({SIGMAD_BIN, "--create-master-key", loose.string()}).exit_code == 0);
    REQUIRE(chmod(loose.c_str(), 0444) == 0);
    RunResult r = Ctl(d.socket(), {"key", "rotate-master", "--new-key-file", loose.string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("has mode 0444; group and others must have no access"));
    RunResult same =
        Ctl(d.socket(), {"key", "rotate-master", "--new-key-file", (dir / "master.key").string()});
    CHECK(same.exit_code == 1);
    CHECK_THAT(same.err, Catch::Contains("holds the master key already in use"));
    CHECK(Ctl(d.socket(), {"key", "rotate-master"}).exit_code == 2);  // --new-key-file required
    CHECK(ReadFile(dir / "master.key") == old_key);
    CHECK(Ctl(d.socket(), {"store", "verify"}).exit_code == 0);
  }
  SECTION("done: dev mode installs the new key; the old one no longer opens the store") {
    RunResult r = Ctl(d.socket(), {"key", "rotate-master", "--new-key-file", new_key.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("re-wrapped 2 data keys under the new master key"));
    CHECK(ReadFile(dir / "master.key") == ReadFile(new_key));
    // The running daemon uses the new key for new tenants at once.
    REQUIRE(Ctl(d.socket(), {"tenant", "create", "globex"}).exit_code == 0);
    REQUIRE(d.Stop() == 0);
    REQUIRE(d.Start());  // starts with the new key
    CHECK(Ctl(d.socket(), {"tenant", "show", "globex"}).exit_code == 0);
    CHECK(Ctl(d.socket(), {"store", "verify"}).exit_code == 0);
    REQUIRE(d.Stop() == 0);
    // Put the old key back: sigmad refuses it.
    fs::remove(dir / "master.key");
    WriteFile(dir / "master.key", old_key);
    REQUIRE(chmod((dir / "master.key").c_str(), 0400) == 0);
    RunResult old = Run({SIGMAD_BIN, "--dev", dir.string()});
    CHECK(old.exit_code == 1);
    CHECK_THAT(old.err, Catch::Contains("the master key does not open the store"));
  }
  d.Stop();
}
