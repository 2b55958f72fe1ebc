// Ground-truth problems for the analysis tests, generated from a fixed seed with
// std::mt19937_64 (its output is fixed by the standard) and hand-written transforms
// (std:: distributions are not), so every platform gets the same rows.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>
#include <random>
#include <string>
#include <vector>

#include "analysis/model.h"
#include "dataset/dataset.h"

namespace sigmad::analysis::testing {

class Draw {
 public:
  explicit Draw(uint64_t seed) : engine_(seed) {}
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double Uniform(double low, double high) { return low + (high - low) * Uniform(); }
  double Normal() {  // Box-Muller
    const double u = 1 - Uniform(), v = Uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
  }

 private:
  std::mt19937_64 engine_;
};

inline void AddColumn(dataset::Dataset* d, std::string name, dataset::Role role,
                      std::vector<std::string> levels = {}) {
  dataset::ColumnSpec spec;
  spec.name = std::move(name);
  spec.role = role;
  if (!levels.empty()) {
    spec.type = dataset::ColumnType::kCategorical;
    spec.levels = std::move(levels);
  }
  d->schema.columns.push_back(std::move(spec));
  d->columns.emplace_back();
}

// Friedman #1: x1..x10 uniform in [0, 1], y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 +
// 10 x4 + 5 x5 + N(0, 1). The noise caps R² near 0.96.
inline dataset::Dataset Friedman1(size_t rows, uint64_t seed) {
  dataset::Dataset d;
  for (int i = 1; i <= 10; ++i) AddColumn(&d, "x" + std::to_string(i), dataset::Role::kInput);
  AddColumn(&d, "y", dataset::Role::kOutput);
  Draw draw(seed);
  for (size_t r = 0; r < rows; ++r) {
    double x[10];
    for (int i = 0; i < 10; ++i) d.columns[static_cast<size_t>(i)].push_back(x[i] = draw.Uniform());
    d.columns[10].push_back(10 * std::sin(std::numbers::pi * x[0] * x[1]) +
                            20 * (x[2] - 0.5) * (x[2] - 0.5) + 10 * x[3] + 5 * x[4] +
                            draw.Normal());
  }
  return d;
}

// Three outputs, each a fixed linear function of six inputs in [-5, 5] (offsets 0, 100,
// -50 and different scales) plus N(0, 0.1) noise; R² can reach about 0.999.
inline dataset::Dataset Linear3(size_t rows, uint64_t seed) {
  constexpr double kWeights[3][6] = {{1.0, -2.0, 0.5, 0.0, 3.0, -1.0},
                                     {-0.5, 0.25, 4.0, 1.0, 0.0, 2.0},
                                     {10.0, 5.0, -3.0, 2.0, 1.0, 0.0}};
  constexpr double kOffsets[3] = {0, 100, -50};
  dataset::Dataset d;
  for (int i = 0; i < 6; ++i) AddColumn(&d, "x" + std::to_string(i), dataset::Role::kInput);
  for (int o = 0; o < 3; ++o) AddColumn(&d, "y" + std::to_string(o), dataset::Role::kOutput);
  Draw draw(seed);
  for (size_t r = 0; r < rows; ++r) {
    double x[6];
    for (size_t i = 0; i < 6; ++i) d.columns[i].push_back(x[i] = draw.Uniform(-5, 5));
    for (size_t o = 0; o < 3; ++o) {
      double y = kOffsets[o];
      for (size_t i = 0; i < 6; ++i) y += kWeights[o][i] * x[i];
      d.columns[6 + o].push_back(y + 0.1 * draw.Normal());
    }
  }
  return d;
}

// y = shift(level) + x with levels A, B, C (shifts 0, 5, -3) and x uniform in [0, 1];
// level D is in the schema but never drawn.
inline constexpr double kLevelShift[3] = {0, 5, -3};
inline dataset::Dataset Categorical(size_t rows, uint64_t seed) {
  dataset::Dataset d;
  AddColumn(&d, "grade", dataset::Role::kInput, {"A", "B", "C", "D"});
  AddColumn(&d, "x", dataset::Role::kInput);
  AddColumn(&d, "y", dataset::Role::kOutput);
  Draw draw(seed);
  for (size_t r = 0; r < rows; ++r) {
    const auto level = static_cast<size_t>(draw.Uniform() * 3);
    const double x = draw.Uniform();
    d.columns[0].push_back(static_cast<double>(level));
    d.columns[1].push_back(x);
    d.columns[2].push_back(kLevelShift[level] + x + 0.05 * draw.Normal());
  }
  return d;
}

// Options for tests that need a model, not an accurate one: about a second or less.
inline TrainOptions Quick() {
  TrainOptions o;
  o.ensemble = 3;
  o.hidden = {8};
  o.max_epochs = 5;
  o.folds = 0;
  return o;
}

// R² of `predicted` against `truth`.
inline double RSquared(const std::vector<double>& truth, const std::vector<double>& predicted) {
  double mean = 0;
  for (double t : truth) mean += t;
  mean /= static_cast<double>(truth.size());
  double res = 0, tot = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    res += (truth[i] - predicted[i]) * (truth[i] - predicted[i]);
    tot += (truth[i] - mean) * (truth[i] - mean);
  }
  return 1 - res / tot;
}

}  // namespace sigmad::analysis::testing
