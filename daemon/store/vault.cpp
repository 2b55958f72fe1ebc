#include "store/vault.h"

#include <algorithm>
#include <cstring>

#include "store/keys.h"

namespace sigmad::store {
namespace {

using crypto::kSystemTenant;

// Vault::Get prefetches values up to this size (sealed); see there.
constexpr size_t kPrefetchMaxBytes = 8192;

std::string EncodeKeyEntry(std::chrono::system_clock::time_point created,
                           std::string_view wrapped) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      created.time_since_epoch())
                      .count();
  std::string entry = KeyBuilder().U64(static_cast<uint64_t>(ms)).Build();
  entry.append(wrapped);
  return entry;
}

}  // namespace

std::string KeyOfDataKey(uint64_t tenant, uint32_t term) {
  return KeyBuilder().U64(tenant).U32(term).Build();
}

std::string KeyHex(std::string_view key) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  for (char c : key) {
    const auto u = static_cast<unsigned char>(c);
    out += hex[u >> 4];
    out += hex[u & 15];
  }
  return out;
}

uint64_t Table::TenantOf(std::string_view key) const {
  if (owner == Owner::kSystem) return kSystemTenant;
  // A key too short to name a tenant gets an id no tenant has, so it fails to open.
  return KeyReader(key).U64().value_or(~uint64_t{0});
}

bool VerifyReport::ok() const {
  for (const auto& d : dbs) {
    if (d.failed > 0) return false;
  }
  return true;
}

Result<std::unique_ptr<Vault>> Vault::Open(const EnvOptions& options, crypto::SecretBytes kek,
                                           const Clock& clock) {
  auto keyring = crypto::Keyring::Create(std::move(kek));
  if (!keyring.ok()) return keyring.status();
  auto env = Env::Open(options);
  if (!env.ok()) return env.status();
  auto meta = env.value()->OpenDb(kMetaDb);
  if (!meta.ok()) return meta.status();
  auto keys = env.value()->OpenDb(kKeysDb);
  if (!keys.ok()) return keys.status();
  std::unique_ptr<Vault> vault(new Vault(std::move(env).value(), std::move(keyring).value(),
                                         meta.value(), keys.value(), clock));
  // The key check comes before the schema: a wrong master key must change nothing.
  if (Status s = vault->LoadOrInitKeys(); !s.ok()) return s;
  auto schema = vault->env_->EnsureSchema(kSchemaVersion, {});
  if (!schema.ok()) return schema.status();
  return vault;
}

Status Vault::LoadOrInitKeys() {
  std::optional<std::string> check;
  Status s = env_->View([&](ReadTxn& txn) -> Status {
    auto got = txn.Get(meta_, kKekCheckKey);
    if (!got.ok()) return got.status();
    if (got.value()) check = std::string(*got.value());
    return Status::Ok();
  });
  if (!s.ok()) return s;

  if (!check) {  // a new store: its key check and the system data key
    // ... unless it has data keys already: then the check was lost, and guessing
    // would be wrong either way.
    size_t wrapped_keys = 0;
    Status c = env_->View([&](ReadTxn& txn) -> Status {
      auto n = txn.Count(keys_);
      if (!n.ok()) return n.status();
      wrapped_keys = n.value();
      return Status::Ok();
    });
    if (!c.ok()) return c;
    if (env_->read_only()) {
      return Status::Error("integrity", "the store in " + env_->dir().string() +
                                            " has no key check: it is not a sigmad store, or "
                                            "it is damaged");
    }
    if (wrapped_keys > 0) {
      return Status::Error("integrity", "the store in " + env_->dir().string() + " has " +
                                            std::to_string(wrapped_keys) +
                                            " data key(s) but no key check; it is damaged "
                                            "(restore it from a backup); nothing was changed");
    }
    return env_->Update([&](WriteTxn& txn) -> Status {
      keyring_->ForgetTenant(kSystemTenant);  // Update may run this again
      auto made = keyring_->MakeKekCheck();
      if (!made.ok()) return made.status();
      if (Status put = txn.Put(meta_, kKekCheckKey, made.value()); !put.ok()) return put;
      if (Status put = PutKekCreated(txn); !put.ok()) return put;
      return CreateTenantKey(txn, kSystemTenant);
    });
  }

  if (Status v = keyring_->VerifyKekCheck(*check); !v.ok()) {
    if (v.code() == "wrong_master_key") {
      return Status::Error("wrong_master_key",
                           "the master key does not open the store in " +
                               env_->dir().string() +
                               " (it is not the key this store was made with); nothing was "
                               "changed");
    }
    return v;
  }
  return env_->View([&](ReadTxn& txn) -> Status {
    // Keys come in (tenant, term) order, so each tenant's last term is its current one.
    return txn.ForEach(keys_, "", [&](std::string_view key, std::string_view value, bool*) {
      KeyReader k(key);
      const auto tenant = k.U64();
      const auto term = k.U32();
      if (!tenant || !term || !k.done() || value.size() < 8) {
        return Status::Error("integrity", "malformed entry in the keys DB");
      }
      auto dek = keyring_->UnwrapKey(*tenant, *term, value.substr(8));
      if (!dek.ok()) {
        return Status::Error(dek.status().code(),
                             "data key of tenant " + std::to_string(*tenant) + " term " +
                                 std::to_string(*term) + ": " + dek.status().message());
      }
      return keyring_->AddKey(*tenant, *term, std::move(dek).value(), /*make_current=*/true);
    });
  });
}

