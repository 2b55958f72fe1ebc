#include "app/key_methods.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "app/params.h"
#include "app/tenancy_methods.h"
#include "common/time_format.h"

namespace sigmad::app {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using R = Result<Var>;

}  // namespace

void RegisterKeyMethods(control::Dispatcher& d, keys::KeyService& service) {
  keys::KeyService* svc = &service;
  d.Register("key.status", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({}); !s.ok()) return s;
    auto rows = svc->KeyStatus();
    if (!rows.ok()) return rows.status();
    const auto now = std::chrono::system_clock::now();
    Array::Ptr keys = new Array;
    for (const auto& k : rows.value()) {
      Object::Ptr o = NewObject();
      o->set("owner", k.owner);
      o->set("term", k.term);
      o->set("created_at", FormatUtc(k.created));
      o->set("age_days",
             std::chrono::duration_cast<std::chrono::hours>(now - k.created).count() / 24);
      o->set("current", k.current);
      o->set("values", static_cast<Poco::UInt64>(k.values));
      o->set("overdue", k.overdue);
      keys->add(o);
    }
    Object::Ptr r = NewObject();
    r->set("keys", keys);
    auto master = svc->MasterKeyStatus();
    if (!master.ok()) return master.status();
    Object::Ptr m = NewObject();
    m->set("created_at", FormatUtc(master.value().created));
    m->set("age_days",
           std::chrono::duration_cast<std::chrono::hours>(now - master.value().created).count() / 24);
    m->set("max_age_days", master.value().max_age
                               ? Var(master.value().max_age->count() / 24)
                               : Var());
    m->set("overdue", master.value().overdue);
    r->set("master_key", m);
    return Var(r);
  });
  d.Register("key.rotate", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"tenant", "rewrap"}); !s.ok()) return s;
    auto tenant = OptString(call, "tenant");
    if (!tenant.ok()) return tenant.status();
    bool rewrap = false;
    if (call.params().has("rewrap")) {
      const Var v = call.params().get("rewrap");
      if (!v.isBoolean()) {
        return Status::Error(control::code::kInvalidParams,
                             "parameter 'rewrap' must be true or false");
      }
      rewrap = v.extract<bool>();
    }
    uint64_t owner = 0;
    auto r = svc->Rotate(ActorOf(call), tenant.value(), rewrap, &owner);
    if (!r.ok()) return r.status();
    Object::Ptr o = NewObject();
    o->set("owner", r.value().owner);
    o->set("previous_term", r.value().previous);
    o->set("term", r.value().term);
    o->set("values_under_old_terms", static_cast<Poco::UInt64>(r.value().values_under_old_terms));
    if (rewrap) {
      // Follow the background job while the client listens; it goes on without it.
      const size_t total = r.value().values_under_old_terms;
      const keys::RewrapProgress p = svc->WaitRewrap(
          owner,
          [&](const keys::RewrapProgress& step) {
            Object::Ptr pr = NewObject();
            pr->set("message", "re-sealing " + r.value().owner + "'s values");
            pr->set("done", static_cast<Poco::UInt64>(step.resealed));
            pr->set("total", static_cast<Poco::UInt64>(total));
            return call.Progress(pr);
          },
          [&] { return call.Stopping(); });
      Object::Ptr w = NewObject();
      w->set("resealed", static_cast<Poco::UInt64>(p.resealed));
      w->set("done", p.done);
      w->set("error", p.error.empty() ? Var() : Var(p.error));
      o->set("rewrap", w);
    }
    return Var(o);
  });
  d.Register("key.rotate_master", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"new_key_file"}); !s.ok()) return s;
    auto file = RequiredString(call, "new_key_file");
    if (!file.ok()) return file.status();
    if (file.value().empty() || file.value()[0] != '/') {
      return Status::Error(control::code::kInvalidParams,
                           "parameter 'new_key_file' must be an absolute path");
    }
    auto r = svc->RotateMaster(ActorOf(call), file.value());
    if (!r.ok()) return r.status();
    Object::Ptr o = NewObject();
    o->set("keys_rewrapped", static_cast<Poco::UInt64>(r.value().keys_rewrapped));
    o->set("key_path", r.value().key_path.string());
    o->set("key_file_replaced", r.value().key_file_replaced);
    return Var(o);
  });
}

}  // namespace sigmad::app
