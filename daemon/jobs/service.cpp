#include "jobs/service.h"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>

#include "crypto/random.h"
#include "store/keys.h"

namespace sigmad::jobs {
namespace {

using Poco::JSON::Object;
using store::KeyBuilder;
using store::KeyReader;
using Time = std::chrono::system_clock::time_point;

int64_t Ms(Time t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}
Time FromMs(int64_t ms) { return Time(std::chrono::milliseconds(ms)); }

std::string IdText(uint64_t id) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(id));
  return buf;
}

Result<uint64_t> ParseId(std::string_view id) {
  auto bad = [&] {
    std::string shown;  // what the user typed, safe to print
    for (char c : id.substr(0, 40)) shown += c > 0x20 && c < 0x7F ? c : '?';
    return Status::Error("invalid_argument",
                         "a job id is 16 lower-case hex digits, got '" + shown + "'");
  };
  if (id.size() != 16) return bad();
  uint64_t v = 0;
  for (char c : id) {
    const int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return bad();
    v = v << 4 | static_cast<uint64_t>(d);
  }
  return v;
}

State StateFrom(const std::string& name) {
  for (State s : {State::kQueued, State::kRunning, State::kSucceeded, State::kFailed,
                  State::kCancelled, State::kInterrupted}) {
    if (name == StateName(s)) return s;
  }
  return State::kFailed;
}

std::string Encode(const JobInfo& j) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("id", j.id);
  o->set("tenant", j.tenant);
  o->set("kind", j.kind);
  o->set("target", j.target);
  o->set("state", std::string(StateName(j.state)));
  o->set("actor", j.actor);
  o->set("created_ms", static_cast<Poco::Int64>(Ms(j.created)));
  o->set("started_ms", static_cast<Poco::Int64>(Ms(j.started)));
  o->set("finished_ms", static_cast<Poco::Int64>(Ms(j.finished)));
  o->set("fraction", j.fraction);
  o->set("message", j.message);
  o->set("error", j.error);
  o->set("result", j.result);
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

Result<JobInfo> Decode(uint64_t tenant_id, std::string_view plain) {
  try {
    Poco::JSON::Parser parser;
    Object::Ptr o = parser.parse(std::string(plain)).extract<Object::Ptr>();
    JobInfo j;
    j.tenant_id = tenant_id;
    j.id = o->getValue<std::string>("id");
    j.tenant = o->getValue<std::string>("tenant");
    j.kind = o->getValue<std::string>("kind");
    j.target = o->getValue<std::string>("target");
    j.state = StateFrom(o->getValue<std::string>("state"));
    j.actor = o->getValue<std::string>("actor");
    j.created = FromMs(o->getValue<Poco::Int64>("created_ms"));
    j.started = FromMs(o->getValue<Poco::Int64>("started_ms"));
    j.finished = FromMs(o->getValue<Poco::Int64>("finished_ms"));
    j.fraction = o->getValue<double>("fraction");
    j.message = o->getValue<std::string>("message");
    j.error = o->getValue<std::string>("error");
    j.result = o->getValue<std::string>("result");
    return j;
  } catch (const std::exception& e) {
    return Status::Error("corrupt", std::string("a job record does not read: ") + e.what());
  }
}

