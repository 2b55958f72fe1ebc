// Model: multi-output MLP ensembles trained with libtorch on a dataset::Dataset, their
// cross-validated accuracy, predictions with uncertainty, and a byte format to store them.
//
// Network. Each ensemble member is one MLP: the encoded inputs, TrainOptions::hidden
// layers of SiLU units, one linear unit per output. Inputs are encoded as follows: a
// numeric input is standardized ((x - mean) / sd, sd 1 for a constant column); a
// categorical input becomes one 0/1 slot per level of its schema (levels that never
// occur train to nothing). Outputs are standardized the same way and the loss is their
// mean squared error. Categorical outputs are refused ("unsupported").
//
// Training. Adam with decoupled weight decay (AdamW) on mini-batches. Every member holds
// out its own random validation_fraction of its rows, keeps the weights of its best
// validation epoch and stops after `patience` epochs without improvement. A step takes
// `batch` rows, batch = min(batch_size, the fewest training rows of any network); an
// epoch is ceil(the most training rows of any network / batch) steps, about one pass.
// Each member draws its batches from its own reshuffled passes over its training rows.
//
// Cross-validation (folds >= 2). The rows are split at random into `folds` parts; for
// each part an ensemble like the final one (same options, its own seeds, standardized
// with the statistics of the other parts only) is trained on the other parts and
// predicts it. The metrics compare these out-of-fold ensemble means with the truth, per
// output, over all rows and per fold. The final ensemble trains on all rows. All these
// (folds + 1) x ensemble networks train side by side as one batched float32 computation
// (statistics and metrics in double), so cross-validation multiplies the work by about
// folds + 1. Friedman #1 with 1000 rows and the defaults: about 10 s on 2 cores with
// Debian's reference BLAS (tests/analysis/train.tests.cpp).
//
// Prediction. The members' mean is the prediction and their standard deviation (n - 1
// denominator; 0 for one member) its spread, per row and output, in the output's units.
// A row is flagged when a numeric input lies outside the training rows' [min, max] or a
// categorical input has a level no training row had.
//
// Determinism. No global random state is used: every random choice (fold split,
// validation split, initial weights, batch order) comes from SplitMix64 streams derived
// from (seed, fold, member). The same dataset, options, libtorch build, BLAS library
// (Debian's libblas.so.3 alternative), CPU kind and intra-op thread count
// (at::set_num_threads; recorded in the model) give bit-identical weights, metrics,
// serialized bytes and predictions. Concurrent trainings do not disturb each other.
//
// Ownership: Model and Prediction are plain values. Thread-safety: the functions are
// reentrant; hooks are called on the calling thread.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "dataset/dataset.h"

