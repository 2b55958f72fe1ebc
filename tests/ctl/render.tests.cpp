#include "render.h"

#include <Poco/JSON/Object.h>

#include <catch2/catch.hpp>
#include <sstream>
#include <string>

#include "commands.h"

namespace {

using namespace sigmad::ctl;
using Poco::Dynamic::Var;
using Poco::JSON::Object;

std::string Kv(const sigmad::ctl::KeyValues& rows) {
  std::ostringstream out;
  PrintKeyValues(out, rows);
  return out.str();
}

std::string Table(const std::vector<std::string>& header,
                  const std::vector<std::vector<std::string>>& rows) {
  std::ostringstream out;
  PrintTable(out, header, rows);
  return out.str();
}

Var Progress(std::initializer_list<std::pair<std::string, Var>> fields) {
  Object::Ptr o = new Object;
  for (const auto& [k, v] : fields) o->set(k, v);
  return Var(o);
}

}  // namespace

TEST_CASE("PrintKeyValues aligns the values in one column", "[ctl][render]") {
  CHECK(Kv({{"state", "running"}, {"uptime", "3d 4h 5m 6s"}, {"socket", "/run/s.sock"},
                   {"a", ""}}) ==
        "state   running\n"
        "uptime  3d 4h 5m 6s\n"
        "socket  /run/s.sock\n"
        "a       \n");
  CHECK(Kv({{"k", "v"}}) == "k  v\n");
  CHECK(Kv({}).empty());
}

TEST_CASE("PrintTable pads columns to their widest cell", "[ctl][render]") {
  SECTION("header and rows") {
    CHECK(Table({"NAME", "SIZE", "STATE"},
                {{"alpha", "1", "ready"}, {"b", "12345", "loading"}}) ==
          "NAME   SIZE   STATE\n"
          "alpha  1      ready\n"
          "b      12345  loading\n");
  }
  SECTION("no rows prints only the header") { CHECK(Table({"ID", "NAME"}, {}) == "ID  NAME\n"); }
  SECTION("short rows are padded, long rows cut to the header, no trailing spaces") {
    CHECK(Table({"A", "B", "C"}, {{"x"}, {"1", "2", "3", "extra"}, {"", "", ""}}) ==
          "A  B  C\n"
          "x\n"
          "1  2  3\n"
          "\n");
  }
}

TEST_CASE("FormatProgress renders one line", "[ctl][render]") {
  SECTION("done/total with a message and extra keys") {
    const std::string line = FormatProgress(Progress(
        {{"message", Var("hashing")}, {"done", Var(5)}, {"total", Var(10)}, {"file", Var("a.bin")}}));
    CHECK(line == "[##########..........] 50% hashing file=a.bin");
    CHECK(line.find('\n') == std::string::npos);
  }
  SECTION("several extra keys are all shown") {
    const std::string line = FormatProgress(
        Progress({{"done", Var(1)}, {"total", Var(4)}, {"rate", Var("3/s")}, {"eta", Var(9)}}));
    CHECK_THAT(line, Catch::Matchers::StartsWith("[#####...............] 25%"));
    CHECK_THAT(line, Catch::Matchers::Contains(" rate=3/s"));
    CHECK_THAT(line, Catch::Matchers::Contains(" eta=9"));
  }
  SECTION("bar ends") {
    CHECK(FormatProgress(Progress({{"done", Var(0)}, {"total", Var(7)}})) ==
          "[....................] 0%");
    CHECK(FormatProgress(Progress({{"done", Var(7)}, {"total", Var(7)}})) ==
          "[####################] 100%");
    CHECK(FormatProgress(Progress({{"done", Var(3)}, {"total", Var(0)}})) ==
          "[....................] 0%");
    CHECK(FormatProgress(Progress({{"done", Var(99)}, {"total", Var(1000)}})) ==
          "[#...................] 9%");
  }
  SECTION("no done/total: no bar") {
    CHECK(FormatProgress(Progress({{"message", Var("unpacking")}})) == "unpacking");
    CHECK(FormatProgress(Progress({{"phase", Var("copy")}})) == "phase=copy");
  }
  SECTION("a non-object is shown as text") { CHECK(FormatProgress(Var("plain")) == "plain"); }
  SECTION("eta_seconds is shown as an ETA after the message") {
    CHECK(FormatProgress(Progress({{"done", Var(0.5)},
                                   {"total", Var(1)},
                                   {"message", Var("epoch 3/9")},
                                   {"eta_seconds", Var(80)},
                                   {"state", Var("running")}})) ==
          "[##########..........] 50% epoch 3/9 ETA 1m 20s state=running");
  }
}

TEST_CASE("ToJson indents objects", "[ctl][render]") {
  Object::Ptr o = new Object;
  o->set("a", 1);
  CHECK(ToJson(Var(o)) == "{\n  \"a\": 1\n}");
}

TEST_CASE("Num: significant digits for people, '-' for what is not a number", "[ctl][render]") {
  Object::Ptr o = new Object;
  o->set("mean", 89.74825000000001);
  o->set("r2", 0.9988324350656904);
  o->set("big", 123456789.0);
  o->set("count", 400);
  o->set("name", "x");
  o->set("none", Var());
  CHECK(sigmad::ctl::Num(o, "mean") == "89.7483");
  CHECK(sigmad::ctl::Num(o, "r2", 4) == "0.9988");
  CHECK(sigmad::ctl::Num(o, "big") == "1.23457e+08");
  CHECK(sigmad::ctl::Num(o, "count") == "400");
  CHECK(sigmad::ctl::Num(o, "name") == "x");
  CHECK(sigmad::ctl::Num(o, "none") == "-");
  CHECK(sigmad::ctl::Num(o, "absent") == "-");
}
