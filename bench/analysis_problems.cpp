// analysis_problems.cpp: the data sets and folds of analysis_bench (analysis_bench.h).
//
// Generated from fixed seeds with std::mt19937_64 (its output is fixed by the standard)
// and hand-written transforms (std:: distributions are not), so every platform gets the
// same rows and the recorded numbers can be reproduced.
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <numbers>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "analysis_bench.h"
#include "dataset/csv.h"
#include "dataset/schema.h"

namespace sigmad::bench {
namespace {

class Draw {
 public:
  explicit Draw(uint64_t seed) : engine_(seed) {}
  double Uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }
  double Normal() {  // Box-Muller
    const double u = 1 - Uniform(), v = Uniform();
    return std::sqrt(-2 * std::log(u)) * std::cos(2 * std::numbers::pi * v);
  }
  // Uniform in 0..n-1 (the modulo bias is below 2^-40 for the sizes used here).
  size_t Below(size_t n) { return static_cast<size_t>(engine_() % n); }

 private:
  std::mt19937_64 engine_;
};

void AddColumn(dataset::Dataset* d, std::string name, dataset::Role role) {
  dataset::ColumnSpec spec;
  spec.name = std::move(name);
  spec.role = role;
  d->schema.columns.push_back(std::move(spec));
  d->columns.emplace_back();
}

// A problem with `inputs` uniform [0, 1] inputs x1.. and outputs y1.. = f(x, draw).
template <typename F>
Problem Generate(std::string name, std::string description, size_t rows, size_t inputs,
                 size_t outputs, uint64_t seed, F f) {
  Problem p;
  p.name = std::move(name);
  p.description = std::move(description);
  p.outputs = outputs;
  for (size_t i = 1; i <= inputs; ++i)
    AddColumn(&p.data, "x" + std::to_string(i), dataset::Role::kInput);
  for (size_t o = 1; o <= outputs; ++o)
    AddColumn(&p.data, "y" + std::to_string(o), dataset::Role::kOutput);
  Draw draw(seed);
  std::vector<double> x(inputs + 1), y(outputs);
  for (size_t r = 0; r < rows; ++r) {
    for (size_t i = 1; i <= inputs; ++i) p.data.columns[i - 1].push_back(x[i] = draw.Uniform());
    f(x, draw, y);
    for (size_t o = 0; o < outputs; ++o) p.data.columns[inputs + o].push_back(y[o]);
  }
  return p;
}

double Sq(double v) { return v * v; }

}  // namespace

Problem Friedman1(size_t rows, uint64_t seed) {
  return Generate("friedman1", "Friedman #1, 10 inputs (5 noise), N(0, 1) noise", rows, 10, 1, seed,
                  [](const std::vector<double>& x, Draw& draw, std::vector<double>& y) {
                    y[0] = 10 * std::sin(std::numbers::pi * x[1] * x[2]) + 20 * Sq(x[3] - 0.5) +
                           10 * x[4] + 5 * x[5] + draw.Normal();
                  });
}

// Three outputs of different structure over shared and separate inputs, in different
// units (y3 is offset by 100), with noise that caps R² near 0.95, 0.97 and 0.98:
//   y1 = 10 x1 x2 + 5 sin(2 pi x3) + 4 x4 + N(0, 1)                 interaction, periodic
//   y2 = 3 exp(2 x5) - 10 (x6 - 0.5)^2 + 5 x1 + N(0, 1)             exponential, a bowl
//   y3 = 100 + 8 / (1 + exp(-12 (x7 - x8))) + 6 |x2 - 0.5| + N(0, 0.5)   a step, a kink
Problem Multi3(size_t rows, uint64_t seed) {
  return Generate("multi3", "3 outputs of 8 inputs: interaction/sin, exp/bowl, step/kink", rows, 8,
                  3, seed, [](const std::vector<double>& x, Draw& draw, std::vector<double>& y) {
                    y[0] = 10 * x[1] * x[2] + 5 * std::sin(2 * std::numbers::pi * x[3]) + 4 * x[4] +
                           draw.Normal();
                    y[1] = 3 * std::exp(2 * x[5]) - 10 * Sq(x[6] - 0.5) + 5 * x[1] + draw.Normal();
                    y[2] = 100 + 8 / (1 + std::exp(-12 * (x[7] - x[8]))) +
                           6 * std::abs(x[2] - 0.5) + 0.5 * draw.Normal();
                  });
}