std::vector<Table> Vault::Tables() const {
  std::lock_guard lock(tables_mu_);
  return tables_;
}

Result<Table> Vault::OpenTable(const std::string& name, Owner owner) {
  auto dbi = env_->OpenDb(name);
  if (!dbi.ok()) return dbi.status();
  Table table{dbi.value(), owner};
  std::lock_guard lock(tables_mu_);
  bool known = false;
  for (const auto& t : tables_) known = known || t.dbi.name() == name;
  if (!known) tables_.push_back(table);
  return table;
}

RecordAad::RecordAad(std::string_view db, std::string_view key, uint64_t tenant)
    : size_(db.size() + 1 + key.size() + 8) {
  char* p = inline_;
  if (size_ > sizeof inline_) {
    heap_.resize(size_);
    p = heap_.data();
  }
  data_ = p;
  std::memcpy(p, db.data(), db.size());
  p += db.size();
  *p++ = '\0';
  if (!key.empty()) std::memcpy(p, key.data(), key.size());
  p += key.size();
  for (int shift = 56; shift >= 0; shift -= 8) *p++ = static_cast<char>((tenant >> shift) & 0xFF);
}

Status Vault::Put(WriteTxn& txn, const Table& table, std::string_view key, uint64_t tenant,
                  std::string_view plaintext, PutMode mode) const {
  std::string sealed;
  if (Status s = keyring_->Seal(tenant, plaintext, Aad(table, key, tenant), &sealed); !s.ok()) {
    return s;
  }
  return txn.Put(table.dbi, key, sealed, mode);
}

Result<std::optional<std::string>> Vault::Get(const ReadTxn& txn, const Table& table,
                                              std::string_view key, uint64_t tenant) const {
  auto got = txn.Get(table.dbi, key);
  if (!got.ok()) return got.status();
  if (!got.value()) return std::optional<std::string>();
  // Start a small value's first cache lines on their way while the AAD is built: the
  // cipher would otherwise stall on each in turn (bench/store: -0.15 us at 256 B, and a
  // gain at 4 KiB). Large values are left to the hardware prefetcher: at 64 KiB the
  // prefetch gained nothing, and on one of the two kinds of host the benchmark met it
  // cost 5.5-7 us (a third of the get), in every run there.
  const std::string_view sealed = *got.value();
  if (sealed.size() <= kPrefetchMaxBytes) {
    for (size_t off = 0; off < sealed.size() && off < 2048; off += 64) {
      __builtin_prefetch(sealed.data() + off);
    }
  }
  std::string plain;
  if (Status s = Open(table, key, tenant, *got.value(), &plain); !s.ok()) return s;
  return std::optional<std::string>(std::move(plain));
}

Status Vault::Scan(const ReadTxn& txn, const Table& table, std::string_view prefix,
                   const OpenedFn& fn) const {
  std::string plain;
  return txn.ForEach(table.dbi, prefix, [&](std::string_view key, std::string_view value,
                                            bool* stop) -> Status {
    if (Status s = Open(table, key, table.TenantOf(key), value, &plain); !s.ok()) return s;
    return fn(key, plain, stop);
  });
}

