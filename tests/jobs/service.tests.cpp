#include "jobs/service.h"

#include <catch2/catch.hpp>
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include "audit/log.h"
#include "common/clock.h"
#include "store/vault.h"
#include "support/temp_dir.h"
#include "support/vault.h"
#include "tenancy/service.h"

namespace {

using sigmad::testing::Ok;
using namespace sigmad::jobs;
using sigmad::Result;
using sigmad::Status;
using sigmad::SystemClock;
using sigmad::testing::TempDir;

const sigmad::tenancy::Actor kRoot{"uid=0(root)", "control"};

struct Fixture {
  TempDir dir;
  SystemClock clock;  // workers run real threads; nothing here waits on wall time
  std::unique_ptr<sigmad::store::Vault> vault;
  std::unique_ptr<sigmad::audit::AuditLog> log;
  std::unique_ptr<sigmad::tenancy::TenancyService> tenancy;
  std::unique_ptr<JobService> jobs;
  uint64_t acme = 0;

  explicit Fixture(int workers = 1) {
    Open(workers);
    acme = Ok(tenancy->CreateTenant(kRoot, "acme")).id;
  }
  void Open(int workers = 1) {
    jobs.reset();
    tenancy.reset();
    log.reset();
    vault.reset();
    vault = sigmad::testing::OpenTestVault(dir.path(), clock);
    log = Ok(sigmad::audit::AuditLog::Open(*vault));
    tenancy = Ok(sigmad::tenancy::TenancyService::Open(*vault, *log, clock));
    jobs = Ok(JobService::Open(*vault, *log, clock, workers));
  }
  JobInfo Submit(JobFn fn, const std::string& target = "acme/p/m") {
    return Ok(jobs->Submit(kRoot, acme, "acme", "test.work", target, std::move(fn)));
  }
  JobInfo WaitFinal(const std::string& id) {
    return Ok(jobs->Wait(id, [](const JobInfo&) { return true; }));
  }
  std::string Actions() {
    std::string out;
    REQUIRE(log->Read(1, [&](const sigmad::audit::Record& r, bool*) {
                 if (r.fields.action.rfind("job.", 0) == 0) {
                   out += r.fields.action + " " + r.fields.outcome + "\n";
                 }
                 return Status::Ok();
               }).ok());
    return out;
  }
};

// Work that runs until released (or cancelled), reporting progress as it goes.
struct Gate {
  std::atomic<bool> started{false}, release{false};
  JobFn Fn() {
    return [this](JobContext& c) -> Result<std::string> {
      started = true;
      for (int step = 0; !release; ++step) {
        if (c.Cancelled()) return Status::Error("cancelled", "stopped at step " + std::to_string(step));
        c.Progress(0.5, "step " + std::to_string(step));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      return std::string("made it");
    };
  }
  void WaitStarted() {
    while (!started) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
};

}  // namespace

TEST_CASE("JobService runs a job to success, with progress, and keeps its record",
          "[jobs]") {
  Fixture f;
  const JobInfo queued = f.Submit([](JobContext& c) -> Result<std::string> {
    c.Progress(0.25, "a quarter");
    c.Progress(2.0, "clamped");
    return std::string("model acme/p/m");
  });
  CHECK(queued.id.size() == 16);
  CHECK(queued.state == State::kQueued);
  std::vector<std::string> heard;
  const JobInfo done = Ok(f.jobs->Wait(queued.id, [&](const JobInfo& j) {
    heard.push_back(StateName(j.state));
    return true;
  }));
  CHECK(done.state == State::kSucceeded);
  CHECK(done.result == "model acme/p/m");
  CHECK(done.fraction == 1);
  CHECK(heard.back() == "succeeded");
  CHECK(done.finished >= done.started);
  CHECK(done.started >= done.created);
  CHECK(f.Actions() == "job.submit ok\n");

  // The record outlives the process.
  f.Open();
  const JobInfo stored = Ok(f.jobs->Show(queued.id));
  CHECK(stored.state == State::kSucceeded);
  CHECK(stored.tenant == "acme");
  CHECK(stored.target == "acme/p/m");
  CHECK(Ok(f.jobs->List()).size() == 1);
}

TEST_CASE("JobService: failures, exceptions and cancellation end jobs, not sigmad", "[jobs]") {
  Fixture f;
  SECTION("an error") {
    const JobInfo j = f.Submit([](JobContext&) -> Result<std::string> {
      return Status::Error("invalid_data", "no rows");
    });
    const JobInfo done = f.WaitFinal(j.id);
    CHECK(done.state == State::kFailed);
    CHECK(done.error == "no rows");
  }
  SECTION("an exception") {
    const JobInfo j = f.Submit([](JobContext&) -> Result<std::string> {
      throw std::runtime_error("boom");
    });
    const JobInfo done = f.WaitFinal(j.id);
    CHECK(done.state == State::kFailed);
    CHECK(done.error == "the job threw: boom");
  }
  SECTION("cancelling a running job stops it at its next check") {
    Gate gate;
    const JobInfo j = f.Submit(gate.Fn());
    gate.WaitStarted();
    const JobInfo asked = Ok(f.jobs->Cancel(kRoot, j.id));
    CHECK(asked.state == State::kRunning);
    const JobInfo done = f.WaitFinal(j.id);
    CHECK(done.state == State::kCancelled);
    CHECK_THAT(done.error, Catch::StartsWith("stopped at step "));
    CHECK(f.Actions() == "job.submit ok\njob.cancel ok\n");
    auto again = f.jobs->Cancel(kRoot, j.id);
    CHECK(again.status().code() == "not_running");
    CHECK(again.status().message() == "job " + j.id + " already ended: cancelled");
  }
  SECTION("cancelling a queued job ends it before it starts") {
    Gate gate;
    const JobInfo first = f.Submit(gate.Fn());  // occupies the only worker
    gate.WaitStarted();
    bool ran = false;
    const JobInfo second = f.Submit([&](JobContext&) -> Result<std::string> {
      ran = true;
      return std::string("x");
    });
    CHECK(Ok(f.jobs->Cancel(kRoot, second.id)).state == State::kCancelled);
    gate.release = true;
    CHECK(f.WaitFinal(first.id).state == State::kSucceeded);
    const JobInfo done = Ok(f.jobs->Show(second.id));
    CHECK(done.state == State::kCancelled);
    CHECK(done.error == "cancelled before it started");
    CHECK_FALSE(ran);
  }
  SECTION("unknown and malformed ids") {
    CHECK(f.jobs->Show("0123456789abcdef").status().code() == "not_found");
    CHECK(f.jobs->Show("xyz").status().message() ==
          "a job id is 16 lower-case hex digits, got 'xyz'");
    CHECK(f.jobs->Show("0123456789ABCDE\n").status().message() ==
          "a job id is 16 lower-case hex digits, got '0123456789ABCDE?'");
    CHECK(f.jobs->Cancel(kRoot, "0123456789abcdef").status().code() == "not_found");
  }
}

TEST_CASE("JobService: jobs left running or queued are interrupted at the next start",
          "[jobs]") {
  Fixture f;
  Gate gate;
  const JobInfo running = f.Submit(gate.Fn());
  gate.WaitStarted();
  const JobInfo queued = f.Submit([](JobContext&) -> Result<std::string> { return std::string(); });
  // Stopping cancels what runs; the worker records it as interrupted (not cancelled:
  // nobody asked); the queued job stays queued in the store.
  f.jobs->Stop();
  CHECK(Ok(f.jobs->Show(running.id)).state == State::kInterrupted);
  f.Open();  // the next start
  const JobInfo r = Ok(f.jobs->Show(running.id));
  CHECK(r.state == State::kInterrupted);
  CHECK(r.error == "sigmad stopped while the job was running");
  const JobInfo q = Ok(f.jobs->Show(queued.id));
  CHECK(q.state == State::kInterrupted);
  CHECK(q.error == "sigmad stopped while the job was queued");
  CHECK(f.Actions() == "job.submit ok\njob.submit ok\njob.interrupt ok\njob.interrupt ok\n");
  CHECK(f.log->Verify().ok());
}

TEST_CASE("JobService runs jobs on as many workers as configured", "[jobs]") {
  Fixture f(2);
  Gate a, b;
  const JobInfo ja = f.Submit(a.Fn());
  const JobInfo jb = f.Submit(b.Fn());
  a.WaitStarted();
  b.WaitStarted();  // both run at once
  CHECK(Ok(f.jobs->Show(ja.id)).state == State::kRunning);
  CHECK_THAT(Ok(f.jobs->Show(jb.id)).message, Catch::StartsWith("step "));
  a.release = b.release = true;
  CHECK(f.WaitFinal(ja.id).state == State::kSucceeded);
  CHECK(f.WaitFinal(jb.id).state == State::kSucceeded);
  CHECK(JobService::Open(*f.vault, *f.log, f.clock, 0).status().message() ==
        "jobs need 1 to 64 workers, got 0");
}

TEST_CASE("EstimatedSecondsLeft: the pace so far, only for a running job past 1%", "[jobs]") {
  using std::chrono::seconds;
  const auto start = std::chrono::system_clock::time_point(seconds(1'000'000));
  JobInfo j;
  j.state = State::kRunning;
  j.started = start;
  j.fraction = 0.25;
  REQUIRE(EstimatedSecondsLeft(j, start + seconds(100)).has_value());
  CHECK(*EstimatedSecondsLeft(j, start + seconds(100)) == Approx(300));
  j.fraction = 0.5;
  CHECK(*EstimatedSecondsLeft(j, start + seconds(100)) == Approx(100));
  j.fraction = 0.005;  // too early to guess
  CHECK_FALSE(EstimatedSecondsLeft(j, start + seconds(100)).has_value());
  j.fraction = 1;
  CHECK_FALSE(EstimatedSecondsLeft(j, start + seconds(100)).has_value());
  j.fraction = 0.5;
  CHECK_FALSE(EstimatedSecondsLeft(j, start - seconds(1)).has_value());  // clock stepped back
  j.state = State::kQueued;
  CHECK_FALSE(EstimatedSecondsLeft(j, start + seconds(100)).has_value());
  j.state = State::kRunning;
  j.started = {};
  CHECK_FALSE(EstimatedSecondsLeft(j, start + seconds(100)).has_value());
}
