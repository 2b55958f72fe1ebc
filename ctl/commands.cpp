#include "commands.h"

#include <Poco/JSON/Object.h>

#include <unistd.h>

#include <cstdio>
#include <iostream>

#include "client.h"
#include "common/time_format.h"
#include "render.h"
#include "sigmad/version.h"

namespace sigmad::ctl {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

Result<Var> CallDaemon(const GlobalOptions& g, const std::string& method, Object::Ptr params,
                       const ProgressFn& on_progress) {
  auto client = Client::Connect(g.socket);
  if (!client.ok()) return client.status();
  if (on_progress) return client->Call(method, params, g.timeout, on_progress);
  const bool tty = isatty(2) == 1 && !g.json;
  bool drew = false;
  auto r = client->Call(method, params, g.timeout, [&](const Var& p) {
    if (!tty) return;
    std::cerr << "\r\033[K" << FormatProgress(p) << std::flush;
    drew = true;
  });
  if (drew) std::cerr << "\r\033[K" << std::flush;
  return r;
}

std::string Str(const Object::Ptr& o, const std::string& key) {
  if (!o->has(key) || o->get(key).isEmpty()) return "-";
  return o->get(key).toString();
}

Object::Ptr PathParams(const std::string& path) {
  Object::Ptr p = new Object;
  p->set("path", path);
  return p;
}

std::string Num(const Object::Ptr& o, const std::string& key, int digits) {
  if (!o->has(key) || o->get(key).isEmpty() || !o->get(key).isNumeric()) return Str(o, key);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*g", digits, o->get(key).convert<double>());
  return buf;
}

int ReportFailure(const Status& status) {
  std::cerr << "sigmactl: " << status.message() << '\n';
  if (status.code() == "unreachable") return kExitUnreachable;
  if (status.code() == "access_denied") return kExitDenied;
  return kExitFailed;
}

int CmdStatus(const GlobalOptions& g) {
  auto r = CallDaemon(g, "status");
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  auto s = r->extract<Object::Ptr>();
  auto c = s->getObject("control");
  auto a = s->getObject("analysis");
  KeyValues rows;
  rows.emplace_back("sigmad", Str(s, "version") + " (" + Str(s, "mode") + " mode)");
  rows.emplace_back("pid", Str(s, "pid"));
  rows.emplace_back("uptime",
                    FormatDuration(std::chrono::seconds(s->getValue<long long>("uptime_seconds"))) +
                        " (since " + Str(s, "started_at") + ")");
  rows.emplace_back("state dir", Str(s, "state_dir"));
  rows.emplace_back("socket", Str(s, "socket"));
  rows.emplace_back("config", Str(s, "config_file"));
  rows.emplace_back("log level", Str(s, "log_level"));
  rows.emplace_back("clients", Str(c, "active_clients") + " active of " + Str(c, "max_clients") +
                                   "; " + Str(c, "accepted") + " accepted, " + Str(c, "requests") +
                                   " requests, " + Str(c, "denied") + " denied, " +
                                   Str(c, "bad_requests") + " bad");
  rows.emplace_back("admin group",
                    Str(c, "admin_group") +
                        (c->getValue<bool>("admin_group_exists") ? "" : " (no such group)"));
  if (s->has("tls")) {
    auto t = s->getObject("tls");
    rows.emplace_back("tls", t->has("error") ? Str(t, "error")
                                             : Str(t, "certificate") + ", expires " +
                                                   Str(t, "expires_at"));
    if (t->has("sha256_fingerprint")) rows.emplace_back("tls sha256", Str(t, "sha256_fingerprint"));
  }
 if (s->has("store")) {
    auto st = s->getObject("store");
    auto size = [&](const char* key) {
      return st->has(key) ? FormatBytes(st->getValue<double>(key)) : std::string("?");
    };
    rows.emplace_back("store", Str(st, "path") + ", " + size("used_bytes") + " used of " +
                                   size("map_bytes") + " mapped");
    rows.emplace_back("audit log", "seq " + Str(st, "audit_last_seq") + ", last hash " +
                                       Str(st, "audit_last_hash"));
  }
  if (s->has("backups")) {
    auto b = s->getObject("backups");
    if (b->has("error")) {
      rows.emplace_back("backups", "unknown: " + Str(b, "error"));
    } else {
      rows.emplace_back("backups", b->get("policy").isEmpty()
                                       ? std::string("off (no BackupPolicy is active)")
                                       : Str(b, "backups") + " in " + Str(b, "target") + "; next " +
                                             Str(b, "next_backup_at"));
      std::string rpo = "no verified backup";
      if (!b->get("rpo_seconds").isEmpty()) {
        rpo = FormatDuration(std::chrono::seconds(b->getValue<long long>("rpo_seconds"))) +
              " (newest verified backup " + Str(b->getObject("newest_verified"), "id") + ")";
      }
      if (b->has("rpo_hours_allowed")) {
        rpo += b->getValue<bool>("rpo_met") ? "; within " : "; EXCEEDS ";
        rpo += "the policy's " + Str(b, "rpo_hours_allowed") + "h";
      }
      rows.emplace_back("RPO", rpo);
      std::string rto = "no restore drill yet";
      if (!b->get("rto_ms").isEmpty()) {
        rto = Str(b, "rto_ms") + " ms (last good restore drill)";
      }
      if (!b->get("last_drill").isEmpty()) {
        auto d = b->getObject("last_drill");
        if (!d->getValue<bool>("ok")) rto += "; LAST DRILL FAILED " + Str(d, "time");
      }
      rows.emplace_back("RTO", rto);
      if (b->has("last_run") && !b->getObject("last_run")->getValue<bool>("ok")) {
        auto run = b->getObject("last_run");
        rows.emplace_back("last backup", "FAILED " + Str(run, "time") + ": " + Str(run, "error"));
      }
    }
  }
  rows.emplace_back("analysis", "libtorch " + Str(a, "torch_version") + " on " + Str(a, "device") +
                                    ", " + Str(a, "threads") + " threads");
  rows.emplace_back("watchdog", s->get("watchdog_seconds").isEmpty()
                                    ? "off"
                                    : Str(s, "watchdog_seconds") + "s");
  PrintKeyValues(std::cout, rows);
  return kExitOk;
}

int CmdVersion(const GlobalOptions& g) {
  auto r = CallDaemon(g, "version");
  if (g.json) {
    Object::Ptr out = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    out->set("sigmactl", kVersion);
    out->set("sigmad", r.ok() ? r.value() : Var());
    std::cout << ToJson(out) << '\n';
  } else {
    KeyValues rows{{"sigmactl", kVersion}};
    if (r.ok()) {
      auto v = r->extract<Object::Ptr>();
      auto libs = v->getObject("libraries");
      rows.emplace_back("sigmad", Str(v, "version") + " (protocol " + Str(v, "protocol") +
                                      "; POCO " + Str(libs, "poco") + ", " + Str(libs, "openssl") +
                                      ", libtorch " + Str(libs, "torch") + ")");
    }
    PrintKeyValues(std::cout, rows);
  }
  return r.ok() ? kExitOk : ReportFailure(r.status());
}

}  // namespace sigmad::ctl
