// The control methods over the key hierarchy:
//   key.status                      every data key: owner, term, created, current, values
//   key.rotate {tenant}             a new term for a tenant's key (none: the system key)
//   key.rotate_master {new_key_file}  re-wrap every data key under a new master key
// Thread-safety: safe from any thread.
#pragma once

#include "control/dispatcher.h"
#include "keys/service.h"

namespace sigmad::app {

void RegisterKeyMethods(control::Dispatcher& dispatcher, keys::KeyService& service);

}  // namespace sigmad::app
