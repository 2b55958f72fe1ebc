#include <catch2/catch.hpp>
#include <thread>

#include "analysis/runtime.h"

namespace sigmad::analysis {
namespace {

int ThreadsOnANewThread() {
  int n = 0;
  std::thread t([&n] { n = Runtime().intra_op_threads; });
  t.join();
  return n;
}

TEST_CASE("SetThreads applies on every thread, 0 means the available CPUs", "[analysis]") {
  REQUIRE(AvailableCpus() >= 1);
  REQUIRE(SetThreads(3).ok());
  CHECK(Runtime().intra_op_threads == 3);
  CHECK(ThreadsOnANewThread() == 3);
  REQUIRE(SetThreads(0).ok());
  CHECK(Runtime().intra_op_threads == AvailableCpus());
  CHECK(ThreadsOnANewThread() == AvailableCpus());
  REQUIRE(SetThreads(1).ok());
  CHECK(ThreadsOnANewThread() == 1);
}

TEST_CASE("SetThreads refuses counts outside 0..256 and keeps the last good one", "[analysis]") {
  REQUIRE(SetThreads(2).ok());
  const Status negative = SetThreads(-1);
  CHECK(negative.code() == "invalid_argument");
  CHECK(negative.message() == "threads must be in 0..256, not -1");
  CHECK(SetThreads(257).message() == "threads must be in 0..256, not 257");
  CHECK(SetThreads(256).ok());
  REQUIRE(SetThreads(2).ok());
  CHECK(Runtime().intra_op_threads == 2);
}

}  // namespace
}  // namespace sigmad::analysis
