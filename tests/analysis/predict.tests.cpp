#include <catch2/catch.hpp>
#include <algorithm>
#include <numeric>
#include <string>
#include <vector>

#include "analysis/model.h"
#include "analysis/problems.h"
#include "dataset/csv.h"

namespace sigmad::analysis {
namespace {

using testing::Quick;

double Mean(const std::vector<double>& v) {
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

// With the defaults except folds 0. One input, y = sin(2x) on [0, 3]; queries inside,
// and 10 to 20 ranges beyond it on both sides.
TEST_CASE("the spread is larger far outside the training range than inside it", "[analysis]") {
  dataset::Dataset data;
  testing::AddColumn(&data, "x", dataset::Role::kInput);
  testing::AddColumn(&data, "y", dataset::Role::kOutput);
  testing::Draw draw(17);
  for (int r = 0; r < 200; ++r) {
    const double x = draw.Uniform(0, 3);
    data.columns[0].push_back(x);
    data.columns[1].push_back(std::sin(2 * x) + 0.05 * draw.Normal());
  }
  TrainOptions options;
  options.folds = 0;
  const Result<Model> model = Train(data, options);
  REQUIRE(model.ok());

  dataset::Dataset inside, outside;
  for (dataset::Dataset* d : {&inside, &outside}) testing::AddColumn(d, "x", dataset::Role::kInput);
  for (int i = 0; i <= 30; ++i) inside.columns[0].push_back(0.2 + 0.08 * i);
  for (int i = 0; i <= 10; ++i) {
    outside.columns[0].push_back(33 + 3 * i);
    outside.columns[0].push_back(-30 - 3 * i);
  }
  const Result<Prediction> in = Predict(model.value(), inside);
  const Result<Prediction> out = Predict(model.value(), outside);
  REQUIRE(in.ok());
  REQUIRE(out.ok());
  const double spread_in = Mean(in->sd[0]), spread_out = Mean(out->sd[0]);
  CAPTURE(spread_in, spread_out);
  CHECK(spread_out > 5 * spread_in);
  for (size_t r = 0; r < in->row_count(); ++r) CHECK(in->outside[r].empty());
  for (size_t r = 0; r < out->row_count(); ++r) CHECK(out->outside[r] == std::vector<size_t>{0});
  // Inside, the mean follows the function.
  for (size_t r = 0; r < in->row_count(); ++r) {
    CHECK(in->mean[0][r] == Approx(std::sin(2 * inside.columns[0][r])).margin(0.15));
  }
}

TEST_CASE("predicting from a CSV: InputSchema, MakeDataset, Predict", "[analysis]") {
  const Result<Model> model = Train(testing::Categorical(60, 2), Quick());
  REQUIRE(model.ok());
  // Columns in another order, an extra column, categorical values as level text.
  const std::string csv =
      "note,x,grade\n"
      "first,0.5,A\n"
      "second,2.5,B\n"
      "third,0.25,D\n";
  const Result<dataset::CsvTable> table = dataset::ReadCsv(csv);
  REQUIRE(table.ok());
  const dataset::Schema schema = InputSchema(model.value(), table->header());
  REQUIRE(schema.columns.size() == 3);
  CHECK(schema.columns[0].name == "grade");
  CHECK(schema.columns[0].levels == std::vector<std::string>{"A", "B", "C", "D"});
  CHECK_FALSE(schema.columns[1].min.has_value());
  CHECK(schema.columns[2].name == "note");
  CHECK(schema.columns[2].role == dataset::Role::kIgnore);
  const Result<dataset::Imported> imported = dataset::MakeDataset(table.value(), schema);
  REQUIRE(imported.ok());
  const Result<Prediction> p = Predict(model.value(), imported->dataset);
  REQUIRE(p.ok());
  REQUIRE(p->row_count() == 3);
  CHECK(p->outside[0].empty());
  CHECK(p->outside[1] == std::vector<size_t>{1});  // x = 2.5 is above the training range
  CHECK(p->outside[2] == std::vector<size_t>{0});  // no training row had level D
  for (size_t r = 0; r < 3; ++r) CHECK(p->sd[0][r] >= 0);

  SECTION("a level the model does not know is refused by MakeDataset") {
    const Result<dataset::CsvTable> bad = dataset::ReadCsv("x,grade\n0.5,E\n");
    REQUIRE(bad.ok());
    const Result<dataset::Imported> refused =
        dataset::MakeDataset(bad.value(), InputSchema(model.value(), bad->header()));
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.status().message() ==
          "row 1, column grade: value \"E\": not one of the levels \"A\", \"B\", \"C\", \"D\"");
  }
}

TEST_CASE("Predict matches columns by name and levels by text", "[analysis]") {
  const Result<Model> model = Train(testing::Categorical(60, 2), Quick());
  REQUIRE(model.ok());
  dataset::Dataset reference;
  testing::AddColumn(&reference, "grade", dataset::Role::kInput, {"A", "B", "C", "D"});
  testing::AddColumn(&reference, "x", dataset::Role::kInput);
  reference.columns[0] = {0, 1, 2};
  reference.columns[1] = {0.1, 0.2, 0.3};
  const Result<Prediction> expected = Predict(model.value(), reference);
  REQUIRE(expected.ok());

  SECTION("other column order, other level order, extra columns") {
    dataset::Dataset d;
    testing::AddColumn(&d, "y", dataset::Role::kOutput);
    testing::AddColumn(&d, "x", dataset::Role::kInput);
    testing::AddColumn(&d, "grade", dataset::Role::kInput, {"C", "B", "A"});
    d.columns[0] = {9, 9, 9};
    d.columns[1] = {0.1, 0.2, 0.3};
    d.columns[2] = {2, 1, 0};
    const Result<Prediction> p = Predict(model.value(), d);
    REQUIRE(p.ok());
    CHECK(p->mean == expected->mean);
    CHECK(p->sd == expected->sd);
  }
  SECTION("a missing input") {
    reference.schema.columns[1].name = "z";
    const Result<Prediction> p = Predict(model.value(), reference);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().ToString() == "invalid_data: input column x is missing");
  }
  SECTION("an input of the other type") {
    reference.schema.columns[1].type = dataset::ColumnType::kCategorical;
    reference.schema.columns[1].levels = {"p", "q"};
    const Result<Prediction> p = Predict(model.value(), reference);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().ToString() ==
          "invalid_data: input column x is categorical, the model's is numeric");
  }
  SECTION("a level the model does not know") {
    reference.schema.columns[0].levels = {"A", "B", "E"};
    const Result<Prediction> p = Predict(model.value(), reference);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().ToString() ==
          "invalid_data: input column grade, row 3: level \"E\" is not one the model was "
          "trained with");
  }
  SECTION("no rows") {
    reference.columns[0].clear();
    reference.columns[1].clear();
    const Result<Prediction> p = Predict(model.value(), reference);
    REQUIRE(p.ok());
    CHECK(p->row_count() == 0);
    CHECK(p->mean.size() == 1);
  }
  SECTION("inputs so far out that the prediction overflows") {
    reference.columns[1] = {0.1, 1e300, 0.3};
    const Result<Prediction> p = Predict(model.value(), reference);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().ToString() ==
          "invalid_data: row 2: the prediction of y is not a finite number: its inputs lie too "
          "far outside the training range");
  }
  SECTION("an inconsistent model") {
    Model broken = model.value();
    broken.members[1].layers[0].bias.pop_back();
    const Result<Prediction> p = Predict(broken, reference);
    REQUIRE_FALSE(p.ok());
    CHECK(p.status().ToString() == "corrupt_model: member 1, layer 0: wrong shape");
  }
}

