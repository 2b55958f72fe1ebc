// analysis_bench: sigmad's models (analysis::Train, analysis::Predict) against PyTorch and
// scikit-learn, in one run.
//
// Three parts (issue "Benchmark (bench/analysis)"), each with its peers measured in the
// same run and the ratio printed:
//
//   accuracy  R² of our model against scikit-learn's GradientBoostingRegressor,
//             MLPRegressor and Ridge, with default settings on both sides, on the same
//             5 cross-validation folds of Friedman #1, a 3-output function (Multi3) and
//             scikit-learn's diabetes data (442 rows, shipped by python3-sklearn).
//             Our side: for each fold, analysis::Train with TrainOptions defaults except
//             folds = 0 on the other folds' rows, analysis::Predict on the fold. R² per
//             output over all out-of-fold predictions, pooled; the peers' out-of-fold
//             predictions are scored by the same function here.
//             Target: ours >= the best peer - 0.02 on every dataset and output. A fourth
//             scikit-learn column, MLP+y (MLPRegressor with standardized outputs, which
//             its defaults lack and ours has), is a diagnostic outside the target.
//   training  Training time of the same network on a generated 10 000 x 20 -> 3 problem
//             (Wide20): our Train (folds 0, validation_fraction 0, so exactly --epochs
//             epochs; the other options are the defaults: 5 members, hidden {64, 64},
//             batch 32, AdamW 3e-3 / 1e-4) against two PyTorch peers doing the same
//             steps: torch.seq (idiomatic: one nn.Sequential per member, in turn) and
//             torch.bmm (the members batched with baddbmm, as ours). Target: ours /
//             the faster peer <= 1.0.
//   predict   analysis::Predict on a batch of 100 000 rows (rows/s, encoding and the
//             out-of-range flags included) and on one row (median latency of many
//             calls), against PyTorch forward passes (no_grad) of an ensemble holding our
//             model's weights, per member (seq) and batched (bmm). No target: reported.
//
// The peers live in analysis_peer.py, run with --python (/usr/bin/python3: Debian's
// interpreter, which sees python3-torch and python3-sklearn) through posix_spawn, with
// argument vectors (no shell). Data goes over CSV files in a temporary directory (numbers
// in shortest round-trip form, so both sides read identical doubles), results come back
// as "result NAME NUMBER" lines. The peers need Python modules that sigmad never uses at
// run time; a missing one is an error naming the Debian package, never a silent skip.
//
// Fairness. Both sides run the same libtorch (Debian's libtorch 1.13, which python3-torch
// also loads), the same BLAS (libblas.so.3, whichever the environment resolves; printed)
// and the same intra-op thread count (--threads: analysis::SetThreads here,
// torch.set_num_threads there). Training time covers the training call only (ours: the
// whole analysis::Train, standardization and copying the model out included; the peer's:
// standardization to the end of its loop), never process start or file reading. Each
// training repetition of a peer is one invocation of the peer (after an untimed warm-up
// in that process), interleaved with ours by harness.h. Prediction reps of the peers run
// in one invocation, after ours.
//
// Output is a measurement; the exit status is 0 whether or not a target is met, 1 if the
// benchmark itself failed (a peer missing or failing, a training error), 2 for bad
// options. --quick runs every part on tiny sizes for the ctest smoke test.
//
// Files: analysis_bench.h (this), analysis_bench.cpp (main, the accuracy part),
// analysis_speed.cpp (training and prediction), analysis_problems.cpp (the data sets and
// folds), peer_process.cpp (running the peer; the machine's CPU use). Thread-safety: none;
// one thread.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "analysis/model.h"
#include "common/status.h"
#include "dataset/dataset.h"
#include "support.h"

