#include "control/dispatcher.h"

#include <Poco/Exception.h>

#include <cassert>
#include <exception>

#include "common/log.h"

namespace sigmad::control {

bool Call::Progress(const Poco::Dynamic::Var& p) const {
  return send_(EncodeProgress(request_.id, p));
}

Status Call::OnlyParams(const std::vector<std::string>& allowed) const {
  for (const auto& [key, _] : *request_.params) {
    bool known = false;
    for (const auto& a : allowed) known = known || a == key;
    if (!known) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return Status::Error(code::kInvalidParams,
                           "method '" + request_.method + "' has no parameter '" + key + "'" +
                               (list.empty() ? " (it takes none)" : " (parameters: " + list + ")"));
    }
  }
  return Status::Ok();
}

void Dispatcher::Register(const std::string& name, Method method) {
  const bool inserted = methods_.emplace(name, std::move(method)).second;
  assert(inserted && "control method registered twice");
  (void)inserted;
}

std::vector<std::string> Dispatcher::Names() const {
  std::vector<std::string> names;
  for (const auto& [name, _] : methods_) names.push_back(name);
  return names;
}

std::string Dispatcher::Dispatch(const Request& request, const PeerCred& peer,
                                 const Call::SendFn& send, const Call::StopFn& stopping) const {
  auto it = methods_.find(request.method);
  if (it == methods_.end()) {
    std::string list;
    for (const auto& [name, _] : methods_) list += (list.empty() ? "" : ", ") + name;
    return EncodeError(request.id, code::kUnknownMethod,
                       "unknown method '" + request.method + "' (methods: " + list + ")");
  }
  Call call(request, peer, send, stopping);
  std::string what;
  try {
    Result<Poco::Dynamic::Var> r = it->second(call);
    if (r.ok()) return EncodeResult(request.id, r.value());
    return EncodeError(request.id, r.status().code(), r.status().message());
  } catch (const Poco::Exception& e) {
    what = e.displayText();
  } catch (const std::exception& e) {
    what = e.what();
  } catch (...) {
    what = "unknown exception";
  }
  log::For("control").error("method '" + request.method + "' failed: " + what);
  return EncodeError(request.id, code::kInternal,
                     "method '" + request.method + "' failed inside sigmad: " + what +
                         " (details in the daemon log)");
}

}  // namespace sigmad::control
