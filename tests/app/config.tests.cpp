#include "app/config.h"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/state_dir.h"
#include "support/temp_dir.h"

namespace {

using sigmad::app::Config;
using sigmad::app::LoadConfigFile;
using sigmad::app::LoadOptions;
using sigmad::app::LoadResult;
using sigmad::app::MasterKeySource;
using sigmad::app::ResolveMasterKeyPath;
using sigmad::app::ParseConfig;
using sigmad::log::Level;
namespace fs = std::filesystem;

LoadResult Parse(const std::string& text, const LoadOptions& options = {}) {
  return ParseConfig(text, "f.yaml", Config{}, options);
}

std::string Joined(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += e + "\n";
  return out;
}

struct ErrorCase {
  std::string name;
  std::string text;
  std::string want;  // the one error expected
};

void CheckSingleError(const ErrorCase& c, const LoadOptions& options = {}) {
  INFO("case: " << c.name << "\n--- text ---\n" << c.text << "--- errors ---\n");
  const LoadResult r = Parse(c.text, options);
  INFO(Joined(r.errors));
  CHECK_FALSE(r.ok());
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == c.want);
}

const std::string kControlKeys =
    "admin_group, idle_timeout_seconds, max_clients, max_request_bytes, socket, socket_mode";

}  // namespace

TEST_CASE("config: an empty file or empty sections yield the defaults", "[app][config]") {
  Config defaults;  // non-default defaults prove they are carried through untouched
  defaults.state_dir = "/srv/state";
  defaults.log_level = Level::kWarning;
  defaults.control.socket = "/run/x.sock";
  defaults.control.socket_mode = 0600;
  defaults.control.admin_group = "wheel";
  defaults.control.idle_timeout_seconds = 5;
  defaults.control.max_clients = 7;
  defaults.control.max_request_bytes = 4096;
  defaults.drain_timeout_seconds = 9;

  auto check_defaults = [&](const std::string& text) {
    INFO("text: '" << text << "'");
    const LoadResult r = ParseConfig(text, "f.yaml", defaults);
    INFO(Joined(r.errors));
    CHECK(r.ok());
    CHECK(r.config.state_dir == "/srv/state");
    CHECK(r.config.log_level == Level::kWarning);
    CHECK(r.config.control.socket == "/run/x.sock");
    CHECK(r.config.control.socket_mode == 0600u);
    CHECK(r.config.control.admin_group == "wheel");
    CHECK(r.config.control.idle_timeout_seconds == 5);
    CHECK(r.config.control.max_clients == 7);
    CHECK(r.config.control.max_request_bytes == 4096);
    CHECK(r.config.drain_timeout_seconds == 9);
  };
  SECTION("empty text") { check_defaults(""); }
  SECTION("comments only") { check_defaults("# nothing here\n\n# at all\n"); }
  SECTION("an empty document marker") { check_defaults("---\n"); }
  SECTION("sections present but empty") { check_defaults("control:\nlog:\nshutdown: {}\n"); }

  SECTION("the built-in defaults match the documentation") {
    const Config c;
    CHECK(c.state_dir == "/var/lib/sigmad");
    CHECK(c.log_level == Level::kInfo);
    CHECK(c.control.socket == "/run/sigmad/control.sock");
    CHECK(c.control.socket_mode == 0660u);
    CHECK(c.control.admin_group == "sigmad-admin");
    CHECK(c.control.idle_timeout_seconds == 60);
    CHECK(c.control.max_clients == 64);
    CHECK(c.control.max_request_bytes == 16LL << 20);
    CHECK(c.drain_timeout_seconds == 30);
  }
}

