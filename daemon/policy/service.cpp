#include "policy/service.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <sstream>

#include "common/log.h"
#include "store/keys.h"

namespace sigmad::policy {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using Time = std::chrono::system_clock::time_point;

// Keys in the "policies" table.
constexpr uint8_t kVersionKey = 1;    // | version u64  ->  the version (JSON)
constexpr uint8_t kDirectoryKey = 2;  // ->  hash of the files last loaded from a directory

std::string VersionKey(uint64_t v) { return store::KeyBuilder().U8(kVersionKey).U64(v).Build(); }
std::string DirectoryKey() { return store::KeyBuilder().U8(kDirectoryKey).Build(); }

std::string Encode(const StoredVersion& v) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("version", static_cast<Poco::UInt64>(v.info.version));
  o->set("applied_at_ms",
         static_cast<Poco::Int64>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                      v.info.applied_at.time_since_epoch())
                                      .count()));
  o->set("actor", v.info.actor);
  o->set("source", v.info.source);
  o->set("hash", v.info.hash);
  Array::Ptr kinds = new Array;
  for (const auto& k : v.info.kinds) kinds->add(k);
  o->set("kinds", kinds);
  Array::Ptr files = new Array;
  for (const auto& [name, text] : v.files) {
    Object::Ptr f = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    f->set("name", name);
    f->set("text", text);
    files->add(f);
  }
  o->set("files", files);
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

Result<StoredVersion> Decode(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(std::string(json)).extract<Object::Ptr>();
    StoredVersion v;
    v.info.version = o->getValue<Poco::UInt64>("version");
    v.info.applied_at = Time(std::chrono::milliseconds(o->getValue<Poco::Int64>("applied_at_ms")));
    v.info.actor = o->getValue<std::string>("actor");
    v.info.source = o->getValue<std::string>("source");
    v.info.hash = o->getValue<std::string>("hash");
    for (const auto& k : *o->getArray("kinds")) v.info.kinds.push_back(k.convert<std::string>());
    for (const auto& f : *o->getArray("files")) {
      auto fo = f.extract<Object::Ptr>();
      v.files.emplace_back(fo->getValue<std::string>("name"), fo->getValue<std::string>("text"));
    }
    return v;
  } catch (const Poco::Exception& e) {
    return Status::Error("integrity", "a stored policy version does not decode: " + e.displayText());
  }
}

// The files' digest for "did policies.d change": names and texts, not the canonical
// set, so any edit counts as a change of the directory (an edit of comments only is
// then found equal to the active set and makes no version).
std::string FilesDigest(const Files& files) {
  std::string all;
  for (const auto& [name, text] : files) {
    all += std::to_string(name.size()) + ":" + name + std::to_string(text.size()) + ":" + text;
  }
  return Sha256Hex(all);
}

std::string Problems(const std::vector<Diagnostic>& errors) {
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "\n") + e.ToString();
  return out;
}

std::vector<std::string> KindsOf(const std::vector<Document>& docs) {
  std::vector<std::string> kinds;
  for (const auto& d : docs) kinds.push_back(d.kind);
  std::sort(kinds.begin(), kinds.end());
  return kinds;
}

}  // namespace

Result<std::unique_ptr<PolicyService>> PolicyService::Open(store::Vault& vault,
                                                          audit::AuditLog& audit,
                                                          const Clock& clock) {
  auto table = vault.OpenTable("policies", store::Owner::kSystem);
  if (!table.ok()) return table.status();
  std::unique_ptr<PolicyService> svc(new PolicyService(vault, audit, clock, table.value()));
  auto history = svc->History();
  if (!history.ok()) return history.status();
  if (!history.value().empty()) svc->last_version_ = history.value().back().version;
  return svc;
}

Result<std::optional<StoredVersion>> PolicyService::Read(uint64_t version) const {
  std::optional<StoredVersion> out;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto got = vault_.Get(txn, table_, VersionKey(version), crypto::kSystemTenant);
    if (!got.ok()) return got.status();
    if (!got.value()) return Status::Ok();
    auto v = Decode(*got.value());
    if (!v.ok()) return v.status();
    out = std::move(v).value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::vector<VersionInfo>> PolicyService::History() const {
  std::vector<VersionInfo> out;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    return vault_.Scan(txn, table_, store::KeyBuilder().U8(kVersionKey).Build(),
                       [&](std::string_view, std::string_view plain, bool*) -> Status {
                         auto v = Decode(plain);
                         if (!v.ok()) return v.status();
                         out.push_back(std::move(v).value().info);
                         return Status::Ok();
                       });
  });
  if (!s.ok()) return s;
  return out;
}

Result<std::optional<StoredVersion>> PolicyService::Active() const {
  uint64_t last = 0;
  {
    std::lock_guard lock(apply_mu_);
    last = last_version_;
  }
  if (last == 0) return std::optional<StoredVersion>();
  return Read(last);
}

Result<StoredVersion> PolicyService::Version(uint64_t version) const {
  auto v = Read(version);
  if (!v.ok()) return v.status();
  if (!v.value()) {
    return Status::Error("not_found", "there is no policy version " + std::to_string(version));
  }
  return std::move(*v.value());
}

void PolicyService::AuditRefusal(const tenancy::Actor& actor, const std::string& source,
                                 const std::string& outcome, const std::string& why) {
  audit::Fields f;
  f.time = clock_.Now();
  f.actor = actor.name;
  f.source = actor.source;
  f.action = "policy.apply";
  f.target = source;
  f.outcome = outcome;
  f.details = why.substr(0, 1000);
  if (Status s = audit_.Append(f); !s.ok()) {
    log::For("policy").error("a refused policy apply could not be audited: " + s.message());
  }
}

