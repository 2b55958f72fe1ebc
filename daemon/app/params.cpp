#include "app/params.h"

#include <Poco/JSON/Array.h>

#include "app/tenancy_methods.h"

namespace sigmad::app {

using Poco::Dynamic::Var;

Status BadParam(const std::string& name, const std::string& what) {
  return Status::Error(control::code::kInvalidParams, "parameter '" + name + "' " + what);
}

Result<std::string> RequiredString(const control::Call& call, const std::string& name) {
  if (!call.params().has(name)) {
    return Status::Error(control::code::kInvalidParams, "method '" + call.request().method +
                                                            "' needs parameter '" + name + "'");
  }
  return OptString(call, name);
}

Result<std::string> OnlyString(const control::Call& call, const std::string& name) {
  if (Status s = call.OnlyParams({name}); !s.ok()) return s;
  return RequiredString(call, name);
}

Result<std::string> OptString(const control::Call& call, const std::string& name,
                              std::string fallback) {
  if (!call.params().has(name)) return fallback;
  const Var v = call.params().get(name);
  if (!v.isString()) return BadParam(name, "must be a string");
  return v.extract<std::string>();
}

Result<long long> OptInt(const control::Call& call, const std::string& name, long long fallback,
                         long long lo, long long hi) {
  if (!call.params().has(name)) return fallback;
  const Var v = call.params().get(name);
  if (!v.isInteger() || v.isBoolean()) return BadParam(name, "must be an integer");
  const long long n = v.convert<long long>();
  if (n < lo || n > hi) {
    return BadParam(name, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) +
                              ", got " + std::to_string(n));
  }
  return n;
}

Result<bool> OptBool(const control::Call& call, const std::string& name) {
  if (!call.params().has(name)) return false;
  const Var v = call.params().get(name);
  if (!v.isBoolean()) return BadParam(name, "must be true or false");
  return v.extract<bool>();
}

Result<std::vector<std::string>> OptStringList(const control::Call& call,
                                               const std::string& name) {
  std::vector<std::string> out;
  if (!call.params().has(name)) return out;
  const Var v = call.params().get(name);
  if (v.type() != typeid(Poco::JSON::Array::Ptr)) return BadParam(name, "must be a list of strings");
  for (const Var& item : *v.extract<Poco::JSON::Array::Ptr>()) {
    if (!item.isString()) return BadParam(name, "must be a list of strings");
    out.push_back(item.extract<std::string>());
  }
  return out;
}

tenancy::Actor ActorOf(const control::Call& call) { return {ActorName(call.peer()), "control"}; }

Poco::JSON::Object::Ptr NewObject() {
  return new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
}

}  // namespace sigmad::app
