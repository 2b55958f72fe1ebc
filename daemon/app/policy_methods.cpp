#include "app/policy_methods.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <optional>
#include <set>

#include "app/params.h"
#include "app/tenancy_methods.h"
#include "common/time_format.h"
#include "policy/enforcement.h"

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

constexpr size_t kMaxFiles = 256;

// A positive integer parameter (any JSON integer width), or nullopt.
std::optional<uint64_t> PositiveInt(const Var& p) {
  if (p.isEmpty() || !p.isInteger()) return std::nullopt;
  try {
    if (p.isSigned()) {
      const Poco::Int64 v = p.convert<Poco::Int64>();
      if (v < 1) return std::nullopt;
      return static_cast<uint64_t>(v);
    }
    const Poco::UInt64 v = p.convert<Poco::UInt64>();
    if (v < 1) return std::nullopt;
    return v;
  } catch (const Poco::Exception&) {
    return std::nullopt;
  }
}

// The "files" parameter: [{"name": "10-a.yaml", "text": "..."}], plain file names,
// each once.
Result<policy::Files> FilesParam(const control::Call& call) {
  auto bad = [](const std::string& why) {
    return Status::Error(control::code::kInvalidParams, "parameter 'files' " + why);
  };
  if (!call.params().has("files")) return bad("is required");
  const Var v = call.params().get("files");
  if (v.type() != typeid(Array::Ptr)) return bad("must be a list of {name, text}");
  const Array::Ptr list = v.extract<Array::Ptr>();
  if (list->size() == 0) return bad("must name at least one file");
  if (list->size() > kMaxFiles) return bad("may hold at most " + std::to_string(kMaxFiles) + " files");
  policy::Files files;
  std::set<std::string> names;
  for (size_t i = 0; i < list->size(); ++i) {
    Object::Ptr f = list->getObject(static_cast<unsigned>(i));
    if (!f || !f->has("name") || !f->has("text") || !f->get("name").isString() ||
        !f->get("text").isString()) {
      return bad("entry " + std::to_string(i) + " must be {\"name\": string, \"text\": string}");
    }
    const std::string name = f->getValue<std::string>("name");
    if (name.empty() || name.size() > 255 || name.find('/') != std::string::npos || name == "." ||
        name == ".." || name.find('\0') != std::string::npos) {
      return bad("entry " + std::to_string(i) + " has no plain file name");
    }
    if (!names.insert(name).second) return bad("names " + name + " twice");
    files.emplace_back(name, f->getValue<std::string>("text"));
  }
  return files;
}

Array::Ptr Errors(const std::vector<policy::Diagnostic>& errors) {
  Array::Ptr out = new Array;
  for (const auto& e : errors) {
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("file", e.file);
    o->set("line", e.line);
    o->set("column", e.column);
    o->set("message", e.message);
    out->add(o);
  }
  return out;
}

Object::Ptr AppliedJson(const policy::Applied& a) {
  Object::Ptr o = Info(a.info);
  o->set("changed", a.changed);
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
      const std::optional<uint64_t> n = PositiveInt(p);
      if (!n) {
        return Status::Error(control::code::kInvalidParams,
                             "parameter 'version' must be a positive integer");
      }
      auto got = svc->Version(*n);
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
  d.Register("policy.plan", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"files"}); !s.ok()) return s;
    auto files = FilesParam(call);
    if (!files.ok()) return files.status();
    auto plan = svc->Plan(files.value());
    if (!plan.ok()) return plan.status();
    const policy::PlanResult& p = plan.value();
    Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("valid", p.errors.empty());
    o->set("errors", Errors(p.errors));
    if (p.errors.empty()) {
      o->set("active_version", static_cast<Poco::UInt64>(p.active_version));
      o->set("active_hash", p.active_hash);
      o->set("new_hash", p.new_hash);
      o->set("plan_hash", p.plan_hash);
      Array::Ptr changes = new Array;
      for (const auto& c : p.changes) {
        Object::Ptr co = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
        co->set("op", std::string(1, c.op));
        co->set("kind", c.kind);
        co->set("name", c.name);
        co->set("path", c.path);
        if (c.op != '+') co->set("before", c.before);
        if (c.op != '-') co->set("after", c.after);
        changes->add(co);
      }
      o->set("changes", changes);
    }
    return Var(o);
  });
  d.Register("policy.apply", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"files", "source", "plan_hash"}); !s.ok()) return s;
    auto files = FilesParam(call);
    if (!files.ok()) return files.status();
    std::string source = "apply", plan_hash;
    for (auto [name, out] : {std::pair{"source", &source}, std::pair{"plan_hash", &plan_hash}}) {
      if (!call.params().has(name)) continue;
      if (!call.params().get(name).isString()) {
        return Status::Error(control::code::kInvalidParams,
                             std::string("parameter '") + name + "' must be a string");
      }
      *out = call.params().getValue<std::string>(name);
    }
    if (source.size() > 4200 || plan_hash.size() > 64) {
      return Status::Error(control::code::kInvalidParams, "parameter 'source' or 'plan_hash' is too long");
    }
    auto applied = svc->Apply(ActorOf(call), source, files.value(), plan_hash);
    if (!applied.ok()) return applied.status();
    return Var(AppliedJson(applied.value()));
  });
  d.Register("policy.rollback", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"version"}); !s.ok()) return s;
    const std::optional<uint64_t> n =
        PositiveInt(call.params().has("version") ? call.params().get("version") : Var());
    if (!n) {
      return Status::Error(control::code::kInvalidParams,
                           "parameter 'version' must be a positive integer");
    }
    auto applied = svc->Rollback(ActorOf(call), *n);
    if (!applied.ok()) return applied.status();
    return Var(AppliedJson(applied.value()));
  });
  d.Register("policy.enforcement", [](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({}); !s.ok()) return s;
    Array::Ptr rules = new Array;
    for (const auto& p : policy::EnforcementRegistry()) {
      Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
      o->set("kind", p.kind);
      o->set("field", p.field);
      o->set("state", std::string(policy::EnforcementName(p.state)));
      o->set("point", p.point);
      o->set("note", p.note);
      rules->add(o);
    }
    Object::Ptr r = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    r->set("rules", rules);
    return Var(r);
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
