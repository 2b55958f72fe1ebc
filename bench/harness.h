// A small timing harness for the benchmarks in bench/: no dependency beyond the
// standard library, so a benchmark builds wherever sigmad builds.
//
// The model: a benchmark is a set of peers (the thing measured and what it is compared
// with). Each peer is a function that runs one repetition of N operations and returns
// the nanoseconds per operation it measured with steady_clock. RunInterleaved runs
// every peer's warm-ups, then the repetitions, each running every peer once in a new
// random order, so slow drift of the machine (another process, frequency, page cache)
// falls on all peers alike and no peer always inherits the caches of the same one.
// Each peer's result is the median of its repetitions; the spread (max - min) / median
// is kept to show how noisy the run was.
//
// Thread-safety: none; a benchmark runs on one thread.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sigmad::bench {

using SteadyClock = std::chrono::steady_clock;

// Nanoseconds from `start` to now.
inline double NanosSince(SteadyClock::time_point start) {
  return std::chrono::duration<double, std::nano>(SteadyClock::now() - start).count();
}

// Makes the compiler assume `value` is read, so the work that produced it is kept.
template <typename T>
inline void KeepAlive(const T& value) {
  asm volatile("" : : "r,m"(value) : "memory");
}

// The per-operation times of a peer's repetitions.
class Samples {
 public:
  void Add(double ns_per_op) { values_.push_back(ns_per_op); }
  bool empty() const { return values_.empty(); }
  // The median (mean of the middle two for an even count); 0 if empty.
  double Median() const {
    if (values_.empty()) return 0;
    std::vector<double> v = values_;
    std::sort(v.begin(), v.end());
    const size_t mid = v.size() / 2;
    return v.size() % 2 == 1 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
  }
  // (max - min) / median: 0.05 means the repetitions spread over 5% of the median.
  double Spread() const {
    if (values_.empty()) return 0;
    const auto [lo, hi] = std::minmax_element(values_.begin(), values_.end());
    const double median = Median();
    return median > 0 ? (*hi - *lo) / median : 0;
  }

 private:
  std::vector<double> values_;
};

// One peer: `run(rep)` performs repetition `rep` (warm-ups are negative) and returns its
// nanoseconds per operation, or the error that stopped it.
struct Peer {
  using RunFn = std::function<Result<double>(int rep)>;
  Peer(std::string peer_name, RunFn run_fn) : name(std::move(peer_name)), run(std::move(run_fn)) {}

  std::string name;
  RunFn run;
  Samples samples;
};

// Runs `warmups` untimed and `reps` timed repetitions of every peer, interleaved as
// described above. Stops at the first error.
inline Status RunInterleaved(std::vector<Peer>& peers, int warmups, int reps) {
  std::vector<size_t> order(peers.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  for (int rep = -warmups; rep < reps; ++rep) {
    // A new order each repetition (fixed seeds: runs are comparable), so that no peer
    // always runs first or always follows the same peer and inherits its cache state.
    std::mt19937_64 shuffle_rng(static_cast<uint64_t>(rep + warmups));
    std::shuffle(order.begin(), order.end(), shuffle_rng);
    for (size_t i : order) {
      Peer& peer = peers[i];
      Result<double> ns = peer.run(rep);
      if (!ns.ok()) {
        return Status::Error(ns.status().code(), peer.name + ": " + ns.status().message());
      }
      if (rep >= 0) peer.samples.Add(ns.value());
    }
  }
  return Status::Ok();
}

// The peer named `name` (it must exist: the benchmark made the list).
inline const Peer& Find(const std::vector<Peer>& peers, const std::string& name) {
  for (const Peer& p : peers) {
    if (p.name == name) return p;
  }
  std::abort();  // a typo in the benchmark itself
}

}  // namespace sigmad::bench