// y1 Friedman #1 on x1..x5; y2 = 5 sin(2 pi x6) x7 + 3 x8 x9 + 2 x10 + N(0, 0.5);
// y3 = sum over i = 11..20 of (i - 10) / 10 x_i + N(0, 0.1).
Problem Wide20(size_t rows, uint64_t seed) {
  return Generate("wide20", "20 inputs, 3 outputs (Friedman #1, sin/product, linear)", rows, 20, 3,
                  seed, [](const std::vector<double>& x, Draw& draw, std::vector<double>& y) {
                    y[0] = 10 * std::sin(std::numbers::pi * x[1] * x[2]) + 20 * Sq(x[3] - 0.5) +
                           10 * x[4] + 5 * x[5] + draw.Normal();
                    y[1] = 5 * std::sin(2 * std::numbers::pi * x[6]) * x[7] + 3 * x[8] * x[9] +
                           2 * x[10] + 0.5 * draw.Normal();
                    y[2] = 0.1 * draw.Normal();
                    for (size_t i = 11; i <= 20; ++i)
                      y[2] += static_cast<double>(i - 10) / 10 * x[i];
                  });
}

Result<Problem> ReadProblem(const std::filesystem::path& csv, const std::string& name,
                            size_t outputs) {
  auto bytes = ReadFile(csv);
  if (!bytes.ok()) return bytes.status();
  auto table = dataset::ReadCsv(bytes.value());
  if (!table.ok()) return Fail(csv.string() + ": " + table.status().message());
  const std::vector<std::string>& header = table.value().header();
  if (header.size() <= outputs) return Fail(csv.string() + ": too few columns");
  const std::vector<std::string> in(header.begin(), header.end() - static_cast<ptrdiff_t>(outputs));
  const std::vector<std::string> out(header.end() - static_cast<ptrdiff_t>(outputs), header.end());
  auto schema = dataset::InferSchema(table.value(), in, out);
  if (!schema.ok()) return Fail(csv.string() + ": " + schema.status().message());
  auto imported = dataset::MakeDataset(table.value(), schema.value());
  if (!imported.ok()) return Fail(csv.string() + ": " + imported.status().message());
  Problem p;
  p.name = name;
  p.data = std::move(imported.value().dataset);
  p.outputs = outputs;
  return p;
}

std::vector<int> MakeFolds(size_t rows, int folds, uint64_t seed) {
  std::vector<size_t> order(rows);
  for (size_t r = 0; r < rows; ++r) order[r] = r;
  Draw draw(seed);
  for (size_t i = rows; i > 1; --i) std::swap(order[i - 1], order[draw.Below(i)]);  // Fisher-Yates
  std::vector<int> fold(rows);
  const auto k = static_cast<size_t>(folds);
  for (size_t i = 0; i < rows; ++i) fold[order[i]] = static_cast<int>(i * k / rows);
  return fold;
}

dataset::Dataset Subset(const dataset::Dataset& d, const std::vector<bool>& keep) {
  dataset::Dataset out;
  out.schema = d.schema;
  out.columns.resize(d.columns.size());
  for (size_t c = 0; c < d.columns.size(); ++c) {
    for (size_t r = 0; r < d.row_count(); ++r) {
      if (keep[r]) out.columns[c].push_back(d.columns[c][r]);
    }
  }
  return out;
}

dataset::Dataset InputsOnly(const dataset::Dataset& d) {
  dataset::Dataset out;
  for (size_t c = 0; c < d.columns.size(); ++c) {
    if (d.schema.columns[c].role != dataset::Role::kInput) continue;
    out.schema.columns.push_back(d.schema.columns[c]);
    out.columns.push_back(d.columns[c]);
  }
  return out;
}

double RSquared(const std::vector<double>& truth, const std::vector<double>& predicted) {
  double mean = 0;
  for (double t : truth) mean += t;
  mean /= static_cast<double>(truth.size());
  double res = 0, tot = 0;
  for (size_t i = 0; i < truth.size(); ++i) {
    res += Sq(truth[i] - predicted[i]);
    tot += Sq(truth[i] - mean);
  }
  return tot > 0 ? 1 - res / tot : (res == 0 ? 1 : 0);
}

Status WriteFile(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) return Fail("cannot write " + path.string() + ": " + std::strerror(errno));
  return Status::Ok();
}

Result<std::string> ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail("cannot read " + path.string() + ": " + std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace sigmad::bench