TEST_CASE("config: a valid full file sets every value", "[app][config]") {
  const std::string text =
      "# sigmad.yaml\n"
      "state_dir: /data/sigmad/../sigmad-state\n"
      "log:\n"
      "  level: debug\n"
      "control:\n"
      "  socket: /run/sigmad/other.sock\n"
      "  socket_mode: \"0600\"\n"
      "  admin_group: ops.team_1-x\n"
      "  idle_timeout_seconds: 120\n"
      "  max_clients: 8\n"
      "  max_request_bytes: 65536\n"
      "shutdown:\n"
      "  drain_timeout_seconds: 45\n";
  const LoadResult r = Parse(text);
  INFO(Joined(r.errors));
  REQUIRE(r.ok());
  CHECK(r.config.state_dir == "/data/sigmad-state");  // lexically normalised
  CHECK(r.config.log_level == Level::kDebug);
  CHECK(r.config.control.socket == "/run/sigmad/other.sock");
  CHECK(r.config.control.socket_mode == 0600u);
  CHECK(r.config.control.admin_group == "ops.team_1-x");
  CHECK(r.config.control.idle_timeout_seconds == 120);
  CHECK(r.config.control.max_clients == 8);
  CHECK(r.config.control.max_request_bytes == 65536);
  CHECK(r.config.drain_timeout_seconds == 45);

  SECTION("flow style works the same") {
    const LoadResult f = Parse("control: {max_clients: 3, socket_mode: '0660'}\nlog: {level: error}\n");
    INFO(Joined(f.errors));
    REQUIRE(f.ok());
    CHECK(f.config.control.max_clients == 3);
    CHECK(f.config.control.socket_mode == 0660u);
    CHECK(f.config.log_level == Level::kError);
  }
}

TEST_CASE("config: range boundaries are inclusive", "[app][config]") {
  SECTION("lower bounds") {
    const LoadResult r = Parse(
        "control:\n  idle_timeout_seconds: 1\n  max_clients: 1\n  max_request_bytes: 1024\n"
        "shutdown:\n  drain_timeout_seconds: 1\n");
    INFO(Joined(r.errors));
    REQUIRE(r.ok());
    CHECK(r.config.control.idle_timeout_seconds == 1);
    CHECK(r.config.control.max_clients == 1);
    CHECK(r.config.control.max_request_bytes == 1024);
    CHECK(r.config.drain_timeout_seconds == 1);
  }
  SECTION("upper bounds") {
    const LoadResult r = Parse(
        "control:\n  idle_timeout_seconds: 3600\n  max_clients: 4096\n"
        "  max_request_bytes: 16777216\nshutdown:\n  drain_timeout_seconds: 600\n");
    INFO(Joined(r.errors));
    REQUIRE(r.ok());
    CHECK(r.config.control.idle_timeout_seconds == 3600);
    CHECK(r.config.control.max_clients == 4096);
    CHECK(r.config.control.max_request_bytes == 16LL << 20);
    CHECK(r.config.drain_timeout_seconds == 600);
  }
}

