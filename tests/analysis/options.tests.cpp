#include <catch2/catch.hpp>
#include <functional>
#include <limits>
#include <string>

#include "analysis/model.h"

namespace sigmad::analysis {
namespace {

TEST_CASE("the default options are valid", "[analysis]") {
  CHECK(ValidateOptions(TrainOptions{}).ok());
  TrainOptions o;
  for (int folds : {0, 1, 2, 100}) {
    o.folds = folds;
    CHECK(ValidateOptions(o).ok());
  }
}

TEST_CASE("ValidateOptions names the bad field and its range", "[analysis]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  struct Case {
    std::function<void(TrainOptions*)> change;
    const char* message;
  };
  const Case cases[] = {
      {[](TrainOptions* o) { o->ensemble = 0; }, "option ensemble must be in 1..64, not 0"},
      {[](TrainOptions* o) { o->ensemble = 65; }, "option ensemble must be in 1..64, not 65"},
      {[](TrainOptions* o) { o->hidden = {}; },
       "option hidden must be in 1..8 layers, not 0 layers"},
      {[](TrainOptions* o) { o->hidden = std::vector<int>(9, 8); },
       "option hidden must be in 1..8 layers, not 9 layers"},
      {[](TrainOptions* o) {
         o->hidden = {64, 0};
       },
       "option hidden[1] must be in 1..4096, not 0"},
      {[](TrainOptions* o) { o->max_epochs = 0; }, "option max_epochs must be in 1..100000, not 0"},
      {[](TrainOptions* o) { o->batch_size = -3; },
       "option batch_size must be in 1..65536, not -3"},
      {[](TrainOptions* o) { o->learning_rate = 0; },
       "option learning_rate must be in (0, 1], not 0"},
      {[nan](TrainOptions* o) { o->learning_rate = nan; },
       "option learning_rate must be in (0, 1], not nan"},
      {[](TrainOptions* o) { o->weight_decay = -0.5; },
       "option weight_decay must be in [0, 1], not -0.5"},
      {[](TrainOptions* o) { o->validation_fraction = 0.75; },
       "option validation_fraction must be in [0, 0.5], not 0.75"},
      {[](TrainOptions* o) { o->patience = 0; }, "option patience must be in 1..100000, not 0"},
      {[](TrainOptions* o) { o->folds = -1; },
       "option folds must be in 2..100 (0 or 1: no cross-validation), not -1"},
      {[](TrainOptions* o) { o->folds = 101; },
       "option folds must be in 2..100 (0 or 1: no cross-validation), not 101"},
  };
  for (const Case& c : cases) {
    TrainOptions o;
    c.change(&o);
    const Status s = ValidateOptions(o);
    CHECK(s.code() == "invalid_argument");
    CHECK(s.message() == c.message);
  }
}

TEST_CASE("DescribeProgress: epoch, the final members' loss, what still trains", "[analysis]") {
  Progress p;
  p.epoch = 40;
  p.max_epochs = 500;
  for (int fold = 0; fold < 3; ++fold) {
    for (int member = 0; member < 2; ++member) {
      p.networks.push_back({fold, member, fold == 1, 0, 1.0, 9.0});  // fold 1 has stopped
    }
  }
  p.networks.push_back({-1, 0, false, 0, 1.0, 0.02});
  p.networks.push_back({-1, 1, true, 0, 1.0, 0.04});
  CHECK(DescribeProgress(p) == "epoch 40/500, loss 0.03; training 1 of 2 members, 2 of 3 folds");
  Progress no_cv;
  no_cv.epoch = 1;
  no_cv.max_epochs = 5;
  no_cv.networks.push_back({-1, 0, false, 0, 1.0, 0.5});
  CHECK(DescribeProgress(no_cv) == "epoch 1/5, loss 0.5; training 1 of 1 members");
}

}  // namespace
}  // namespace sigmad::analysis