namespace sigmad::analysis {

// Defaults aim at tens to tens of thousands of rows, up to a few hundred inputs and
// several outputs, without tuning (see TrainOptions in model.cpp for the reasoning).
struct TrainOptions {
  int ensemble = 5;                    // members, 1..64
  std::vector<int> hidden = {64, 64};  // units per hidden layer: 1..8 layers of 1..4096
  int max_epochs = 500;                // 1..100000
  int batch_size = 32;                 // 1..65536; capped at a member's training rows
  double learning_rate = 3e-3;         // Adam step size, (0, 1]
  double weight_decay = 1e-4;          // decoupled, per step times learning_rate; [0, 1]
  double validation_fraction = 0.2;    // of a member's rows, [0, 0.5]; 0: no early stopping
  int patience = 20;                   // epochs without a better validation loss, 1..100000
  int folds = 5;                       // cross-validation folds, 2..100; 0 or 1: none
  uint64_t seed = 1;
  bool operator==(const TrainOptions&) const = default;
};

// One network's state after an epoch.
struct NetworkProgress {
  int fold = -1;               // cross-validation fold 0..folds-1; -1: the final ensemble
  int member = 0;              // 0..ensemble-1
  bool stopped = false;        // done: early-stopped or at max_epochs
  int best_epoch = 0;          // the epoch whose weights are kept so far
  double train_loss = 0;       // mean squared error (standardized outputs) of this epoch's batches
  double validation_loss = 0;  // the same on the validation rows; the train loss without them
};

struct Progress {
  int epoch = 0;  // epochs done, 1..max_epochs
  int max_epochs = 0;
  std::vector<NetworkProgress> networks;  // fold 0's members, ..., then the final ensemble
  // Work done in [0, 1]: stopped networks count as max_epochs done. For an ETA; it
  // errs long, since early stopping usually ends networks before max_epochs.
  double fraction_done = 0;
};

// One line for people: "epoch 40/500, loss 0.0213; training 3 of 5 members, 4 of 5
// folds". The loss is the mean validation loss of the final ensemble's members (mean
// squared error of standardized outputs: 0.02 is about R² 0.98); "members" counts
// those still training, "folds" the cross-validation folds with a network still
// training (left out without cross-validation).
std::string DescribeProgress(const Progress& progress);

struct TrainHooks {
  std::function<void(const Progress&)> on_epoch;  // after every epoch; may be empty
  // Polled before every training step; true ends Train with "cancelled". May be empty.
  std::function<bool()> cancelled;
};

struct InputColumn {
  std::string name;
  dataset::ColumnType type = dataset::ColumnType::kNumeric;
  std::string unit;
  // Numeric: the network sees (x - mean) / scale; the training rows lay in [min, max].
  double mean = 0, scale = 1, min = 0, max = 0;
  // Categorical: one input slot per level, in this order; seen[i]: level i occurred.
  std::vector<std::string> levels;
  std::vector<bool> seen;
  bool operator==(const InputColumn&) const = default;
};

struct OutputColumn {
  std::string name;
  std::string unit;
  double mean = 0, scale = 1;  // the network predicts (y - mean) / scale
  bool operator==(const OutputColumn&) const = default;
};

// One dense layer: out = in · weight + bias, weight row-major inputs × outputs.
struct Layer {
  int inputs = 0, outputs = 0;
  std::vector<float> weight;  // weight[i * outputs + o]
  std::vector<float> bias;    // outputs
  bool operator==(const Layer&) const = default;
};

struct Member {
  uint64_t seed = 0;          // its SplitMix64 stream
  int epochs = 0;             // epochs trained
  int best_epoch = 0;         // the epoch whose weights these are
  double best_loss = 0;       // validation loss then (the training loss without validation rows)
  std::vector<Layer> layers;  // hidden layers (SiLU after each), then the output layer
  bool operator==(const Member&) const = default;
};

struct Metrics {
  // R² = 1 - SS_res / SS_tot; for a constant truth 1 if predicted exactly, else 0.
  double r2 = 0, rmse = 0, mae = 0;
  bool operator==(const Metrics&) const = default;
};

struct CrossValidation {
  int folds = 0;                               // 0: not done
  std::vector<Metrics> outputs;                // per output, over all out-of-fold rows
  std::vector<std::vector<Metrics>> per_fold;  // [fold][output]
  bool operator==(const CrossValidation&) const = default;
};

struct Model {
  TrainOptions options;
  std::vector<InputColumn> inputs;    // the dataset's input columns, in schema order
  std::vector<OutputColumn> outputs;  // its output columns, in schema order
  std::vector<Member> members;
  CrossValidation cross_validation;
  uint64_t training_rows = 0;
  std::string torch_version;  // lineage: the libtorch that trained it
  int threads = 0;            // lineage: its intra-op thread count
  bool operator==(const Model&) const = default;
};

struct Prediction {
  std::vector<std::string> outputs;       // the model's output names
  std::vector<std::vector<double>> mean;  // [output][row], in the output's units
  std::vector<std::vector<double>> sd;    // [output][row]: the members' spread
  // [row]: indices into Model::inputs of the inputs outside the training range; empty
  // when the row is inside it.
  std::vector<std::vector<size_t>> outside;
  size_t row_count() const { return outside.size(); }
};

// ok, or "invalid_argument" naming the first bad field and its allowed range.
Status ValidateOptions(const TrainOptions& options);

// Trains an ensemble (and the cross-validation ensembles) on every input and output
// column of `data`. Errors: "invalid_argument" (options), "unsupported" (a categorical
// output), "invalid_data" (no input or output, too few rows, malformed columns),
// "cancelled", "diverged" (a loss became infinite: lower learning_rate), "internal"
// (libtorch failed).
Result<Model> Train(const dataset::Dataset& data, const TrainOptions& options = {},
                    const TrainHooks& hooks = {});

// The schema to read prediction inputs with dataset::MakeDataset: the model's inputs
// (numeric without min/max, so values outside the training range are read and flagged;
// categorical with the model's levels, given as their text), then every name of
// `other_columns` (e.g. a CSV header) that is not an input, with role ignore.
dataset::Schema InputSchema(const Model& model, const std::vector<std::string>& other_columns = {});

// Predicts every row of `data`, whose columns are matched to the model's inputs by
// name (other columns are ignored); categorical levels are matched by text. Errors:
// "invalid_data" (an input missing, of the other type, or with a level the model does
// not know; malformed columns; a row whose prediction overflows, its inputs being
// absurdly far outside the training range), "corrupt_model" (CheckModel), "cancelled"
// (by `progress`), "internal".
// `progress`, if given, is called after each chunk of rows with the rows done and the
// rows in all; returning false ends Predict with "cancelled".
using PredictProgress = std::function<bool(size_t done, size_t total)>;
Result<Prediction> Predict(const Model& model, const dataset::Dataset& data,
                           const PredictProgress& progress = {});

// ok if `model` is consistent (shapes, names, finite numbers, options), which Predict
// relies on; else "corrupt_model" saying what is wrong.
Status CheckModel(const Model& model);

// The model in format kModelFormat (layout in serialize.cpp): little-endian, with a
// magic, a version and a CRC-32. Equal models give equal bytes.
inline constexpr uint32_t kModelFormat = 1;
std::string SerializeModel(const Model& model);

// Reads SerializeModel's bytes back; any other input gives "corrupt_model" (never a
// crash): bad magic, other version, truncation, trailing bytes, checksum, or a model
// CheckModel refuses.
Result<Model> DeserializeModel(std::string_view bytes);

}  // namespace sigmad::analysis