TEST_CASE("config: each kind of error is reported at its position", "[app][config]") {
  SECTION("invalid YAML syntax") {
    const ErrorCase cases[] = {
        {"unclosed flow sequence", "control: [1, 2\n",
         "f.yaml:2:1: invalid YAML: end of sequence flow not found"},
        {"map value in a plain scalar", "a: b: c\n", "f.yaml:1:5: invalid YAML: illegal map value"},
        {"tab indentation", "control:\n  socket: /a\n\tbad: 1\n",
         "f.yaml:3:1: invalid YAML: illegal tab when looking for indentation"},
    };
    for (const auto& c : cases) CheckSingleError(c);
  }

  SECTION("unknown and duplicate keys") {
    const ErrorCase cases[] = {
        {"unknown top-level key", "log:\n  level: info\nbogus: 1\n",
         "f.yaml:3:1: unknown key 'bogus' (known keys: control, jobs, keys, log, shutdown, state_dir)"},
        {"unknown key in control", "control:\n  max_clients: 2\n  bogus: 1\n",
         "f.yaml:3:3: unknown key 'control.bogus' (known keys in 'control': " + kControlKeys +
             ")"},
        {"unknown key in log", "log:\n  levle: info\n",
         "f.yaml:2:3: unknown key 'log.levle' (known keys in 'log': level)"},
        {"unknown key in shutdown", "shutdown: {drain: 3}\n",
         "f.yaml:1:12: unknown key 'shutdown.drain' (known keys in 'shutdown': "
         "drain_timeout_seconds)"},
        {"duplicate top-level key", "log:\n  level: info\nlog:\n  level: debug\n",
         "f.yaml:3:1: duplicate key 'log'"},
        {"duplicate nested key", "control:\n  max_clients: 2\n  max_clients: 3\n",
         "f.yaml:3:3: duplicate key 'control.max_clients'"},
        {"a non-scalar key", "[a]: 1\n", "f.yaml:1:1: the document keys must be plain names"},
        {"a non-scalar nested key", "control:\n  {a: 1}: 2\n",
         "f.yaml:2:3: 'control' keys must be plain names"},
    };
    for (const auto& c : cases) CheckSingleError(c);
  }

  SECTION("wrong types") {
    const ErrorCase cases[] = {
        {"word for an integer", "control:\n  max_clients: many\n",
         "f.yaml:2:16: 'control.max_clients' must be an integer, got 'many'"},
        {"decimal for an integer", "control:\n  max_clients: 5.0\n",
         "f.yaml:2:16: 'control.max_clients' must be an integer, got '5.0'"},
        {"hex for an integer", "control:\n  max_clients: 0x10\n",
         "f.yaml:2:16: 'control.max_clients' must be an integer, got '0x10'"},
        {"double-quoted number", "control:\n  idle_timeout_seconds: \"60\"\n",
         "f.yaml:2:25: 'control.idle_timeout_seconds' must be an integer, got the quoted "
         "string '60'"},
        {"single-quoted number", "shutdown:\n  drain_timeout_seconds: '60'\n",
         "f.yaml:2:26: 'shutdown.drain_timeout_seconds' must be an integer, got the quoted "
         "string '60'"},
        {"list for an integer", "control:\n  max_clients: [1, 2]\n",
         "f.yaml:2:16: 'control.max_clients' must be an integer, got a list"},
        {"mapping for an integer", "control:\n  max_clients: {a: 1}\n",
         "f.yaml:2:16: 'control.max_clients' must be an integer, got a mapping"},
        {"explicit null for an integer", "control:\n  max_clients: ~\n",
         "f.yaml:2:16: 'control.max_clients' must be an integer, got nothing (null)"},
        {"list for a string", "log:\n  level: [debug]\n",
         "f.yaml:2:10: 'log.level' must be a string, got a list"},
        {"mapping for a path", "state_dir: {a: b}\n",
         "f.yaml:1:12: 'state_dir' must be a string, got a mapping"},
        {"explicit null for a path", "state_dir: null\n",
         "f.yaml:1:12: 'state_dir' must be a string, got nothing (null)"},
        {"empty string for a path", "state_dir: \"\"\n", "f.yaml:1:12: 'state_dir' must not be empty"},
        {"scalar for a mapping", "control: 5\n", "f.yaml:1:10: 'control' must be a mapping, got '5'"},
        {"quoted scalar for a mapping", "log: \"debug\"\n",
         "f.yaml:1:6: 'log' must be a mapping, got the quoted string 'debug'"},
        {"list for a mapping", "shutdown: [a]\n",
         "f.yaml:1:11: 'shutdown' must be a mapping, got a list"},
        {"document is a list", "- a\n- b\n", "f.yaml:1:1: the document must be a mapping, got a list"},
        {"document is a scalar", "hello\n", "f.yaml:1:1: the document must be a mapping, got 'hello'"},
    };
    for (const auto& c : cases) CheckSingleError(c);
  }

  SECTION("a missing value (null) is a type error, not a default") {
    // Only the message is checked here; see the next test case for its position.
    for (const char* text : {"control:\n  max_clients:\n", "state_dir:\nlog: {}\n"}) {
      INFO(text);
      const LoadResult r = Parse(text);
      REQUIRE(r.errors.size() == 1);
      CHECK_THAT(r.errors[0], Catch::Matchers::EndsWith("got nothing (null)"));
    }
  }

  SECTION("out-of-range integers") {
    const ErrorCase cases[] = {
        {"idle timeout 0", "control:\n  idle_timeout_seconds: 0\n",
         "f.yaml:2:25: 'control.idle_timeout_seconds' must be between 1 and 3600, got 0"},
        {"idle timeout 3601", "control:\n  idle_timeout_seconds: 3601\n",
         "f.yaml:2:25: 'control.idle_timeout_seconds' must be between 1 and 3600, got 3601"},
        {"max_clients negative", "control:\n  max_clients: -1\n",
         "f.yaml:2:16: 'control.max_clients' must be between 1 and 4096, got -1"},
        {"max_clients 4097", "control:\n  max_clients: 4097\n",
         "f.yaml:2:16: 'control.max_clients' must be between 1 and 4096, got 4097"},
        {"max_clients beyond long long", "control:\n  max_clients: 99999999999999999999999\n",
         "f.yaml:2:16: 'control.max_clients' must be between 1 and 4096, got "
         "99999999999999999999999"},
        {"max_request_bytes 1023", "control:\n  max_request_bytes: 1023\n",
         "f.yaml:2:22: 'control.max_request_bytes' must be between 1024 and 16777216, got 1023"},
        {"max_request_bytes 16777217", "control:\n  max_request_bytes: 16777217\n",
         "f.yaml:2:22: 'control.max_request_bytes' must be between 1024 and 16777216, got "
         "16777217"},
        {"drain timeout 0", "shutdown:\n  drain_timeout_seconds: 0\n",
         "f.yaml:2:26: 'shutdown.drain_timeout_seconds' must be between 1 and 600, got 0"},
        {"drain timeout 601", "shutdown:\n  drain_timeout_seconds: 601\n",
         "f.yaml:2:26: 'shutdown.drain_timeout_seconds' must be between 1 and 600, got 601"},
    };
    for (const auto& c : cases) CheckSingleError(c);
  }

  SECTION("bad log level") {
    const ErrorCase cases[] = {
        {"unknown level", "log:\n  level: verbose\n",
         "f.yaml:2:10: 'log.level' must be one of debug, info, warning, error; got 'verbose'"},
        {"wrong case", "log:\n  level: INFO\n",
         "f.yaml:2:10: 'log.level' must be one of debug, info, warning, error; got 'INFO'"},
    };
    for (const auto& c : cases) CheckSingleError(c);
  }

  SECTION("bad socket_mode") {
    const ErrorCase cases[] = {
        {"non-octal digit", "control:\n  socket_mode: \"0680\"\n",
         "f.yaml:2:16: 'control.socket_mode' must be an octal file mode such as \"0660\", got "
         "'0680'"},
        {"letters", "control:\n  socket_mode: rw-rw----\n",
         "f.yaml:2:16: 'control.socket_mode' must be an octal file mode such as \"0660\", got "
         "'rw-rw----'"},
        {"too short", "control:\n  socket_mode: \"66\"\n",
         "f.yaml:2:16: 'control.socket_mode' must be an octal file mode such as \"0660\", got "
         "'66'"},
        {"too long", "control:\n  socket_mode: \"00660\"\n",
         "f.yaml:2:16: 'control.socket_mode' must be an octal file mode such as \"0660\", got "
         "'00660'"},
        {"special bits", "control:\n  socket_mode: \"1777\"\n",
         "f.yaml:2:16: 'control.socket_mode' must be an octal file mode such as \"0660\", got "
         "'1777'"},
        {"owner read only", "control:\n  socket_mode: \"0466\"\n",
         "f.yaml:2:16: 'control.socket_mode' must give the owner read and write (0600), got "
         "'0466'"},
        {"owner write only", "control:\n  socket_mode: \"0260\"\n",
         "f.yaml:2:16: 'control.socket_mode' must give the owner read and write (0600), got "
         "'0260'"},
        {"nothing for the owner", "control:\n  socket_mode: \"0066\"\n",
         "f.yaml:2:16: 'control.socket_mode' must give the owner read and write (0600), got "
         "'0066'"},
    };
    for (const auto& c : cases) CheckSingleError(c);

    SECTION("valid modes, quoted or not") {
      for (const auto& [text, want] : std::vector<std::pair<std::string, unsigned>>{
               {"\"0600\"", 0600u}, {"\"660\"", 0660u}, {"0666", 0666u}, {"'0700'", 0700u}}) {
        INFO(text);
        const LoadResult r = Parse("control:\n  socket_mode: " + text + "\n");
        INFO(Joined(r.errors));
        REQUIRE(r.ok());
        CHECK(r.config.control.socket_mode == want);
      }
    }
  }

  SECTION("bad admin_group") {
    const ErrorCase cases[] = {
        {"leading dash", "control:\n  admin_group: -wheel\n",
         "f.yaml:2:16: 'control.admin_group' must be a group name (letters, digits, _ . -, at "
         "most 32), got '-wheel'"},
        {"space", "control:\n  admin_group: a b\n",
         "f.yaml:2:16: 'control.admin_group' must be a group name (letters, digits, _ . -, at "
         "most 32), got 'a b'"},
        {"33 characters", "control:\n  admin_group: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
         "f.yaml:2:16: 'control.admin_group' must be a group name (letters, digits, _ . -, at "
         "most 32), got 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa'"},
    };
    for (const auto& c : cases) CheckSingleError(c);
    const LoadResult r = Parse("control:\n  admin_group: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
    CHECK(r.ok());  // exactly 32
  }

  SECTION("relative paths need a base") {
    const ErrorCase cases[] = {
        {"relative state_dir", "state_dir: var/lib/sigmad\n",
         "f.yaml:1:12: 'state_dir' must be an absolute path, got 'var/lib/sigmad'"},
        {"relative socket", "control:\n  socket: ./control.sock\n",
         "f.yaml:2:11: 'control.socket' must be an absolute path, got './control.sock'"},
    };
    for (const auto& c : cases) CheckSingleError(c);
  }

  SECTION("socket path longer than a unix socket allows") {
    const std::string p107 = "/" + std::string(106, 's');
    const std::string p108 = "/" + std::string(107, 's');
    REQUIRE(p107.size() == sigmad::app::kMaxUnixSocketPath);

    const LoadResult ok = Parse("control:\n  socket: " + p107 + "\n");
    INFO(Joined(ok.errors));
    CHECK(ok.ok());
    CHECK(ok.config.control.socket == p107);

    const LoadResult bad = Parse("control:\n  socket: " + p108 + "\n");
    REQUIRE(bad.errors.size() == 1);
    CHECK(bad.errors[0] ==
          "f.yaml:2:11: 'control.socket' is 108 bytes long; a unix socket path may be at most 107");
    CHECK(bad.config.control.socket == Config{}.control.socket);  // not applied

    // The limit applies to the resolved path, not to what the file says.
    const std::string base = "/" + std::string(100, 'b');
    const LoadResult rel = Parse("control:\n  socket: c.sock\n", LoadOptions{base, false});
    REQUIRE(rel.errors.size() == 1);
    CHECK(rel.errors[0] ==
          "f.yaml:2:11: 'control.socket' is 108 bytes long; a unix socket path may be at most 107");
  }

  SECTION("state_dir cannot be set in dev mode") {
    const ErrorCase c{"dev mode", "log:\n  level: info\nstate_dir: /var/lib/other\n",
                      "f.yaml:3:12: 'state_dir' cannot be set here: in dev mode the state dir is "
                      "the dev dir itself"};
    CheckSingleError(c, LoadOptions{"/home/me/dev", true});
    Config defaults;
    defaults.state_dir = "/home/me/dev";
    const LoadResult r = ParseConfig("log:\n  level: info\n", "f.yaml", defaults,
                                     LoadOptions{"/home/me/dev", true});
    CHECK(r.ok());
    CHECK(r.config.state_dir == "/home/me/dev");
  }
}

// yaml-cpp marks a missing value at the *next* token, so the position reported for
// "key:" with nothing after it is the start of the following line: a line past the end
// of the file, or the next key. It should point at the line of the key itself.
TEST_CASE("config: a missing value is reported on its key's line", "[app][config]") {
  SECTION("last key in the file") {
    const LoadResult r = Parse("state_dir:\n");
    REQUIRE(r.errors.size() == 1);
    CHECK_THAT(r.errors[0], Catch::Matchers::StartsWith("f.yaml:1:"));
  }
  SECTION("followed by another key") {
    const LoadResult r = Parse("control:\n  max_clients:\nlog: {}\n");
    REQUIRE(r.errors.size() == 1);
    CHECK_THAT(r.errors[0], Catch::Matchers::StartsWith("f.yaml:2:"));
  }
}

TEST_CASE("config: every error in a file is reported, in file order", "[app][config]") {
  const std::string text =
      "state_dir: relative/dir\n"           // 1
      "log:\n"                              // 2
      "  level: loud\n"                     // 3
      "control:\n"                          // 4
      "  max_clients: 0\n"                  // 5
      "  socket_mode: \"0400\"\n"           // 6
      "  bogus: 1\n"                        // 7
      "  idle_timeout_seconds: \"10\"\n"    // 8
      "  max_clients: 5\n"                  // 9
      "shutdown:\n"                         // 10
      "  drain_timeout_seconds: 9999\n"     // 11
      "extra: true\n";                      // 12
  const LoadResult r = Parse(text);
  const std::vector<std::string> want = {
      "f.yaml:1:12: 'state_dir' must be an absolute path, got 'relative/dir'",
      "f.yaml:3:10: 'log.level' must be one of debug, info, warning, error; got 'loud'",
      "f.yaml:5:16: 'control.max_clients' must be between 1 and 4096, got 0",
      "f.yaml:6:16: 'control.socket_mode' must give the owner read and write (0600), got '0400'",
      "f.yaml:7:3: unknown key 'control.bogus' (known keys in 'control': " + kControlKeys + ")",
      "f.yaml:8:25: 'control.idle_timeout_seconds' must be an integer, got the quoted string "
      "'10'",
      "f.yaml:9:3: duplicate key 'control.max_clients'",
      "f.yaml:11:26: 'shutdown.drain_timeout_seconds' must be between 1 and 600, got 9999",
      "f.yaml:12:1: unknown key 'extra' (known keys: control, jobs, keys, log, shutdown, state_dir)",
  };
  CHECK(r.errors == want);
  CHECK_FALSE(r.ok());
}

TEST_CASE("config: relative paths resolve against relative_base", "[app][config]") {
  const LoadOptions dev{"/home/me/dev", false};
  const LoadResult r = Parse(
      "state_dir: state/../data\ncontrol:\n  socket: ./run/control.sock\n", dev);
  INFO(Joined(r.errors));
  REQUIRE(r.ok());
  CHECK(r.config.state_dir == "/home/me/dev/data");
  CHECK(r.config.control.socket == "/home/me/dev/run/control.sock");

  SECTION("absolute paths ignore the base") {
    const LoadResult a = Parse("state_dir: /abs/dir\ncontrol:\n  socket: /abs/s.sock\n", dev);
    REQUIRE(a.ok());
    CHECK(a.config.state_dir == "/abs/dir");
    CHECK(a.config.control.socket == "/abs/s.sock");
  }
}

TEST_CASE("config: LoadConfigFile reads a file and names it in messages", "[app][config]") {
  sigmad::testing::TempDir dir;
  const fs::path file = dir / "sigmad.yaml";

  SECTION("a valid file") {
    sigmad::testing::WriteFile(file, "log:\n  level: warning\ncontrol:\n  max_clients: 3\n");
    const LoadResult r = LoadConfigFile(file, Config{});
    INFO(Joined(r.errors));
    REQUIRE(r.ok());
    CHECK(r.config.log_level == Level::kWarning);
    CHECK(r.config.control.max_clients == 3);
  }
  SECTION("errors carry the file's path") {
    sigmad::testing::WriteFile(file, "log:\n  level: warning\nnope: 1\n");
    const LoadResult r = LoadConfigFile(file, Config{});
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == file.string() +
                             ":3:1: unknown key 'nope' (known keys: control, jobs, keys, log, shutdown, "
                             "state_dir)");
  }
  SECTION("an empty file yields the defaults") {
    sigmad::testing::WriteFile(file, "");
    Config defaults;
    defaults.control.max_clients = 11;
    const LoadResult r = LoadConfigFile(file, defaults);
    CHECK(r.ok());
    CHECK(r.config.control.max_clients == 11);
  }
  SECTION("relative paths in a file resolve against the options' base") {
    sigmad::testing::WriteFile(file, "control:\n  socket: c.sock\n");
    const LoadResult r = LoadConfigFile(file, Config{}, LoadOptions{dir.path(), true});
    INFO(Joined(r.errors));
    REQUIRE(r.ok());
    CHECK(r.config.control.socket == dir.path() / "c.sock");
  }
  SECTION("a missing file is one 'cannot read' error") {
    Config defaults;
    defaults.control.max_clients = 11;
    const LoadResult r = LoadConfigFile(dir / "absent.yaml", defaults);
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == (dir / "absent.yaml").string() +
                             ": cannot read: No such file or directory");
    CHECK(r.config.control.max_clients == 11);
  }
  SECTION("a directory is unreadable as a config file") {
    // The contract: an unreadable file is one "FILE: cannot read: why" error. A
    // directory opens but cannot be read; it must not pass as an empty, valid config.
    const LoadResult r = LoadConfigFile(dir.path(), Config{});
    INFO(Joined(r.errors));
    CHECK_FALSE(r.ok());
    REQUIRE(r.errors.size() == 1);
    CHECK_THAT(r.errors[0], Catch::Matchers::StartsWith(dir.path().string() + ": cannot read: "));
  }
}

