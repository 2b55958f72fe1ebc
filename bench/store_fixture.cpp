// store_fixture.cpp: the plain and the sealed store of one value size, loaded with the
// same keys and values (store_bench.h).
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "common/clock.h"
#include "crypto/aead.h"
#include "crypto/secret.h"
#include "store/keys.h"
#include "store_bench.h"

namespace sigmad::bench {

using store::Env;
using store::ReadTxn;
using store::WriteTxn;

std::string RandomBytes(std::mt19937_64& rng, size_t n) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t r = rng();
    std::memcpy(s.data() + i, &r, std::min<size_t>(8, n - i));
  }
  return s;
}

std::string RandomKey(std::mt19937_64& rng) {
  return store::KeyBuilder().U64(kTenant).Bytes(RandomBytes(rng, kKeyBytes - 8)).Build();
}

namespace {

store::EnvOptions StoreOptions(const Options& opt, const std::filesystem::path& dir) {
  store::EnvOptions o;
  o.dir = dir;
  o.initial_map_bytes = opt.map_gib << 30;
  o.max_map_bytes = std::max(o.max_map_bytes, o.initial_map_bytes);
  return o;
}

}  // namespace

Result<std::unique_ptr<Fixture>> MakeFixture(const Options& opt, size_t size, size_t keys,
                                             size_t put_ops, std::mt19937_64& rng) {
  auto fx = std::make_unique<Fixture>();
  fx->size = size;
  auto dir = TempDir::Make(opt.dir, "store_bench");
  if (!dir.ok()) return dir.status();
  fx->dir = std::move(dir).value();
  const auto plain_dir = fx->dir->path() / "plain";
  const auto sealed_dir = fx->dir->path() / "sealed";
  for (const auto& d : {plain_dir, sealed_dir}) {
    std::error_code ec;
    if (!std::filesystem::create_directory(d, ec)) {
      return Fail("cannot create " + d.string() + ": " + ec.message());
    }
  }

  auto env = Env::Open(StoreOptions(opt, plain_dir));
  if (!env.ok()) return env.status();
  fx->plain = std::move(env).value();
  auto db = fx->plain->OpenDb(kTableName);
  if (!db.ok()) return db.status();
  fx->plain_db = db.value();

  crypto::SecretBytes kek(crypto::kAeadKeyBytes);
  if (RAND_bytes(kek.data(), static_cast<int>(kek.size())) != 1) return Fail("RAND_bytes failed");
  static const SystemClock clock{};
  auto vault = store::Vault::Open(StoreOptions(opt, sealed_dir), std::move(kek), clock);
  if (!vault.ok()) return vault.status();
  fx->vault = std::move(vault).value();
  store::Vault& v = *fx->vault;
  if (Status s = v.env().Update([&](WriteTxn& txn) { return v.CreateTenantKey(txn, kTenant); });
      !s.ok()) {
    return s;
  }
  auto table = v.OpenTable(kTableName, store::Owner::kTenantFirst);
  if (!table.ok()) return table.status();
  fx->table = table.value();

  // The same keys and values into both stores, a few MiB per transaction (not timed).
  fx->keys.reserve(keys);
  for (size_t i = 0; i < keys; ++i) fx->keys.push_back(RandomKey(rng));
  const size_t load_batch = std::clamp<size_t>(8 * kMiB / size, 16, 4096);
  std::vector<std::string> batch;
  for (size_t first = 0; first < keys; first += load_batch) {
    const size_t n = std::min(load_batch, keys - first);
    batch.clear();
    for (size_t i = 0; i < n; ++i) batch.push_back(RandomBytes(rng, size));
    Status s = fx->plain->Update([&](WriteTxn& txn) {
      for (size_t i = 0; i < n; ++i) {
        if (Status p = txn.Put(*fx->plain_db, fx->keys[first + i], batch[i]); !p.ok()) return p;
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    s = v.env().Update([&](WriteTxn& txn) {
      for (size_t i = 0; i < n; ++i) {
        if (Status p = v.Put(txn, *fx->table, fx->keys[first + i], kTenant, batch[i]); !p.ok()) {
          return p;
        }
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
  }

  std::vector<size_t> order(keys);
  for (size_t i = 0; i < keys; ++i) order[i] = i;
  std::shuffle(order.begin(), order.end(), rng);
  fx->get_order.reserve(keys * kKeyBytes);
  for (size_t i : order) fx->get_order += fx->keys[i];
  fx->fresh.resize(static_cast<size_t>(kWarmups + opt.reps));
  for (auto& rep_keys : fx->fresh) {
    for (size_t i = 0; i < put_ops; ++i) rep_keys.push_back(RandomKey(rng));
  }
  for (size_t i = 0; i < kPool; ++i) fx->values.push_back(RandomBytes(rng, size));
  return fx;
}

// Reads every key from both stores: faults the memory maps in (so no repetition pays
// first-touch page faults) and checks that the sealed store returns what plain holds.
Status PrefaultAndCheck(Fixture& fx, const std::vector<std::string>& keys) {
  std::vector<std::string> plain_values(keys.size());
  Status s = fx.plain->View([&](ReadTxn& txn) -> Status {
    for (size_t i = 0; i < keys.size(); ++i) {
      auto got = txn.Get(*fx.plain_db, keys[i]);
      if (!got.ok()) return got.status();
      if (!got.value()) return Fail("plain store lost a key");
      plain_values[i] = std::string(*got.value());
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return fx.vault->env().View([&](ReadTxn& txn) -> Status {
    for (size_t i = 0; i < keys.size(); ++i) {
      auto got = fx.vault->Get(txn, *fx.table, keys[i], kTenant);
      if (!got.ok()) return got.status();
      if (!got.value() || *got.value() != plain_values[i]) {
        return Fail("the sealed store does not return the value the plain store holds");
      }
    }
    return Status::Ok();
  });
}

}  // namespace sigmad::bench
