// Options, model consistency checks and the prediction input schema.
//
// Why the TrainOptions defaults (measured on Friedman #1 and linear problems, see
// tests/analysis/): 5 members give a usable spread and most of an ensemble's gain;
// two hidden layers of 64 SiLU units fit smooth responses of a few hundred inputs and
// extrapolate linearly (so members disagree away from the data, unlike tanh); batch 32
// gives many steps per epoch on small data; Adam at 3e-3 with weight decay 1e-4 reaches
// the noise floor of Friedman #1 (1000 rows) in 20 to 60 epochs; patience 20 stops as
// well as patience 40 there (CV R² 0.952 both) in half the time, and costs little on
// 200 rows (0.844 against 0.848); max_epochs 500 only bounds the small-data runs, which
// take a step or a few per epoch.
#include "analysis/model.h"

#include <cmath>
#include <cstdio>
#include <set>
#include <string>

#include "analysis/encoding.h"
#include "dataset/values.h"

namespace sigmad::analysis {
namespace {

constexpr int kMaxEnsemble = 64;
constexpr size_t kMaxHiddenLayers = 8;
constexpr int kMaxUnits = 4096;
constexpr int kMaxEpochs = 100000;
constexpr int kMaxBatch = 65536;
constexpr int kMaxFolds = 100;
constexpr size_t kMaxVersionBytes = 256;

std::string Number(double x) {
  return std::isfinite(x) ? dataset::FormatNumber(x) : (std::isnan(x) ? "nan" : "inf");
}

Status Bad(const std::string& field, const std::string& range, const std::string& value) {
  return Status::Error("invalid_argument",
                       "option " + field + " must be in " + range + ", not " + value);
}

Status IntIn(const char* field, int value, int low, int high) {
  if (value >= low && value <= high) return Status::Ok();
  return Bad(field, std::to_string(low) + ".." + std::to_string(high), std::to_string(value));
}

Status Corrupt(const std::string& what) { return Status::Error("corrupt_model", what); }

bool Finite(const std::vector<float>& values) {
  for (float v : values) {
    if (!std::isfinite(v)) return false;
  }
  return true;
}

Status CheckMetrics(const Metrics& m, const std::string& where) {
  if (!(std::isfinite(m.r2) && m.r2 <= 1 && std::isfinite(m.rmse) && m.rmse >= 0 &&
        std::isfinite(m.mae) && m.mae >= 0)) {
    return Corrupt(where + ": metrics out of range");
  }
  return Status::Ok();
}

}  // namespace

std::string DescribeProgress(const Progress& p) {
  int members = 0, training = 0;
  double loss = 0;
  std::set<int> folds, folds_training;
  for (const NetworkProgress& n : p.networks) {
    if (n.fold < 0) {
      ++members;
      training += n.stopped ? 0 : 1;
      loss += n.validation_loss;
    } else {
      folds.insert(n.fold);
      if (!n.stopped) folds_training.insert(n.fold);
    }
  }
  char buf[160];
  std::snprintf(buf, sizeof buf, "epoch %d/%d, loss %.4g; training %d of %d members", p.epoch,
                p.max_epochs, members > 0 ? loss / members : 0.0, training, members);
  std::string line = buf;
  if (!folds.empty()) {
    line += ", " + std::to_string(folds_training.size()) + " of " + std::to_string(folds.size()) +
            " folds";
  }
  return line;
}

Status ValidateOptions(const TrainOptions& o) {
  Status s = IntIn("ensemble", o.ensemble, 1, kMaxEnsemble);
  if (!s.ok()) return s;
  if (o.hidden.empty() || o.hidden.size() > kMaxHiddenLayers) {
    return Bad("hidden", "1.." + std::to_string(kMaxHiddenLayers) + " layers",
               std::to_string(o.hidden.size()) + " layers");
  }
  for (size_t i = 0; i < o.hidden.size(); ++i) {
    const std::string field = "hidden[" + std::to_string(i) + "]";
    s = IntIn(field.c_str(), o.hidden[i], 1, kMaxUnits);
    if (!s.ok()) return s;
  }
  if (!(s = IntIn("max_epochs", o.max_epochs, 1, kMaxEpochs)).ok()) return s;
  if (!(s = IntIn("batch_size", o.batch_size, 1, kMaxBatch)).ok()) return s;
  if (!(o.learning_rate > 0 && o.learning_rate <= 1)) {
    return Bad("learning_rate", "(0, 1]", Number(o.learning_rate));
  }
  if (!(o.weight_decay >= 0 && o.weight_decay <= 1)) {
    return Bad("weight_decay", "[0, 1]", Number(o.weight_decay));
  }
  if (!(o.validation_fraction >= 0 && o.validation_fraction <= 0.5)) {
    return Bad("validation_fraction", "[0, 0.5]", Number(o.validation_fraction));
  }
  if (!(s = IntIn("patience", o.patience, 1, kMaxEpochs)).ok()) return s;
  if (o.folds != 0 && o.folds != 1 && !(o.folds >= 2 && o.folds <= kMaxFolds)) {
    return Bad("folds", "2.." + std::to_string(kMaxFolds) + " (0 or 1: no cross-validation)",
               std::to_string(o.folds));
  }
  return Status::Ok();
}

Status CheckModel(const Model& model) {
  if (Status s = ValidateOptions(model.options); !s.ok()) return Corrupt(s.message());
  const TrainOptions& o = model.options;
  if (model.inputs.empty()) return Corrupt("the model has no inputs");
  if (model.outputs.empty()) return Corrupt("the model has no outputs");
  std::set<std::string> names;
  for (const InputColumn& in : model.inputs) {
    const std::string where = "input " + dataset::Printable(in.name);
    if (in.name.empty() || !names.insert(in.name).second) {
      return Corrupt(where + ": empty or repeated name");
    }
    if (in.type == dataset::ColumnType::kNumeric) {
      if (!(std::isfinite(in.mean) && std::isfinite(in.scale) && in.scale > 0 &&
            std::isfinite(in.min) && std::isfinite(in.max) && in.min <= in.max)) {
        return Corrupt(where + ": bad scaling or range");
      }
      if (!in.levels.empty() || !in.seen.empty()) return Corrupt(where + ": numeric with levels");
    } else if (in.type == dataset::ColumnType::kCategorical) {
      if (in.levels.empty() || in.levels.size() > dataset::kMaxLevels ||
          in.seen.size() != in.levels.size()) {
        return Corrupt(where + ": bad level count");
      }
      std::set<std::string> levels;
      for (const auto& level : in.levels) {
        if (level.empty() || !levels.insert(level).second) {
          return Corrupt(where + ": empty or repeated level");
        }
      }
    } else {
      return Corrupt(where + ": unknown type");
    }
  }
  for (const OutputColumn& out : model.outputs) {
    const std::string where = "output " + dataset::Printable(out.name);
    if (out.name.empty() || !names.insert(out.name).second) {
      return Corrupt(where + ": empty or repeated name");
    }
    if (!(std::isfinite(out.mean) && std::isfinite(out.scale) && out.scale > 0)) {
      return Corrupt(where + ": bad scaling");
    }
  }
  if (model.members.size() != static_cast<size_t>(o.ensemble)) {
    return Corrupt("the model has " + std::to_string(model.members.size()) +
                   " members, its options say " + std::to_string(o.ensemble));
  }
  const size_t width = EncodedWidth(model.inputs);
  for (size_t m = 0; m < model.members.size(); ++m) {
    const Member& member = model.members[m];
    const std::string where = "member " + std::to_string(m);
    if (member.layers.size() != o.hidden.size() + 1) return Corrupt(where + ": layer count");
    if (!(member.epochs >= 1 && member.epochs <= o.max_epochs && member.best_epoch >= 1 &&
          member.best_epoch <= member.epochs && std::isfinite(member.best_loss) &&
          member.best_loss >= 0)) {
      return Corrupt(where + ": bad training record");
    }
    for (size_t l = 0; l < member.layers.size(); ++l) {
      const Layer& layer = member.layers[l];
      const size_t in = l == 0 ? width : static_cast<size_t>(o.hidden[l - 1]);
      const size_t out =
          l < o.hidden.size() ? static_cast<size_t>(o.hidden[l]) : model.outputs.size();
      if (layer.inputs < 0 || layer.outputs < 0 || static_cast<size_t>(layer.inputs) != in ||
          static_cast<size_t>(layer.outputs) != out || layer.weight.size() != in * out ||
          layer.bias.size() != out) {
        return Corrupt(where + ", layer " + std::to_string(l) + ": wrong shape");
      }
      if (!Finite(layer.weight) || !Finite(layer.bias)) {
        return Corrupt(where + ", layer " + std::to_string(l) + ": a weight is not finite");
      }
    }
  }
  const CrossValidation& cv = model.cross_validation;
  if (cv.folds == 0) {
    if (!cv.outputs.empty() || !cv.per_fold.empty()) return Corrupt("metrics without folds");
  } else {
    if (cv.folds != o.folds || cv.outputs.size() != model.outputs.size() ||
        cv.per_fold.size() != static_cast<size_t>(cv.folds)) {
      return Corrupt("cross-validation: wrong shape");
    }
    for (size_t i = 0; i < cv.outputs.size(); ++i) {
      if (Status s = CheckMetrics(cv.outputs[i], "cross-validation"); !s.ok()) return s;
    }
    for (const auto& fold : cv.per_fold) {
      if (fold.size() != model.outputs.size()) return Corrupt("cross-validation: wrong shape");
      for (const Metrics& m : fold) {
        if (Status s = CheckMetrics(m, "cross-validation fold"); !s.ok()) return s;
      }
    }
  }
  if (model.training_rows == 0) return Corrupt("no training rows");
  if (model.threads < 0 || model.torch_version.size() > kMaxVersionBytes) {
    return Corrupt("bad lineage");
  }
  return Status::Ok();
}

dataset::Schema InputSchema(const Model& model, const std::vector<std::string>& other_columns) {
  dataset::Schema schema;
  std::set<std::string> names;
  for (const InputColumn& in : model.inputs) {
    dataset::ColumnSpec spec;
    spec.name = in.name;
    spec.role = dataset::Role::kInput;
    spec.type = in.type;
    spec.unit = in.unit;
    spec.levels = in.levels;
    schema.columns.push_back(std::move(spec));
    names.insert(in.name);
  }
  for (const std::string& name : other_columns) {
    if (!names.insert(name).second) continue;
    dataset::ColumnSpec spec;
    spec.name = name;
    spec.role = dataset::Role::kIgnore;
    schema.columns.push_back(std::move(spec));
  }
  return schema;
}

}  // namespace sigmad::analysis
