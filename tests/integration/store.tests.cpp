// Integration tests: store verify, the audit log commands, and crash safety, against
// the real sigmad and sigmactl. Damage is done with LMDB directly while sigmad is stopped.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <lmdb.h>
#include <signal.h>

#include <algorithm>
#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "integration/harness.h"

using namespace sigmad::it;
using Poco::JSON::Object;

namespace {

Object::Ptr Json(const RunResult& r) {
  INFO("stdout: " << r.out << "\nstderr: " << r.err);
  Poco::JSON::Parser parser;
  return parser.parse(r.out).extract<Object::Ptr>();
}

std::string Hex(const std::string& bytes) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (unsigned char c : bytes) {
    out += hex[c >> 4];
    out += hex[c & 15];
  }
  return out;
}

// Flips one byte in the middle of the first value of `db` in the store at `dir`, with
// LMDB itself (sigmad must be stopped). Returns that value's key.
std::string FlipFirstValue(const fs::path& dir, const char* db) {
  MDB_env* env = nullptr;
  REQUIRE(mdb_env_create(&env) == 0);
  mdb_env_set_maxdbs(env, 32);
  REQUIRE(mdb_env_open(env, dir.c_str(), 0, 0600) == 0);
  MDB_txn* txn = nullptr;
  REQUIRE(mdb_txn_begin(env, nullptr, 0, &txn) == 0);
  MDB_dbi dbi;
  REQUIRE(mdb_dbi_open(txn, db, 0, &dbi) == 0);
  MDB_cursor* cur = nullptr;
  REQUIRE(mdb_cursor_open(txn, dbi, &cur) == 0);
  MDB_val k, v;
  REQUIRE(mdb_cursor_get(cur, &k, &v, MDB_FIRST) == 0);
  const std::string key(static_cast<const char*>(k.mv_data), k.mv_size);
  std::string value(static_cast<const char*>(v.mv_data), v.mv_size);
  mdb_cursor_close(cur);
  value[value.size() / 2] = static_cast<char>(value[value.size() / 2] ^ 0x01);
  MDB_val nk{key.size(), const_cast<char*>(key.data())};
  MDB_val nv{value.size(), value.data()};
  REQUIRE(mdb_put(txn, dbi, &nk, &nv, 0) == 0);
  REQUIRE(mdb_txn_commit(txn) == 0);
  mdb_env_close(env);
  return key;
}

}  // namespace

TEST_CASE("store verify passes on an intact store and names a damaged record",
          "[integration][store]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  for (const char* t : {"acme", "globex"}) {
    REQUIRE(Ctl(d.socket(), {"tenant", "create", t}).exit_code == 0);
    REQUIRE(Ctl(d.socket(), {"project", "create", std::string(t) + "/lab"}).exit_code == 0);
  }
  RunResult ok = Ctl(d.socket(), {"store", "verify"});
  INFO(ok.out << ok.err);
  CHECK(ok.exit_code == 0);
  // The table's row for a DB, with its column padding squeezed to one space.
  auto row = [](const std::string& out, const std::string& db) {
    std::string line, squeezed;
    for (size_t at = 0; at < out.size();) {
      const size_t eol = out.find('\n', at);
      line = out.substr(at, eol - at);
      if (line.rfind(db + " ", 0) == 0) break;
      line.clear();
      at = eol == std::string::npos ? out.size() : eol + 1;
    }
    for (char c : line) {
      if (c != ' ' || squeezed.empty() || squeezed.back() != ' ') squeezed += c;
    }
    return squeezed;
  };
  CHECK(row(ok.out, "projects") == "projects 2 0");
  CHECK(row(ok.out, "keys") == "keys 3 0");  // system + 2 tenants
  CHECK_THAT(ok.out, Catch::Contains("store intact: "));
  REQUIRE(d.Stop() == 0);

  const std::string key = FlipFirstValue(d.dir() / "store", "projects");
  REQUIRE(d.Start());
  RunResult bad = Ctl(d.socket(), {"store", "verify"});
  INFO(bad.out << bad.err);
  CHECK(bad.exit_code == 1);
  CHECK(row(bad.out, "projects") == "projects 2 1");
  CHECK_THAT(bad.out, Catch::Contains("FAILED projects key " + Hex(key) + ": "));
  CHECK_THAT(bad.out, Catch::Contains("store DAMAGED: 1 of "));
  auto j = Json(Ctl(d.socket(), {"--json", "store", "verify"}));
  CHECK_FALSE(j->getValue<bool>("ok"));
  auto f = j->getArray("failures")->getObject(0);
  CHECK(f->getValue<std::string>("db") == "projects");
  CHECK(f->getValue<std::string>("key") == Hex(key));
  CHECK(f->getValue<std::string>("reason").find("authentication") != std::string::npos);
  // A read of the damaged record is an integrity error, never garbage: one of the two
  // tenants can no longer list its projects.
  RunResult a = Ctl(d.socket(), {"project", "list", "acme"});
  RunResult g = Ctl(d.socket(), {"project", "list", "globex"});
  CHECK(a.exit_code + g.exit_code == 1);
  CHECK_THAT(a.err + g.err, Catch::Contains("'projects' record " + Hex(key) + " does not open"));
  CHECK(d.Stop() == 0);
}

