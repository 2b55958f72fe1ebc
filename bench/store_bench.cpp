// store_bench: the peers and main (what is measured and why: store_bench.h).
#include "store_bench.h"

#include <openssl/rand.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/aead.h"
#include "crypto/keyring.h"
#include "crypto/secret.h"
#include "harness.h"
#include "raw_gcm.h"

namespace sigmad::bench {
namespace {

using store::Env;
using store::ReadTxn;
using store::WriteTxn;

const unsigned char* U8(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

// The 17-byte header the store authenticates ahead of its AAD (aead.h): same length.
const std::string kHeader(crypto::kSealHeaderBytes, '\1');

// A value sealed with raw GCM: nonce, ciphertext and tag.
struct RawSealed {
  unsigned char nonce[kGcmNonceBytes];
  std::string ciphertext;
  unsigned char tag[kGcmTagBytes];
};

// What the store-less peers work on: kPool values sealed every way the peers open them,
// with their keys' AADs, and the out-of-cache pool.
struct Material {
  std::unique_ptr<RawGcm> gcm;
  std::unique_ptr<crypto::Aead> aead;    // a crypto::Aead of its own, outside any keyring
  std::vector<RawSealed> raw;            // raw GCM, no associated data
  std::vector<RawSealed> raw_aad;        // raw GCM, header and AAD as Aead feeds them
  std::vector<std::string> aads;         // Vault::Aad of the first kPool keys
  std::vector<std::string> header_aads;  // kHeader + aads[i], for the one-call variant
  std::vector<std::string> sealed;       // Keyring::Seal (the vault's keyring)
  std::vector<std::string> aead_sealed;  // aead->Seal
  std::string scratch;                   // raw GCM output
  // Raw GCM values (nonce | ciphertext | tag) spread over more memory than any cache
  // holds, opened in random order: the cipher when its input comes from memory, as a
  // store's does. Only a diagnostic: the floor uses the cipher on values in cache.
  size_t slot = 0, cold_count = 0;
  std::vector<unsigned char> cold;
  std::vector<size_t> cold_order;

  unsigned char* out() { return reinterpret_cast<unsigned char*>(scratch.data()); }
};

Result<std::unique_ptr<Material>> MakeMaterial(const Options& opt, Fixture& fx,
                                               std::mt19937_64& rng) {
  auto m = std::make_unique<Material>();
  const size_t size = fx.size;
  const int n = static_cast<int>(size);
  auto gcm = RawGcm::Create();
  if (!gcm.ok()) return gcm.status();
  m->gcm = std::move(gcm).value();
  crypto::SecretBytes key(crypto::kAeadKeyBytes);
  if (RAND_bytes(key.data(), static_cast<int>(key.size())) != 1) return Fail("RAND_bytes failed");
  auto aead = crypto::Aead::Create(key);
  if (!aead.ok()) return aead.status();
  m->aead = std::move(aead).value();

  m->raw.resize(kPool);
  m->raw_aad.resize(kPool);
  m->scratch.assign(size, '\0');
  for (size_t i = 0; i < kPool; ++i) {
    const std::string& value = fx.values[i];
    m->aads.emplace_back(store::Vault::Aad(*fx.table, fx.keys[i], kTenant).view());
    m->header_aads.push_back(kHeader + m->aads[i]);
    for (const bool with_aad : {false, true}) {
      RawSealed& rs = with_aad ? m->raw_aad[i] : m->raw[i];
      rs.ciphertext.assign(size, '\0');
      if (!m->gcm->Seal(with_aad ? std::string_view(kHeader) : std::string_view(),
                        with_aad ? std::string_view(m->aads[i]) : std::string_view(), U8(value), n,
                        reinterpret_cast<unsigned char*>(rs.ciphertext.data()), rs.nonce, rs.tag)) {
        return Fail("raw AES-256-GCM sealing failed");
      }
    }
    std::string sealed, aead_sealed;
    if (Status s = fx.vault->keyring().Seal(kTenant, value, m->aads[i], &sealed); !s.ok()) {
      return s;
    }
    if (Status s = m->aead->Seal(1, value, m->aads[i], &aead_sealed); !s.ok()) return s;
    m->sealed.push_back(std::move(sealed));
    m->aead_sealed.push_back(std::move(aead_sealed));
  }

  m->slot = kGcmNonceBytes + size + kGcmTagBytes;
  m->cold_count = opt.quick ? kPool : std::max(kPool, opt.cold_mib * kMiB / m->slot);
  m->cold.resize(m->cold_count * m->slot);
  for (size_t i = 0; i < m->cold_count; ++i) {
    unsigned char* p = m->cold.data() + i * m->slot;
    if (!m->gcm->Seal("", "", U8(fx.values[i % kPool]), n, p + kGcmNonceBytes, p,
                      p + kGcmNonceBytes + size)) {
      return Fail("raw AES-256-GCM sealing failed");
    }
  }
  m->cold_order.resize(m->cold_count);
  for (size_t i = 0; i < m->cold_count; ++i) m->cold_order[i] = i;
  std::shuffle(m->cold_order.begin(), m->cold_order.end(), rng);
  return m;
}

// Runs `op(i)` for ops operations in batches of `batch` per read transaction of `env`;
// ns per op.
template <typename Op>
Result<double> TimeGets(Env& env, size_t ops, size_t batch, Op op) {
  const auto start = SteadyClock::now();
  for (size_t done = 0; done < ops; done += batch) {
    const size_t n = std::min(batch, ops - done);
    Status s = env.View([&](ReadTxn& txn) -> Status {
      for (size_t i = 0; i < n; ++i) {
        if (Status o = op(txn, done + i); !o.ok()) return o;
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
  }
  return NanosSince(start) / static_cast<double>(ops);
}

// The same for puts, one write transaction (and commit) per batch.
template <typename Op>
Result<double> TimePuts(Env& env, size_t ops, size_t batch, Op op) {
  const auto start = SteadyClock::now();
  for (size_t done = 0; done < ops; done += batch) {
    const size_t n = std::min(batch, ops - done);
    Status s = env.Update([&](WriteTxn& txn) -> Status {
      for (size_t i = 0; i < n; ++i) {
        if (Status o = op(txn, done + i); !o.ok()) return o;
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
  }
  return NanosSince(start) / static_cast<double>(ops);
}

// Runs `op(i)` ops times outside any store; ns per op.
template <typename Op>
Result<double> TimeLoop(size_t ops, Op op) {
  const auto start = SteadyClock::now();
  for (size_t i = 0; i < ops; ++i) {
    if (Status s = op(i); !s.ok()) return s;
  }
  return NanosSince(start) / static_cast<double>(ops);
}

// Page faults of this process so far (getrusage).
struct Faults {
  long minor = 0, major = 0;
};
Faults CountFaults() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return {usage.ru_minflt, usage.ru_majflt};
}

constexpr size_t kPrefetchBytes = 2048;

enum class Fetch {
  kNone,      // open straight from the memory map
  kPrefetch,  // prefetch the sealed value's first kPrefetchBytes, then open (Vault::Get
              // does this for values up to 8 KiB)
  kCopy,      // copy the sealed value out (independent loads), then open the copy
};

// Vault::Get from its public parts, with a choice of how the sealed bytes are fetched.
Status ProtoGet(const ReadTxn& txn, store::Vault& vault, const store::Table& table,
                std::string_view key, Fetch fetch) {
  auto got = txn.Get(table.dbi, key);
  if (!got.ok()) return got.status();
  if (!got.value()) return Fail("proto get: key missing");
  std::string_view sealed = *got.value();
  std::string copy;
  if (fetch == Fetch::kPrefetch) {
    // The first lines only: past them the hardware's stream prefetcher keeps up.
    const size_t lines = std::min(sealed.size(), kPrefetchBytes);
    for (size_t off = 0; off < lines; off += 64) __builtin_prefetch(sealed.data() + off);
  } else if (fetch == Fetch::kCopy) {
    copy.assign(sealed);
    sealed = copy;
  }
  std::string plain;
  Status s = vault.keyring().Open(kTenant, sealed, store::Vault::Aad(table, key, kTenant), &plain);
  KeepAlive(plain.data());
  return s;
}

// What every peer of one size reaches: the options, the sizes of a repetition, the
// stores and the in-memory material.
struct Bench {
  const Options& opt;
  const SizeReport& r;
  Fixture& fx;
  Material& m;
  size_t next_stretch = 0;  // stretches of get_order (and of the cold pool) handed out

  store::Vault& vault() { return *fx.vault; }
  const store::Table& table() { return *fx.table; }
  int n() const { return static_cast<int>(fx.size); }
  // The i-th key of stretch `stretch` of the get order (which wraps around).
  std::string_view GetKey(size_t stretch, size_t i) const {
    const size_t at = (stretch * r.get_ops + i) % fx.keys.size();
    return std::string_view(fx.get_order).substr(at * kKeyBytes, kKeyBytes);
  }
  // The keys repetition `rep` inserts.
  const std::vector<std::string>& Fresh(int rep) const {
    return fx.fresh[static_cast<size_t>(rep + kWarmups)];
  }
  const std::string& Value(size_t i) const { return fx.values[i % kPool]; }

  // Raw GCM open of a pooled value with the given associated data, into scratch.
  Status OpenRaw(const RawSealed& v, std::string_view aad1, std::string_view aad2) {
    if (!m.gcm->Open(aad1, aad2, v.nonce, U8(v.ciphertext), n(), v.tag, m.out())) {
      return Fail("raw AES-256-GCM opening failed");
    }
    KeepAlive(m.out());
    return Status::Ok();
  }
  // Raw GCM seal of pooled value i with the given associated data, into scratch.
  Status SealRaw(size_t i, std::string_view aad1, std::string_view aad2) {
    unsigned char nonce[kGcmNonceBytes], tag[kGcmTagBytes];
    if (!m.gcm->Seal(aad1, aad2, U8(Value(i)), n(), m.out(), nonce, tag)) {
      return Fail("raw AES-256-GCM sealing failed");
    }
    KeepAlive(m.out());
    return Status::Ok();
  }
};

// A plain store get that copies the value out, as a caller holding it would.
Status PlainGet(const ReadTxn& txn, const Fixture& fx, std::string_view key) {
  auto got = txn.Get(*fx.plain_db, key);
  if (!got.ok()) return got.status();
  if (!got.value()) return Fail("plain get: key missing");
  std::string copy(*got.value());
  KeepAlive(copy.data());
  return Status::Ok();
}

// An LMDB get in `dbi` without copying: the lookup alone.
Status Lookup(const ReadTxn& txn, const store::Dbi& dbi, std::string_view key) {
  auto got = txn.Get(dbi, key);
  if (!got.ok()) return got.status();
  if (!got.value()) return Fail("lookup: key missing");
  KeepAlive(got.value()->data());
  return Status::Ok();
}

// The get peers: plain.get, gcm.open and sealed.get make the result; the rest split it.
// Every lambda captures only `b` (which outlives the peers) and values.
std::vector<Peer> GetPeers(Bench& b) {
  const size_t ops = b.r.get_ops;
  const size_t batch = b.opt.get_batch;
  // A peer running op(txn, key, i) for each get of a repetition, in batches per View.
  const auto in_plain = [&b, ops, batch](auto op) {
    return [&b, ops, batch, op](int) {
      const size_t stretch = b.next_stretch++;
      return TimeGets(*b.fx.plain, ops, batch,
                      [&](ReadTxn& txn, size_t i) { return op(txn, b.GetKey(stretch, i), i); });
    };
  };
  const auto in_sealed = [&b, ops, batch](auto op) {
    return [&b, ops, batch, op](int) {
      const size_t stretch = b.next_stretch++;
      return TimeGets(b.vault().env(), ops, batch,
                      [&](ReadTxn& txn, size_t i) { return op(txn, b.GetKey(stretch, i), i); });
    };
  };
  // A peer running op(i) ops times outside any store.
  const auto loop = [ops](auto op) { return [ops, op](int) { return TimeLoop(ops, op); }; };
  return {
      {"plain.get", in_plain([&b](const ReadTxn& txn, std::string_view key, size_t) {
         return PlainGet(txn, b.fx, key);
       })},
      {"gcm.open", loop([&b](size_t i) { return b.OpenRaw(b.m.raw[i % kPool], "", ""); })},
      {"sealed.get", in_sealed([&b](const ReadTxn& txn, std::string_view key, size_t) {
         auto got = b.vault().Get(txn, b.table(), key, kTenant);
         if (!got.ok()) return got.status();
         if (!got.value()) return Fail("sealed get: key missing");
         KeepAlive(got.value()->data());
         return Status::Ok();
       })},
      // Diagnostics. The floor done as one loop: plain get + copy, then raw GCM open.
      {"floor.seq.get", in_plain([&b](const ReadTxn& txn, std::string_view key, size_t i) {
         if (Status s = PlainGet(txn, b.fx, key); !s.ok()) return s;
         return b.OpenRaw(b.m.raw[i % kPool], "", "");
       })},
      {"plain.lookup", in_plain([&b](const ReadTxn& txn, std::string_view key, size_t) {
         return Lookup(txn, *b.fx.plain_db, key);
       })},
      {"sealed.lookup", in_sealed([&b](const ReadTxn& txn, std::string_view key, size_t) {
         return Lookup(txn, b.table().dbi, key);
       })},
      // Vault::Get rebuilt from its public parts (proto.get must match sealed.get), then
      // two variants that fetch the sealed bytes into cache before the cipher runs.
      {"proto.get", in_sealed([&b](const ReadTxn& txn, std::string_view key, size_t) {
         return ProtoGet(txn, b.vault(), b.table(), key, Fetch::kNone);
       })},
      {"proto.get.prefetch", in_sealed([&b](const ReadTxn& txn, std::string_view key, size_t) {
         return ProtoGet(txn, b.vault(), b.table(), key, Fetch::kPrefetch);
       })},
      {"proto.get.copy", in_sealed([&b](const ReadTxn& txn, std::string_view key, size_t) {
         return ProtoGet(txn, b.vault(), b.table(), key, Fetch::kCopy);
       })},
      {"vault.aad", loop([&b](size_t i) {  // keys in cache: the building alone
         const store::RecordAad aad = store::Vault::Aad(b.table(), b.fx.keys[i % kPool], kTenant);
         KeepAlive(aad.view().data());
         return Status::Ok();
       })},
      {"keyring.open", loop([&b](size_t i) {
         std::string plaintext;
         Status s = b.vault().keyring().Open(kTenant, b.m.sealed[i % kPool], b.m.aads[i % kPool],
                                             &plaintext);
         KeepAlive(plaintext.data());
         return s;
       })},
      {"aead.open", loop([&b](size_t i) {
         std::string plaintext;
         Status s = b.m.aead->Open(b.m.aead_sealed[i % kPool], b.m.aads[i % kPool], &plaintext);
         KeepAlive(plaintext.data());
         return s;
       })},
      {"gcm.open.aad", loop([&b](size_t i) {  // header and AAD in two calls, as Aead
         return b.OpenRaw(b.m.raw_aad[i % kPool], kHeader, b.m.aads[i % kPool]);
       })},
      {"gcm.open.aad1", loop([&b](size_t i) {  // the same bytes in one call
         return b.OpenRaw(b.m.raw_aad[i % kPool], b.m.header_aads[i % kPool], "");
       })},
      {"gcm.open.cold",
       [&b, ops](int) {
         const size_t stretch = b.next_stretch++;
         return TimeLoop(ops, [&b, ops, stretch](size_t i) {
           const Material& m = b.m;
           const size_t at = stretch * ops + i;
           const unsigned char* p = m.cold.data() + m.cold_order[at % m.cold_count] * m.slot;
           if (!m.gcm->Open("", "", p, p + kGcmNonceBytes, b.n(), p + kGcmNonceBytes + b.fx.size,
                            b.m.out())) {
             return Fail("raw AES-256-GCM opening failed");
           }
           KeepAlive(b.m.out());
           return Status::Ok();
         });
       }},
      {"string.resize", loop([&b](size_t) {
         std::string s;
         s.resize(b.fx.size);
         KeepAlive(s.data());
         return Status::Ok();
       })},
  };
}

// The put peers: plain.put, gcm.seal and sealed.put make the result; the rest split it.
std::vector<Peer> PutPeers(Bench& b) {
  const size_t ops = b.r.put_ops;
  const size_t batch = b.opt.put_batch;
  const auto loop = [ops](auto op) { return [ops, op](int) { return TimeLoop(ops, op); }; };
  return {
      {"plain.put",
       [&b, ops, batch](int rep) {
         const auto& keys = b.Fresh(rep);
         return TimePuts(*b.fx.plain, ops, batch, [&](WriteTxn& txn, size_t i) {
           return txn.Put(*b.fx.plain_db, keys[i], b.Value(i));
         });
       }},
      {"gcm.seal", loop([&b](size_t i) { return b.SealRaw(i, "", ""); })},
      {"sealed.put",
       [&b, ops, batch](int rep) {
         const auto& keys = b.Fresh(rep);
         return TimePuts(b.vault().env(), ops, batch, [&](WriteTxn& txn, size_t i) {
           return b.vault().Put(txn, b.table(), keys[i], kTenant, b.Value(i));
         });
       }},
      // Diagnostics.
      {"keyring.seal", loop([&b](size_t i) {
         std::string sealed;
         Status s = b.vault().keyring().Seal(kTenant, b.Value(i), b.m.aads[i % kPool], &sealed);
         KeepAlive(sealed.data());
         return s;
       })},
      {"aead.seal", loop([&b](size_t i) {
         std::string sealed;
         Status s = b.m.aead->Seal(1, b.Value(i), b.m.aads[i % kPool], &sealed);
         KeepAlive(sealed.data());
         return s;
       })},
      {"gcm.seal.aad", loop([&b](size_t i) { return b.SealRaw(i, kHeader, b.m.aads[i % kPool]); })},
      {"gcm.seal.aad1",
       loop([&b](size_t i) { return b.SealRaw(i, b.m.header_aads[i % kPool], ""); })},
  };
}

// The number of records in `dbi`.
Result<size_t> Count(Env& env, const store::Dbi& dbi) {
  size_t count = 0;
  Status s = env.View([&](ReadTxn& txn) -> Status {
    auto c = txn.Count(dbi);
    if (!c.ok()) return c.status();
    count = c.value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return count;
}

// The medians of the three peers that make a result row.
Result3 Row(const std::vector<Peer>& peers, const char* plain, const char* cipher,
            const char* sealed) {
  const Samples& p = Find(peers, plain).samples;
  const Samples& c = Find(peers, cipher).samples;
  const Samples& s = Find(peers, sealed).samples;
  Result3 t;
  t.plain = p.Median();
  t.gcm = c.Median();
  t.sealed = s.Median();
  t.spread = std::max({p.Spread(), c.Spread(), s.Spread()});
  return t;
}

Result<SizeReport> BenchSize(const Options& opt, size_t size, std::mt19937_64& rng) {
  SizeReport r;
  r.size = size;
  if (opt.quick) {
    r.keys = 256;
    r.get_ops = 512;
    r.put_ops = 200;
  } else {
    r.keys = std::clamp<size_t>(opt.data_mib * kMiB / size, 1024, 262144);
    r.get_ops = std::clamp<size_t>(opt.get_mib * kMiB / size, 2000, 100000);
    r.put_ops = std::clamp<size_t>(opt.put_mib * kMiB / size, 500, 20000);
  }
  std::fprintf(stderr, "store_bench: %zu B: loading %zu keys into each store...\n", size, r.keys);
  auto fx = MakeFixture(opt, size, r.keys, r.put_ops, rng);
  if (!fx.ok()) return fx.status();
  if (Status s = PrefaultAndCheck(*fx.value(), fx.value()->keys); !s.ok()) return s;
  auto m = MakeMaterial(opt, *fx.value(), rng);
  if (!m.ok()) return m.status();
  Bench b{opt, r, *fx.value(), *m.value()};

  std::fprintf(stderr, "store_bench: %zu B: gets (%d x %zu ops per peer)...\n", size, opt.reps,
               r.get_ops);
  std::vector<Peer> gets = GetPeers(b);
  const Faults before = CountFaults();
  if (Status s = RunInterleaved(gets, kWarmups, opt.reps); !s.ok()) return s;
  const Faults after = CountFaults();
  r.get_minor_faults = after.minor - before.minor;
  r.get_major_faults = after.major - before.major;

  std::fprintf(stderr, "store_bench: %zu B: puts (%d x %zu ops per peer)...\n", size, opt.reps,
               r.put_ops);
  std::vector<Peer> puts = PutPeers(b);
  if (Status s = RunInterleaved(puts, kWarmups, opt.reps); !s.ok()) return s;

  // Both stores must now hold the loaded keys and every inserted one, and return them.
  auto plain_count = Count(*b.fx.plain, *b.fx.plain_db);
  if (!plain_count.ok()) return plain_count.status();
  auto sealed_count = Count(b.vault().env(), b.table().dbi);
  if (!sealed_count.ok()) return sealed_count.status();
  const size_t expected = r.keys + b.fx.fresh.size() * r.put_ops;
  if (plain_count.value() != expected || sealed_count.value() != expected) {
    return Fail("after the puts the stores hold " + std::to_string(plain_count.value()) +
                " (plain) and " + std::to_string(sealed_count.value()) +
                " (sealed) records, expected " + std::to_string(expected));
  }
  if (Status s = PrefaultAndCheck(b.fx, b.Fresh(opt.reps - 1)); !s.ok()) return s;

  r.get = Row(gets, "plain.get", "gcm.open", "sealed.get");
  r.put = Row(puts, "plain.put", "gcm.seal", "sealed.put");
  for (const auto* peers : {&gets, &puts}) {
    for (const Peer& p : *peers) r.median[p.name] = p.samples.Median();
  }
  return r;
}

int Main(int argc, char** argv) {
  Options opt;
  if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') opt.dir = tmp;
  if (opt.dir.empty()) opt.dir = "/tmp";
  CLI::App app{"store_bench: the sealed store against plain LMDB + raw AES-256-GCM", "store_bench"};
  app.add_option("--dir", opt.dir, "parent directory for the temporary stores")
      ->check(CLI::ExistingDirectory);
  app.add_option("--sizes", opt.sizes, "value sizes in bytes")->delimiter(',');
  app.add_option("--reps", opt.reps, "timed repetitions per peer")->check(CLI::Range(1, 1000));
  app.add_option("--get-batch", opt.get_batch, "gets per read transaction")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--put-batch", opt.put_batch, "puts per write transaction")
      ->check(CLI::Range(1, 1000000));
  app.add_option("--data-mib", opt.data_mib, "MiB of values loaded per store and size");
  app.add_option("--get-mib", opt.get_mib, "MiB read per get repetition");
  app.add_option("--put-mib", opt.put_mib, "MiB written per put repetition");
  app.add_option("--cold-mib", opt.cold_mib, "MiB of raw GCM values for the out-of-cache peer");
  app.add_option("--map-gib", opt.map_gib, "initial LMDB map size")->check(CLI::Range(1, 64));
  app.add_option("--seed", opt.seed, "seed of the keys and values");
  app.add_flag("--quick", opt.quick,
               "a few operations at 4 KiB, 3 repetitions (smoke test; overrides --sizes, --reps)");
  CLI11_PARSE(app, argc, argv);
  for (int i = 0; i < argc; ++i) opt.command += (i == 0 ? "" : " ") + std::string(argv[i]);
  if (opt.quick) {
    opt.sizes = {4096};
    opt.reps = 3;
    opt.map_gib = 1;
  }
  for (size_t size : opt.sizes) {
    if (size == 0 || size > (size_t{1} << 30)) {
      std::fprintf(stderr, "store_bench: --sizes: %zu is not a value size in 1..1 GiB\n", size);
      return 2;
    }
  }

  PrintHeader(opt);
  std::mt19937_64 rng(opt.seed);
  std::vector<SizeReport> reports;
  for (size_t size : opt.sizes) {
    Result<SizeReport> r = BenchSize(opt, size, rng);
    if (!r.ok()) {
      std::fprintf(stderr, "store_bench: %zu B: %s\n", size, r.status().ToString().c_str());
      return 1;
    }
    reports.push_back(r.value());
  }
  PrintTable(reports);
  PrintBreakdown(reports);
  PrintSummary(reports);
  return 0;
}

}  // namespace
}  // namespace sigmad::bench

int main(int argc, char** argv) { return sigmad::bench::Main(argc, argv); }
