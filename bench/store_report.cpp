// store_report.cpp: the tables store_bench prints (store_bench.h).
#include <lmdb.h>
#include <openssl/crypto.h>
#include <sys/vfs.h>

#include <cstdio>
#include <fstream>
#include <thread>
#include <tuple>
#include <utility>

#include "store_bench.h"

namespace sigmad::bench {
namespace {

std::string FsKind(const std::string& dir) {
  struct statfs fs {};
  if (statfs(dir.c_str(), &fs) != 0) return "unknown";
  constexpr long kTmpfsMagic = 0x01021994;
  return fs.f_type == kTmpfsMagic ? "tmpfs (fsync is nearly free)"
                                  : "not tmpfs (every commit pays a real fsync)";
}

double Us(double ns) { return ns / 1000; }
double PerSec(double ns) { return ns > 0 ? 1e9 / ns : 0; }

}  // namespace

void PrintHeader(const Options& opt) {
#if defined(__OPTIMIZE__) && defined(NDEBUG)
  const char* build = "optimized, NDEBUG";
#else
  const char* build = "NOT optimized or assertions on: do not record these numbers";
#endif
  std::printf("store_bench: sealed store (store::Vault) vs plain LMDB vs raw AES-256-GCM\n");
  std::printf("  command: %s\n", opt.command.c_str());
  std::printf("  cpu: %s, %u hardware threads\n", CpuModel().c_str(),
              std::thread::hardware_concurrency());
  std::printf("  %s; LMDB %d.%d.%d; build %s\n", OpenSSL_version(OPENSSL_VERSION),
              MDB_VERSION_MAJOR, MDB_VERSION_MINOR, MDB_VERSION_PATCH, build);
  std::printf("  stores in %s: %s; initial map %zu GiB\n", opt.dir.c_str(), FsKind(opt.dir).c_str(),
              opt.map_gib);
  std::printf(
      "  median of %d repetitions (after %d warm-up), peers interleaved; %zu gets per "
      "View, %zu puts per Update\n",
      opt.reps, kWarmups, opt.get_batch, opt.put_batch);
  std::printf("  floor = plain + gcm; target: sealed <= %.2fx floor\n\n", kTarget);
}

void PrintTable(const std::vector<SizeReport>& reports) {
  std::printf("%6s %4s %7s %7s | %9s %8s %9s %9s | %7s %7s | %11s %11s %11s | %6s %s\n", "size",
              "op", "keys", "ops/rep", "plain us", "gcm us", "floor us", "sealed us", "/floor",
              "/plain", "plain op/s", "gcm op/s", "sealed op/s", "spread", "target");
  for (const SizeReport& r : reports) {
    for (const auto& [op, t, ops] :
         {std::tuple{"get", r.get, r.get_ops}, std::tuple{"put", r.put, r.put_ops}}) {
      std::printf(
          "%6zu %4s %7zu %7zu | %9.3f %8.3f %9.3f %9.3f | %6.2fx %6.2fx | %11.0f %11.0f %11.0f | "
          "%5.0f%% %s\n",
          r.size, op, r.keys, ops, Us(t.plain), Us(t.gcm), Us(t.Floor()), Us(t.sealed), t.Ratio(),
          t.sealed / t.plain, PerSec(t.plain), PerSec(t.gcm), PerSec(t.sealed), t.spread * 100,
          t.Met() ? "PASS" : "MISS");
    }
  }
  for (const SizeReport& r : reports) {
    if (r.get_minor_faults + r.get_major_faults > 0) {
      std::printf(
          "  %zu B: %ld minor and %ld major page faults during the gets: the kernel "
          "dropped mapped pages, so the get rows include mapping them again\n",
          r.size, r.get_minor_faults, r.get_major_faults);
    }
  }
}

void PrintBreakdown(const std::vector<SizeReport>& reports) {
  std::printf("\nwhere the time goes (us/op, medians of the diagnostic peers)\n");
  std::printf("%6s | %7s = %8s %7s %12s %7s | %7s = %8s %7s | %9s = %9s %7s %12s %7s\n", "size",
              "s.get", "s.lookup", "aad", "keyring.open", "rest", "p.get", "p.lookup", "copy",
              "s.put", "p.put", "aad", "keyring.seal", "rest");
  for (const SizeReport& r : reports) {
    std::printf(
        "%6zu | %7.3f = %8.3f %7.3f %12.3f %7.3f | %7.3f = %8.3f %7.3f | %9.3f = %9.3f %7.3f "
        "%12.3f %7.3f\n",
        r.size, Us(r.get.sealed), Us(r["sealed.lookup"]), Us(r["vault.aad"]), Us(r["keyring.open"]),
        Us(r.get.sealed - r["sealed.lookup"] - r["vault.aad"] - r["keyring.open"]), Us(r.get.plain),
        Us(r["plain.lookup"]), Us(r.get.plain - r["plain.lookup"]), Us(r.put.sealed),
        Us(r.put.plain), Us(r["vault.aad"]), Us(r["keyring.seal"]),
        Us(r.put.sealed - r.put.plain - r["vault.aad"] - r["keyring.seal"]));
  }
  std::printf("\n%6s %4s | %8s = %8s %8s %7s %9s %12s | %8s\n", "size", "op", "keyring", "gcm",
              "hdr/aad", "resize", "aead.misc", "keyring.misc", "(1 call)");
  for (const SizeReport& r : reports) {
    std::printf("%6zu %4s | %8.3f = %8.3f %8.3f %7.3f %9.3f %12.3f | %8.3f\n", r.size, "open",
                Us(r["keyring.open"]), Us(r["gcm.open"]), Us(r["gcm.open.aad"] - r["gcm.open"]),
                Us(r["string.resize"]), Us(r["aead.open"] - r["gcm.open.aad"] - r["string.resize"]),
                Us(r["keyring.open"] - r["aead.open"]), Us(r["gcm.open.aad1"] - r["gcm.open"]));
    std::printf("%6zu %4s | %8.3f = %8.3f %8.3f %7s %9.3f %12.3f | %8.3f\n", r.size, "seal",
                Us(r["keyring.seal"]), Us(r["gcm.seal"]), Us(r["gcm.seal.aad"] - r["gcm.seal"]),
                "-", Us(r["aead.seal"] - r["gcm.seal.aad"]), Us(r["keyring.seal"] - r["aead.seal"]),
                Us(r["gcm.seal.aad1"] - r["gcm.seal"]));
  }
  std::printf("\ngets: the floor as one loop, and Vault::Get variants (us/op, x floor)\n");
  std::printf("%6s | %7s %15s | %15s %15s %15s %15s | %8s %8s %6s\n", "size", "floor",
              "floor.seq", "sealed.get", "proto.get", ".prefetch", ".copy", "gcm.open", "gcm.cold",
              "+cold");
  for (const SizeReport& r : reports) {
    const double floor = r.get.Floor();
    const auto x = [&](const char* peer) { return r[peer] / floor; };
    std::printf(
        "%6zu | %7.3f %7.3f (%.2fx) | %7.3f (%.2fx) %7.3f (%.2fx) %7.3f (%.2fx) %7.3f (%.2fx) "
        "| %8.3f %8.3f %6.3f\n",
        r.size, Us(floor), Us(r["floor.seq.get"]), x("floor.seq.get"), Us(r.get.sealed),
        r.get.Ratio(), Us(r["proto.get"]), x("proto.get"), Us(r["proto.get.prefetch"]),
        x("proto.get.prefetch"), Us(r["proto.get.copy"]), x("proto.get.copy"), Us(r.get.gcm), Us(r["gcm.open.cold"]),
        Us(r["gcm.open.cold"] - r.get.gcm));
  }
  std::printf(
      "  s./p. = sealed/plain store; lookup: the LMDB get without copying or opening;\n"
      "  copy = p.get - p.lookup (new string + copy out of the map); aad: Vault::Aad;\n"
      "  keyring = Keyring::Open/Seal, aead = crypto::Aead, gcm = raw GCM, all on %zu values\n"
      "  in cache (the stores read values from memory that is mostly not); hdr/aad: raw GCM\n"
      "  fed the 17-byte header and the AAD in two calls (as Aead does) minus raw GCM alone;\n"
      "  (1 call): the same bytes in one call; resize: a new zero-filled std::string of the\n"
      "  size; aead.misc = aead - gcm.aad - resize (open) or aead - gcm.aad (seal: string,\n"
      "  nonce, context pool); rest and *.misc are differences of medians: they carry the\n"
      "  noise of every term and can be negative.\n"
      "  floor.seq: plain get + copy, then raw GCM open of a value in cache, in one loop;\n"
      "  proto.get: Vault::Get rebuilt from its public parts without the prefetch;\n"
      "  .prefetch: with the first 2 KiB of the sealed value prefetched right after the\n"
      "  lookup, at every size (Vault::Get does it up to 8 KiB); .copy: with the sealed\n"
      "  value copied out before it is opened; gcm.cold: raw GCM on values spread over\n"
      "  --cold-mib of memory, in random order; +cold = what coming from memory adds.\n",
      kPool);
}

void PrintSummary(const std::vector<SizeReport>& reports) {
  std::string missed;
  int met = 0;
  for (const SizeReport& r : reports) {
    for (const auto& [op, t] : {std::pair{"get", r.get}, std::pair{"put", r.put}}) {
      if (t.Met()) {
        ++met;
      } else {
        missed.append(" ").append(std::to_string(r.size)).append("/").append(op);
      }
    }
  }
  std::printf("\nstore_bench: %d of %zu rows within %.2fx of the floor%s\n", met,
              2 * reports.size(), kTarget, missed.empty() ? "" : ("; missed:" + missed).c_str());
}

}  // namespace sigmad::bench
