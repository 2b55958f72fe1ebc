#include "app/job_methods.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <cmath>

#include "app/params.h"
#include "common/time_format.h"

namespace sigmad::app {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using R = Result<Var>;

// A time that has not happened yet (0 ms) is null.
Var TimeOrNull(std::chrono::system_clock::time_point t) {
  return t.time_since_epoch().count() == 0 ? Var() : Var(FormatUtc(t));
}

Object::Ptr JobJson(const jobs::JobInfo& j) {
  Object::Ptr o = NewObject();
  o->set("id", j.id);
  o->set("tenant", j.tenant);
  o->set("kind", j.kind);
  o->set("target", j.target);
  o->set("state", std::string(jobs::StateName(j.state)));
  o->set("actor", j.actor);
  o->set("created_at", TimeOrNull(j.created));
  o->set("started_at", TimeOrNull(j.started));
  o->set("finished_at", TimeOrNull(j.finished));
  o->set("fraction", j.fraction);
  o->set("message", j.message);
  o->set("error", j.error);
  o->set("result", j.result);
  return o;
}

}  // namespace

void RegisterJobMethods(control::Dispatcher& d, jobs::JobService& service, const Clock& clock) {
  jobs::JobService* svc = &service;
  d.Register("job.list", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({}); !s.ok()) return s;
    auto list = svc->List();
    if (!list.ok()) return list.status();
    Object::Ptr o = NewObject();
    o->set("jobs", ToArray(list.value(), JobJson));
    return Var(o);
  });
  d.Register("job.show", [svc](const control::Call& call) -> R {
    auto id = OnlyString(call, "id");
    if (!id.ok()) return id.status();
    auto j = svc->Show(id.value());
    if (!j.ok()) return j.status();
    return Var(JobJson(j.value()));
  });
  d.Register("job.cancel", [svc](const control::Call& call) -> R {
    auto id = OnlyString(call, "id");
    if (!id.ok()) return id.status();
    auto j = svc->Cancel(ActorOf(call), id.value());
    if (!j.ok()) return j.status();
    return Var(JobJson(j.value()));
  });
  // Progress {"done": fraction, "total": 1, "message", "state", "eta_seconds" (when
  // known)} on every change (what sigmactl draws as a bar), then the job as it ended;
  // or, when sigmad stops first, the job as it is with "ended": false.
  d.Register("job.wait", [svc, &clock](const control::Call& call) -> R {
    auto id = OnlyString(call, "id");
    if (!id.ok()) return id.status();
    bool gone = false;
    auto j = svc->Wait(id.value(), [&](const jobs::JobInfo& info) {
      Object::Ptr p = NewObject();
      p->set("done", info.fraction);
      p->set("total", 1.0);
      p->set("message", info.message);
      p->set("state", std::string(jobs::StateName(info.state)));
      if (auto eta = jobs::EstimatedSecondsLeft(info, clock.Now())) {
        p->set("eta_seconds", static_cast<Poco::Int64>(std::llround(*eta)));
      }
      gone = !call.Progress(p) || call.Stopping();
      return !gone;
    });
    if (!j.ok()) return j.status();
    if (gone && !call.Stopping()) return Status::Error("cancelled", "client went away");
    Object::Ptr o = JobJson(j.value());
    o->set("ended", jobs::IsFinal(j.value().state));
    return Var(o);
  });
}

}  // namespace sigmad::app