// Every stored job, opened.
Result<std::vector<JobInfo>> ReadAll(store::Vault& vault, const store::Table& table) {
  std::vector<JobInfo> out;
  Status s = vault.env().View([&](store::ReadTxn& txn) -> Status {
    return vault.Scan(txn, table, "",
                      [&](std::string_view key, std::string_view plain, bool*) -> Status {
                        auto j = Decode(KeyReader(key).U64().value_or(0), plain);
                        if (!j.ok()) return j.status();
                        out.push_back(std::move(j).value());
                        return Status::Ok();
                      });
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace

const char* StateName(State state) {
  switch (state) {
    case State::kQueued:
      return "queued";
    case State::kRunning:
      return "running";
    case State::kSucceeded:
      return "succeeded";
    case State::kFailed:
      return "failed";
    case State::kCancelled:
      return "cancelled";
    case State::kInterrupted:
      return "interrupted";
  }
  return "unknown";
}

bool IsFinal(State state) { return state != State::kQueued && state != State::kRunning; }

std::optional<double> EstimatedSecondsLeft(const JobInfo& job,
                                           std::chrono::system_clock::time_point now) {
  if (job.state != State::kRunning || job.started.time_since_epoch().count() == 0 ||
      !(job.fraction >= 0.01 && job.fraction < 1) || now < job.started) {
    return std::nullopt;
  }
  const double elapsed = std::chrono::duration<double>(now - job.started).count();
  return elapsed * (1 - job.fraction) / job.fraction;
}

void JobContext::Progress(double fraction, std::string message) {
  service_.Update(
      id_,
      [&](JobService::Live& j) {
        j.info.fraction = std::clamp(fraction, 0.0, 1.0);
        j.info.message = std::move(message);
      },
      false);
}

bool JobContext::Cancelled() const { return cancel_.load(); }

audit::Fields JobService::Fields(const std::string& actor, const std::string& source,
                                 const JobInfo& job, std::string_view action) const {
  audit::Fields f;
  f.time = clock_.Now();
  f.actor = actor;
  f.source = source;
  f.tenant = job.tenant;
  f.action = action;
  f.target = "job " + job.id;
  f.outcome = std::string(audit::kOutcomeOk);
  f.details = job.kind + " " + job.target;
  return f;
}

Result<std::unique_ptr<JobService>> JobService::Open(store::Vault& vault, audit::AuditLog& audit,
                                                     const Clock& clock, int workers) {
  if (workers < 1 || workers > 64) {
    return Status::Error("invalid_argument",
                         "jobs need 1 to 64 workers, got " + std::to_string(workers));
  }
  auto table = vault.OpenTable("jobs", store::Owner::kTenantFirst);
  if (!table.ok()) return table.status();
  std::unique_ptr<JobService> svc(new JobService(vault, audit, clock, table.value()));
  // Jobs an earlier process left unfinished: interrupted, each audited.
  auto all = ReadAll(vault, table.value());
  if (!all.ok()) return all.status();
  for (JobInfo& j : all.value()) {
    if (IsFinal(j.state)) continue;
    j.error = std::string("sigmad stopped while the job was ") + StateName(j.state);
    j.state = State::kInterrupted;
    j.finished = std::chrono::floor<std::chrono::milliseconds>(clock.Now());
    Status s = audit.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
      if (Status p = svc->Persist(j, &txn); !p.ok()) return p;
      auto f = svc->Fields("sigmad", "jobs", j, "job.interrupt");
      f.details = j.kind + " " + j.target + ": " + j.error;
      return a.Append(f);
    });
    if (!s.ok()) return s;
  }
  for (int i = 0; i < workers; ++i) svc->workers_.emplace_back([p = svc.get()] { p->Work(); });
  return svc;
}

JobService::~JobService() { Stop(); }

void JobService::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    for (auto& [id, job] : live_) job->cancel = true;
  }
  changed_.notify_all();
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
}

Status JobService::Persist(const JobInfo& info, store::WriteTxn* txn) {
  auto id = ParseId(info.id);
  if (!id.ok()) return id.status();
  const std::string key = KeyBuilder().U64(info.tenant_id).U64(id.value()).Build();
  auto put = [&](store::WriteTxn& t) {
    return vault_.Put(t, table_, key, info.tenant_id, Encode(info));
  };
  return txn != nullptr ? put(*txn) : vault_.env().Update(put);
}

Result<JobInfo> JobService::Submit(const tenancy::Actor& actor, uint64_t tenant_id,
                                   const std::string& tenant, const std::string& kind,
                                   const std::string& target, JobFn fn) {
  auto raw = crypto::RandomId();
  if (!raw.ok()) return raw.status();
  auto job = std::make_shared<Live>();
  JobInfo& j = job->info;
  j.id = IdText(raw.value());
  j.tenant_id = tenant_id;
  j.tenant = tenant;
  j.kind = kind;
  j.target = target;
  j.actor = actor.name;
  j.created = std::chrono::floor<std::chrono::milliseconds>(clock_.Now());
  j.message = "queued";
  job->fn = std::move(fn);
  {
    std::lock_guard lock(mu_);
    if (stopping_) return Status::Error("stopping", "sigmad is shutting down; no new jobs");
  }
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    if (Status p = Persist(j, &txn); !p.ok()) return p;
    return a.Append(Fields(actor.name, actor.source, j, "job.submit"));
  });
  if (!s.ok()) return s;
  const JobInfo queued = j;  // a worker may change `j` as soon as it is queued
  {
    std::lock_guard lock(mu_);
    live_[queued.id] = job;
    queue_.push_back(queued.id);
    ++version_;
  }
  changed_.notify_all();
  return queued;
}

void JobService::Work() {
  for (;;) {
    std::shared_ptr<Live> job;
    {
      std::unique_lock lock(mu_);
      changed_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = live_[queue_.front()];
      queue_.pop_front();
    }
    Run(job);
  }
}

