#include "keys/service.h"

#include <map>

#include "crypto/keyring.h"
#include "crypto/master_key.h"

namespace sigmad::keys {
namespace {

using crypto::kSystemTenant;
constexpr char kSystemOwner[] = "system";

}  // namespace

audit::Fields KeyService::Fields(const tenancy::Actor& actor, std::string tenant,
                                 std::string action, std::string target,
                                 std::string outcome) const {
  audit::Fields f;
  f.time = clock_.Now();
  f.actor = actor.name;
  f.source = actor.source;
  f.tenant = std::move(tenant);
  f.action = std::move(action);
  f.target = std::move(target);
  f.outcome = std::move(outcome);
  return f;
}

Status KeyService::Refuse(const tenancy::Actor& actor, const std::string& tenant,
                          const std::string& action, const std::string& target, Status why) {
  const bool printable = why.code() != "invalid_name";
  if (Status a = audit_.Append(Fields(actor, printable ? tenant : "", action,
                                      printable ? target : "(invalid name)",
                                      audit::ErrorOutcome(why.code())));
      !a.ok()) {
    return a;
  }
  return why;
}

Result<std::vector<KeyRow>> KeyService::KeyStatus() const {
  auto tenants = tenancy_.ListTenants();
  if (!tenants.ok()) return tenants.status();
  std::map<uint64_t, std::string> names{{kSystemTenant, kSystemOwner}};
  for (const auto& t : tenants.value()) names[t.id] = t.name;

  std::vector<store::Vault::KeyInfo> keys;
  store::Vault::TermCounts counts;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto k = vault_.ListKeys(txn);
    if (!k.ok()) return k.status();
    keys = std::move(k).value();
    auto c = vault_.CountByTerm(txn);
    if (!c.ok()) return c.status();
    counts = std::move(c).value();
    return Status::Ok();
  });
  if (!s.ok()) return s;

  std::vector<KeyRow> rows;
  for (const auto& k : keys) {
    auto name = names.find(k.tenant);
    KeyRow row;
    row.owner = name != names.end() ? name->second : "tenant " + std::to_string(k.tenant);
    row.term = k.term;
    row.created = k.created;
    row.current = vault_.keyring().CurrentTerm(k.tenant) == k.term;
    auto c = counts.find({k.tenant, k.term});
    row.values = c == counts.end() ? 0 : c->second;
    rows.push_back(std::move(row));
  }
  // System first, then tenants by name, terms ascending.
  std::stable_sort(rows.begin(), rows.end(), [](const KeyRow& a, const KeyRow& b) {
    const bool as = a.owner == kSystemOwner, bs = b.owner == kSystemOwner;
    if (as != bs) return as;
    return a.owner < b.owner;
  });
  return rows;
}

Result<Rotated> KeyService::Rotate(const tenancy::Actor& actor, const std::string& tenant) {
  const std::string action = "key.rotate";
  uint64_t id = kSystemTenant;
  std::string owner = kSystemOwner;
  if (!tenant.empty()) {
    auto t = tenancy_.FindTenant(tenant);
    if (!t.ok()) return Refuse(actor, tenant, action, "tenant " + tenant, t.status());
    id = t.value().id;
    owner = t.value().name;
  }
  Rotated out;
  out.owner = owner;
  out.previous = vault_.keyring().CurrentTerm(id).value_or(0);
  std::optional<store::Vault::NewTerm> added;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    auto n = vault_.AddTerm(txn, id);
    if (!n.ok()) return n.status();
    const uint32_t term = n.value().term;
    added = std::move(n).value();
    return a.Append(Fields(actor, tenant.empty() ? "" : owner, action,
                           owner + " data key term " + std::to_string(term),
                           std::string(audit::kOutcomeOk)));
  });
  if (!s.ok()) return s;
  out.term = added->term;
  if (Status u = vault_.UseTerm(std::move(*added)); !u.ok()) return u;
  // What is left under older terms (rewrap would move it; see the note in key status).
  Status c = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto counts = vault_.CountByTerm(txn);
    if (!counts.ok()) return counts.status();
    for (const auto& [k, n] : counts.value()) {
      if (k.first == id && k.second < out.term) out.values_under_old_terms += n;
    }
    return Status::Ok();
  });
  if (!c.ok()) return c;
  return out;
}

Result<MasterRotated> KeyService::RotateMaster(const tenancy::Actor& actor,
                                               const std::filesystem::path& new_key_file) {
  const std::string action = "key.rotate_master";
  auto key = crypto::LoadMasterKey(new_key_file);
  if (!key.ok()) return Refuse(actor, "", action, new_key_file.string(), key.status());
  // The same key again would be a no-op that looks like a rotation.
  {
    auto probe = crypto::Keyring::Create(key.value().Clone());
    if (!probe.ok()) return probe.status();
    auto check = vault_.keyring().MakeKekCheck();
    if (!check.ok()) return check.status();
    if (probe.value()->VerifyKekCheck(check.value()).ok()) {
      return Refuse(actor, "", action, new_key_file.string(),
                    Status::Error("same_key", new_key_file.string() +
                                                  " holds the master key already in use"));
    }
  }
  MasterRotated out;
  out.key_path = master_key_path_;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    auto n = vault_.RewrapAllUnder(txn, key.value());
    if (!n.ok()) return n.status();
    out.keys_rewrapped = n.value();
    return a.Append(Fields(actor, "", action, "master key", std::string(audit::kOutcomeOk)));
  });
  if (!s.ok()) return s;
  if (Status sw = vault_.SwitchMasterKey(key.value().Clone()); !sw.ok()) return sw;
  if (replace_key_file_) {
    if (Status r = crypto::ReplaceMasterKey(master_key_path_, key.value()); !r.ok()) {
      return Status::Error(r.code(), "the store now uses the key in " + new_key_file.string() +
                                         ", but " + r.message() + "; copy it there by hand "
                                         "before sigmad restarts");
    }
    out.key_file_replaced = true;
  }
  return out;
}

}  // namespace sigmad::keys
