// Prediction files: a model's inputs read from CSV (ReadPredictionInputs), and its
// predictions written as CSV (PredictionCsv). Pure functions; ModelService::Predict
// joins them to the stored model.
//
// Reading. The CSV (dataset/csv.h rules) must have exactly the model's input columns,
// in any order: every missing input and every other column is listed, one per line
// (a column differing from an input only in letter case is pointed out), and nothing
// is predicted. Values are read as at import (dataset/dataset.h) under the model's
// input schema (analysis::InputSchema): numbers by ParseNumber, categorical values as
// one of the model's levels; each bad value is a line `row R, column C: value "V":
// reason`, up to max_reported. A missing (empty) value is a problem too: a prediction
// row is never dropped or filled, so output row i is always input row i. For the same
// reason a one-column file with blank lines between its rows is refused (ReadCsv skips
// blank lines, and there they may be meant as empty values). Values outside the
// training range are read, and flagged in the output.
//
// Writing. A header, then one line per input row: the input columns in the model's
// order (numbers in their shortest exact form, levels as text), then for each output
// NAME (the ensemble mean) and NAME_std (the members' standard deviation, 0 for a
// one-member ensemble), then `out_of_range`: empty when every input lies inside the
// training rows' range, else the names of the inputs outside it, joined by ";". A
// generated column name (NAME_std, out_of_range) that equals an input's or output's
// name, up to letter case, gets "_" appended until it is unique.
//
// Errors: "invalid_csv" (the file's structure), "invalid_data" (columns, values).
// Thread-safety: reentrant.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "analysis/model.h"
#include "common/status.h"
#include "dataset/dataset.h"

namespace sigmad::models {

Result<dataset::Dataset> ReadPredictionInputs(const analysis::Model& model, std::string_view csv,
                                              size_t max_reported = 100);

// The output columns' names: for each output NAME and NAME_std, then out_of_range,
// made unique against the inputs' names as described above.
std::vector<std::string> PredictionColumns(const analysis::Model& model);

// `inputs` as ReadPredictionInputs gave them and `prediction` = Predict(model, inputs).
std::string PredictionCsv(const analysis::Model& model, const dataset::Dataset& inputs,
                          const analysis::Prediction& prediction);

}  // namespace sigmad::models
