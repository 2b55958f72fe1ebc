// Predict: the ensemble's mean and spread for every row, and the out-of-range flags.
#include <c10/util/Exception.h>
#include <torch/types.h>
#include <torch/utils.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "analysis/encoding.h"
#include "analysis/model.h"
#include "analysis/network.h"
#include "analysis/runtime_internal.h"
#include "dataset/values.h"

namespace sigmad::analysis {
namespace {

constexpr int64_t kEvalFloats = int64_t{1} << 22;  // rows per batch x widest layer, at most

// The members' layers as batched tensors [members, inputs, outputs], [members, 1, outputs].
std::vector<torch::Tensor> Params(const Model& model) {
  std::vector<torch::Tensor> params;
  const auto members = static_cast<int64_t>(model.members.size());
  for (size_t l = 0; l < model.members.front().layers.size(); ++l) {
    const Layer& shape = model.members.front().layers[l];
    torch::Tensor w = torch::empty({members, shape.inputs, shape.outputs}, torch::kFloat);
    torch::Tensor b = torch::empty({members, 1, shape.outputs}, torch::kFloat);
    for (int64_t m = 0; m < members; ++m) {
      const Layer& layer = model.members[static_cast<size_t>(m)].layers[l];
      std::copy(layer.weight.begin(), layer.weight.end(), w[m].data_ptr<float>());
      std::copy(layer.bias.begin(), layer.bias.end(), b[m].data_ptr<float>());
    }
    params.push_back(w);
    params.push_back(b);
  }
  return params;
}

Status Invalid(const std::string& message) { return Status::Error("invalid_data", message); }

}  // namespace

Result<Prediction> Predict(const Model& model, const dataset::Dataset& data,
                           const PredictProgress& progress) {
  if (Status s = CheckModel(model); !s.ok()) return s;
  ApplyThreads();
  const auto& specs = data.schema.columns;
  if (data.columns.size() != specs.size()) {
    return Invalid("the dataset has " + std::to_string(specs.size()) + " schema columns but " +
                   std::to_string(data.columns.size()) + " columns");
  }
  const size_t rows = data.row_count();
  std::vector<const std::vector<double>*> columns(model.inputs.size());
  std::vector<std::vector<double>> remapped(model.inputs.size());
  for (size_t i = 0; i < model.inputs.size(); ++i) {
    const InputColumn& in = model.inputs[i];
    const std::string name = "input column " + dataset::Printable(in.name);
    const auto spec = std::find_if(specs.begin(), specs.end(),
                                   [&](const dataset::ColumnSpec& s) { return s.name == in.name; });
    if (spec == specs.end()) return Invalid(name + " is missing");
    if (spec->type != in.type) {
      return Invalid(name + " is " + dataset::TypeName(spec->type) + ", the model's is " +
                     dataset::TypeName(in.type));
    }
    const std::vector<double>& values = data.columns[static_cast<size_t>(spec - specs.begin())];
    if (Status s = CheckColumn(*spec, values, rows); !s.ok()) return s;
    if (in.type == dataset::ColumnType::kNumeric) {
      columns[i] = &values;
      continue;
    }
    // The data's level indices to the model's, by text; -1 for a level it does not know.
    std::vector<double> to_model(spec->levels.size(), -1);
    for (size_t l = 0; l < spec->levels.size(); ++l) {
      const auto it = std::find(in.levels.begin(), in.levels.end(), spec->levels[l]);
      if (it != in.levels.end()) to_model[l] = static_cast<double>(it - in.levels.begin());
    }
    remapped[i].resize(rows);
    for (size_t r = 0; r < rows; ++r) {
      const auto level = static_cast<size_t>(values[r]);
      if (to_model[level] < 0) {
        return Invalid(name + ", row " + std::to_string(r + 1) + ": level \"" +
                       dataset::Printable(spec->levels[level]) +
                       "\" is not one the model was trained with");
      }
      remapped[i][r] = to_model[level];
    }
    columns[i] = &remapped[i];
  }

  Prediction prediction;
  const size_t outputs = model.outputs.size();
  for (const OutputColumn& out : model.outputs) prediction.outputs.push_back(out.name);
  prediction.mean.assign(outputs, std::vector<double>(rows));
  prediction.sd.assign(outputs, std::vector<double>(rows));
  prediction.outside.resize(rows);
  for (size_t i = 0; i < model.inputs.size(); ++i) {
    const InputColumn& in = model.inputs[i];
    for (size_t r = 0; r < rows; ++r) {
      const double v = (*columns[i])[r];
      const bool outside = in.type == dataset::ColumnType::kNumeric
                               ? v < in.min || v > in.max
                               : !in.seen[static_cast<size_t>(v)];
      if (outside) prediction.outside[r].push_back(i);
    }
  }
  if (rows == 0) return prediction;

  try {
    torch::NoGradGuard no_grad;
    const std::vector<torch::Tensor> params = Params(model);
    const auto members = static_cast<int64_t>(model.members.size());
    const size_t width = EncodedWidth(model.inputs);
    int64_t widest = static_cast<int64_t>(width);
    for (int h : model.options.hidden) widest = std::max<int64_t>(widest, h);
    const auto chunk = static_cast<size_t>(std::max<int64_t>(1, kEvalFloats / (members * widest)));
    std::vector<float> x;
    for (size_t begin = 0; begin < rows; begin += chunk) {
      const size_t length = std::min(chunk, rows - begin);
      x.resize(length * width);
      EncodeRows(model.inputs, columns, begin, begin + length, x.data());
      const torch::Tensor input = torch::from_blob(
          x.data(), {static_cast<int64_t>(length), static_cast<int64_t>(width)}, torch::kFloat);
      const torch::Tensor out =
          Forward(params, input.unsqueeze(0).expand(
                              {members, static_cast<int64_t>(length), static_cast<int64_t>(width)}))
              .contiguous();
      const float* p = out.data_ptr<float>();
      for (size_t r = 0; r < length; ++r) {
        for (size_t o = 0; o < outputs; ++o) {
          double sum = 0;
          for (size_t m = 0; m < model.members.size(); ++m)
            sum += static_cast<double>(p[(m * length + r) * outputs + o]);
          const double mean = sum / static_cast<double>(members);
          double squares = 0;
          for (size_t m = 0; m < model.members.size(); ++m) {
            const double d = static_cast<double>(p[(m * length + r) * outputs + o]) - mean;
            squares += d * d;
          }
          const double sd = members > 1 ? std::sqrt(squares / static_cast<double>(members - 1)) : 0;
          const OutputColumn& scaling = model.outputs[o];
          prediction.mean[o][begin + r] = scaling.mean + scaling.scale * mean;
          prediction.sd[o][begin + r] = scaling.scale * sd;
          if (!std::isfinite(prediction.mean[o][begin + r]) ||
              !std::isfinite(prediction.sd[o][begin + r])) {
            return Invalid("row " + std::to_string(begin + r + 1) + ": the prediction of " +
                           dataset::Printable(scaling.name) +
                           " is not a finite number: its inputs lie too far outside the "
                           "training range");
          }
        }
      }
      if (progress && !progress(begin + length, rows)) {
        return Status::Error("cancelled", "the prediction was stopped");
      }
    }
  } catch (const c10::Error& e) {
    return Status::Error("internal", std::string("libtorch: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Status::Error("internal", std::string("prediction failed: ") + e.what());
  }
  return prediction;
}

}  // namespace sigmad::analysis
