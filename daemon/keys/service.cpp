#include "keys/service.h"

#include <map>

#include "crypto/keyring.h"
#include "common/log.h"
#include "crypto/master_key.h"
#include "tenancy/names.h"

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

void KeyService::SetDataKeyMaxAge(std::optional<std::chrono::hours> age) {
  std::lock_guard lock(mu_);
  max_age_ = age;
}

void KeyService::SetMasterKeyMaxAge(std::optional<std::chrono::hours> age) {
  std::lock_guard lock(mu_);
  master_max_age_ = age;
}

Result<MasterKeyInfo> KeyService::MasterKeyStatus() const {
  auto created = vault_.MasterKeyCreated();
  if (!created.ok()) return created.status();
  MasterKeyInfo info;
  info.created = created.value();
  {
    std::lock_guard lock(mu_);
    info.max_age = master_max_age_;
  }
  info.overdue = info.max_age && clock_.Now() - info.created >= *info.max_age;
  return info;
}

Result<size_t> KeyService::RotateOverdue() {
  auto rows = KeyStatus();
  if (!rows.ok()) return rows.status();
  size_t rotated = 0;
  Status first_error;
  for (const KeyRow& row : rows.value()) {
    if (!row.overdue) continue;
    auto r = Rotate({"sigmad", "policy"}, row.owner == kSystemOwner ? "" : row.owner);
    if (!r.ok()) {  // go on with the other owners; report the first failure
      if (first_error.ok()) first_error = Status::Error(r.status().code(), row.owner + ": " + r.status().message());
      continue;
    }
    log::For("keys").information("rotated the " + row.owner + " data key (term " +
                                 std::to_string(r.value().previous) + " -> " +
                                 std::to_string(r.value().term) +
                                 "): older than the EncryptionPolicy's dataKeyRotationDays");
    ++rotated;
  }
  if (!first_error.ok()) return first_error;
  return rotated;
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

  std::optional<std::chrono::hours> max_age;
  {
    std::lock_guard lock(mu_);
    max_age = max_age_;
  }
  const auto now = clock_.Now();
  std::vector<KeyRow> rows;
  for (const auto& k : keys) {
    auto name = names.find(k.tenant);
    KeyRow row;
    row.owner = name != names.end() ? name->second : "tenant " + std::to_string(k.tenant);
    row.term = k.term;
    row.created = k.created;
    row.current = vault_.keyring().CurrentTerm(k.tenant) == k.term;
    row.overdue = row.current && max_age && now - k.created >= *max_age;
    auto c = counts.find({k.tenant, k.term});
    row.values = c == counts.end() ? 0 : c->second;
    rows.push_back(std::move(row));
  }
  // System first, then tenants by name, terms ascending.
  std::stable_sort(rows.begin(), rows.end(), [](const KeyRow& a, const KeyRow& b) {
    const bool as = a.owner == kSystemOwner, bs = b.owner == kSystemOwner;
    if (as != bs) return as;
    return tenancy::FoldName(a.owner) < tenancy::FoldName(b.owner);
  });
  return rows;
}

Result<Rotated> KeyService::Rotate(const tenancy::Actor& actor, const std::string& tenant,
                                   bool rewrap, uint64_t* owner_id) {
  const std::string action = "key.rotate";
  uint64_t id = kSystemTenant;
  std::string owner = kSystemOwner;
  if (!tenant.empty()) {
    auto t = tenancy_.FindTenant(tenant);
    if (!t.ok()) return Refuse(actor, tenant, action, "tenant " + tenant, t.status());
    id = t.value().id;
    owner = t.value().name;
  }
  if (owner_id) *owner_id = id;
  Rotated out;
  out.owner = owner;
  std::lock_guard rotating(rotate_mu_);  // the worker must not see the job before UseTerm
  out.previous = vault_.keyring().CurrentTerm(id).value_or(0);
  std::optional<store::Vault::NewTerm> added;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    auto n = vault_.AddTerm(txn, id);
    if (!n.ok()) return n.status();
    const uint32_t term = n.value().term;
    added = std::move(n).value();
    if (rewrap) {
      if (Status j = vault_.SaveRewrap(txn, id, {}); !j.ok()) return j;
    }
    audit::Fields f = Fields(actor, tenant.empty() ? "" : owner, action,
                             owner + " data key term " + std::to_string(term),
                             std::string(audit::kOutcomeOk));
    if (rewrap) f.details = "rewrap of older values started";
    return a.Append(f);
  });
  if (!s.ok()) return s;
  out.term = added->term;
  if (Status u = vault_.UseTerm(std::move(*added)); !u.ok()) return u;
  if (rewrap) {
    std::lock_guard lock(mu_);
    progress_[id] = RewrapProgress{};
    failed_.erase(id);
    kicked_ = true;
    cv_.notify_all();
  }
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