TEST_CASE("config: a file with more than one YAML document is refused", "[app][config]") {
  const LoadResult r = ParseConfig("log:\n  level: info\n---\nlog:\n  level: debug\n", "f.yaml",
                                   Config{}, LoadOptions{});
  REQUIRE(r.errors.size() == 1);
  CHECK(r.errors[0] == "f.yaml:4:1: a config file holds one YAML document; found 2");
}

TEST_CASE("config: keys.master_key_file", "[app][config]") {
  SECTION("defaults to /etc/sigmad/master.key") {
    const LoadResult r = ParseConfig("", "f.yaml", Config{}, LoadOptions{});
    REQUIRE(r.ok());
    CHECK(r.config.master_key_file == "/etc/sigmad/master.key");
  }
  SECTION("an absolute path is taken") {
    const LoadResult r = ParseConfig("keys:\n  master_key_file: /srv/keys/kek\n", "f.yaml",
                                     Config{}, LoadOptions{});
    REQUIRE(r.ok());
    CHECK(r.config.master_key_file == "/srv/keys/kek");
  }
  SECTION("a relative path is refused outside dev mode") {
    const LoadResult r =
        ParseConfig("keys:\n  master_key_file: kek\n", "f.yaml", Config{}, LoadOptions{});
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] ==
          "f.yaml:2:20: 'keys.master_key_file' must be an absolute path, got 'kek'");
  }
  SECTION("dev mode fixes it to DIR/master.key") {
    const LoadResult r = ParseConfig("keys:\n  master_key_file: /srv/kek\n", "f.yaml", Config{},
                                     LoadOptions{"/home/me/dev", true});
    REQUIRE(r.errors.size() == 1);
    CHECK(r.errors[0] == "f.yaml:2:20: 'keys.master_key_file' cannot be set here: in dev mode "
                         "the master key is DIR/master.key");
  }
}

