// The control methods over tenants, projects and tasks: tenant.create|list|show,
// project.create|list|delete, task.create|list|delete. Thin: check the parameters, call
// the TenancyService with the peer as actor, render its result as JSON.
// Thread-safety: the methods are safe from any thread (the service is).
#pragma once

#include <string>

#include "control/dispatcher.h"
#include "control/peer.h"
#include "tenancy/service.h"

namespace sigmad::app {

// "uid=0(root)": the peer as audit records name it.
std::string ActorName(const control::PeerCred& peer);

void RegisterTenancyMethods(control::Dispatcher& dispatcher, tenancy::TenancyService& service);

}  // namespace sigmad::app
