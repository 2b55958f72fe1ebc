// JobService: long work (model training) run on a pool of worker threads, with progress,
// cancellation, and a record in the trusted store that survives restarts.
//
// Table "jobs" (Owner::kTenantFirst, sealed under the owning tenant's key):
//   tenant | job -> JSON {"id", "kind", "target", "state", "actor", "created_ms",
//                         "started_ms", "finished_ms", "fraction", "message", "error",
//                         "result"}
// A job's id is 16 hex digits, unique across tenants, which is what users type.
//
// States: queued -> running -> succeeded | failed | cancelled. A job that was queued or
// running when sigmad stopped (or died) is marked `interrupted` when the service opens
// again, audited as job.interrupt, never lost silently. Every state change is written to
// the store at once; progress (a fraction and a message) is kept in memory and written
// at most every kPersistEvery, so a crash loses at most that much of it.
//
// Work is a JobFn. It reports progress and checks for cancellation through its
// JobContext; it returns a short result text (what it made) or a Status, and a Status
// with code "cancelled" ends the job as cancelled. Cancel ends a queued job at once and
// asks a running one to stop (training checks every epoch). Submit, cancel and interrupt
// are audited (job.submit, job.cancel, job.interrupt); the work audits what it does.
//
// Thread-safety: every method may be called from any thread. Stop (also run by the
// destructor) cancels what runs, waits for the workers, and leaves queued jobs queued,
// so the next start marks them interrupted.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "audit/log.h"
#include "common/clock.h"
#include "common/status.h"
#include "store/vault.h"
#include "tenancy/service.h"

namespace sigmad::jobs {

inline constexpr auto kPersistEvery = std::chrono::seconds(5);

enum class State { kQueued, kRunning, kSucceeded, kFailed, kCancelled, kInterrupted };
// "queued", "running", ...
const char* StateName(State state);
bool IsFinal(State state);

struct JobInfo {
  std::string id;
  uint64_t tenant_id = 0;
  std::string tenant, kind, target, actor;
  State state = State::kQueued;
  std::chrono::system_clock::time_point created, started, finished;  // epoch when not yet
  double fraction = 0;  // 0..1
  std::string message;  // the latest progress, for people
  std::string error;    // failed: why
  std::string result;   // succeeded: what was made
};

// Seconds until a running job is likely done, from its pace so far: elapsed * (1 - f) / f
// at fraction f. Unknown (nullopt) unless it is running, has started, and f is in
// [0.01, 1): earlier guesses swing too much to help.
std::optional<double> EstimatedSecondsLeft(const JobInfo& job,
                                           std::chrono::system_clock::time_point now);

class JobContext {
 public:
  // Records progress; cheap (in memory; written to the store now and then).
  void Progress(double fraction, std::string message);
  bool Cancelled() const;
  const std::string& id() const { return id_; }

 private:
  friend class JobService;
  JobContext(class JobService& service, std::string id, const std::atomic<bool>& cancel)
      : service_(service), id_(std::move(id)), cancel_(cancel) {}
  class JobService& service_;
  std::string id_;
  const std::atomic<bool>& cancel_;
};

using JobFn = std::function<Result<std::string>(JobContext& context)>;

class JobService {
 public:
  // Marks jobs left queued or running by an earlier process interrupted, then starts
  // `workers` worker threads (1..64).
  static Result<std::unique_ptr<JobService>> Open(store::Vault& vault, audit::AuditLog& audit,
                                                  const Clock& clock, int workers);
  ~JobService();

  // Queues `fn` as a job of `kind` ("model.train") on `target` (what it works on, a
  // path) for the tenant; returns the queued job.
  Result<JobInfo> Submit(const tenancy::Actor& actor, uint64_t tenant_id,
                         const std::string& tenant, const std::string& kind,
                         const std::string& target, JobFn fn);
  // Every job, newest first.
  Result<std::vector<JobInfo>> List() const;
  // "not_found" for an unknown id, "invalid_argument" for one that is not 16 hex digits.
  Result<JobInfo> Show(std::string_view id) const;
  // "not_running" (with the state) for a job that already ended.
  Result<JobInfo> Cancel(const tenancy::Actor& actor, std::string_view id);
  // Blocks until the job is final; calls `on_update` with every change seen (state or
  // progress) and gives up, returning the job as it is, once on_update returns false.
  Result<JobInfo> Wait(std::string_view id,
                       const std::function<bool(const JobInfo&)>& on_update) const;
  // Cancels running jobs, waits for the workers; idempotent.
  void Stop();

 private:
  friend class JobContext;
  struct Live {
    JobInfo info;
    JobFn fn;
    std::atomic<bool> cancel{false};
    bool cancelled_by_user = false;  // GUARDED_BY(mu_); else cancel means sigmad stops
    Clock::MonoTime persisted;       // GUARDED_BY(mu_) when progress was last written
  };

  JobService(store::Vault& vault, audit::AuditLog& audit, const Clock& clock, store::Table table)
      : vault_(vault), audit_(audit), clock_(clock), table_(table) {}
  void Work();
  void Run(const std::shared_ptr<Live>& job);
  // Writes the job's record (in `txn` when given, else in a transaction of its own).
  Status Persist(const JobInfo& info, store::WriteTxn* txn = nullptr);
  // The stored record of job `id`.
  Result<JobInfo> Read(std::string_view id) const;
  // Applies `change` to live job `id` under mu_, wakes waiters, and writes the record
  // if `persist` (or, for progress, if kPersistEvery passed since the last write).
  void Update(const std::string& id, const std::function<void(Live&)>& change, bool persist);
  audit::Fields Fields(const std::string& actor, const std::string& source, const JobInfo& job,
                       std::string_view action) const;

  store::Vault& vault_;
  audit::AuditLog& audit_;
  const Clock& clock_;
  store::Table table_;
  mutable std::mutex mu_;
  mutable std::condition_variable changed_;              // any live job changed
  std::map<std::string, std::shared_ptr<Live>> live_;    // GUARDED_BY(mu_) queued + running
  std::deque<std::string> queue_;                        // GUARDED_BY(mu_)
  bool stopping_ = false;                                // GUARDED_BY(mu_)
  uint64_t version_ = 0;  // GUARDED_BY(mu_) bumped on every change, for Wait
  std::vector<std::thread> workers_;
};

}  // namespace sigmad::jobs