TEST_CASE("audit verify, tail and export", "[integration][audit]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  REQUIRE(Ctl(d.socket(), {"tenant", "create", "acme"}).exit_code == 0);
  REQUIRE(Ctl(d.socket(), {"tenant", "create", "globex"}).exit_code == 0);
  REQUIRE(Ctl(d.socket(), {"project", "create", "acme/lab"}).exit_code == 0);
  REQUIRE(Ctl(d.socket(), {"project", "create", "acme/lab"}).exit_code == 1);  // refused

  SECTION("verify") {
    RunResult v = Ctl(d.socket(), {"audit", "verify"});
    INFO(v.out << v.err);
    CHECK(v.exit_code == 0);
    CHECK_THAT(v.out, Catch::StartsWith("audit log intact: "));
    auto j = Json(Ctl(d.socket(), {"--json", "audit", "verify"}));
    CHECK(j->getValue<bool>("ok"));
    CHECK(j->getValue<int>("first_seq") == 1);
    CHECK(j->getValue<int>("last_seq") >= 9);  // 5 accesses + 4 operations
  }
  SECTION("tail, by tenant") {
    auto j = Json(Ctl(d.socket(), {"--json", "audit", "tail", "--tenant", "acme"}));
    auto records = j->getArray("records");
    REQUIRE(records->size() == 3);
    std::vector<std::string> got;
    for (const auto& r : *records) {
      auto o = r.extract<Object::Ptr>();
      got.push_back(o->getValue<std::string>("action") + " " + o->getValue<std::string>("target") +
                    " " + o->getValue<std::string>("outcome"));
      CHECK(o->getValue<std::string>("tenant") == "acme");
      CHECK_THAT(o->getValue<std::string>("time"), Catch::EndsWith("Z"));
    }
    CHECK(got == std::vector<std::string>{"tenant.create acme ok", "project.create acme/lab ok",
                                          "project.create acme/lab error:exists"});
    RunResult human = Ctl(d.socket(), {"audit", "tail", "-n", "2"});
    CHECK_THAT(human.out, Catch::StartsWith("SEQ  TIME"));
    CHECK(std::count(human.out.begin(), human.out.end(), '\n') == 3);
  }
  SECTION("tail --follow streams new records") {
    // The daemon side, exactly: a raw client follows, and sees a new record arrive.
    RawClient c(d.socket());
    REQUIRE(c.Send("{\"v\":1,\"id\":1,\"method\":\"audit.tail\","
                   "\"params\":{\"n\":1,\"follow\":true}}\n"));
    // First the newest record: this connection's own access.
    CHECK_THAT(c.ReadLine().value_or(""), Catch::Contains("\"action\":\"control.access\""));
    REQUIRE(Ctl(d.socket(), {"tenant", "create", "initech"}).exit_code == 0);
    bool seen = false;
    for (int i = 0; i < 10 && !seen; ++i) {
      const std::string line = c.ReadLine().value_or("");
      seen = line.find("\"target\":\"initech\"") != std::string::npos;
    }
    CHECK(seen);
    c.Close();
    // sigmactl prints each streamed record as it comes (it is stopped by the timeout).
    RunOptions o;
    o.timeout = std::chrono::seconds(3);
    RunResult follow = Ctl(d.socket(), {"audit", "tail", "-n", "1", "--follow"}, o);
    CHECK_THAT(follow.out, Catch::Contains("control.access"));
    CHECK(Ctl(d.socket(), {"status"}).exit_code == 0);  // the daemon is unbothered
  }
  SECTION("export as jsonl and csv, bounded by time") {
    RunResult jl = Ctl(d.socket(), {"audit", "export"});
    REQUIRE(jl.exit_code == 0);
    const auto lines = std::count(jl.out.begin(), jl.out.end(), '\n');
    CHECK(lines >= 9);
    CHECK_THAT(jl.err, Catch::Contains("exported " + std::to_string(lines) + " audit records"));
    Poco::JSON::Parser parser;
    auto first = parser.parse(jl.out.substr(0, jl.out.find('\n'))).extract<Object::Ptr>();
    CHECK(first->getValue<int>("seq") == 1);
    CHECK(first->getValue<std::string>("prev_hash") == std::string(64, '0'));

    RunResult csv = Ctl(d.socket(), {"audit", "export", "--format", "csv"});
    REQUIRE(csv.exit_code == 0);
    CHECK_THAT(csv.out, Catch::StartsWith("seq,time,actor,tenant,action,target,outcome,"));

    RunResult future = Ctl(d.socket(), {"audit", "export", "--since", "2199-01-01"});
    CHECK(future.exit_code == 0);
    CHECK(future.out.empty());
    RunResult past = Ctl(d.socket(), {"audit", "export", "--until", "2000-01-01T00:00:00Z"});
    CHECK(past.out.empty());

    RunResult bad = Ctl(d.socket(), {"audit", "export", "--since", "23/11/2026"});
    CHECK(bad.exit_code == 1);
    CHECK_THAT(bad.err, Catch::Contains("parameter 'since' is invalid: '23/11/2026' is not a date"));
    RunResult order = Ctl(d.socket(), {"audit", "export", "--since", "2026-11-24",
                                       "--until", "2026-11-23"});
    CHECK_THAT(order.err, Catch::Contains("parameter 'until' must be later than 'since'"));
    CHECK(Ctl(d.socket(), {"audit", "export", "--format", "xml"}).exit_code == 2);
  }
  CHECK(d.Stop() == 0);
}