namespace sigmad::bench {

inline constexpr double kAccuracyMargin = 0.02;  // ours >= best peer R² - this
inline constexpr double kSpeedTarget = 1.0;      // ours / the faster PyTorch peer <= this
inline constexpr int kFolds = 5;

// The command line (analysis_bench --help).
struct Options {
  std::string python = "/usr/bin/python3";
  std::string peer;   // analysis_peer.py; default: the one in the source tree
  std::string dir;    // parent of the temporary directory; default $TMPDIR or /tmp
  bool keep = false;  // keep the temporary directory
  std::vector<std::string> parts{"accuracy", "training", "predict"};
  std::vector<int> threads{1};  // intra-op threads, both sides; each count is a run
  int reps = 3;                 // training repetitions per peer (plus one warm-up)
  int epochs = 15;              // training epochs
  size_t train_rows = 10000;
  size_t predict_rows = 100000;
  int predict_reps = 5;
  int latency_calls = 2000;
  bool quick = false;
  std::string command;  // the command line, echoed in the report
};

// A "bench" error: the benchmark itself failed (not a measurement).

// --- analysis_problems.cpp ---

// A generated or loaded regression problem: inputs first, outputs last in the schema.
struct Problem {
  std::string name;
  std::string description;
  dataset::Dataset data;
  size_t outputs = 0;
};

// Friedman #1: x1..x10 uniform in [0, 1], y = 10 sin(pi x1 x2) + 20 (x3 - 0.5)^2 + 10 x4 +
// 5 x5 + N(0, 1); x6..x10 are noise. R² cannot exceed about 0.96.
Problem Friedman1(size_t rows, uint64_t seed);
// Multi3: 8 inputs uniform in [0, 1], three outputs of different structure (see the .cpp).
Problem Multi3(size_t rows, uint64_t seed);
// Wide20: 20 inputs uniform in [0, 1], three outputs; the training-time problem.
Problem Wide20(size_t rows, uint64_t seed);
// Reads a CSV of numbers whose last `outputs` columns are the outputs.
Result<Problem> ReadProblem(const std::filesystem::path& csv, const std::string& name,
                            size_t outputs);

// Fold numbers 0..folds-1, one per row: a seeded permutation cut into equal parts.
std::vector<int> MakeFolds(size_t rows, int folds, uint64_t seed);
// The rows of `d` where keep[r] is true, same schema.
dataset::Dataset Subset(const dataset::Dataset& d, const std::vector<bool>& keep);
// `d` without its output columns.
dataset::Dataset InputsOnly(const dataset::Dataset& d);

// R² = 1 - SS_res / SS_tot (the definition analysis::Metrics uses).
double RSquared(const std::vector<double>& truth, const std::vector<double>& predicted);

Status WriteFile(const std::filesystem::path& path, const std::string& bytes);
Result<std::string> ReadFile(const std::filesystem::path& path);

// --- peer_process.cpp ---

// What one peer invocation printed: its "result" numbers and "info" texts.
struct PeerOutput {
  std::map<std::string, double> results;
  std::map<std::string, std::string> info;
  // The result `name`; an error naming it if the peer did not print it.
  Result<double> Get(const std::string& name) const;
};

// Runs `python peer args...` (posix_spawn, no shell), its stderr kept in `dir`, and parses
// its stdout. A non-zero exit is an error carrying the peer's stderr.
class PeerRunner {
 public:
  PeerRunner(std::string python, std::string peer, std::filesystem::path dir)
      : python_(std::move(python)), peer_(std::move(peer)), dir_(std::move(dir)) {}
  Result<PeerOutput> Run(const std::vector<std::string>& args) const;

 private:
  std::string python_, peer_;
  std::filesystem::path dir_;
};

// The BLAS library this process has mapped (libtorch links libblas.so.3).
std::string LoadedBlas();

// CPU time so far: the whole machine's busy time (/proc/stat) and this process's own
// plus its waited-for children's (the peers), so that a part can report how much of the
// machine other processes took while it ran: the benchmark shares its machine.
struct CpuClock {
  double machine_busy_s = 0, own_s = 0, wall_s = 0;
  static CpuClock Now();
};
// The share of all CPUs that other processes used between `a` and `b`, in [0, 1].
double OthersShare(const CpuClock& a, const CpuClock& b);

// --- analysis_speed.cpp ---

// Per thread count: the training and prediction measurements.
struct SpeedReport {
  int threads = 0;
  bool trained = false, predicted = false;
  // Training: median seconds of one training run, spread, final training loss, steps.
  double ours_s = 0, seq_s = 0, bmm_s = 0;
  double ours_spread = 0, seq_spread = 0, bmm_spread = 0;
  double ours_loss = 0, seq_loss = 0, bmm_loss = 0;
  int64_t steps = 0;
  std::vector<double> ours_runs, seq_runs, bmm_runs;  // seconds per timed run, in run order
  // Prediction: median seconds of the 100 000-row batch, median single-row latency (µs).
  double ours_batch_s = 0, seq_batch_s = 0, bmm_batch_s = 0;
  double ours_latency_us = 0, seq_latency_us = 0, bmm_latency_us = 0;
  double ours_batch_spread = 0, ours_latency_spread = 0;
  double check_us = 0;        // median analysis::CheckModel alone, which every Predict call runs
  double prediction_gap = 0;  // max |ours - peer| over the checked rows, relative to scale
  double train_others = 0, predict_others = 0;  // OthersShare while each part ran
};

struct Context {
  const Options& opt;
  const PeerRunner& peer;
  std::filesystem::path dir;
};

// The training-time and prediction parts for one thread count.
Result<SpeedReport> RunSpeed(const Context& ctx, int threads, bool training, bool predict);
void PrintSpeed(const Options& opt, const std::vector<SpeedReport>& reports);

}  // namespace sigmad::bench
