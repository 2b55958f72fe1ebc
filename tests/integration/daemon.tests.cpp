// Integration tests: the real sigmad --dev driven by the real sigmactl and by raw
// clients on its control socket.
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <vector>

#include "integration/harness.h"

using namespace sigmad::it;
using Poco::JSON::Object;

namespace {

Object::Ptr ParseObject(const std::string& text) {
  Poco::JSON::Parser parser;
  return parser.parse(text).extract<Object::Ptr>();
}

// Parses a human key/value block ("key   value" lines) and checks that every value
// starts in the same column.
std::map<std::string, std::string> KeyValues(const std::string& out) {
  std::map<std::string, std::string> kv;
  std::istringstream in(out);
  std::string line;
  size_t column = 0;
  while (std::getline(in, line)) {
    const size_t gap = line.find("  ");
    REQUIRE(gap != std::string::npos);
    const size_t value = line.find_first_not_of(' ', gap);
    REQUIRE(value != std::string::npos);
    if (column == 0) column = value;
    CHECK(value == column);
    kv[line.substr(0, gap)] = line.substr(value);
  }
  return kv;
}

unsigned ModeOf(const fs::path& p) {
  struct stat st {};
  REQUIRE(stat(p.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Tests that act as another user need root; elsewhere ctest reports them skipped.
void RequireRootOrSkip(const char* why) {
  if (geteuid() != 0) {
    std::cout << "skipped: " << why << " needs root to run a client as nobody\n";
    std::exit(77);
  }
}

}  // namespace

TEST_CASE("sigmactl status shows the running dev daemon", "[integration][status]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());

  SECTION("human output is an aligned key/value block") {
    RunResult r = Ctl(d.socket(), {"status"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto kv = KeyValues(r.out);
    CHECK(kv["sigmad"] == "0.1.0 (dev mode)");
    CHECK(kv["pid"] == std::to_string(d.pid()));
    CHECK(kv["state dir"] == d.dir().string());
    CHECK(kv["socket"] == d.socket().string());
    CHECK_THAT(kv["uptime"], Catch::Matches(R"(\d+s \(since \d{4}-.*Z\))"));
    CHECK_THAT(kv["analysis"], Catch::StartsWith("libtorch 1."));
    CHECK_THAT(kv["store"], Catch::Matches(d.dir().string() + R"(/store, \d+ KiB used of 64\.0 MiB mapped)"));
    CHECK_THAT(kv["audit log"], Catch::Matches(R"(seq \d+, last hash [0-9a-f]{64})"));
  }

  SECTION("--json prints exactly the daemon's result") {
    RunResult r = Ctl(d.socket(), {"--json", "status"});
    REQUIRE(r.exit_code == 0);
    auto s = ParseObject(r.out);
    CHECK(s->getValue<int>("pid") == d.pid());
    CHECK(s->getValue<std::string>("mode") == "dev");
    CHECK(s->getValue<std::string>("state_dir") == d.dir().string());
    CHECK(s->getValue<std::string>("socket") == d.socket().string());
    CHECK(s->getValue<long long>("uptime_seconds") >= 0);
    CHECK_THAT(s->getValue<std::string>("started_at"), Catch::Matches(
                                                           R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"));
    CHECK(s->getObject("control")->getValue<int>("active_clients") >= 1);
    CHECK(s->getObject("tls")->getValue<std::string>("sha256_fingerprint").size() == 95);
    auto store = s->getObject("store");
    CHECK(store->getValue<std::string>("path") == (d.dir() / "store").string());
    CHECK(store->getValue<long long>("audit_last_seq") >= 1);  // this access, at least
  }

  SECTION("SIGMAD_SOCKET names the socket when --socket is absent") {
    RunResult r = Run({SIGMACTL_BIN, "--json", "status"},
                      WithEnv({"SIGMAD_SOCKET=" + d.socket().string()}));
    REQUIRE(r.exit_code == 0);
    CHECK(ParseObject(r.out)->getValue<int>("pid") == d.pid());
  }

  SECTION("version prints client and daemon versions") {
    RunResult r = Ctl(d.socket(), {"version"});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith("sigmactl  0.1.0\nsigmad    0.1.0 (protocol 1;"));
    RunResult j = Ctl(d.socket(), {"--json", "version"});
    REQUIRE(j.exit_code == 0);
    auto v = ParseObject(j.out);
    CHECK(v->getValue<std::string>("sigmactl") == "0.1.0");
    CHECK(v->getObject("sigmad")->getValue<int>("protocol") == 1);
  }
  CHECK(d.Stop() == 0);
}

TEST_CASE("the dev dir holds key, certificate and config, and serves again", "[integration][dev]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "a" / "b";  // missing parents are created
  std::string key_before, cert_before;
  {
    Daemon d(dir);
    REQUIRE(d.Start());
    CHECK(ModeOf(dir) == 0700);
    CHECK(ModeOf(dir / "master.key") == 0400);
    CHECK(fs::file_size(dir / "master.key") == 32);
    CHECK(ModeOf(dir / "tls" / "key.pem") == 0600);
    CHECK(ModeOf(d.socket()) == 0600);
    CHECK(fs::exists(dir / "sigmad.yaml"));
    key_before = ReadFile(dir / "master.key");
    cert_before = ReadFile(dir / "tls" / "cert.pem");
    CHECK(d.Stop() == 0);
    CHECK_FALSE(fs::exists(d.socket()));  // removed on clean stop
  }
  Daemon again(dir);
  REQUIRE(again.Start());
  CHECK(ReadFile(dir / "master.key") == key_before);
  CHECK(ReadFile(dir / "tls" / "cert.pem") == cert_before);
  CHECK(Ctl(again.socket(), {"status"}).exit_code == 0);
  CHECK(again.Stop() == 0);
}

TEST_CASE("sigmad --config serves with the state dir, socket and key of its file",
          "[integration][config]") {
  TempDir tmp;
  const fs::path state = tmp.path() / "var" / "sigmad";
  const fs::path key = tmp.path() / "master.key";
  const fs::path config = tmp.path() / "sigmad.yaml";
  WriteFile(config, "state_dir: " + state.string() + "\nkeys:\n  master_key_file: " +
                        key.string() + "\ncontrol:\n  socket: " +
                        (state / "control.sock").string() + "\n  socket_mode: \"0660\"\n");

  SECTION("without its master key it refuses to start") {
    RunResult r = Run({SIGMAD_BIN, "--config", config.string()});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot open master key " + key.string() +
                                      ": No such file or directory"));
    CHECK_FALSE(fs::exists(state / "control.sock"));
  }
  SECTION("with a key made by --create-master-key it serves") {
    RunResult made = Run({SIGMAD_BIN, "--create-master-key", key.string()});
    REQUIRE(made.exit_code == 0);
    CHECK(made.out == key.string() + ": new master key written (mode 0400)\n");
    CHECK(ModeOf(key) == 0400);
    CHECK(fs::file_size(key) == 32);
    const std::string bytes = ReadFile(key);
    RunResult again = Run({SIGMAD_BIN, "--create-master-key", key.string()});
    CHECK(again.exit_code == 1);
    CHECK_THAT(again.err, Catch::Contains("File exists"));
    CHECK(ReadFile(key) == bytes);  // never replaced

    Daemon d(state, {}, {"--config", config.string()});
    REQUIRE(d.Start());
    CHECK(ModeOf(d.socket()) == 0660);
    CHECK(fs::exists(state / "sigmad.lock"));
    CHECK(d.WaitForLog("master key " + key.string() + "\n"));
    RunResult r = Ctl(d.socket(), {"--json", "status"});
    REQUIRE(r.exit_code == 0);
    auto s = ParseObject(r.out);
    CHECK(s->getValue<std::string>("mode") == "system");
    CHECK(s->getValue<std::string>("state_dir") == state.string());
    CHECK(s->getValue<std::string>("config_file") == config.string());
    CHECK(d.Stop() == 0);
  }
  SECTION("a systemd credential master-key wins over the key file") {
    const fs::path creds = tmp.path() / "creds";
    fs::create_directories(creds);
    REQUIRE(Run({SIGMAD_BIN, "--create-master-key", (creds / "master-key").string()}).exit_code ==
            0);
    Daemon d(state, {"CREDENTIALS_DIRECTORY=" + creds.string()}, {"--config", config.string()});
    REQUIRE(d.Start());
    CHECK(d.WaitForLog("master key " + (creds / "master-key").string() +
                       " (systemd credential)\n"));
    CHECK(d.Stop() == 0);
  }
  SECTION("a credential readable by others is refused, naming it") {
    // Group bits are systemd's ACL mask when it grants our uid access by an ACL: taken.
    const fs::path creds = tmp.path() / "creds";
    fs::create_directories(creds);
    const fs::path cred = creds / "master-key";
    REQUIRE(Run({SIGMAD_BIN, "--create-master-key", cred.string()}).exit_code == 0);
    REQUIRE(chmod(cred.c_str(), 0404) == 0);
    RunOptions o = WithEnv({"CREDENTIALS_DIRECTORY=" + creds.string()});
    RunResult r = Run({SIGMAD_BIN, "--config", config.string()}, o);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("master key " + cred.string() +
                                      " has mode 0404; others must have no access"));
  }
}

TEST_CASE("a master key readable by others is refused", "[integration][dev]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "state";
  {
    Daemon d(dir);
    REQUIRE(d.Start());
    REQUIRE(d.Stop() == 0);
  }
  const std::string key = ReadFile(dir / "master.key");
  REQUIRE(chmod((dir / "master.key").c_str(), 0444) == 0);
  RunResult r = Run({SIGMAD_BIN, "--dev", dir.string()});
  CHECK(r.exit_code == 1);
  CHECK_THAT(r.err, Catch::Contains("has mode 0444; group and others must have no access"));
  CHECK(ReadFile(dir / "master.key") == key);  // untouched
}

TEST_CASE("a second sigmad on the same dir fails clearly", "[integration][lock]") {
  TempDir tmp;
  Daemon first(tmp.path() / "state");
  REQUIRE(first.Start());
  RunResult second = Run({SIGMAD_BIN, "--dev", first.dir().string()});
  CHECK(second.exit_code == 1);
  CHECK_THAT(second.err, Catch::Contains("is in use by another sigmad (pid " +
                                         std::to_string(first.pid()) + ")"));
  // The first one is unharmed.
  CHECK(Ctl(first.socket(), {"status"}).exit_code == 0);
  CHECK(first.Stop() == 0);
}

TEST_CASE("a non-admin uid is denied and logged", "[integration][access]") {
  RequireRootOrSkip("the access test");
  TempDir tmp;
  const fs::path dir = tmp.path() / "state";
  {  // first start creates the dir and its config; then open the socket to everyone
    Daemon d(dir);
    REQUIRE(d.Start());
    REQUIRE(d.Stop() == 0);
  }
  WriteFile(dir / "sigmad.yaml", "control:\n  socket_mode: \"0666\"\n");
  REQUIRE(chmod(tmp.path().c_str(), 0755) == 0);
  REQUIRE(chmod(dir.c_str(), 0711) == 0);
  Daemon d(dir);
  REQUIRE(d.Start());
  CHECK(ModeOf(d.socket()) == 0666);

  RunResult nobody = Ctl(d.socket(), {"status"}, AsUid(65534));
  CHECK(nobody.exit_code == 4);
  CHECK_THAT(nobody.err, Catch::Contains("uid 65534 may not administer sigmad"));
  CHECK(d.WaitForLog("access denied: uid=65534 pid="));

  // Root still gets in, and the denial was counted.
  RunResult root = Ctl(d.socket(), {"--json", "status"});
  REQUIRE(root.exit_code == 0);
  CHECK(ParseObject(root.out)->getObject("control")->getValue<int>("denied") == 1);
  CHECK(d.Stop() == 0);
}

TEST_CASE("a socket the user cannot open reports access denied", "[integration][access]") {
  RequireRootOrSkip("the socket permission test");
  TempDir tmp;
  REQUIRE(chmod(tmp.path().c_str(), 0755) == 0);
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  REQUIRE(chmod(d.dir().c_str(), 0711) == 0);  // reachable, but the socket is 0600
  RunResult nobody = Ctl(d.socket(), {"status"}, AsUid(65534));
  CHECK(nobody.exit_code == 4);
  CHECK_THAT(nobody.err, Catch::Contains("no permission to connect"));
  CHECK(d.Stop() == 0);
}

TEST_CASE("systemd hears READY, STATUS, WATCHDOG and STOPPING", "[integration][notify]") {
  TempDir tmp;
  NotifyListener notify(tmp.path() / "notify.sock");
  Daemon d(tmp.path() / "state", {notify.env(), "WATCHDOG_USEC=400000"});
  REQUIRE(d.Start());
  REQUIRE(notify.WaitFor("READY=1"));
  CHECK(notify.WaitFor("STATUS=Serving on " + d.socket().string()));
  // Pings come at half the 0.4 s interval: in three seconds there are many.
  notify.WaitFor("__never__", 3s);
  int pings = 0;
  for (const auto& s : notify.seen()) pings += s == "WATCHDOG=1";
  CHECK(pings >= 5);
  RunResult st = Ctl(d.socket(), {"--json", "status"});
  CHECK(ParseObject(st.out)->getValue<double>("watchdog_seconds") == Approx(0.4));
  d.Signal(SIGTERM);
  CHECK(notify.WaitFor("STOPPING=1"));
  CHECK(d.WaitExit(30s) == 0);
  // READY came before STOPPING.
  size_t ready = notify.seen().size(), stopping = 0;
  for (size_t i = 0; i < notify.seen().size(); ++i) {
    if (notify.seen()[i].find("READY=1") != std::string::npos && ready == notify.seen().size())
      ready = i;
    if (notify.seen()[i].find("STOPPING=1") != std::string::npos) stopping = i;
  }
  CHECK(ready < stopping);
}

TEST_CASE("garbage on the socket leaves the daemon serving", "[integration][robust]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());

  SECTION("malformed lines get errors and the connection goes on") {
    RawClient c(d.socket());
    REQUIRE(c.connected());
    REQUIRE(c.Send("\x01\x02\xff garbage\n"));
    CHECK_THAT(c.ReadLine().value_or(""), Catch::Contains("\"code\":\"parse_error\""));
    REQUIRE(c.Send("{\"v\":1,\"id\":7,\"method\":\"no_such\"}\n"));
    CHECK_THAT(c.ReadLine().value_or(""),
               Catch::Contains("\"id\":7,\"error\":{\"code\":\"unknown_method\""));
    REQUIRE(c.Send("[1,2,3]\n{\"v\":1,\"id\":\"x\",\"method\":\"status\"}\n"));
    CHECK_THAT(c.ReadLine().value_or(""), Catch::Contains("parse_error"));
    CHECK_THAT(c.ReadLine().value_or(""), Catch::Contains("\"id\":\"x\",\"result\":{"));
  }
  SECTION("an oversize request is refused and the connection closed") {
    RawClient c(d.socket());
    REQUIRE(c.connected());
    const std::string huge(17u << 20, 'a');  // over the 16 MiB limit, no newline
    c.Send(huge);                             // the daemon may hang up before taking it all
    CHECK_THAT(c.ReadLine().value_or(""), Catch::Contains("request_too_large"));
    CHECK(c.WaitClosed());
  }
  SECTION("a client that disconnects mid-request is dropped") {
    {
      RawClient c(d.socket());
      REQUIRE(c.Send("{\"v\":1,\"id\":1,\"meth"));
    }
    CHECK(d.WaitForLog("disconnected in the middle of a request"));
  }
  SECTION("many concurrent clients, some silent, are all served") {
    std::vector<std::unique_ptr<RawClient>> idle;
    for (int i = 0; i < 8; ++i) idle.push_back(std::make_unique<RawClient>(d.socket()));
    for (auto& c : idle) REQUIRE(c->connected());
    for (int i = 0; i < 8; ++i) {
      REQUIRE(idle[static_cast<size_t>(i)]->Send("{\"v\":1,\"id\":" + std::to_string(i) +
                                                 ",\"method\":\"version\"}\n"));
    }
    for (int i = 0; i < 8; ++i) {
      CHECK_THAT(idle[static_cast<size_t>(i)]->ReadLine().value_or(""),
                 Catch::Contains("\"id\":" + std::to_string(i) + ",\"result\""));
    }
    RunResult r = Ctl(d.socket(), {"--json", "status"});
    REQUIRE(r.exit_code == 0);
    CHECK(ParseObject(r.out)->getObject("control")->getValue<int>("active_clients") >= 9);
  }
  // Whatever happened above, a fresh client is served.
  CHECK(Ctl(d.socket(), {"status"}).exit_code == 0);
  CHECK(d.running());
  CHECK(d.Stop() == 0);
}

TEST_CASE("a silent client is dropped after the idle timeout", "[integration][robust]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "state";
  fs::create_directories(dir);
  WriteFile(dir / "sigmad.yaml", "control:\n  idle_timeout_seconds: 1\n");
  Daemon d(dir);
  REQUIRE(d.Start());
  RawClient silent(d.socket());
  REQUIRE(silent.connected());
  CHECK_THAT(silent.ReadLine().value_or(""), Catch::Contains("idle_timeout"));
  CHECK(silent.WaitClosed());
  CHECK(Ctl(d.socket(), {"status"}).exit_code == 0);
  CHECK(d.Stop() == 0);
}

TEST_CASE("SIGTERM finishes a request in flight, then stops", "[integration][signals]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  RawClient c(d.socket());
  // One full exchange proves the connection is being served, then half a request.
  REQUIRE(c.Send("{\"v\":1,\"id\":41,\"method\":\"version\"}\n"));
  REQUIRE_THAT(c.ReadLine().value_or(""), Catch::Contains("\"id\":41,\"result\""));
  REQUIRE(c.Send("{\"v\":1,\"id\":42,\"method\":"));
  d.Signal(SIGTERM);
  REQUIRE(d.WaitForLog("control socket closed; waiting up to"));
  // The daemon no longer accepts, but still reads and answers what was in flight.
  CHECK_FALSE(RawClient(d.socket()).connected());
  CHECK(Ctl(d.socket(), {"status"}).exit_code == 3);
  REQUIRE(c.Send("\"version\"}\n"));
  CHECK_THAT(c.ReadLine().value_or(""), Catch::Contains("\"id\":42,\"result\""));
  CHECK(c.WaitClosed());
  CHECK(d.WaitExit(30s) == 0);
  CHECK_THAT(d.Log(), Catch::Contains("stopped after serving"));
}

TEST_CASE("SIGHUP reloads the config and logs what changed", "[integration][signals]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  const fs::path config = d.dir() / "sigmad.yaml";

  WriteFile(config, "log:\n  level: debug\ncontrol:\n  max_clients: 8\n");
  d.Signal(SIGHUP);
  CHECK(d.WaitForLog("reload: log.level info -> debug"));
  CHECK(d.WaitForLog("reload: control.max_clients changed"));
  RunResult r = Ctl(d.socket(), {"--json", "status"});
  CHECK(ParseObject(r.out)->getValue<std::string>("log_level") == "debug");

  SECTION("an invalid file is reported and the running config kept") {
    WriteFile(config, "log:\n  level: loud\n");
    d.Signal(SIGHUP);
    CHECK(d.WaitForLog("sigmad.yaml:2:10: 'log.level' must be one of debug, info, warning, error"));
    CHECK(d.WaitForLog("keeping the running config"));
    RunResult again = Ctl(d.socket(), {"--json", "status"});
    CHECK(ParseObject(again.out)->getValue<std::string>("log_level") == "debug");
  }
  CHECK(d.Stop() == 0);
}

TEST_CASE("an invalid config stops sigmad at start with every problem", "[integration][config]") {
  TempDir tmp;
  const fs::path dir = tmp.path() / "state";
  fs::create_directories(dir);
  WriteFile(dir / "sigmad.yaml",
            "control:\n  idle_timeout_seconds: 0\n  colour: blue\nlog:\n  level: 3\n");
  RunResult r = Run({SIGMAD_BIN, "--dev", dir.string()});
  CHECK(r.exit_code == 1);
  const std::string file = (dir / "sigmad.yaml").string();
  CHECK_THAT(r.err, Catch::Contains(file + ":2:25: 'control.idle_timeout_seconds' must be between 1 and 3600, got 0"));
  CHECK_THAT(r.err, Catch::Contains(file + ":3:3: unknown key 'control.colour'"));
  CHECK_THAT(r.err, Catch::Contains(file + ":5:10: 'log.level' must be one of"));
  CHECK_FALSE(fs::exists(dir / "control.sock"));

  SECTION("--check-config says the same and exits 1; a good file exits 0") {
    RunResult check = Run({SIGMAD_BIN, "--check-config", file});
    CHECK(check.exit_code == 1);
    CHECK_THAT(check.err, Catch::Contains(file + ":3:3: unknown key 'control.colour'"));
    CHECK_THAT(check.err, Catch::Contains("3 problems"));
    const fs::path good = tmp.path() / "good.yaml";
    WriteFile(good, "state_dir: /var/lib/sigmad\ncontrol:\n  socket: /run/sigmad/control.sock\n");
    RunResult ok = Run({SIGMAD_BIN, "--check-config", good.string()});
    CHECK(ok.exit_code == 0);
    CHECK(ok.out == good.string() + ": ok\n");
  }
  SECTION("--config with a missing file names it") {
    RunResult missing = Run({SIGMAD_BIN, "--config", (tmp.path() / "nope.yaml").string()});
    CHECK(missing.exit_code == 1);
    CHECK_THAT(missing.err, Catch::Contains("nope.yaml: cannot read: No such file or directory"));
  }
}

TEST_CASE("sigmad usage errors exit 2", "[integration][usage]") {
  CHECK(Run({SIGMAD_BIN, "--frobnicate"}).exit_code == 2);
  CHECK(Run({SIGMAD_BIN, "--log-level", "loud", "--dev", "/tmp/x"}).exit_code == 2);
  CHECK(Run({SIGMAD_BIN, "--dev", "/tmp/x", "--check-config", "/tmp/y"}).exit_code == 2);
  CHECK(Run({SIGMAD_BIN, "stray"}).exit_code == 2);
}

TEST_CASE("sigmactl exit codes", "[integration][usage]") {
  TempDir tmp;
  SECTION("daemon unreachable: 3") {
    RunResult r = Ctl(tmp.path() / "none.sock", {"status"});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("cannot connect to sigmad at"));
    CHECK_THAT(r.err, Catch::Contains("is sigmad running?"));
  }
  SECTION("version without a daemon still prints the client, then exits 3") {
    RunResult r = Ctl(tmp.path() / "none.sock", {"version"});
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.out, Catch::StartsWith("sigmactl  0.1.0"));
  }
  SECTION("usage errors: 2") {
    CHECK(Run({SIGMACTL_BIN}).exit_code == 2);
    CHECK(Run({SIGMACTL_BIN, "frobnicate"}).exit_code == 2);
    CHECK(Run({SIGMACTL_BIN, "status", "--bogus"}).exit_code == 2);
    CHECK(Run({SIGMACTL_BIN, "--timeout", "-1", "status"}).exit_code == 2);
  }
  SECTION("help on every command: 0, with the exit codes") {
    for (const auto& args : std::vector<std::vector<std::string>>{
             {"--help"}, {"status", "--help"}, {"version", "--help"}}) {
      std::vector<std::string> argv{SIGMACTL_BIN};
      argv.insert(argv.end(), args.begin(), args.end());
      RunResult r = Run(argv);
      CHECK(r.exit_code == 0);
      CHECK_THAT(r.out, Catch::Contains("3 daemon unreachable, 4 access denied"));
    }
  }
}
