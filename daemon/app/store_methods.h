// The control methods over the trusted store and its audit log:
//   store.verify                       open every sealed value, unwrap every data key
//   audit.verify                       check the whole chain
//   audit.tail {n, tenant, follow}     the newest records; follow streams new ones
//   audit.export {since, until, format}  records in [since, until) as jsonl or csv,
//                                      streamed as progress {"chunk": text}
// Verification results are results, not errors: {"ok": false, ...} names what failed.
// Thread-safety: safe from any thread.
#pragma once

#include "audit/log.h"
#include "control/dispatcher.h"
#include "store/vault.h"

namespace sigmad::app {

void RegisterStoreMethods(control::Dispatcher& dispatcher, store::Vault& vault,
                          audit::AuditLog& audit);

}  // namespace sigmad::app
