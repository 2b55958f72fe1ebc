// Reading control-method parameters: each helper returns the value, or
// control::code::kInvalidParams with a message naming the parameter and what is wrong.
// Thread-safety: pure functions of the call.
#pragma once

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <string>
#include <vector>

#include "common/status.h"
#include "control/dispatcher.h"
#include "tenancy/service.h"

namespace sigmad::app {

// invalid_params: "parameter 'NAME' WHAT".
Status BadParam(const std::string& name, const std::string& what);
// A string parameter the method needs.
Result<std::string> RequiredString(const control::Call& call, const std::string& name);
// The string parameter `name` of a method that takes no other parameter.
Result<std::string> OnlyString(const control::Call& call, const std::string& name);
// Optional parameters: `fallback` (false, empty) when absent.
Result<std::string> OptString(const control::Call& call, const std::string& name,
                              std::string fallback = {});
Result<long long> OptInt(const control::Call& call, const std::string& name, long long fallback,
                         long long lo, long long hi);
Result<bool> OptBool(const control::Call& call, const std::string& name);
// An optional list of strings (empty when absent).
Result<std::vector<std::string>> OptStringList(const control::Call& call, const std::string& name);

// Who is calling, for audit records: "uid=0(root)" from "control".
tenancy::Actor ActorOf(const control::Call& call);
// A JSON object that keeps its keys in insertion order, for replies.
Poco::JSON::Object::Ptr NewObject();

// A JSON array of to_json(item) for each of `items`, in order.
template <typename T, typename Fn>
Poco::JSON::Array::Ptr ToArray(const std::vector<T>& items, Fn to_json) {
  Poco::JSON::Array::Ptr a = new Poco::JSON::Array;
  for (const auto& item : items) a->add(to_json(item));
  return a;
}

}  // namespace sigmad::app
