// Train: the cross-validation ensembles and the final ensemble, trained side by side.
//
// Every network (fold f's member m, or the final ensemble's member m) keeps its weights
// as one slice of batched tensors: layer l's weights are [networks, inputs, outputs],
// and a step is a few baddbmm calls for all networks at once. The networks stay
// independent: each has its own rows, batches, validation loss and early stopping, and
// the loss summed over networks gives each its own gradient. Stopped networks are
// dropped from the batch. Adam is written out here (elementwise, per network).
//
// Rows are encoded once with the statistics of all rows (the final model's encoding);
// a fold's networks map them to their own pool's standardization with a per-slot affine
// step, so cross-validation never sees the held-out fold's statistics.
#include <ATen/Parallel.h>
#include <c10/util/Exception.h>
#include <torch/types.h>
#include <torch/utils.h>
#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "analysis/encoding.h"
#include "analysis/model.h"
#include "analysis/network.h"
#include "analysis/random.h"
#include "analysis/runtime_internal.h"
#include "dataset/values.h"

namespace sigmad::analysis {
namespace {

using dataset::ColumnType;
using dataset::Role;

constexpr double kBeta1 = 0.9, kBeta2 = 0.999, kEpsilon = 1e-8;
constexpr int64_t kEvalFloats = int64_t{1} << 22;  // evaluation batches: rows x width cap
constexpr uint64_t kFoldStream = ~0ULL;  // Random::Derive(seed, kFoldStream, 0) splits folds

// The rows a network may learn from, and their standardization relative to the
// all-rows encoding: pool-standardized = a * all-rows-standardized + c.
struct Pool {
  std::vector<size_t> rows;
  std::vector<float> in_a, in_c;    // per input slot
  std::vector<float> out_a, out_c;  // per output
  std::vector<Affine> out;          // per output, in the output's units
};

struct Network {
  int fold = -1;  // -1: the final ensemble
  int member = 0;
  uint64_t seed = 0;
  size_t pool = 0;
  Random rng{0};
  std::vector<int64_t> train, validation;
  size_t cursor = 0;  // next position in `train`; reshuffled when it reaches the end
  bool stopped = false;
  int epochs = 0, best_epoch = 0, stall = 0;
  double best_loss = std::numeric_limits<double>::infinity();
  double train_loss = 0, validation_loss = 0;
};

torch::Tensor FloatTensor(const std::vector<float>& values, std::vector<int64_t> shape) {
  return torch::from_blob(const_cast<float*>(values.data()), shape, torch::kFloat).clone();
}

torch::Tensor LongTensor(const std::vector<int64_t>& values) {
  return torch::from_blob(const_cast<int64_t*>(values.data()),
                          {static_cast<int64_t>(values.size())}, torch::kLong)
      .clone();
}

std::vector<double> TensorValues(const torch::Tensor& t) {
  const torch::Tensor d = t.to(torch::kDouble).contiguous();
  return std::vector<double>(d.data_ptr<double>(), d.data_ptr<double>() + d.numel());
}

Metrics Score(const std::vector<double>& truth, const std::vector<double>& predicted,
              const std::vector<size_t>& rows) {
  double mean = 0;
  for (size_t r : rows) mean += truth[r];
  mean /= static_cast<double>(rows.size());
  double ss_res = 0, ss_tot = 0, abs_sum = 0;
  for (size_t r : rows) {
    const double e = truth[r] - predicted[r];
    ss_res += e * e;
    abs_sum += std::abs(e);
    ss_tot += (truth[r] - mean) * (truth[r] - mean);
  }
  const double n = static_cast<double>(rows.size());
  Metrics m;
  m.r2 = ss_tot > 0 ? 1 - ss_res / ss_tot : (ss_res == 0 ? 1 : 0);
  m.rmse = std::sqrt(ss_res / n);
  m.mae = abs_sum / n;
  return m;
}

class Trainer {
 public:
  Trainer(const dataset::Dataset& data, const TrainOptions& options, const TrainHooks& hooks)
      : data_(data), options_(options), hooks_(hooks) {}

