// Random: the analysis module's only source of randomness, a SplitMix64 stream (Steele,
// Lea and Flood, "Fast splittable pseudorandom number generators", 2014). Fully
// specified here, unlike std:: distributions, so the same seed gives the same numbers
// with any compiler or library. Private to the analysis module.
// Thread-safety: a Random is a plain value used by one thread.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

namespace sigmad::analysis {

class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}

  // The seed of the stream for (seed, a, b): each of a and b mixed in by a SplitMix64
  // round, so nearby tuples give unrelated streams.
  static uint64_t Derive(uint64_t seed, uint64_t a, uint64_t b) {
    return Mix(Mix(Mix(seed) ^ (a + 1) * 0xd6e8feb86659fd93ULL) ^ (b + 1) * 0xa0761d6478bd642fULL);
  }

  uint64_t Next() { return Mix(state_ += kGolden); }

  // Uniform in [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n), n > 0, unbiased (rejection of the short last interval).
  uint64_t Below(uint64_t n) {
    const uint64_t threshold = (0 - n) % n;
    for (;;) {
      const uint64_t r = Next();
      if (r >= threshold) return r % n;
    }
  }

  // Fisher-Yates.
  template <typename T>
  void Shuffle(std::vector<T>* items) {
    for (size_t i = items->size(); i > 1; --i) {
      std::swap((*items)[i - 1], (*items)[Below(i)]);
    }
  }

 private:
  static constexpr uint64_t kGolden = 0x9e3779b97f4a7c15ULL;
  static uint64_t Mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

}  // namespace sigmad::analysis