TEST_CASE("kill -9 during creates loses nothing sigmactl reported", "[integration][crash]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  REQUIRE(Ctl(d.socket(), {"tenant", "create", "acme"}).exit_code == 0);
  REQUIRE(Ctl(d.socket(), {"project", "create", "acme/lab"}).exit_code == 0);

  std::vector<std::string> reported;  // tasks whose create exited 0
  std::atomic<int> count{0};
  std::thread writer([&] {
    for (int i = 0; i < 500; ++i) {
      const std::string name = "t-" + std::to_string(i);
      if (Ctl(d.socket(), {"task", "create", "acme/lab/" + name}).exit_code != 0) break;
      reported.push_back(name);
      ++count;
    }
  });
  while (count < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  d.Signal(SIGKILL);
  writer.join();
  d.WaitExit(std::chrono::seconds(10));
  REQUIRE(reported.size() >= 20);
  REQUIRE(reported.size() < 500);  // the kill landed mid-loop

  REQUIRE(d.Start());
  auto tasks = Json(Ctl(d.socket(), {"--json", "task", "list", "acme/lab"}))->getArray("tasks");
  std::set<std::string> present;
  for (const auto& t : *tasks) present.insert(t.extract<Object::Ptr>()->getValue<std::string>("name"));
  for (const auto& name : reported) {
    INFO(name);
    CHECK(present.count(name) == 1);
  }
  CHECK(present.size() <= reported.size() + 1);  // at most the one in flight
  RunResult store = Ctl(d.socket(), {"store", "verify"});
  INFO(store.out);
  CHECK(store.exit_code == 0);
  RunResult audit = Ctl(d.socket(), {"audit", "verify"});
  INFO(audit.out);
  CHECK(audit.exit_code == 0);
  CHECK(d.Stop() == 0);
}
