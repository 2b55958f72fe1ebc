// sigmactl store verify, audit verify|tail|export.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <filesystem>
#include <iostream>

#include "commands.h"
#include "render.h"

namespace sigmad::ctl {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

std::vector<std::string> RecordRow(const Object::Ptr& r) {
  return {Str(r, "seq"),    Str(r, "time"),   Str(r, "actor"),  Str(r, "tenant"),
          Str(r, "action"), Str(r, "target"), Str(r, "outcome")};
}
const std::vector<std::string> kRecordHeader = {"SEQ",    "TIME",   "ACTOR",  "TENANT",
                                                "ACTION", "TARGET", "OUTCOME"};

}  // namespace

int CmdKeyStatus(const GlobalOptions& g) {
  auto r = CallDaemon(g, "key.status");
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& k : *r->extract<Object::Ptr>()->getArray("keys")) {
    auto o = k.extract<Object::Ptr>();
    const bool overdue = o->has("overdue") && o->getValue<bool>("overdue");
    rows.push_back({Str(o, "owner"), Str(o, "term"), o->getValue<bool>("current") ? "yes" : "",
                    Str(o, "created_at"), Str(o, "age_days") + "d" + (overdue ? " OVERDUE" : ""),
                    Str(o, "values")});
  }
  PrintTable(std::cout, {"OWNER", "TERM", "CURRENT", "CREATED", "AGE", "VALUES"}, rows);
  const Object::Ptr root = r->extract<Object::Ptr>();
  if (root->has("master_key")) {
    const Object::Ptr m = root->getObject("master_key");
    std::cout << "master key: set " << Str(m, "created_at") << ", " << Str(m, "age_days")
              << "d old";
    if (m->getValue<bool>("overdue")) {
      std::cout << ", OVERDUE (EncryptionPolicy masterKeyRotationDays " << Str(m, "max_age_days")
                << "): rotate it with 'sigmactl key rotate-master --new-key-file PATH'";
    }
    std::cout << '\n';
  }
  return kExitOk;
}

int CmdKeyRotate(const GlobalOptions& g, const std::string& tenant, bool rewrap) {
  Object::Ptr params = new Object;
  if (!tenant.empty()) params->set("tenant", tenant);
  if (rewrap) params->set("rewrap", true);
  GlobalOptions opts = g;
  if (rewrap) opts.timeout = std::chrono::milliseconds(0);  // progress comes per batch
  auto r = CallDaemon(opts, "key.rotate", params);
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  auto o = r->extract<Object::Ptr>();
  std::cout << "rotated " << Str(o, "owner") << " data key: term " << Str(o, "previous_term")
            << " -> " << Str(o, "term") << "; new values are sealed under term "
            << Str(o, "term") << ", " << Str(o, "values_under_old_terms")
            << " stored values stay under older terms (they keep opening)\n";
  if (!o->has("rewrap")) return kExitOk;
  auto w = o->getObject("rewrap");
  if (w->getValue<bool>("done")) {
    std::cout << "re-sealed " << Str(w, "resealed") << " values under term " << Str(o, "term")
              << "; nothing is left under older terms\n";
    return kExitOk;
  }
  if (!w->get("error").isEmpty()) {
    std::cout << "rewrap stopped after " << Str(w, "resealed") << " values: " << Str(w, "error")
              << "; it resumes when sigmad restarts\n";
    return kExitFailed;
  }
  std::cout << "rewrap goes on in the background (" << Str(w, "resealed")
            << " values so far); see sigmactl key status\n";
  return kExitOk;
}

int CmdKeyRotateMaster(const GlobalOptions& g, const std::string& new_key_file) {
  Object::Ptr params = new Object;
  std::error_code ec;
  params->set("new_key_file", std::filesystem::absolute(new_key_file, ec).string());
  auto r = CallDaemon(g, "key.rotate_master", params);
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  auto o = r->extract<Object::Ptr>();
  std::cout << "re-wrapped " << Str(o, "keys_rewrapped")
            << " data keys under the new master key; sigmad uses it now\n";
  if (o->getValue<bool>("key_file_replaced")) {
    std::cout << Str(o, "key_path") << " now holds the new master key\n";
  } else {
    std::cout << "before sigmad restarts, install the new key where it reads its master key ("
              << Str(o, "key_path") << "); the old key no longer opens the store\n";
  }
  return kExitOk;
}

