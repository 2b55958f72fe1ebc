#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "analysis/problems.h"
#include "dataset/csv.h"
#include "dataset/values.h"
#include "models/prediction.h"

namespace sigmad::models {
namespace {

using analysis::Model;
using analysis::Prediction;
using analysis::testing::Quick;

// grade (A..D, D never seen in training) and x in [0, 1] -> y.
const Model& CategoricalModel() {
  static const Model model = [] {
    Result<Model> m = analysis::Train(analysis::testing::Categorical(60, 2), Quick());
    REQUIRE(m.ok());
    return std::move(m).value();
  }();
  return model;
}

std::string Error(const std::string& csv) {
  const Result<dataset::Dataset> d = ReadPredictionInputs(CategoricalModel(), csv);
  REQUIRE_FALSE(d.ok());
  return d.status().ToString();
}

TEST_CASE("a prediction CSV: the inputs, then NAME and NAME_std per output, then the flag",
          "[models]") {
  const Model& model = CategoricalModel();
  // Other column order; D is a level no training row had; x = 2.5 is above the range.
  const Result<dataset::Dataset> inputs =
      ReadPredictionInputs(model, "x,grade\r\n0.5,A\r\n2.5,B\r\n0.25,D\r\n3,D\r\n");
  REQUIRE(inputs.ok());
  const Result<Prediction> p = analysis::Predict(model, inputs.value());
  REQUIRE(p.ok());
  const std::string csv = PredictionCsv(model, inputs.value(), p.value());

  const Result<dataset::CsvTable> out = dataset::ReadCsv(csv);
  REQUIRE(out.ok());
  CHECK(out->header() == std::vector<std::string>{"grade", "x", "y", "y_std", "out_of_range"});
  REQUIRE(out->row_count() == 4);
  const char* grades[] = {"A", "B", "D", "D"};
  const char* xs[] = {"0.5", "2.5", "0.25", "3"};
  const char* flags[] = {"", "x", "grade", "grade;x"};
  for (size_t r = 0; r < 4; ++r) {
    CAPTURE(r);
    CHECK(out->field(r, 0) == grades[r]);
    CHECK(out->field(r, 1) == xs[r]);
    double mean = 0, sd = 0;
    REQUIRE(dataset::ParseNumber(out->field(r, 2), &mean) == nullptr);
    REQUIRE(dataset::ParseNumber(out->field(r, 3), &sd) == nullptr);
    CHECK(mean == p->mean[0][r]);  // exact: the shortest text that reads back the same
    CHECK(sd == p->sd[0][r]);
    CHECK(sd > 0);
    CHECK(out->field(r, 4) == flags[r]);
  }
}

TEST_CASE("prediction inputs: every missing and extra column is named", "[models]") {
  CHECK(Error("X,grade,y\n0.5,A,1\n") ==
        "invalid_data: model input \"x\" is not in the CSV (the CSV has \"X\")\n"
        "CSV column \"X\" is not an input of the model; remove it\n"
        "CSV column \"y\" is not an input of the model; remove it\n"
        "the model's inputs are: grade, x");
  CHECK(Error("grade\nA\n") ==
        "invalid_data: model input \"x\" is not in the CSV\nthe model's inputs are: grade, x");
}

TEST_CASE("prediction inputs: bad values get import's row/column errors, all of them",
          "[models]") {
  CHECK(Error("grade,x\nA,0.5\nE,1\nB,\nC,1e999\nA,nan\n") ==
        "invalid_data: row 2, column grade: value \"E\": not one of the levels \"A\", \"B\", "
        "\"C\", \"D\"\n"
        "row 3, column x: value \"\": missing (the column's rule is missing: reject)\n"
        "row 4, column x: value \"1e999\": out of range\n"
        "row 5, column x: value \"nan\": not a finite number");
  CHECK(Error("grade,x\nA,0.5,7\n") == "invalid_csv: row 1 has 3 fields, the header has 2");
  CHECK(Error("") == "invalid_csv: the file is empty");
}

// A quick model over columns named `inputs` and `outputs` (values: noise).
Model ModelNamed(const std::vector<std::string>& inputs, const std::vector<std::string>& outputs) {
  dataset::Dataset data;
  for (const auto& name : inputs) analysis::testing::AddColumn(&data, name, dataset::Role::kInput);
  for (const auto& name : outputs) {
    analysis::testing::AddColumn(&data, name, dataset::Role::kOutput);
  }
  analysis::testing::Draw draw(3);
  for (auto& column : data.columns) {
    for (int r = 0; r < 40; ++r) column.push_back(draw.Uniform());
  }
  Result<Model> model = analysis::Train(data, Quick());
  REQUIRE(model.ok());
  return std::move(model).value();
}

TEST_CASE("generated column names never take an input's or output's name", "[models]") {
  CHECK(PredictionColumns(ModelNamed({"y_std", "out_of_range"}, {"y"})) ==
        std::vector<std::string>{"y", "y_std_", "out_of_range_"});
  // Outputs y and y_std: y's spread must not sit under the header y_std.
  CHECK(PredictionColumns(ModelNamed({"a"}, {"y", "y_std"})) ==
        std::vector<std::string>{"y", "y_std_", "y_std", "y_std_std", "out_of_range"});
  // Up to letter case, as ReadCsv compares header names: the output reads back.
  const Model upper = ModelNamed({"Y_STD", "OUT_OF_RANGE"}, {"y"});
  CHECK(PredictionColumns(upper) == std::vector<std::string>{"y", "y_std_", "out_of_range_"});
  const Result<dataset::Dataset> inputs =
      ReadPredictionInputs(upper, "Y_STD,OUT_OF_RANGE\n0.5,0.5\n");
  REQUIRE(inputs.ok());
  const Result<Prediction> p = analysis::Predict(upper, inputs.value());
  REQUIRE(p.ok());
  CHECK(dataset::ReadCsv(PredictionCsv(upper, inputs.value(), p.value())).ok());
}

TEST_CASE("a one-column file: a blank line between rows is refused, not skipped", "[models]") {
  const Model model = ModelNamed({"x"}, {"y"});
  const Result<dataset::Dataset> blank = ReadPredictionInputs(model, "x\n0.1\n\n0.3\n");
  REQUIRE_FALSE(blank.ok());
  CHECK(blank.status().ToString() ==
        "invalid_data: row 2 (line 4): blank lines before it; in a file of one column a blank "
        "line is not a row: write an empty value as \"\"");
  const Result<dataset::Dataset> first = ReadPredictionInputs(model, "x\n\n0.1\n");
  REQUIRE_FALSE(first.ok());
  CHECK_THAT(first.status().message(), Catch::StartsWith("row 1 (line 3): blank lines"));
  const Result<dataset::Dataset> quoted = ReadPredictionInputs(model, "x\n0.1\n\"\"\n");
  REQUIRE_FALSE(quoted.ok());
  CHECK(quoted.status().message() ==
        "row 2, column x: value \"\": missing (the column's rule is missing: reject)");
  // Blank lines at the end are not between rows; CRLF counts as one line end.
  const Result<dataset::Dataset> trailing = ReadPredictionInputs(model, "x\r\n0.1\r\n0.2\r\n\r\n\n");
  REQUIRE(trailing.ok());
  CHECK(trailing->row_count() == 2);
  // With two columns a blank line cannot be a value: it is skipped, as at import.
  const Model two = ModelNamed({"x", "z"}, {"y"});
  const Result<dataset::Dataset> skipped = ReadPredictionInputs(two, "x,z\n0.1,0.2\n\n0.3,0.4\n");
  REQUIRE(skipped.ok());
  CHECK(skipped->row_count() == 2);
}

}  // namespace
}  // namespace sigmad::models
