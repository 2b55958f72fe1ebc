#include <catch2/catch.hpp>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "analysis/model.h"
#include "analysis/problems.h"
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
  CHECK(Runtime().intra_op_threads == 2);
  CHECK(ThreadsOnANewThread() == 2);
  CHECK(SetThreads(256).ok());
}

// A job worker starts before SetThreads and has trained before: Train applies the new
// count on that thread (recorded in the model as its lineage).
TEST_CASE("Train uses SetThreads' count on a thread that already ran a training", "[analysis]") {
  REQUIRE(SetThreads(1).ok());
  const dataset::Dataset data = testing::Linear3(30, 4);
  std::mutex mu;
  std::condition_variable cv;
  int stage = 0;
  int first = 0, second = 0;
  std::thread worker([&] {
    first = Train(data, testing::Quick()).value().threads;
    std::unique_lock lock(mu);
    stage = 1;
    cv.notify_all();
    cv.wait(lock, [&] { return stage == 2; });
    second = Train(data, testing::Quick()).value().threads;
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return stage == 1; });
    REQUIRE(SetThreads(3).ok());
    stage = 2;
    cv.notify_all();
  }
  worker.join();
  CHECK(first == 1);
  CHECK(second == 3);
}

}  // namespace
}  // namespace sigmad::analysis
