#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <string>

#include "analysis/model.h"
#include "analysis/problems.h"

namespace sigmad::analysis {
namespace {

const Model& SmallModel() {
  static const Model model = [] {
    TrainOptions options = testing::Quick();
    options.folds = 2;
    options.ensemble = 2;
    options.hidden = {4, 3};
    Result<Model> m = Train(testing::Categorical(40, 9), options);
    REQUIRE(m.ok());
    return std::move(m).value();
  }();
  return model;
}

TEST_CASE("a serialized model reads back equal and predicts the same", "[analysis]") {
  const Model& model = SmallModel();
  const std::string bytes = SerializeModel(model);
  CHECK(bytes.substr(0, 8) == "SIGMADNN");
  const Result<Model> back = DeserializeModel(bytes);
  REQUIRE(back.ok());
  CHECK(back.value() == model);
  CHECK(SerializeModel(back.value()) == bytes);
  const dataset::Dataset data = testing::Categorical(20, 10);
  const Result<Prediction> p1 = Predict(model, data), p2 = Predict(back.value(), data);
  REQUIRE(p1.ok());
  REQUIRE(p2.ok());
  CHECK(p1->mean == p2->mean);
  CHECK(p1->sd == p2->sd);
  CHECK(p1->outside == p2->outside);
}

TEST_CASE("DeserializeModel refuses anything but a valid model", "[analysis]") {
  const std::string bytes = SerializeModel(SmallModel());
  auto refused = [](std::string_view b) {
    const Result<Model> m = DeserializeModel(b);
    return !m.ok() && m.status().code() == "corrupt_model";
  };
  SECTION("empty, garbage, another magic") {
    CHECK(refused(""));
    CHECK(refused("SIGMADNN"));
    CHECK(refused(std::string(1000, '\xff')));
    std::string other = bytes;
    other[0] = 'X';
    CHECK(DeserializeModel(other).status().message() == "not a sigmad model (no SIGMADNN header)");
  }
  SECTION("every truncation, and trailing bytes") {
    for (size_t n = 0; n < bytes.size(); ++n) {
      CAPTURE(n);
      REQUIRE(refused(bytes.substr(0, n)));
    }
    CHECK(refused(bytes + '\0'));
  }
  SECTION("any changed byte") {
    for (size_t i = 0; i < bytes.size(); i += 7) {
      std::string changed = bytes;
      changed[i] = static_cast<char>(changed[i] ^ 0x20);
      CAPTURE(i);
      REQUIRE(refused(changed));
    }
  }
  SECTION("another format version") {
    std::string changed = bytes;
    changed[8] = 2;
    CHECK(DeserializeModel(changed).status().message() ==
          "model format 2 is not supported (this build reads 1)");
  }
}

// Models with a valid checksum but inconsistent content: CheckModel catches them.
TEST_CASE("DeserializeModel checks the content, not only the bytes", "[analysis]") {
  Model model = SmallModel();
  std::string expected;
  SECTION("a weight that is not finite") {
    model.members[0].layers[1].weight[2] = std::numeric_limits<float>::quiet_NaN();
    expected = "member 0, layer 1: a weight is not finite";
  }
  SECTION("a layer of the wrong shape") {
    model.members[1].layers[2].outputs = 2;
    expected = "member 1, layer 2: wrong shape";
  }
  SECTION("fewer members than the options say") {
    model.members.pop_back();
    expected = "the model has 1 members, its options say 2";
  }
  SECTION("a zero scale") {
    model.inputs[1].scale = 0;
    expected = "input x: bad scaling or range";
  }
  SECTION("repeated level") {
    model.inputs[0].levels[1] = "A";
    expected = "input grade: empty or repeated level";
  }
  SECTION("bad options") {
    model.options.learning_rate = -1;
    expected = "option learning_rate must be in (0, 1], not -1";
  }
  SECTION("metrics of the wrong shape") {
    model.cross_validation.per_fold.pop_back();
    expected = "cross-validation: wrong shape";
  }
  const Result<Model> back = DeserializeModel(SerializeModel(model));
  REQUIRE_FALSE(back.ok());
  CHECK(back.status().code() == "corrupt_model");
  CHECK(back.status().message() == expected);
  CHECK(CheckModel(model).message() == expected);
}

}  // namespace
}  // namespace sigmad::analysis
