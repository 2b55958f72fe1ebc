#include "app/methods.h"

#include <Poco/Environment.h>
#include <Poco/JSON/Object.h>
#include <openssl/crypto.h>
#include <unistd.h>

#include "analysis/runtime.h"
#include "app/params.h"
#include "common/time_format.h"
#include "crypto/tls_cert.h"
#include "sigmad/version.h"

namespace sigmad::app {
namespace {

using Poco::JSON::Object;

std::string PocoVersion() {
  const unsigned v = Poco::Environment::libraryVersion();
  return std::to_string((v >> 24) & 0xff) + "." + std::to_string((v >> 16) & 0xff) + "." +
         std::to_string((v >> 8) & 0xff);
}

}  // namespace

void RegisterAppMethods(control::Dispatcher& dispatcher, const DaemonFacts& facts,
                        const control::Server& server, const Clock& clock,
                        const std::atomic<log::Level>* log_level) {
  dispatcher.Register("status", [&facts, &server, &clock, log_level](const control::Call& call)
                                    -> Result<Poco::Dynamic::Var> {
    if (Status s = call.OnlyParams({}); !s.ok()) return s;
    const auto now = clock.Now();
    Object::Ptr r = NewObject();
    r->set("version", kVersion);
    r->set("pid", static_cast<int>(getpid()));
    r->set("mode", facts.mode);
    r->set("started_at", FormatUtc(facts.started_at));
    r->set("now", FormatUtc(now));
    r->set("uptime_seconds",
           std::chrono::duration_cast<std::chrono::seconds>(now - facts.started_at).count());
    r->set("state_dir", facts.state_dir.string());
    r->set("socket", facts.socket.string());
    r->set("config_file", facts.config_file ? Poco::Dynamic::Var(facts.config_file->string())
                                            : Poco::Dynamic::Var());
    r->set("log_level", log::LevelName(log_level->load()));
    r->set("watchdog_seconds",
           facts.watchdog ? Poco::Dynamic::Var(static_cast<double>(facts.watchdog->count()) / 1e6)
                          : Poco::Dynamic::Var());

    const control::ServerStats st = server.Stats();
    Object::Ptr c = NewObject();
    c->set("active_clients", st.active);
    c->set("max_clients", facts.max_clients);
    c->set("accepted", st.accepted);
    c->set("requests", st.requests);
    c->set("denied", st.denied);
    c->set("bad_requests", st.bad_requests);
    const control::AdminRule admin = server.admin_rule();  // the policy's, once one is active
    c->set("admin_group", admin.admin_group);
    c->set("admin_group_exists", admin.admin_gid.has_value());
    r->set("control", c);

    if (facts.tls_cert) {
      Object::Ptr t = NewObject();
      t->set("certificate", facts.tls_cert->string());
      auto info = crypto::InspectCertificate(*facts.tls_cert);
      if (info.ok()) {
        t->set("subject", info->subject);
        t->set("expires_at", FormatUtc(info->not_after));
        t->set("sha256_fingerprint", info->sha256_fingerprint);
      } else {
        t->set("error", info.status().message());
      }
      r->set("tls", t);
    }

    if (facts.store_status) r->set("store", facts.store_status());
    if (facts.backup_status) r->set("backups", facts.backup_status());
    if (facts.restored) {
      Object::Ptr rs = NewObject();
      rs->set("backup", facts.restored->target);
      rs->set("ok", facts.restored->outcome == "ok");
      rs->set("details", facts.restored->details.value_or(""));
      r->set("restored", rs);
    } else {
      r->set("restored", Poco::Dynamic::Var());
    }
    const analysis::RuntimeInfo rt = analysis::Runtime();
    Object::Ptr a = NewObject();
    a->set("torch_version", rt.torch_version);
    a->set("device", rt.device);
    a->set("threads", rt.intra_op_threads);
    r->set("analysis", a);
    return Poco::Dynamic::Var(r);
  });

  dispatcher.Register("version", [](const control::Call& call) -> Result<Poco::Dynamic::Var> {
    if (Status s = call.OnlyParams({}); !s.ok()) return s;
    Object::Ptr r = NewObject();
    r->set("version", kVersion);
    r->set("protocol", kProtocolVersion);
    Object::Ptr libs = NewObject();
    libs->set("poco", PocoVersion());
    libs->set("openssl", OpenSSL_version(OPENSSL_VERSION));
    libs->set("torch", analysis::Runtime().torch_version);
    r->set("libraries", libs);
    return Poco::Dynamic::Var(r);
  });
}

}  // namespace sigmad::app
