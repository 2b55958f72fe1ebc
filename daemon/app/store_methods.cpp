#include "app/store_methods.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <deque>
#include <thread>

#include "app/params.h"
#include "audit/export.h"
#include "common/time_format.h"
#include "tenancy/names.h"

namespace sigmad::app {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using R = Result<Var>;

constexpr long long kMaxTail = 100000;
constexpr size_t kExportChunkBytes = 256u << 10;
constexpr auto kFollowPoll = std::chrono::milliseconds(200);

Result<Var> StoreVerify(const control::Call& call, const store::Vault& vault) {
  if (Status s = call.OnlyParams({}); !s.ok()) return s;
  auto report = vault.Verify([&](const std::string& db) {
    Object::Ptr p = NewObject();
    p->set("message", "checking " + db);
    call.Progress(p);
  });
  if (!report.ok()) return report.status();
  const store::VerifyReport& r = report.value();
  Object::Ptr out = NewObject();
  out->set("ok", r.ok());
  Array::Ptr dbs = new Array;
  size_t records = 0, failed = 0;
  for (const auto& d : r.dbs) {
    Object::Ptr o = NewObject();
    o->set("db", d.name);
    o->set("records", static_cast<Poco::UInt64>(d.records));
    o->set("failed", static_cast<Poco::UInt64>(d.failed));
    dbs->add(o);
    records += d.records;
    failed += d.failed;
  }
  out->set("records", static_cast<Poco::UInt64>(records));
  out->set("failed", static_cast<Poco::UInt64>(failed));
  out->set("dbs", dbs);
  Array::Ptr failures = new Array;
  for (const auto& f : r.failures) {
    Object::Ptr o = NewObject();
    o->set("db", f.db);
    o->set("key", f.key_hex);
    o->set("reason", f.reason);
    failures->add(o);
  }
  out->set("failures", failures);
  Array::Ptr unknown = new Array;
  for (const auto& u : r.unknown) unknown->add(u);
  out->set("unchecked_dbs", unknown);
  return Var(out);
}

Result<Var> AuditVerify(const control::Call& call, const audit::AuditLog& log) {
  if (Status s = call.OnlyParams({}); !s.ok()) return s;
  const audit::VerifyResult r = log.Verify();
  Object::Ptr out = NewObject();
  out->set("ok", r.ok());
  out->set("records_checked", r.records_checked);
  out->set("checkpoints_checked", r.checkpoints_checked);
  out->set("first_seq", r.first_seq);
  out->set("last_seq", r.last_seq);
  out->set("last_hash", audit::DigestHex(r.last_hash));
  out->set("pruned_before", r.pruned_before);
  if (r.failure) {
    Object::Ptr f = NewObject();
    f->set("seq", r.failure->seq);
    f->set("reason", std::string(audit::ReasonName(r.failure->reason)));
    f->set("message", r.failure->message);
    out->set("failure", f);
  } else {
    out->set("failure", Var());
  }
  return Var(out);
}

Result<Var> AuditTail(const control::Call& call, const audit::AuditLog& log) {
  if (Status s = call.OnlyParams({"n", "tenant", "follow"}); !s.ok()) return s;
  auto n = OptInt(call, "n", 20, 0, kMaxTail);
  if (!n.ok()) return n.status();
  auto tenant = OptString(call, "tenant", "");
  if (!tenant.ok()) return tenant.status();
  if (!tenant.value().empty()) {
    if (Status s = tenancy::ValidateName(tenancy::Kind::kTenant, tenant.value()); !s.ok()) {
      return s;
    }
  }
  auto follow = OptBool(call, "follow");
  if (!follow.ok()) return follow.status();
  const std::string want = tenancy::FoldName(tenant.value());
  auto matches = [&](const audit::Record& r) {
    return want.empty() || tenancy::FoldName(r.fields.tenant) == want;
  };

  std::deque<audit::Record> last;
  uint64_t next_seq = 1;
  Status s = log.Read(1, [&](const audit::Record& r, bool*) {
    next_seq = r.seq + 1;
    if (!matches(r) || n.value() == 0) return Status::Ok();
    last.push_back(r);
    if (last.size() > static_cast<size_t>(n.value())) last.pop_front();
    return Status::Ok();
  });
  if (!s.ok()) return s;

  Array::Ptr records = new Array;
  if (!follow.value()) {
    for (const auto& r : last) records->add(audit::ToJsonObject(r));
    Object::Ptr out = NewObject();
    out->set("records", records);
    return Var(out);
  }
  // Follow: every record goes out as progress {"record": ...}, the old ones first,
  // until the client leaves or sigmad shuts down.
  for (const auto& r : last) {
    Object::Ptr p = NewObject();
    p->set("record", audit::ToJsonObject(r));
    if (!call.Progress(p)) return Status::Error("cancelled", "client went away");
  }
  while (!call.Stopping()) {
    std::this_thread::sleep_for(kFollowPoll);
    bool gone = false;
    Status f = log.Read(next_seq, [&](const audit::Record& r, bool* stop) {
      next_seq = r.seq + 1;
      if (!matches(r)) return Status::Ok();
      Object::Ptr p = NewObject();
      p->set("record", audit::ToJsonObject(r));
      if (!call.Progress(p)) *stop = gone = true;
      return Status::Ok();
    });
    if (!f.ok()) return f;
    if (gone) return Status::Error("cancelled", "client went away");
  }
  Object::Ptr out = NewObject();
  out->set("records", records);  // empty: all were streamed
  out->set("ended", "sigmad is shutting down");
  return Var(out);
}

Result<Var> AuditExport(const control::Call& call, const audit::AuditLog& log) {
  if (Status s = call.OnlyParams({"since", "until", "format"}); !s.ok()) return s;
  auto format = OptString(call, "format", "jsonl");
  if (!format.ok()) return format.status();
  if (format.value() != "jsonl" && format.value() != "csv") {
    return BadParam("format", "must be jsonl or csv, got '" + format.value().substr(0, 32) + "'");
  }
  std::optional<std::chrono::system_clock::time_point> since, until;
  for (auto [name, slot] : {std::pair{"since", &since}, std::pair{"until", &until}}) {
    auto text = OptString(call, name, "");
    if (!text.ok()) return text.status();
    if (text.value().empty()) continue;
    auto t = ParseUtc(text.value());
    if (!t.ok()) return BadParam(name, "is invalid: " + t.status().message());
    *slot = t.value();
  }
  if (since && until && *until <= *since) {
    return BadParam("until", "must be later than 'since'");
  }
  const bool csv = format.value() == "csv";
  std::string chunk = csv ? audit::CsvHeader() : "";
  uint64_t exported = 0;
  bool gone = false;
  auto flush = [&] {
    if (chunk.empty()) return;
    Object::Ptr p = NewObject();
    p->set("chunk", chunk);
    gone = !call.Progress(p);
    chunk.clear();
  };
  Status s = log.Read(1, [&](const audit::Record& r, bool* stop) {
    if ((since && r.fields.time < *since) || (until && r.fields.time >= *until)) {
      return Status::Ok();
    }
    chunk += csv ? audit::ToCsvRow(r) : audit::ToJson(r) + "\n";
    ++exported;
    if (chunk.size() >= kExportChunkBytes) flush();
    *stop = gone;
    return Status::Ok();
  });
  if (!s.ok()) return s;
  flush();
  if (gone) return Status::Error("cancelled", "client went away");
  Object::Ptr out = NewObject();
  out->set("format", format.value());
  out->set("records", exported);
  return Var(out);
}

}  // namespace

void RegisterStoreMethods(control::Dispatcher& d, store::Vault& vault, audit::AuditLog& audit) {
  store::Vault* v = &vault;
  audit::AuditLog* a = &audit;
  d.Register("store.verify", [v](const control::Call& c) -> R { return StoreVerify(c, *v); });
  d.Register("audit.verify", [a](const control::Call& c) -> R { return AuditVerify(c, *a); });
  d.Register("audit.tail", [a](const control::Call& c) -> R { return AuditTail(c, *a); });
  d.Register("audit.export", [a](const control::Call& c) -> R { return AuditExport(c, *a); });
}

}  // namespace sigmad::app