TEST_CASE("config: jobs.workers", "[app][config]") {
  const LoadResult defaults = ParseConfig("", "f.yaml", Config{}, LoadOptions{});
  REQUIRE(defaults.ok());
  CHECK(defaults.config.jobs.workers == 1);
  const LoadResult set = ParseConfig("jobs:\n  workers: 2\n", "f.yaml", Config{}, LoadOptions{});
  REQUIRE(set.ok());
  CHECK(set.config.jobs.workers == 2);
  const LoadResult bad =
      ParseConfig("jobs:\n  workers: 0\n  queue: 3\n", "f.yaml", Config{}, LoadOptions{});
  REQUIRE(bad.errors.size() == 2);
  CHECK(bad.errors[0] == "f.yaml:2:12: 'jobs.workers' must be between 1 and 64, got 0");
  CHECK_THAT(bad.errors[1], Catch::StartsWith("f.yaml:3:3: unknown key 'jobs.queue'"));
}

TEST_CASE("config: jobs.threads", "[app][config]") {
  const LoadResult defaults = ParseConfig("", "f.yaml", Config{}, LoadOptions{});
  REQUIRE(defaults.ok());
  CHECK(defaults.config.jobs.threads == 1);
  const LoadResult set = ParseConfig("jobs:\n  threads: 3\n", "f.yaml", Config{}, LoadOptions{});
  REQUIRE(set.ok());
  CHECK(set.config.jobs.threads == 3);
  const LoadResult bad = ParseConfig("jobs:\n  threads: 257\n", "f.yaml", Config{}, LoadOptions{});
  REQUIRE(bad.errors.size() == 1);
  CHECK(bad.errors[0] == "f.yaml:2:12: 'jobs.threads' must be between 0 and 256, got 257");
  const LoadResult negative =
      ParseConfig("jobs:\n  threads: -1\n", "f.yaml", Config{}, LoadOptions{});
  REQUIRE(negative.errors.size() == 1);
  CHECK(negative.errors[0] == "f.yaml:2:12: 'jobs.threads' must be between 0 and 256, got -1");
}