  Result<Model> Run();

 private:
  Status Prepare();
  void Encode();
  void MakePools(const std::vector<std::vector<size_t>>& folds);
  Status MakeNetworks(const std::vector<std::vector<size_t>>& folds);
  void InitWeights();
  Status Fit();
  void Step();
  std::vector<double> ValidationLosses();
  void Compact();
  void Report(int epoch);
  std::vector<torch::Tensor> BestOf(int64_t first, int64_t count);
  void Evaluate(const std::vector<std::vector<size_t>>& folds);
  void Finish();

  const dataset::Dataset& data_;
  const TrainOptions& options_;
  const TrainHooks& hooks_;
  Model model_;
  size_t rows_ = 0, width_ = 0, outputs_ = 0;
  std::vector<const std::vector<double>*> input_values_, output_values_;
  int64_t batch_ = 0, steps_per_epoch_ = 0, max_validation_ = 0;
  torch::Tensor x_, y_;  // all rows, all-rows standardized: [rows, width_], [rows, outputs_]
  torch::Tensor in_a_, in_c_, out_a_, out_c_;  // per pool: [pools, 1, width_ or outputs_]
  std::vector<Pool> pools_;
  std::vector<Network> nets_;
  // The active (not stopped) networks, in the order of the batched tensors' rows.
  std::vector<int64_t> active_;
  std::vector<torch::Tensor> params_, first_moment_, second_moment_;  // W0, b0, W1, b1, ...
  std::vector<torch::Tensor> best_;  // the same for every network, by network index
  torch::Tensor act_in_a_, act_in_c_, act_out_a_, act_out_c_;  // per active network
  int64_t adam_steps_ = 0;
  std::vector<int64_t> batch_rows_;
  torch::Tensor train_loss_sum_;  // this epoch's batch losses per active network
  int64_t widest_ = 0;            // the widest layer input, for evaluation chunks
};

Status Trainer::Prepare() {
  if (Status s = ValidateOptions(options_); !s.ok()) return s;
  const auto& specs = data_.schema.columns;
  if (data_.columns.size() != specs.size()) {
    return Status::Error("invalid_data", "the dataset has " + std::to_string(specs.size()) +
                                             " schema columns but " +
                                             std::to_string(data_.columns.size()) + " columns");
  }
  rows_ = data_.row_count();
  for (size_t c = 0; c < specs.size(); ++c) {
    const auto& spec = specs[c];
    if (spec.role == Role::kIgnore) continue;
    if (spec.role == Role::kOutput && spec.type == ColumnType::kCategorical) {
      return Status::Error("unsupported", "categorical outputs are not supported yet: column " +
                                              dataset::Printable(spec.name));
    }
    if (Status s = CheckColumn(spec, data_.columns[c], rows_); !s.ok()) return s;
    if (spec.role == Role::kInput) {
      InputColumn in;
      in.name = spec.name;
      in.type = spec.type;
      in.unit = spec.unit;
      if (spec.type == ColumnType::kCategorical) {
        in.levels = spec.levels;
        in.seen.assign(spec.levels.size(), false);
      }
      model_.inputs.push_back(std::move(in));
      input_values_.push_back(&data_.columns[c]);
    } else {
      OutputColumn out;
      out.name = spec.name;
      out.unit = spec.unit;
      model_.outputs.push_back(std::move(out));
      output_values_.push_back(&data_.columns[c]);
    }
  }
  if (model_.inputs.empty() || model_.outputs.empty()) {
    return Status::Error("invalid_data", "training needs at least one input and one output column");
  }
  outputs_ = model_.outputs.size();
  return Status::Ok();
}

void Trainer::Encode() {
  for (size_t i = 0; i < model_.inputs.size(); ++i) {
    InputColumn& in = model_.inputs[i];
    const std::vector<double>& values = *input_values_[i];
    if (in.type == ColumnType::kNumeric) {
      const Affine a = Standardization(values, nullptr);
      in.mean = a.mean;
      in.scale = a.scale;
      const auto [low, high] = std::minmax_element(values.begin(), values.end());
      in.min = *low;
      in.max = *high;
    } else {
      for (double v : values) in.seen[static_cast<size_t>(v)] = true;
    }
  }
  for (size_t o = 0; o < outputs_; ++o) {
    const Affine a = Standardization(*output_values_[o], nullptr);
    model_.outputs[o].mean = a.mean;
    model_.outputs[o].scale = a.scale;
  }
  width_ = EncodedWidth(model_.inputs);
  std::vector<float> x(rows_ * width_), y(rows_ * outputs_);
  EncodeRows(model_.inputs, input_values_, 0, rows_, x.data());
  for (size_t r = 0; r < rows_; ++r) {
    for (size_t o = 0; o < outputs_; ++o) {
      const OutputColumn& out = model_.outputs[o];
      y[r * outputs_ + o] = static_cast<float>(((*output_values_[o])[r] - out.mean) / out.scale);
    }
  }
  x_ = FloatTensor(x, {static_cast<int64_t>(rows_), static_cast<int64_t>(width_)});
  y_ = FloatTensor(y, {static_cast<int64_t>(rows_), static_cast<int64_t>(outputs_)});
}

void Trainer::MakePools(const std::vector<std::vector<size_t>>& folds) {
  // Pool 0: all rows (identity mapping); pool f + 1: the rows outside fold f.
  pools_.resize(folds.size() + 1);
  for (size_t p = 0; p < pools_.size(); ++p) {
    Pool& pool = pools_[p];
    if (p == 0) {
      pool.rows.resize(rows_);
      for (size_t r = 0; r < rows_; ++r) pool.rows[r] = r;
    } else {
      std::vector<bool> held_out(rows_);
      for (size_t r : folds[p - 1]) held_out[r] = true;
      for (size_t r = 0; r < rows_; ++r) {
        if (!held_out[r]) pool.rows.push_back(r);
      }
    }
    auto relative = [](Affine all, Affine own, float* a, float* c) {
      *a = static_cast<float>(all.scale / own.scale);
      *c = static_cast<float>((all.mean - own.mean) / own.scale);
    };
    pool.in_a.assign(width_, 1.0f);
    pool.in_c.assign(width_, 0.0f);
    size_t slot = 0;
    for (size_t i = 0; i < model_.inputs.size(); ++i) {
      const InputColumn& in = model_.inputs[i];
      if (in.type == ColumnType::kCategorical) {
        slot += in.levels.size();
        continue;
      }
      if (p > 0) {
        relative({in.mean, in.scale}, Standardization(*input_values_[i], &pool.rows),
                 &pool.in_a[slot], &pool.in_c[slot]);
      }
      ++slot;
    }
    pool.out_a.assign(outputs_, 1.0f);
    pool.out_c.assign(outputs_, 0.0f);
    for (size_t o = 0; o < outputs_; ++o) {
      const OutputColumn& out = model_.outputs[o];
      pool.out.push_back(p == 0 ? Affine{out.mean, out.scale}
                                : Standardization(*output_values_[o], &pool.rows));
      if (p > 0) relative({out.mean, out.scale}, pool.out[o], &pool.out_a[o], &pool.out_c[o]);
    }
  }
  std::vector<float> in_a, in_c, out_a, out_c;
  for (const Pool& pool : pools_) {
    in_a.insert(in_a.end(), pool.in_a.begin(), pool.in_a.end());
    in_c.insert(in_c.end(), pool.in_c.begin(), pool.in_c.end());
    out_a.insert(out_a.end(), pool.out_a.begin(), pool.out_a.end());
    out_c.insert(out_c.end(), pool.out_c.begin(), pool.out_c.end());
  }
  const auto pools = static_cast<int64_t>(pools_.size());
  const auto width = static_cast<int64_t>(width_), outputs = static_cast<int64_t>(outputs_);
  in_a_ = FloatTensor(in_a, {pools, 1, width});
  in_c_ = FloatTensor(in_c, {pools, 1, width});
  out_a_ = FloatTensor(out_a, {pools, 1, outputs});
  out_c_ = FloatTensor(out_c, {pools, 1, outputs});
}

Status Trainer::MakeNetworks(const std::vector<std::vector<size_t>>& folds) {
  const int ensemble = options_.ensemble;
  for (int f = 0; f <= static_cast<int>(folds.size()); ++f) {
    const bool final = f == static_cast<int>(folds.size());
    for (int m = 0; m < ensemble; ++m) {
      Network net;
      net.fold = final ? -1 : f;
      net.member = m;
      net.seed = Random::Derive(options_.seed, final ? 0 : static_cast<uint64_t>(f) + 1,
                                static_cast<uint64_t>(m));
      net.rng = Random(net.seed);
      net.pool = final ? 0 : static_cast<size_t>(f) + 1;
      std::vector<int64_t> rows(pools_[net.pool].rows.begin(), pools_[net.pool].rows.end());
      net.rng.Shuffle(&rows);
      size_t held = 0;
      if (options_.validation_fraction > 0) {
        held = std::max<size_t>(
            1, static_cast<size_t>(
                   std::llround(options_.validation_fraction * static_cast<double>(rows.size()))));
      }
      if (held >= rows.size()) {
        return Status::Error(
            "invalid_data",
            std::to_string(rows_) + " rows are too few for folds " +
                std::to_string(options_.folds) + " and validation_fraction " +
                dataset::FormatNumber(options_.validation_fraction) +
                ": a network would have no training row; use more rows, fewer folds or a "
                "smaller validation_fraction");
      }
      net.validation.assign(rows.begin(), rows.begin() + static_cast<ptrdiff_t>(held));
      net.train.assign(rows.begin() + static_cast<ptrdiff_t>(held), rows.end());
      net.cursor = net.train.size();  // shuffled before its first batch
      nets_.push_back(std::move(net));
    }
  }
  size_t min_train = rows_, max_train = 0;
  for (const Network& net : nets_) {
    min_train = std::min(min_train, net.train.size());
    max_train = std::max(max_train, net.train.size());
    max_validation_ = std::max(max_validation_, static_cast<int64_t>(net.validation.size()));
  }
  batch_ = std::min<int64_t>(options_.batch_size, static_cast<int64_t>(min_train));
  steps_per_epoch_ = (static_cast<int64_t>(max_train) + batch_ - 1) / batch_;
  return Status::Ok();
}

// Weights and biases uniform in ±1/sqrt(fan in), like torch.nn.Linear, from each
// network's own stream: network by network, layer by layer, weights then biases.
void Trainer::InitWeights() {
  const size_t layers = options_.hidden.size() + 1;
  const auto count = static_cast<int64_t>(nets_.size());
  std::vector<std::vector<float>> w(layers), b(layers);
  std::vector<size_t> fan_in(layers), fan_out(layers);
  for (size_t l = 0; l < layers; ++l) {
    fan_in[l] = l == 0 ? width_ : static_cast<size_t>(options_.hidden[l - 1]);
    fan_out[l] = l + 1 < layers ? static_cast<size_t>(options_.hidden[l]) : outputs_;
  }
  for (Network& net : nets_) {
    for (size_t l = 0; l < layers; ++l) {
      const double bound = 1 / std::sqrt(static_cast<double>(fan_in[l]));
      for (size_t i = 0; i < fan_in[l] * fan_out[l]; ++i) {
        w[l].push_back(static_cast<float>((2 * net.rng.Uniform() - 1) * bound));
      }
      for (size_t i = 0; i < fan_out[l]; ++i) {
        b[l].push_back(static_cast<float>((2 * net.rng.Uniform() - 1) * bound));
      }
    }
  }
  for (size_t l = 0; l < layers; ++l) {
    const auto in = static_cast<int64_t>(fan_in[l]), out = static_cast<int64_t>(fan_out[l]);
    for (torch::Tensor t :
         {FloatTensor(w[l], {count, in, out}), FloatTensor(b[l], {count, 1, out})}) {
      best_.push_back(t.clone());
      first_moment_.push_back(torch::zeros_like(t));
      second_moment_.push_back(torch::zeros_like(t));
      params_.push_back(t.requires_grad_());
    }
  }
  active_.resize(nets_.size());
  std::vector<int64_t> pools(nets_.size());
  for (size_t i = 0; i < nets_.size(); ++i) {
    active_[i] = static_cast<int64_t>(i);
    pools[i] = static_cast<int64_t>(nets_[i].pool);
  }
  const torch::Tensor pool_of = LongTensor(pools);
  act_in_a_ = in_a_.index_select(0, pool_of);
  act_in_c_ = in_c_.index_select(0, pool_of);
  act_out_a_ = out_a_.index_select(0, pool_of);
  act_out_c_ = out_c_.index_select(0, pool_of);
}

// One Adam step for every active network on one batch of its training rows.
void Trainer::Step() {
  const auto count = static_cast<int64_t>(active_.size());
  batch_rows_.resize(static_cast<size_t>(count * batch_));
  size_t k = 0;
  for (int64_t i : active_) {
    Network& net = nets_[static_cast<size_t>(i)];
    for (int64_t j = 0; j < batch_; ++j) {
      if (net.cursor == net.train.size()) {
        net.rng.Shuffle(&net.train);
        net.cursor = 0;
      }
      batch_rows_[k++] = net.train[net.cursor++];
    }
  }
  const torch::Tensor rows = LongTensor(batch_rows_);
  const auto width = static_cast<int64_t>(width_), outputs = static_cast<int64_t>(outputs_);
  const torch::Tensor x =
      torch::addcmul(act_in_c_, x_.index_select(0, rows).view({count, batch_, width}), act_in_a_);
  const torch::Tensor y = torch::addcmul(
      act_out_c_, y_.index_select(0, rows).view({count, batch_, outputs}), act_out_a_);
  const torch::Tensor losses = (Forward(params_, x) - y).square().mean({1, 2});
  losses.sum().backward();

  torch::NoGradGuard no_grad;
  ++adam_steps_;
  const double lr = options_.learning_rate;
  const double correction1 = 1 - std::pow(kBeta1, static_cast<double>(adam_steps_));
  const double correction2 = 1 - std::pow(kBeta2, static_cast<double>(adam_steps_));
  for (size_t p = 0; p < params_.size(); ++p) {
    torch::Tensor& param = params_[p];
    const torch::Tensor grad = param.grad();
    first_moment_[p].mul_(kBeta1).add_(grad, 1 - kBeta1);
    second_moment_[p].mul_(kBeta2).addcmul_(grad, grad, 1 - kBeta2);
    if (p % 2 == 0 && options_.weight_decay > 0) param.mul_(1 - lr * options_.weight_decay);
    const torch::Tensor denominator =
        (second_moment_[p].sqrt() / std::sqrt(correction2)).add_(kEpsilon);
    param.addcdiv_(first_moment_[p], denominator, -lr / correction1);
    param.mutable_grad() = torch::Tensor();
  }
  train_loss_sum_ = train_loss_sum_.defined() ? train_loss_sum_ + losses.detach() : losses.detach();
}

// Each active network's mean squared error on its validation rows, in chunks.
std::vector<double> Trainer::ValidationLosses() {
  const auto count = static_cast<int64_t>(active_.size());
  int64_t longest = 0;
  for (int64_t i : active_) {
    longest =
        std::max(longest, static_cast<int64_t>(nets_[static_cast<size_t>(i)].validation.size()));
  }
  std::vector<int64_t> rows(static_cast<size_t>(count * longest), 0);
  std::vector<float> weights(rows.size(), 0.0f);
  for (int64_t i = 0; i < count; ++i) {
    const auto& validation = nets_[static_cast<size_t>(active_[static_cast<size_t>(i)])].validation;
    for (size_t j = 0; j < validation.size(); ++j) {
      rows[static_cast<size_t>(i * longest) + j] = validation[j];
      weights[static_cast<size_t>(i * longest) + j] = 1.0f / static_cast<float>(validation.size());
    }
  }
  torch::NoGradGuard no_grad;
  const torch::Tensor all_rows = LongTensor(rows).view({count, longest});
  const torch::Tensor all_weights = FloatTensor(weights, {count, longest});
  const auto width = static_cast<int64_t>(width_), outputs = static_cast<int64_t>(outputs_);
  const int64_t chunk = std::max<int64_t>(1, kEvalFloats / (count * widest_));
  torch::Tensor total = torch::zeros({count}, torch::kFloat);
  for (int64_t begin = 0; begin < longest; begin += chunk) {
    const int64_t length = std::min(chunk, longest - begin);
    const torch::Tensor index = all_rows.narrow(1, begin, length).reshape({-1});
    const torch::Tensor x = torch::addcmul(
        act_in_c_, x_.index_select(0, index).view({count, length, width}), act_in_a_);
    const torch::Tensor y = torch::addcmul(
        act_out_c_, y_.index_select(0, index).view({count, length, outputs}), act_out_a_);
    const torch::Tensor errors = (Forward(params_, x) - y).square().mean(2);
    total += (errors * all_weights.narrow(1, begin, length)).sum(1);
  }
  return TensorValues(total);
}

// Drops the stopped networks from the batched tensors.
void Trainer::Compact() {
  std::vector<int64_t> positions, ids;
  for (size_t i = 0; i < active_.size(); ++i) {
    if (!nets_[static_cast<size_t>(active_[i])].stopped) {
      positions.push_back(static_cast<int64_t>(i));
      ids.push_back(active_[i]);
    }
  }
  if (ids.size() == active_.size()) return;
  active_ = std::move(ids);
  if (active_.empty()) return;
  torch::NoGradGuard no_grad;
  const torch::Tensor keep = LongTensor(positions);
  for (size_t p = 0; p < params_.size(); ++p) {
    params_[p] = params_[p].detach().index_select(0, keep).requires_grad_();
    first_moment_[p] = first_moment_[p].index_select(0, keep);
    second_moment_[p] = second_moment_[p].index_select(0, keep);
  }
  act_in_a_ = act_in_a_.index_select(0, keep);
  act_in_c_ = act_in_c_.index_select(0, keep);
  act_out_a_ = act_out_a_.index_select(0, keep);
  act_out_c_ = act_out_c_.index_select(0, keep);
}

void Trainer::Report(int epoch) {
  if (!hooks_.on_epoch) return;
  Progress progress;
  progress.epoch = epoch;
  progress.max_epochs = options_.max_epochs;
  double done = 0;
  for (const Network& net : nets_) {
    progress.networks.push_back(
        {net.fold, net.member, net.stopped, net.best_epoch, net.train_loss, net.validation_loss});
    done += net.stopped ? options_.max_epochs : epoch;
  }
  progress.fraction_done = done / (static_cast<double>(nets_.size()) * options_.max_epochs);
  hooks_.on_epoch(progress);
}

Status Trainer::Fit() {
  const bool validate = max_validation_ > 0;
  for (int epoch = 1; epoch <= options_.max_epochs; ++epoch) {
    train_loss_sum_ = torch::Tensor();
    for (int64_t step = 0; step < steps_per_epoch_; ++step) {
      if (hooks_.cancelled && hooks_.cancelled()) {
        return Status::Error("cancelled",
                             "training was cancelled in epoch " + std::to_string(epoch));
      }
      Step();
    }
    const std::vector<double> train =
        TensorValues(train_loss_sum_ / static_cast<double>(steps_per_epoch_));
    const std::vector<double> validation = validate ? ValidationLosses() : train;
    std::vector<int64_t> positions, ids;
    bool stopping = false;
    for (size_t i = 0; i < active_.size(); ++i) {
      Network& net = nets_[static_cast<size_t>(active_[i])];
      net.epochs = epoch;
      net.train_loss = train[i];
      net.validation_loss = validation[i];
      if (std::isfinite(validation[i]) && (!validate || validation[i] < net.best_loss)) {
        net.best_loss = validation[i];
        net.best_epoch = epoch;
        net.stall = 0;
        positions.push_back(static_cast<int64_t>(i));
        ids.push_back(active_[i]);
      } else {
        ++net.stall;
      }
      if (!std::isfinite(train[i]) || net.stall >= options_.patience ||
          epoch == options_.max_epochs) {
        net.stopped = true;
        stopping = true;
      }
    }
    if (!ids.empty()) {
      torch::NoGradGuard no_grad;
      const torch::Tensor from = LongTensor(positions), to = LongTensor(ids);
      for (size_t p = 0; p < params_.size(); ++p) {
        best_[p].index_copy_(0, to, params_[p].detach().index_select(0, from));
      }
    }
    if (stopping) Compact();
    Report(epoch);
    if (active_.empty()) break;
  }
  for (const Network& net : nets_) {
    if (net.best_epoch == 0) {
      return Status::Error(
          "diverged",
          std::string("training diverged (the loss is not finite) in ") +
              (net.fold < 0 ? "the final ensemble" : "fold " + std::to_string(net.fold)) +
              ", member " + std::to_string(net.member) + "; use a smaller learning_rate");
    }
  }
  return Status::Ok();
}

std::vector<torch::Tensor> Trainer::BestOf(int64_t first, int64_t count) {
  std::vector<torch::Tensor> params;
  for (const torch::Tensor& t : best_) params.push_back(t.narrow(0, first, count));
  return params;
}

// Each fold's ensemble predicts its held-out rows; the metrics compare their means.
void Trainer::Evaluate(const std::vector<std::vector<size_t>>& folds) {
  const int64_t ensemble = options_.ensemble;
  const auto width = static_cast<int64_t>(width_);
  std::vector<std::vector<double>> predicted(outputs_, std::vector<double>(rows_));
  torch::NoGradGuard no_grad;
  for (size_t f = 0; f < folds.size(); ++f) {
    const std::vector<torch::Tensor> params = BestOf(static_cast<int64_t>(f) * ensemble, ensemble);
    const Pool& pool = pools_[f + 1];
    const std::vector<int64_t> rows(folds[f].begin(), folds[f].end());
    const torch::Tensor all_rows = LongTensor(rows);
    const int64_t chunk = std::max<int64_t>(1, kEvalFloats / (ensemble * widest_));
    for (int64_t begin = 0; begin < static_cast<int64_t>(rows.size()); begin += chunk) {
      const int64_t length = std::min(chunk, static_cast<int64_t>(rows.size()) - begin);
      const torch::Tensor x = torch::addcmul(in_c_[static_cast<int64_t>(f) + 1],
                                             x_.index_select(0, all_rows.narrow(0, begin, length)),
                                             in_a_[static_cast<int64_t>(f) + 1]);
      const torch::Tensor out =
          Forward(params, x.unsqueeze(0).expand({ensemble, length, width})).contiguous();
      const float* p = out.data_ptr<float>();
      for (int64_t r = 0; r < length; ++r) {
        const size_t row = rows[static_cast<size_t>(begin + r)];
        for (size_t o = 0; o < outputs_; ++o) {
          double sum = 0;
          for (int64_t e = 0; e < ensemble; ++e) {
            sum += static_cast<double>(
                p[(e * length + r) * static_cast<int64_t>(outputs_) + static_cast<int64_t>(o)]);
          }
          predicted[o][row] =
              pool.out[o].mean + pool.out[o].scale * (sum / static_cast<double>(ensemble));
        }
      }
    }
  }
  CrossValidation& cv = model_.cross_validation;
  cv.folds = static_cast<int>(folds.size());
  std::vector<size_t> all(rows_);
  for (size_t r = 0; r < rows_; ++r) all[r] = r;
  for (size_t o = 0; o < outputs_; ++o) {
    cv.outputs.push_back(Score(*output_values_[o], predicted[o], all));
  }
  for (const auto& fold : folds) {
    std::vector<Metrics> metrics;
    for (size_t o = 0; o < outputs_; ++o) {
      metrics.push_back(Score(*output_values_[o], predicted[o], fold));
    }
    cv.per_fold.push_back(std::move(metrics));
  }
}

// The final ensemble's best weights into the model.
void Trainer::Finish() {
  const int64_t first = static_cast<int64_t>(nets_.size()) - options_.ensemble;
  const std::vector<torch::Tensor> params = BestOf(first, options_.ensemble);
  for (int64_t m = 0; m < options_.ensemble; ++m) {
    const Network& net = nets_[static_cast<size_t>(first + m)];
    Member member;
    member.seed = net.seed;
    member.epochs = net.epochs;
    member.best_epoch = net.best_epoch;
    member.best_loss = net.best_loss;
    for (size_t l = 0; l < params.size() / 2; ++l) {
      const torch::Tensor w = params[2 * l][m].contiguous(), b = params[2 * l + 1][m].contiguous();
      Layer layer;
      layer.inputs = static_cast<int>(w.size(0));
      layer.outputs = static_cast<int>(w.size(1));
      layer.weight.assign(w.data_ptr<float>(), w.data_ptr<float>() + w.numel());
      layer.bias.assign(b.data_ptr<float>(), b.data_ptr<float>() + b.numel());
      member.layers.push_back(std::move(layer));
    }
    model_.members.push_back(std::move(member));
  }
  model_.options = options_;
  model_.training_rows = rows_;
  model_.torch_version = TORCH_VERSION;
  model_.threads = at::get_num_threads();
}

Result<Model> Trainer::Run() {
  if (Status s = Prepare(); !s.ok()) return s;
  try {
    Encode();
    std::vector<std::vector<size_t>> folds;
    if (options_.folds >= 2) {
      const auto k = static_cast<size_t>(options_.folds);
      if (rows_ < k) {
        return Status::Error("invalid_data", std::to_string(rows_) + " rows are too few for " +
                                                 std::to_string(k) + " folds");
      }
      std::vector<size_t> order(rows_);
      for (size_t r = 0; r < rows_; ++r) order[r] = r;
      Random(Random::Derive(options_.seed, kFoldStream, 0)).Shuffle(&order);
      for (size_t f = 0; f < k; ++f) {
        std::vector<size_t> fold(order.begin() + static_cast<ptrdiff_t>(f * rows_ / k),
                                 order.begin() + static_cast<ptrdiff_t>((f + 1) * rows_ / k));
        std::sort(fold.begin(), fold.end());
        folds.push_back(std::move(fold));
      }
    }
    MakePools(folds);
    if (Status s = MakeNetworks(folds); !s.ok()) return s;
    widest_ = static_cast<int64_t>(width_);
    for (int h : options_.hidden) widest_ = std::max<int64_t>(widest_, h);
    InitWeights();
    if (Status s = Fit(); !s.ok()) return s;
    if (!folds.empty()) Evaluate(folds);
    Finish();
  } catch (const c10::Error& e) {
    return Status::Error("internal", std::string("libtorch: ") + e.what_without_backtrace());
  } catch (const std::exception& e) {
    return Status::Error("internal", std::string("training failed: ") + e.what());
  }
  return std::move(model_);
}

}  // namespace

Result<Model> Train(const dataset::Dataset& data, const TrainOptions& options,
                    const TrainHooks& hooks) {
  ApplyThreads();
  return Trainer(data, options, hooks).Run();
}

}  // namespace sigmad::analysis