Result<Applied> PolicyService::Apply(const tenancy::Actor& actor, const std::string& source,
                                     const Files& files, const std::string& plan_hash) {
  const LoadedSet set = ParseSet(files);
  if (!set.ok()) {
    const std::string why = Problems(set.errors);
    AuditRefusal(actor, source, "error:invalid",
                 std::to_string(set.errors.size()) + " problem(s); first: " +
                                    set.errors.front().ToString());
    return Status::Error("invalid", "the policy set from " + source + " is invalid:\n" + why);
  }
  std::lock_guard lock(apply_mu_);
  const std::string hash = SetHash(set.documents);
  std::optional<StoredVersion> active;
  if (last_version_ != 0) {
    auto got = Read(last_version_);
    if (!got.ok()) return got.status();
    active = std::move(got).value();
  }
  const std::string active_hash = active ? active->info.hash : "";
  if (!plan_hash.empty() && PlanHash(active_hash, hash) != plan_hash) {
    const std::string why =
        "the plan " + plan_hash.substr(0, 16) + " no longer holds: " +
        (active ? "the active set is version " + std::to_string(active->info.version) : "no set is active") +
        " and the files hash to " + hash.substr(0, 16) + "; run policy plan again";
    AuditRefusal(actor, source, "error:plan_changed", why);
    return Status::Error("plan_changed", why);
  }
  if (active && active->info.hash == hash) return Applied{active->info, false};
  StoredVersion v;
  v.info.version = last_version_ + 1;
  v.info.applied_at = clock_.Now();
  v.info.actor = actor.name;
  v.info.source = source;
  v.info.hash = hash;
  v.info.kinds = KindsOf(set.documents);
  v.files = files;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    if (Status p = vault_.Put(txn, table_, VersionKey(v.info.version), crypto::kSystemTenant,
                              Encode(v), store::PutMode::kNoOverwrite);
        !p.ok()) {
      return p;
    }
    audit::Fields f;
    f.time = v.info.applied_at;
    f.actor = actor.name;
    f.source = actor.source;
    f.action = "policy.apply";
    f.target = "policy version " + std::to_string(v.info.version);
    f.outcome = std::string(audit::kOutcomeOk);
    f.details = "from " + source + "; " + std::to_string(set.documents.size()) +
                " document(s); set hash " + hash;
    return a.Append(f);
  });
  if (!s.ok()) return s;
  last_version_ = v.info.version;
  if (on_activate_) {
    try {
      on_activate_(v);
    } catch (const std::exception& e) {  // the version is active; say what failed
      log::For("policy").error("enforcing policy version " + std::to_string(v.info.version) +
                               ": " + e.what());
    }
  }
  log::For("policy").information("policy version " + std::to_string(v.info.version) +
                                 " active (" + source + ", set hash " + hash.substr(0, 12) + ")");
  return Applied{v.info, true};
}

void PolicyService::OnActivate(ActivateFn fn) {
  std::lock_guard lock(apply_mu_);
  on_activate_ = std::move(fn);
}

Result<PlanResult> PolicyService::Plan(const Files& files) const {
  PlanResult out;
  const LoadedSet set = ParseSet(files);
  if (!set.ok()) {
    out.errors = set.errors;
    return out;
  }
  auto active = Active();
  if (!active.ok()) return active.status();
  std::vector<Document> before;
  if (active.value()) {
    out.active_version = active.value()->info.version;
    out.active_hash = active.value()->info.hash;
    before = ParseSet(active.value()->files).documents;
  }
  out.new_hash = SetHash(set.documents);
  out.plan_hash = PlanHash(out.active_hash, out.new_hash);
  out.changes = Diff(before, set.documents);
  return out;
}

Result<Applied> PolicyService::Rollback(const tenancy::Actor& actor, uint64_t version) {
  auto target = Version(version);
  if (!target.ok()) {
    AuditRefusal(actor, "rollback to version " + std::to_string(version),
                 "error:" + target.status().code(), target.status().message());
    return target.status();
  }
  return Apply(actor, "rollback to version " + std::to_string(version), target.value().files);
}

Result<DirectoryLoad> PolicyService::LoadDirectory(const std::filesystem::path& dir) {
  DirectoryLoad out;
  Files files;
  const LoadedSet set = LoadSet(dir, &files);
  out.warnings = set.warnings;
  if (!set.ok()) {
    out.errors = set.errors;
    return out;
  }
  const std::string digest = FilesDigest(files);
  std::optional<std::string> last;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto got = vault_.Get(txn, table_, DirectoryKey(), crypto::kSystemTenant);
    if (!got.ok()) return got.status();
    last = got.value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  uint64_t active_version = 0;
  {
    std::lock_guard lock(apply_mu_);
    active_version = last_version_;
  }
  if (last && *last == digest && active_version != 0) {
    out.unchanged = true;
    return out;
  }
  auto applied = Apply({"sigmad", "policies.d"}, "policies.d " + dir.string(), files);
  if (!applied.ok()) return applied.status();
  out.applied = applied.value();
  s = vault_.env().Update([&](store::WriteTxn& txn) {
    return vault_.Put(txn, table_, DirectoryKey(), crypto::kSystemTenant, digest);
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace sigmad::policy
