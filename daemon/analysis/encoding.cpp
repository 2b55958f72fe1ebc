#include "analysis/encoding.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "dataset/values.h"

namespace sigmad::analysis {

Affine Standardization(const std::vector<double>& values, const std::vector<size_t>* rows) {
  const size_t n = rows ? rows->size() : values.size();
  auto at = [&](size_t i) { return rows ? values[(*rows)[i]] : values[i]; };
  Affine a;
  if (n == 0) return a;
  double sum = 0, low = at(0), high = at(0);
  for (size_t i = 0; i < n; ++i) {
    sum += at(i);
    low = std::min(low, at(i));
    high = std::max(high, at(i));
  }
  a.mean = std::clamp(sum / static_cast<double>(n), low, high);
  if (low == high) return a;
  double squares = 0;
  for (size_t i = 0; i < n; ++i) squares += (at(i) - a.mean) * (at(i) - a.mean);
  const double sd = std::sqrt(squares / static_cast<double>(n));
  if (sd > 0 && std::isfinite(sd)) a.scale = sd;
  return a;
}

Status CheckColumn(const dataset::ColumnSpec& spec, const std::vector<double>& values,
                   size_t rows) {
  const std::string name = "column " + dataset::Printable(spec.name);
  if (values.size() != rows) {
    return Status::Error("invalid_data", name + " has " + std::to_string(values.size()) +
                                             " values, not " + std::to_string(rows));
  }
  for (size_t r = 0; r < rows; ++r) {
    const double v = values[r];
    const bool ok =
        spec.type == dataset::ColumnType::kNumeric
            ? std::isfinite(v)
            : v >= 0 && v < static_cast<double>(spec.levels.size()) && v == std::floor(v);
    if (!ok) {
      return Status::Error("invalid_data", name + ", row " + std::to_string(r + 1) +
                                               ": not a finite number or a level index");
    }
  }
  return Status::Ok();
}

size_t EncodedWidth(const std::vector<InputColumn>& inputs) {
  size_t width = 0;
  for (const auto& in : inputs) {
    width += in.type == dataset::ColumnType::kNumeric ? 1 : in.levels.size();
  }
  return width;
}

void EncodeRows(const std::vector<InputColumn>& inputs,
                const std::vector<const std::vector<double>*>& columns, size_t begin, size_t end,
                float* out) {
  const size_t width = EncodedWidth(inputs);
  std::fill(out, out + (end - begin) * width, 0.0f);
  size_t slot = 0;
  for (size_t c = 0; c < inputs.size(); ++c) {
    const InputColumn& in = inputs[c];
    const std::vector<double>& values = *columns[c];
    if (in.type == dataset::ColumnType::kNumeric) {
      for (size_t r = begin; r < end; ++r) {
        out[(r - begin) * width + slot] = static_cast<float>((values[r] - in.mean) / in.scale);
      }
      ++slot;
    } else {
      for (size_t r = begin; r < end; ++r) {
        out[(r - begin) * width + slot + static_cast<size_t>(values[r])] = 1.0f;
      }
      slot += in.levels.size();
    }
  }
}

}  // namespace sigmad::analysis
