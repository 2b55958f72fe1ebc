// The enforcement registry: for every rule of the policy language, the named point in
// sigmad that enforces it and whether that point exists yet. `sigmactl policy
// enforcement` prints it. A rule whose module is not built says "not enforced",
// never more; a unit test checks that every spec field of every kind is listed.
// Thread-safety: immutable data.
#pragma once

#include <string>
#include <vector>

namespace sigmad::policy {

enum class Enforcement { kEnforced, kNotEnforced };

struct EnforcementPoint {
  std::string kind;   // "SecurityPolicy"
  std::string field;  // "spec.adminGroup": the rule (a spec field and all below it)
  std::string point;  // where it is enforced, or will be
  Enforcement state = Enforcement::kNotEnforced;
  std::string note;   // what enforcing means today, or what is missing
};

const std::vector<EnforcementPoint>& EnforcementRegistry();

const char* EnforcementName(Enforcement e);  // "enforced" | "not enforced"

}  // namespace sigmad::policy