void KeyService::Start() {
  std::lock_guard lock(mu_);
  if (worker_.joinable()) return;
  stopping_ = false;
  kicked_ = true;  // look for jobs left by a previous run
  worker_ = std::thread([this] { Work(); });
}

void KeyService::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    cv_.notify_all();
  }
  if (worker_.joinable()) worker_.join();
}

void KeyService::Work() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || kicked_; });
      if (stopping_) return;
      kicked_ = false;
    }
    // Run every pending job to its end, one batch at a time, re-reading the jobs after
    // each round so a new rotation joins in.
    for (bool busy = true; busy;) {
      busy = false;
      std::vector<std::pair<uint64_t, store::Vault::RewrapPosition>> jobs;
      Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
        auto pending = vault_.PendingRewraps(txn);
        if (!pending.ok()) return pending.status();
        jobs = std::move(pending).value();
        return Status::Ok();
      });
      if (!s.ok()) break;
      for (const auto& [tenant, at] : jobs) {
        {
          std::lock_guard lock(mu_);
          if (stopping_) return;
          if (failed_.count(tenant)) continue;
        }
        busy = RewrapBatch(tenant, at) || busy;
      }
    }
  }
}

bool KeyService::RewrapBatch(uint64_t tenant, store::Vault::RewrapPosition at) {
  constexpr size_t kBatch = 256;
  size_t resealed = 0;
  bool done = false;
  Status s;
  {
    std::lock_guard rotating(rotate_mu_);
    s = vault_.env().Update([&](store::WriteTxn& txn) -> Status {
      auto step = vault_.Rewrap(txn, tenant, at, kBatch);
      if (!step.ok()) return step.status();
      resealed = step.value().resealed;
      done = step.value().next.done;
      return done ? vault_.ClearRewrap(txn, tenant)
                  : vault_.SaveRewrap(txn, tenant, step.value().next);
    });
  }
  RewrapProgress snapshot;
  {
    std::lock_guard lock(mu_);
    RewrapProgress& p = progress_[tenant];
    if (!s.ok()) {
      p.error = s.message();
      failed_.insert(tenant);
    } else {
      p.resealed += resealed;  // done is published below, once the job is audited
    }
    snapshot = p;
    snapshot.done = s.ok() && done;
    cv_.notify_all();
  }
  auto& log = log::For("keys");
  std::string owner = kSystemOwner;
  if (tenant != kSystemTenant) {
    owner = "tenant id " + std::to_string(tenant);
    if (auto all = tenancy_.ListTenants(); all.ok()) {
      for (const auto& t : all.value()) {
        if (t.id == tenant) owner = t.name;
      }
    }
  }
  if (!s.ok()) {
    log.error("rewrap of " + owner + " stopped: " + s.message() + "; it resumes at the next start");
  } else if (done) {
    audit::Fields f;
    f.time = clock_.Now();
    f.actor = "sigmad";
    f.source = "rewrap";
    f.tenant = tenant == kSystemTenant ? "" : owner;
    f.action = "key.rewrap";
    f.target = owner + " data key";
    f.outcome = std::string(audit::kOutcomeOk);
    f.details = std::to_string(snapshot.resealed) + " value(s) re-sealed under the current term";
    if (Status a = audit_.Append(f); !a.ok()) {
      log.error("rewrap of " + owner + " finished but could not be audited: " + a.message());
    }
    log.information("rewrap of " + owner + " finished: " + *f.details);
    std::lock_guard lock(mu_);
    progress_[tenant].done = true;  // waiters see the job done only with its audit record
    cv_.notify_all();
  }
  return s.ok() && !done;
}

RewrapProgress KeyService::WaitRewrap(uint64_t owner,
                                      const std::function<bool(const RewrapProgress&)>& on_step,
                                      const std::function<bool()>& stop) {
  std::unique_lock lock(mu_);
  size_t seen = static_cast<size_t>(-1);
  for (;;) {
    RewrapProgress p = progress_[owner];
    if (p.done || !p.error.empty()) return p;
    if (p.resealed != seen) {
      seen = p.resealed;
      lock.unlock();
      const bool go_on = on_step(p);
      lock.lock();
      if (!go_on) return p;
    }
    if (stop && stop()) return progress_[owner];
    cv_.wait_for(lock, std::chrono::milliseconds(200));
  }
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
  },
  // Switch before any other audited writer (a tenant being created, a rotation) can
  // wrap a data key under the old master key. Every key-wrapping write is audited.
  [&] { return vault_.SwitchMasterKey(key.value().Clone()); });
  if (!s.ok()) return s;
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