int CmdStoreVerify(const GlobalOptions& g) {
  auto r = CallDaemon(g, "store.verify");
  if (!r.ok()) return ReportFailure(r.status());
  auto v = r->extract<Object::Ptr>();
  const bool ok = v->getValue<bool>("ok");
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return ok ? kExitOk : kExitFailed;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& d : *v->getArray("dbs")) {
    auto o = d.extract<Object::Ptr>();
    rows.push_back({Str(o, "db"), Str(o, "records"), Str(o, "failed")});
  }
  PrintTable(std::cout, {"DB", "RECORDS", "FAILED"}, rows);
  for (const auto& u : *v->getArray("unchecked_dbs")) {
    std::cout << "not checked: DB '" << u.toString() << "' (no module of this sigmad opens it)\n";
  }
  if (ok) {
    std::cout << "store intact: " << Str(v, "records") << " records in " << rows.size()
              << " DBs open and authenticate\n";
    return kExitOk;
  }
  for (const auto& f : *v->getArray("failures")) {
    auto o = f.extract<Object::Ptr>();
    std::cout << "FAILED " << Str(o, "db") << " key " << Str(o, "key") << ": "
              << Str(o, "reason") << '\n';
  }
  std::cout << "store DAMAGED: " << Str(v, "failed") << " of " << Str(v, "records")
            << " records do not open\n";
  return kExitFailed;
}

int CmdAuditVerify(const GlobalOptions& g) {
  auto r = CallDaemon(g, "audit.verify");
  if (!r.ok()) return ReportFailure(r.status());
  auto v = r->extract<Object::Ptr>();
  const bool ok = v->getValue<bool>("ok");
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return ok ? kExitOk : kExitFailed;
  }
  if (ok) {
    std::cout << "audit log intact: " << Str(v, "records_checked") << " records (seq "
              << Str(v, "first_seq") << ".." << Str(v, "last_seq") << "), "
              << Str(v, "checkpoints_checked") << " checkpoints verified\n";
    const auto pruned = v->optValue<Poco::UInt64>("pruned_before", 0);
    const auto first = v->optValue<Poco::UInt64>("first_seq", 0);
    if (pruned != 0 && first >= pruned) {
      std::cout << "records before " << pruned << " were pruned by the audit-log retention\n";
    } else if (pruned != 0) {
      std::cout << "records " << first << ".." << pruned - 1
                << " are being pruned by the audit-log retention\n";
    }
    std::cout << "last hash " << Str(v, "last_hash") << '\n';
    return kExitOk;
  }
  auto f = v->getObject("failure");
  std::cout << "audit log FAILED at seq " << Str(f, "seq") << " (" << Str(f, "reason")
            << "): " << Str(f, "message") << '\n'
            << Str(v, "records_checked") << " records before it verified\n";
  return kExitFailed;
}

int CmdAuditTail(const GlobalOptions& g, int n, const std::string& tenant, bool follow) {
  Object::Ptr params = new Object;
  params->set("n", n);
  if (!tenant.empty()) params->set("tenant", tenant);
  if (!follow) {
    auto r = CallDaemon(g, "audit.tail", params);
    if (!r.ok()) return ReportFailure(r.status());
    if (g.json) {
      std::cout << ToJson(r.value()) << '\n';
      return kExitOk;
    }
    std::vector<std::vector<std::string>> rows;
    for (const auto& rec : *r->extract<Object::Ptr>()->getArray("records")) {
      rows.push_back(RecordRow(rec.extract<Object::Ptr>()));
    }
    PrintTable(std::cout, kRecordHeader, rows);
    return kExitOk;
  }
  // --follow: records arrive as progress, one per line, until sigmad stops (or ^C).
  params->set("follow", true);
  GlobalOptions forever = g;
  forever.timeout = std::chrono::milliseconds(0);
  auto r = CallDaemon(forever, "audit.tail", params, [&](const Var& p) {
    auto rec = p.extract<Object::Ptr>()->getObject("record");
    if (!rec) return;
    if (g.json) {
      std::cout << ToJson(rec) << std::endl;
    } else {
      std::string line;
      for (const auto& cell : RecordRow(rec)) line += (line.empty() ? "" : "  ") + cell;
      std::cout << line << std::endl;
    }
  });
  if (!r.ok()) return ReportFailure(r.status());
  return kExitOk;
}

int CmdAuditExport(const GlobalOptions& g, const std::string& since, const std::string& until,
                   const std::string& format) {
  Object::Ptr params = new Object;
  if (!since.empty()) params->set("since", since);
  if (!until.empty()) params->set("until", until);
  params->set("format", format);
  auto r = CallDaemon(g, "audit.export", params, [](const Var& p) {
    auto o = p.extract<Object::Ptr>();
    if (o->has("chunk")) std::cout << o->getValue<std::string>("chunk");
  });
  std::cout.flush();
  if (!r.ok()) return ReportFailure(r.status());
  auto v = r->extract<Object::Ptr>();
  std::cerr << "exported " << Str(v, "records") << " audit records as " << Str(v, "format")
            << '\n';
  return kExitOk;
}

}  // namespace sigmad::ctl
