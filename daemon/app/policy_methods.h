// The control methods over policies: policy.show [version], policy.history. Thin:
// check the parameters, call the PolicyService, render its result as JSON.
// Thread-safety: safe from any thread (the service is).
#pragma once

#include "control/dispatcher.h"
#include "policy/service.h"

namespace sigmad::app {

void RegisterPolicyMethods(control::Dispatcher& dispatcher, policy::PolicyService& service);

}  // namespace sigmad::app
