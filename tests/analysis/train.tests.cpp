#include <atomic>
#include <catch2/catch.hpp>
#include <string>
#include <thread>
#include <vector>

#include "analysis/model.h"
#include "analysis/problems.h"

namespace sigmad::analysis {
namespace {

using testing::Quick;

// With the default options: 5 members, 5 folds, {64, 64}, the rest as in model.h.
TEST_CASE("Friedman #1, 1000 rows: 5-fold cross-validated R² >= 0.90 with the defaults",
          "[analysis]") {
  const dataset::Dataset data = testing::Friedman1(1000, 20240501);
  const Result<Model> model = Train(data, TrainOptions{});
  REQUIRE(model.ok());
  const CrossValidation& cv = model->cross_validation;
  REQUIRE(cv.folds == 5);
  REQUIRE(cv.outputs.size() == 1);
  CAPTURE(cv.outputs[0].r2, cv.outputs[0].rmse, cv.outputs[0].mae);
  CHECK(cv.outputs[0].r2 >= 0.90);
  // The noise (sd 1) bounds how good the fit can honestly be.
  CHECK(cv.outputs[0].rmse > 0.9);
  CHECK(cv.outputs[0].mae < cv.outputs[0].rmse);
  REQUIRE(cv.per_fold.size() == 5);
  for (const auto& fold : cv.per_fold) CHECK(fold[0].r2 >= 0.85);

  // Fresh rows from the same process: the final ensemble generalizes as CV said.
  const dataset::Dataset fresh = testing::Friedman1(500, 7);
  const Result<Prediction> p = Predict(model.value(), fresh);
  REQUIRE(p.ok());
  const double r2 = testing::RSquared(fresh.columns[10], p->mean[0]);
  CAPTURE(r2);
  CHECK(r2 >= 0.90);
}

// With the defaults except folds 0 (a user who wants the model, not the estimate):
// R² measured on fresh rows.
TEST_CASE("a linear problem with 3 outputs reaches R² >= 0.99 on every output", "[analysis]") {
  TrainOptions options;
  options.folds = 0;
  const Result<Model> model = Train(testing::Linear3(300, 11), options);
  REQUIRE(model.ok());
  CHECK(model->cross_validation.folds == 0);
  CHECK(model->cross_validation.outputs.empty());
  const dataset::Dataset fresh = testing::Linear3(500, 12);
  const Result<Prediction> p = Predict(model.value(), fresh);
  REQUIRE(p.ok());
  REQUIRE(p->outputs == std::vector<std::string>{"y0", "y1", "y2"});
  for (size_t o = 0; o < 3; ++o) {
    const double r2 = testing::RSquared(fresh.columns[6 + o], p->mean[o]);
    CAPTURE(o, r2);
    CHECK(r2 >= 0.99);
  }
}

TEST_CASE("a categorical input is one-hot encoded", "[analysis]") {
  TrainOptions options;
  options.folds = 2;
  options.ensemble = 3;
  const dataset::Dataset data = testing::Categorical(300, 5);
  const Result<Model> model = Train(data, options);
  REQUIRE(model.ok());
  const InputColumn& grade = model->inputs[0];
  CHECK(grade.type == dataset::ColumnType::kCategorical);
  CHECK(grade.levels == std::vector<std::string>{"A", "B", "C", "D"});
  CHECK(grade.seen == std::vector<bool>{true, true, true, false});
  CHECK(model->members[0].layers[0].inputs == 5);  // 4 levels + x
  CAPTURE(model->cross_validation.outputs[0].r2);
  CHECK(model->cross_validation.outputs[0].r2 >= 0.95);

  // Each level's shift is learned: predict x = 0.5 for A, B, C.
  dataset::Dataset query;
  testing::AddColumn(&query, "grade", dataset::Role::kInput, {"A", "B", "C", "D"});
  testing::AddColumn(&query, "x", dataset::Role::kInput);
  for (size_t level = 0; level < 3; ++level) {
    query.columns[0].push_back(static_cast<double>(level));
    query.columns[1].push_back(0.5);
  }
  const Result<Prediction> p = Predict(model.value(), query);
  REQUIRE(p.ok());
  for (size_t level = 0; level < 3; ++level) {
    CAPTURE(level);
    CHECK(p->mean[0][level] == Approx(testing::kLevelShift[level] + 0.5).margin(0.3));
    CHECK(p->outside[level].empty());
  }
}

TEST_CASE("Train refuses what it cannot train on", "[analysis]") {
  SECTION("a categorical output") {
    dataset::Dataset data = testing::Categorical(50, 1);
    data.schema.columns[0].role = dataset::Role::kOutput;
    const Result<Model> model = Train(data, Quick());
    REQUIRE_FALSE(model.ok());
    CHECK(model.status().code() == "unsupported");
    CHECK(model.status().message() == "categorical outputs are not supported yet: column grade");
  }
  SECTION("no output") {
    dataset::Dataset data = testing::Linear3(20, 1);
    for (auto& spec : data.schema.columns) spec.role = dataset::Role::kInput;
    const Result<Model> model = Train(data, Quick());
    REQUIRE_FALSE(model.ok());
    CHECK(model.status().ToString() ==
          "invalid_data: training needs at least one input and one output column");
  }
  SECTION("bad options") {
    TrainOptions options = Quick();
    options.ensemble = 0;
    const Result<Model> model = Train(testing::Linear3(20, 1), options);
    REQUIRE_FALSE(model.ok());
    CHECK(model.status().ToString() == "invalid_argument: option ensemble must be in 1..64, not 0");
  }
  SECTION("fewer rows than folds") {
    TrainOptions options = Quick();
    options.folds = 5;
    const Result<Model> model = Train(testing::Linear3(4, 1), options);
    REQUIRE_FALSE(model.ok());
    CHECK(model.status().ToString() == "invalid_data: 4 rows are too few for 5 folds");
  }
  SECTION("rows too few for a validation split") {
    const Result<Model> model = Train(testing::Linear3(1, 1), Quick());
    REQUIRE_FALSE(model.ok());
    CHECK(model.status().code() == "invalid_data");
    CHECK(
        model.status().message().starts_with("1 rows are too few for folds 0 and "
                                             "validation_fraction 0.2"));
  }
  SECTION("a level index out of range, a non-finite number, a short column") {
    dataset::Dataset data = testing::Categorical(20, 1);
    SECTION("level") { data.columns[0][3] = 4; }
    SECTION("number") { data.columns[1][3] = std::numeric_limits<double>::infinity(); }
    SECTION("short") { data.columns[2].pop_back(); }
    const Result<Model> model = Train(data, Quick());
    REQUIRE_FALSE(model.ok());
    CHECK(model.status().code() == "invalid_data");
  }
}

TEST_CASE("Train without validation rows keeps the last epoch", "[analysis]") {
  TrainOptions options = Quick();
  options.validation_fraction = 0;
  const Result<Model> model = Train(testing::Linear3(3, 1), options);
  REQUIRE(model.ok());
  for (const Member& m : model->members) {
    CHECK(m.epochs == 5);
    CHECK(m.best_epoch == 5);
  }
}

TEST_CASE("progress is reported after every epoch for every network", "[analysis]") {
  TrainOptions options = Quick();
  options.folds = 2;
  options.ensemble = 2;
  options.max_epochs = 4;
  std::vector<Progress> seen;
  TrainHooks hooks;
  hooks.on_epoch = [&](const Progress& p) { seen.push_back(p); };
  const Result<Model> model = Train(testing::Linear3(40, 1), options, hooks);
  REQUIRE(model.ok());
  REQUIRE(seen.size() == 4);
  double previous = 0;
  for (size_t e = 0; e < seen.size(); ++e) {
    const Progress& p = seen[e];
    CHECK(p.epoch == static_cast<int>(e) + 1);
    CHECK(p.max_epochs == 4);
    CHECK(p.fraction_done > previous);
    previous = p.fraction_done;
    REQUIRE(p.networks.size() == 6);  // 2 folds x 2 members, then 2 final members
    const int folds[] = {0, 0, 1, 1, -1, -1}, members[] = {0, 1, 0, 1, 0, 1};
    for (size_t n = 0; n < 6; ++n) {
      CHECK(p.networks[n].fold == folds[n]);
      CHECK(p.networks[n].member == members[n]);
      CHECK(p.networks[n].train_loss > 0);
      CHECK(p.networks[n].validation_loss > 0);
    }
  }
  CHECK(seen.back().fraction_done == 1.0);
  for (const NetworkProgress& n : seen.back().networks) CHECK(n.stopped);
}

TEST_CASE("cancellation stops training within one epoch", "[analysis]") {
  TrainOptions options = Quick();
  options.max_epochs = 100;
  options.patience = 100;
  const dataset::Dataset data = testing::Linear3(200, 1);
  std::atomic<bool> cancel{false};
  int epochs_reported = 0, polls_after_cancel = 0;
  TrainHooks hooks;
  hooks.cancelled = [&] {
    if (cancel) ++polls_after_cancel;
    return cancel.load();
  };
  SECTION("during training") {
    hooks.on_epoch = [&](const Progress& p) {
      epochs_reported = p.epoch;
      if (p.epoch == 2) cancel = true;
    };
    const Result<Model> model = Train(data, options, hooks);
    REQUIRE_FALSE(model.ok());
    CHECK(model.status().ToString() == "cancelled: training was cancelled in epoch 3");
    CHECK(epochs_reported == 2);
    CHECK(polls_after_cancel == 1);  // the first step of epoch 3 saw it and stopped
  }
  SECTION("before the first step") {
    cancel = true;
    hooks.on_epoch = [&](const Progress&) { ++epochs_reported; };
    const Result<Model> model = Train(data, options, hooks);
    REQUIRE_FALSE(model.ok());
    CHECK(model.status().code() == "cancelled");
    CHECK(epochs_reported == 0);
  }
}

TEST_CASE("training is deterministic: same inputs, same bytes", "[analysis]") {
  TrainOptions options = Quick();
  options.folds = 2;
  options.max_epochs = 10;
  const dataset::Dataset data = testing::Categorical(120, 3);
  const Result<Model> first = Train(data, options);
  const Result<Model> second = Train(data, options);
  REQUIRE(first.ok());
  REQUIRE(second.ok());
  const std::string bytes = SerializeModel(first.value());
  CHECK(bytes == SerializeModel(second.value()));
  CHECK(first.value() == second.value());
  const Result<Prediction> p1 = Predict(first.value(), data);
  const Result<Prediction> p2 = Predict(second.value(), data);
  REQUIRE(p1.ok());
  REQUIRE(p2.ok());
  CHECK(p1->mean == p2->mean);
  CHECK(p1->sd == p2->sd);

  SECTION("also when trainings run concurrently") {
    std::string concurrent[2];
    std::vector<std::thread> threads;
    for (auto& out : concurrent) {
      threads.emplace_back([&] {
        const Result<Model> m = Train(data, options);
        if (m.ok()) out = SerializeModel(m.value());
      });
    }
    for (auto& t : threads) t.join();
    CHECK(concurrent[0] == bytes);
    CHECK(concurrent[1] == bytes);
  }
  SECTION("another seed gives other weights") {
    options.seed = 2;
    const Result<Model> other = Train(data, options);
    REQUIRE(other.ok());
    CHECK(SerializeModel(other.value()) != bytes);
    CHECK(other->members[0].seed != first->members[0].seed);
  }
  SECTION("the model records its lineage") {
    CHECK_FALSE(first->torch_version.empty());
    CHECK(first->threads >= 1);
    CHECK(first->training_rows == 120);
    CHECK(first->options == options);
  }
}

}  // namespace
}  // namespace sigmad::analysis