Status Vault::Open(const Table& table, std::string_view key, uint64_t tenant,
                   std::string_view sealed, std::string* plaintext) const {
  Status s = keyring_->Open(tenant, sealed, Aad(table, key, tenant), plaintext);
  if (s.ok()) return s;
  // A term the tenant never had means the value's header was altered (or the value
  // belongs elsewhere): that is damage, not a missing key.
  const std::string code =
      s.code() == "no_key" && !keyring_->Terms(tenant).empty() ? "integrity" : s.code();
  return Status::Error(code, "'" + table.dbi.name() + "' record " + KeyHex(key) +
                                 " does not open: " + s.message());
}

Result<VerifyReport> Vault::Verify(
    const std::function<void(const std::string& db)>& progress) const {
  std::vector<Table> tables;
  {
    std::lock_guard lock(tables_mu_);
    tables = tables_;
  }
  VerifyReport report;
  auto fail = [&](VerifyReport::Db& db, std::string_view key, std::string reason) {
    ++db.failed;
    if (report.failures.size() < kMaxReportedFailures) {
      report.failures.push_back({db.name, KeyHex(key), std::move(reason)});
    }
  };
  Status s = env_->View([&](ReadTxn& txn) -> Status {
    // The wrapped data keys first: each must unwrap under the master key.
    if (progress) progress(kKeysDb);
    VerifyReport::Db keys{kKeysDb};
    Status k = txn.ForEach(keys_, "", [&](std::string_view key, std::string_view value, bool*) {
      ++keys.records;
      KeyReader r(key);
      const auto tenant = r.U64();
      const auto term = r.U32();
      if (!tenant || !term || !r.done() || value.size() < 8) {
        fail(keys, key, "malformed key entry");
      } else if (auto dek = keyring_->UnwrapKey(*tenant, *term, value.substr(8)); !dek.ok()) {
        fail(keys, key, dek.status().message());
      }
      return Status::Ok();
    });
    if (!k.ok()) return k;
    report.dbs.push_back(keys);

    std::string plain;
    for (const Table& table : tables) {
      if (progress) progress(table.dbi.name());
      VerifyReport::Db db{table.dbi.name()};
      Status t = txn.ForEach(table.dbi, "", [&](std::string_view key, std::string_view value,
                                                bool*) {
        ++db.records;
        if (Status o = keyring_->Open(table.TenantOf(key), value,
                                      Aad(table, key, table.TenantOf(key)), &plain);
            !o.ok()) {
          fail(db, key, o.message());  // the report names DB and key itself
        }
        return Status::Ok();
      });
      if (!t.ok()) return t;
      report.dbs.push_back(db);
    }

    auto names = txn.ListDbs();
    if (!names.ok()) return names.status();
    for (const auto& name : names.value()) {
      bool known = name == kMetaDb || name == kKeysDb;
      for (const auto& t : tables) known = known || t.dbi.name() == name;
      if (!known) report.unknown.push_back(name);
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return report;
}

Status Vault::CreateTenantKey(WriteTxn& txn, uint64_t tenant) {
  auto dek = crypto::Keyring::NewDataKey();
  if (!dek.ok()) return dek.status();
  constexpr uint32_t kFirstTerm = 1;
  auto wrapped = keyring_->WrapKey(tenant, kFirstTerm, dek.value());
  if (!wrapped.ok()) return wrapped.status();
  if (Status s = txn.Put(keys_, KeyOfDataKey(tenant, kFirstTerm),
                         EncodeKeyEntry(clock_.Now(), wrapped.value()), PutMode::kNoOverwrite);
      !s.ok()) {
    return s;
  }
  keyring_->ForgetTenant(tenant);  // a re-run of the same Update installs it afresh
  return keyring_->AddKey(tenant, kFirstTerm, std::move(dek).value(), /*make_current=*/true);
}

Result<Vault::NewTerm> Vault::AddTerm(WriteTxn& txn, uint64_t tenant) {
  // The highest stored term, not the keyring's: the store is the record.
  uint32_t highest = 0;
  Status s = txn.ForEach(keys_, KeyBuilder().U64(tenant).Build(),
                         [&](std::string_view key, std::string_view, bool*) {
                           KeyReader r(key);
                           r.U64();
                           highest = std::max(highest, r.U32().value_or(0));
                           return Status::Ok();
                         });
  if (!s.ok()) return s;
  if (highest == 0) {
    return Status::Error("no_key", "tenant " + std::to_string(tenant) + " has no data key");
  }
  NewTerm n;
  n.tenant = tenant;
  n.term = highest + 1;
  auto dek = crypto::Keyring::NewDataKey();
  if (!dek.ok()) return dek.status();
  n.dek = std::move(dek).value();
  auto wrapped = keyring_->WrapKey(tenant, n.term, n.dek);
  if (!wrapped.ok()) return wrapped.status();
  if (Status p = txn.Put(keys_, KeyOfDataKey(tenant, n.term),
                         EncodeKeyEntry(clock_.Now(), wrapped.value()), PutMode::kNoOverwrite);
      !p.ok()) {
    return p;
  }
  return n;
}

Status Vault::UseTerm(NewTerm new_term) {
  return keyring_->AddKey(new_term.tenant, new_term.term, std::move(new_term.dek),
                          /*make_current=*/true);
}

Result<size_t> Vault::RewrapAllUnder(WriteTxn& txn, const crypto::SecretBytes& new_kek) {
  auto new_ring = crypto::Keyring::Create(new_kek.Clone());
  if (!new_ring.ok()) return new_ring.status();
  // Collect first: the keys DB is rewritten below.
  std::vector<std::pair<std::string, std::string>> entries;
  Status s = txn.ForEach(keys_, "", [&](std::string_view key, std::string_view value, bool*) {
    entries.emplace_back(key, value);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  for (const auto& [key, value] : entries) {
    KeyReader r(key);
    const auto tenant = r.U64();
    const auto term = r.U32();
    if (!tenant || !term || value.size() < 8) {
      return Status::Error("integrity", "malformed entry in the keys DB");
    }
    auto dek = keyring_->UnwrapKey(*tenant, *term, std::string_view(value).substr(8));
    if (!dek.ok()) return dek.status();
    auto wrapped = new_ring.value()->WrapKey(*tenant, *term, dek.value());
    if (!wrapped.ok()) return wrapped.status();
    std::string entry = value.substr(0, 8) + wrapped.value();  // creation time kept
    if (Status p = txn.Put(keys_, key, entry); !p.ok()) return p;
  }
  auto check = new_ring.value()->MakeKekCheck();
  if (!check.ok()) return check.status();
  if (Status p = txn.Put(meta_, kKekCheckKey, check.value()); !p.ok()) return p;
  if (Status p = PutKekCreated(txn); !p.ok()) return p;
  return entries.size();
}

namespace {
constexpr std::string_view kRewrapPrefix = "rewrap/";
}  // namespace

Result<Vault::RewrapStep> Vault::Rewrap(WriteTxn& txn, uint64_t tenant,
                                        const RewrapPosition& from, size_t max_values) const {
  const auto current = keyring_->CurrentTerm(tenant);
  if (!current) {
    return Status::Error("no_key", "tenant " + std::to_string(tenant) + " has no data key");
  }
  std::vector<Table> tables;
  {
    std::lock_guard lock(tables_mu_);
    tables = tables_;
  }
  std::sort(tables.begin(), tables.end(),
            [](const Table& a, const Table& b) { return a.dbi.name() < b.dbi.name(); });
  // The tables that can hold this tenant's values, from `from.table` on.
  auto holds = [&](const Table& t) {
    return (t.owner == Owner::kSystem) == (tenant == kSystemTenant);
  };
  const std::string prefix =
      tenant == kSystemTenant ? std::string() : KeyBuilder().U64(tenant).Build();
  const size_t max_scanned = std::max<size_t>(1, max_values) * 16;

  RewrapStep step;
  step.next = from;
  size_t scanned = 0;
  std::string plain, sealed;
  for (const Table& table : tables) {
    if (!holds(table) || table.dbi.name() < step.next.table) continue;
    if (table.dbi.name() != step.next.table) step.next = {table.dbi.name(), "", false};
    // Collect this table's candidates after last_key; re-seal after the cursor is gone.
    std::vector<std::pair<std::string, std::string>> stale;
    bool table_done = true;
    {
      auto cursor = txn.OpenCursor(table.dbi);
      if (!cursor.ok()) return cursor.status();
      Cursor& c = cursor.value();
      const std::string start = std::max(prefix, step.next.last_key);
      for (Status m = c.Seek(start); ; m = c.Next()) {
        if (!m.ok()) return m;
        if (!c.valid() || c.key().substr(0, prefix.size()) != prefix) break;
        if (c.key() == step.next.last_key) continue;
        if (step.resealed + stale.size() >= max_values || scanned >= max_scanned) {
          table_done = false;
          break;
        }
        ++scanned;
        step.next.last_key = c.key();
        auto term = crypto::Aead::PeekTerm(c.value());
        if (term.ok() && term.value() < *current) stale.emplace_back(c.key(), c.value());
      }
    }
    for (const auto& [key, value] : stale) {
      if (Status o = Open(table, key, tenant, value, &plain); !o.ok()) return o;
      if (Status p = Put(txn, table, key, tenant, plain); !p.ok()) return p;
      ++step.resealed;
    }
    if (!table_done) return step;
  }
  step.next.done = true;
  return step;
}

Status Vault::SaveRewrap(WriteTxn& txn, uint64_t tenant, const RewrapPosition& at) const {
  std::string key(kRewrapPrefix);
  key += KeyBuilder().U64(tenant).Build();
  std::string value = at.table;
  value.push_back('\0');
  value += at.last_key;
  return txn.Put(meta_, key, value);
}

Status Vault::ClearRewrap(WriteTxn& txn, uint64_t tenant) const {
  std::string key(kRewrapPrefix);
  key += KeyBuilder().U64(tenant).Build();
  auto gone = txn.Delete(meta_, key);
  return gone.ok() ? Status::Ok() : gone.status();
}

Result<std::vector<std::pair<uint64_t, Vault::RewrapPosition>>> Vault::PendingRewraps(
    const ReadTxn& txn) const {
  std::vector<std::pair<uint64_t, RewrapPosition>> jobs;
  Status s = txn.ForEach(meta_, kRewrapPrefix, [&](std::string_view key, std::string_view value,
                                                   bool*) {
    KeyReader r(key.substr(kRewrapPrefix.size()));
    const auto tenant = r.U64();
    const size_t nul = value.find('\0');
    if (!tenant || nul == std::string_view::npos) {
      return Status::Error("integrity", "malformed rewrap job in the meta DB");
    }
    jobs.push_back({*tenant, {std::string(value.substr(0, nul)),
                              std::string(value.substr(nul + 1)), false}});
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return jobs;
}

Result<Vault::TermCounts> Vault::CountByTerm(const ReadTxn& txn) const {
  std::vector<Table> tables;
  {
    std::lock_guard lock(tables_mu_);
    tables = tables_;
  }
  TermCounts counts;
  for (const Table& table : tables) {
    Status s = txn.ForEach(table.dbi, "", [&](std::string_view key, std::string_view value,
                                              bool*) {
      auto term = crypto::Aead::PeekTerm(value);
      if (term.ok()) ++counts[{table.TenantOf(key), term.value()}];
      return Status::Ok();  // damaged headers are store verify's business
    });
    if (!s.ok()) return s;
  }
  return counts;
}

Status Vault::PutKekCreated(WriteTxn& txn) const {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      clock_.Now().time_since_epoch())
                      .count();
  return txn.Put(meta_, kKekCreatedKey, KeyBuilder().U64(static_cast<uint64_t>(ms)).Build());
}

Result<std::chrono::system_clock::time_point> Vault::MasterKeyCreated() const {
  std::optional<uint64_t> ms;
  Status s = env_->View([&](ReadTxn& txn) -> Status {
    auto got = txn.Get(meta_, kKekCreatedKey);
    if (!got.ok()) return got.status();
    if (got.value()) ms = KeyReader(*got.value()).U64();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!ms) {  // a store from before the time was kept: count from now on
    Status w = env_->Update([&](WriteTxn& txn) { return PutKekCreated(txn); });
    if (!w.ok()) return w;
    return clock_.Now();
  }
  return std::chrono::system_clock::time_point(std::chrono::milliseconds(*ms));
}

Result<std::vector<Vault::KeyInfo>> Vault::ListKeys(const ReadTxn& txn) const {
  std::vector<KeyInfo> out;
  Status s = txn.ForEach(keys_, "", [&](std::string_view key, std::string_view value, bool*) {
    KeyReader k(key), v(value);
    const auto tenant = k.U64();
    const auto term = k.U32();
    const auto ms = v.U64();
    if (!tenant || !term || !ms) return Status::Error("integrity", "malformed entry in keys");
    out.push_back({*tenant, *term,
                   std::chrono::system_clock::time_point(
                       std::chrono::milliseconds(static_cast<long long>(*ms)))});
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace sigmad::store
