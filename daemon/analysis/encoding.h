// Encoding: how dataset values become network inputs and outputs, shared by Train and
// Predict. Private to the analysis module; no torch types.
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <vector>

#include "analysis/model.h"

namespace sigmad::analysis {

struct Affine {
  double mean = 0, scale = 1;
};

// The mean and population standard deviation of values[rows] (of all values when `rows`
// is null); scale 1 when those values are all equal. Summed in row order, in double.
Affine Standardization(const std::vector<double>& values, const std::vector<size_t>* rows);

// ok if `values` is a well-formed column for `spec` with `rows` values: finite numbers,
// or level indices in range; else "invalid_data" naming the column.
Status CheckColumn(const dataset::ColumnSpec& spec, const std::vector<double>& values, size_t rows);

// Network input slots: 1 per numeric input, 1 per level of a categorical one.
size_t EncodedWidth(const std::vector<InputColumn>& inputs);

// Writes rows [begin, end) as network inputs to `out` (row-major, EncodedWidth floats a
// row). columns[i] holds inputs[i]'s values: numbers, or indices into its levels (which
// must be in range).
void EncodeRows(const std::vector<InputColumn>& inputs,
                const std::vector<const std::vector<double>*>& columns, size_t begin, size_t end,
                float* out);

}  // namespace sigmad::analysis