TEST_CASE("Predict reports progress per chunk and stops when told", "[analysis]") {
  const dataset::Dataset train = testing::Linear3(30, 4);
  const Result<Model> model = Train(train, Quick());
  REQUIRE(model.ok());
  dataset::Dataset many = train;
  for (auto& column : many.columns) column.resize(200000, column.front());
  std::vector<size_t> seen;
  const Result<Prediction> p = Predict(model.value(), many, [&](size_t done, size_t total) {
    CHECK(total == 200000);
    seen.push_back(done);
    return true;
  });
  REQUIRE(p.ok());
  REQUIRE(seen.size() > 1);
  CHECK(std::is_sorted(seen.begin(), seen.end()));
  CHECK(seen.back() == 200000);
  size_t calls = 0;
  const Result<Prediction> stopped = Predict(model.value(), many, [&](size_t, size_t) {
    return ++calls < 2;
  });
  REQUIRE_FALSE(stopped.ok());
  CHECK(stopped.status().ToString() == "cancelled: the prediction was stopped");
  CHECK(calls == 2);
}

TEST_CASE("a one-member ensemble has zero spread", "[analysis]") {
  TrainOptions options = Quick();
  options.ensemble = 1;
  const dataset::Dataset data = testing::Linear3(30, 4);
  const Result<Model> model = Train(data, options);
  REQUIRE(model.ok());
  const Result<Prediction> p = Predict(model.value(), data);
  REQUIRE(p.ok());
  for (const auto& output : p->sd) {
    for (double sd : output) CHECK(sd == 0);
  }
}

}  // namespace
}  // namespace sigmad::analysis
