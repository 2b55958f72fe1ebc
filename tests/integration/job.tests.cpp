// Integration tests: sigmactl job list|show|cancel|wait against a real sigmad, for what
// needs no job; jobs themselves (wait, cancel, interrupted) are in model.tests.cpp.
#include <catch2/catch.hpp>
#include <string>

#include "integration/harness.h"

using namespace sigmad::it;

TEST_CASE("job commands with no jobs, and bad ids", "[integration][job]") {
  TempDir tmp;
  Daemon d(tmp.path() / "state");
  REQUIRE(d.Start());
  CHECK(Ctl(d.socket(), {"job", "list"}).out == "no jobs\n");
  for (const char* verb : {"show", "cancel", "wait"}) {
    INFO(verb);
    RunResult r = Ctl(d.socket(), {"job", verb, "0123456789abcdef"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "sigmactl: there is no job 0123456789abcdef\n");
    r = Ctl(d.socket(), {"job", verb, "nope"});
    CHECK(r.exit_code == 1);
    CHECK(r.err == "sigmactl: a job id is 16 lower-case hex digits, got 'nope'\n");
  }
  CHECK(d.Stop() == 0);
}
