#include "app/policy_methods.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "common/time_format.h"

namespace sigmad::app {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using R = Result<Var>;

Object::Ptr Info(const policy::VersionInfo& v) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("version", static_cast<Poco::UInt64>(v.version));
  o->set("applied_at", FormatUtc(v.applied_at));
  o->set("actor", v.actor);
  o->set("source", v.source);
  o->set("hash", v.hash);
  Array::Ptr kinds = new Array;
  for (const auto& k : v.kinds) kinds->add(k);
  o->set("kinds", kinds);
  return o;
}

}  // namespace

void RegisterPolicyMethods(control::Dispatcher& d, policy::PolicyService& service) {
  policy::PolicyService* svc = &service;
  d.Register("policy.show", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"version"}); !s.ok()) return s;
    policy::StoredVersion v;
    if (call.params().has("version")) {
      const Var p = call.params().get("version");
      if (!p.isInteger() || p.convert<Poco::Int64>() < 1) {
        return Status::Error(control::code::kInvalidParams,
                             "parameter 'version' must be a positive integer");
      }
      auto got = svc->Version(p.convert<Poco::UInt64>());
      if (!got.ok()) return got.status();
      v = std::move(got).value();
    } else {
      auto active = svc->Active();
      if (!active.ok()) return active.status();
      if (!active.value()) {
        return Status::Error("not_found",
                             "no policy set is active: put one in policies.d and send SIGHUP");
      }
      v = std::move(*active.value());
    }
    Object::Ptr o = Info(v.info);
    Array::Ptr files = new Array;
    for (const auto& [name, text] : v.files) {
      Object::Ptr f = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      f->set("name", name);
      f->set("text", text);
      files->add(f);
    }
    o->set("files", files);
    return Var(o);
  });
  d.Register("policy.history", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({}); !s.ok()) return s;
    auto history = svc->History();
    if (!history.ok()) return history.status();
    Array::Ptr versions = new Array;
    for (const auto& v : history.value()) versions->add(Info(v));
    Object::Ptr r = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    r->set("versions", versions);
    return Var(r);
  });
}

}  // namespace sigmad::app