void JobService::Run(const std::shared_ptr<Live>& job) {
  const std::string id = job->info.id;
  Update(
      id,
      [&](Live& j) {
        j.info.state = State::kRunning;
        j.info.started = std::chrono::floor<std::chrono::milliseconds>(clock_.Now());
        j.info.message = "started";
      },
      true);
  JobContext context(*this, id, job->cancel);
  Result<std::string> result = Status::Error("failed", "the job did not run");
  try {
    result = job->fn(context);
  } catch (const std::exception& e) {  // work that throws fails its job, not sigmad
    result = Status::Error("internal", std::string("the job threw: ") + e.what());
  }
  bool interrupted = false;
  Update(
      id,
      [&](Live& j) {
        JobInfo& info = j.info;
        info.finished = std::chrono::floor<std::chrono::milliseconds>(clock_.Now());
        if (result.ok()) {
          info.state = State::kSucceeded;
          info.fraction = 1;
          info.result = result.value();
        } else if (result.status().code() == "cancelled" && !j.cancelled_by_user && stopping_) {
          info.state = State::kInterrupted;
          info.error = "sigmad stopped while the job was running";
          interrupted = true;
        } else if (result.status().code() == "cancelled") {
          info.state = State::kCancelled;
          info.error = result.status().message();
        } else {
          info.state = State::kFailed;
          info.error = result.status().message();
        }
        info.message = StateName(info.state);
      },
      true);
  if (interrupted) {
    JobInfo info;
    {
      std::lock_guard lock(mu_);
      info = job->info;
    }
    auto f = Fields("sigmad", "jobs", info, "job.interrupt");
    f.details = info.kind + " " + info.target + ": " + info.error;
    (void)audit_.Append(f);  // best effort while stopping; the record says interrupted
  }
  {
    std::lock_guard lock(mu_);
    live_.erase(id);
    ++version_;
  }
  changed_.notify_all();
}

void JobService::Update(const std::string& id, const std::function<void(Live&)>& change,
                        bool persist) {
  JobInfo copy;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(id);
    if (it == live_.end()) return;
    Live& j = *it->second;
    change(j);
    ++version_;
    const auto now = clock_.Monotonic();
    persist = persist || now - j.persisted >= kPersistEvery;
    if (persist) j.persisted = now;
    copy = j.info;
  }
  changed_.notify_all();
  // Only the job's own worker (or Submit/Cancel before it runs) writes its record, so
  // the writes of one job cannot overtake each other.
  if (persist) (void)Persist(copy);
}

Result<JobInfo> JobService::Read(std::string_view id) const {
  auto n = ParseId(id);
  if (!n.ok()) return n.status();
  auto all = ReadAll(vault_, table_);
  if (!all.ok()) return all.status();
  for (JobInfo& j : all.value()) {
    if (j.id == id) return std::move(j);
  }
  return Status::Error("not_found", "there is no job " + std::string(id));
}

Result<std::vector<JobInfo>> JobService::List() const {
  auto all = ReadAll(vault_, table_);
  if (!all.ok()) return all.status();
  {
    std::lock_guard lock(mu_);
    for (JobInfo& j : all.value()) {
      if (auto it = live_.find(j.id); it != live_.end()) j = it->second->info;
    }
  }
  std::sort(all.value().begin(), all.value().end(), [](const JobInfo& a, const JobInfo& b) {
    return a.created != b.created ? a.created > b.created : a.id < b.id;
  });
  return all;
}

Result<JobInfo> JobService::Show(std::string_view id) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = live_.find(std::string(id)); it != live_.end()) return it->second->info;
  }
  return Read(id);
}

Result<JobInfo> JobService::Cancel(const tenancy::Actor& actor, std::string_view id) {
  JobInfo info;
  bool was_queued = false;
  {
    std::lock_guard lock(mu_);
    auto it = live_.find(std::string(id));
    if (it != live_.end()) {
      Live& j = *it->second;
      j.cancelled_by_user = true;
      j.cancel = true;
      auto q = std::find(queue_.begin(), queue_.end(), j.info.id);
      if (q != queue_.end()) {  // not started: ends now
        queue_.erase(q);
        was_queued = true;
        j.info.state = State::kCancelled;
        j.info.finished = std::chrono::floor<std::chrono::milliseconds>(clock_.Now());
        j.info.error = "cancelled before it started";
        j.info.message = "cancelled";
      }
      info = j.info;
      if (was_queued) live_.erase(it);  // `j` is gone after this
      ++version_;
    }
  }
  if (info.id.empty()) {
    auto stored = Read(id);
    if (!stored.ok()) return stored.status();
    return Status::Error("not_running", "job " + stored.value().id + " already ended: " +
                                            StateName(stored.value().state));
  }
  changed_.notify_all();
  auto f = Fields(actor.name, actor.source, info, "job.cancel");
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    if (was_queued) {
      if (Status p = Persist(info, &txn); !p.ok()) return p;
    }
    return a.Append(f);
  });
  if (!s.ok()) return s;
  return info;
}

Result<JobInfo> JobService::Wait(std::string_view id,
                                 const std::function<bool(const JobInfo&)>& on_update) const {
  uint64_t seen = 0;
  std::optional<JobInfo> last;  // what on_update heard last
  for (;;) {
    JobInfo info;
    {
      std::unique_lock lock(mu_);
      changed_.wait_for(lock, std::chrono::seconds(1), [&] { return version_ != seen; });
      auto it = live_.find(std::string(id));
      if (it == live_.end()) break;  // final (or unknown): the store says which
      if (stopping_) return it->second->info;
      seen = version_;
      info = it->second->info;
    }
    const bool news = !last || last->state != info.state || last->fraction != info.fraction ||
                      last->message != info.message;
    if (!news) continue;
    last = info;
    if (on_update && !on_update(info)) return info;
  }
  auto final = Read(id);
  if (final.ok() && on_update) on_update(final.value());
  return final;
}

}  // namespace sigmad::jobs