TEST_CASE("config: the dev dir's commented sigmad.yaml, uncommented, is valid and says the "
          "defaults",
          "[app][config]") {
  sigmad::testing::TempDir dir;
  const sigmad::app::DevPaths paths = sigmad::app::DevPaths::For(dir.path());
  std::string created;
  REQUIRE(sigmad::app::PrepareDevDir(paths, std::chrono::system_clock::now(), &created).ok());
  std::ifstream in(paths.config);
  std::string line, uncommented;
  bool settings = false;  // the settings start at the first "# key:" at column 2
  while (std::getline(in, line)) {
    if (line.rfind("# ", 0) == 0 && line.size() > 2 && line[2] != ' ' &&
        line.find(':') != std::string::npos && line.find(": ") == std::string::npos &&
        line.back() == ':') {
      settings = true;
    }
    if (settings && line.rfind("# ", 0) == 0) uncommented += line.substr(2) + "\n";
  }
  CHECK_THAT(uncommented, Catch::Contains("jobs:\n  workers: 1 ") &&
                              Catch::Contains("  threads: 1 "));
  Config defaults;
  defaults.state_dir = dir.path();
  const LoadResult r = ParseConfig(uncommented, "sigmad.yaml", defaults,
                                   LoadOptions{dir.path(), true});
  INFO(uncommented);
  REQUIRE(r.ok());
  Config expected = defaults;
  expected.control.socket = paths.socket;
  expected.control.socket_mode = 0600;
  CHECK(r.config.log_level == expected.log_level);
  CHECK(r.config.control.socket == expected.control.socket);
  CHECK(r.config.control.socket_mode == expected.control.socket_mode);
  CHECK(r.config.control.max_clients == expected.control.max_clients);
  CHECK(r.config.control.max_request_bytes == expected.control.max_request_bytes);
  CHECK(r.config.drain_timeout_seconds == expected.drain_timeout_seconds);
  CHECK(r.config.jobs.workers == expected.jobs.workers);
  CHECK(r.config.jobs.threads == expected.jobs.threads);
}

TEST_CASE("ResolveMasterKeyPath prefers the systemd credential", "[app][config]") {
  sigmad::testing::TempDir creds;
  const fs::path configured = "/etc/sigmad/master.key";
  SECTION("no credentials dir, or an empty one") {
    for (const char* dir : {static_cast<const char*>(nullptr), ""}) {
      const MasterKeySource k = ResolveMasterKeyPath(configured, dir);
      CHECK(k.path == configured);
      CHECK_FALSE(k.credential);
    }
    const MasterKeySource k = ResolveMasterKeyPath(configured, creds.path().c_str());
    CHECK(k.path == configured);
    CHECK_FALSE(k.credential);
  }
  SECTION("a credential named master-key") {
    std::ofstream(creds / "master-key") << std::string(32, 'k');
    const MasterKeySource k = ResolveMasterKeyPath(configured, creds.path().c_str());
    CHECK(k.path == creds / "master-key");
    CHECK(k.credential);
  }
}
