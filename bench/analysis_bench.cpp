// analysis_bench: main and the accuracy part (what is measured and why: analysis_bench.h).
#include "analysis_bench.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "analysis/runtime.h"
#include "dataset/csv.h"
#include "dataset/values.h"
#include "harness.h"

#ifndef SIGMAD_ANALYSIS_PEER
#error "SIGMAD_ANALYSIS_PEER (the path of analysis_peer.py) must be defined by the build"
#endif

namespace sigmad::bench {
namespace {

// The scikit-learn models the peer fits; the first kTargetPeers decide the target, the
// last is a diagnostic (MLPRegressor with standardized outputs, see analysis_peer.py).
const char* const kPeerModels[] = {"gbr", "mlp", "ridge", "mlp_scaled_y"};
const char* const kPeerNames[] = {"GBR", "MLP", "Ridge", "MLP+y"};
constexpr size_t kPeerCount = 4, kTargetPeers = 3;

// One dataset's accuracy: R² per output for ours and each peer, and the fit times.
struct AccuracyReport {
  std::string name, description;
  size_t rows = 0, inputs = 0;
  std::vector<std::string> outputs;
  std::vector<double> ours;                // per output
  std::vector<std::vector<double>> peers;  // [model][output]
  double ours_seconds = 0;
  double peer_seconds[kPeerCount] = {};
  int peer_warnings[kPeerCount] = {};
};

std::string FoldsText(const std::vector<int>& folds) {
  std::string text;
  for (int f : folds) text += std::to_string(f) + "\n";
  return text;
}

// The columns of a CSV of numbers (the peer's out-of-fold predictions).
Result<std::vector<std::vector<double>>> ReadColumns(const std::filesystem::path& path,
                                                     size_t rows) {
  auto bytes = ReadFile(path);
  if (!bytes.ok()) return bytes.status();
  auto table = dataset::ReadCsv(bytes.value());
  if (!table.ok()) return Fail(path.string() + ": " + table.status().message());
  const dataset::CsvTable& t = table.value();
  if (t.row_count() != rows) {
    return Fail(path.string() + ": " + std::to_string(t.row_count()) + " rows, expected " +
                std::to_string(rows));
  }
  std::vector<std::vector<double>> columns(t.column_count(), std::vector<double>(rows));
  for (size_t r = 0; r < rows; ++r) {
    for (size_t c = 0; c < t.column_count(); ++c) {
      if (const char* why = dataset::ParseNumber(t.field(r, c), &columns[c][r]); why != nullptr) {
        return Fail(path.string() + ": " + t.RowName(r) + ": " + why);
      }
    }
  }
  return columns;
}

// Our model's out-of-fold predictions: per fold, Train on the other folds, Predict it.
Result<std::vector<std::vector<double>>> OursOutOfFold(const Problem& p,
                                                       const std::vector<int>& folds,
                                                       const analysis::TrainOptions& options) {
  const size_t rows = p.data.row_count();
  std::vector<std::vector<double>> predicted(p.outputs, std::vector<double>(rows));
  for (int f = 0; f < kFolds; ++f) {
    std::vector<bool> in_fold(rows), others(rows);
    for (size_t r = 0; r < rows; ++r) {
      in_fold[r] = folds[r] == f;
      others[r] = !in_fold[r];
    }
    auto model = analysis::Train(Subset(p.data, others), options);
    if (!model.ok())
      return Fail(p.name + ", fold " + std::to_string(f) + ": " + model.status().ToString());
    auto prediction = analysis::Predict(model.value(), Subset(p.data, in_fold));
    if (!prediction.ok())
      return Fail(p.name + ", fold " + std::to_string(f) + ": " + prediction.status().ToString());
    for (size_t o = 0; o < p.outputs; ++o) {
      size_t i = 0;
      for (size_t r = 0; r < rows; ++r) {
        if (in_fold[r]) predicted[o][r] = prediction.value().mean[o][i++];
      }
    }
  }
  return predicted;
}

Result<AccuracyReport> Accuracy(const Options& opt, const PeerRunner& peer,
                                const std::filesystem::path& dir, const Problem& p) {
  AccuracyReport report;
  report.name = p.name;
  report.description = p.description;
  report.rows = p.data.row_count();
  const size_t first_output = p.data.columns.size() - p.outputs;
  report.inputs = first_output;
  for (size_t o = 0; o < p.outputs; ++o)
    report.outputs.push_back(p.data.schema.columns[first_output + o].name);
  std::fprintf(stderr, "analysis_bench: accuracy: %s (%zu rows)...\n", p.name.c_str(), report.rows);

  const std::vector<int> folds = MakeFolds(report.rows, kFolds, 7);
  const auto data_path = dir / (p.name + ".csv");
  const auto folds_path = dir / (p.name + ".folds");
  if (Status s = WriteFile(data_path, dataset::ExportCsv(p.data)); !s.ok()) return s;
  if (Status s = WriteFile(folds_path, FoldsText(folds)); !s.ok()) return s;
  std::vector<std::string> args{"accuracy",
                                "--data",
                                data_path.string(),
                                "--outputs",
                                std::to_string(p.outputs),
                                "--folds",
                                folds_path.string(),
                                "--out-prefix",
                                (dir / p.name).string()};
  if (opt.quick) args.push_back("--quick");
  auto out = peer.Run(args);
  if (!out.ok()) return out.status();

  // The product's defaults ("no tuning"), without its own cross-validation: the folds
  // are ours. --quick shortens training for the smoke test only.
  analysis::TrainOptions options;
  options.folds = 0;
  if (opt.quick) {
    options.ensemble = 2;
    options.max_epochs = 5;
  }
  const auto start = SteadyClock::now();
  auto ours = OursOutOfFold(p, folds, options);
  if (!ours.ok()) return ours.status();
  report.ours_seconds = NanosSince(start) / 1e9;

  std::vector<std::vector<double>> truth;
  for (size_t o = 0; o < p.outputs; ++o) truth.push_back(p.data.columns[first_output + o]);
  for (size_t o = 0; o < p.outputs; ++o) report.ours.push_back(RSquared(truth[o], ours.value()[o]));
  report.peers.resize(kPeerCount);
  for (size_t m = 0; m < kPeerCount; ++m) {
    const std::string model = kPeerModels[m];
    auto columns = ReadColumns(dir / (p.name + "." + model + ".csv"), report.rows);
    if (!columns.ok()) return columns.status();
    if (columns.value().size() != p.outputs) return Fail(model + ": wrong number of outputs");
    for (size_t o = 0; o < p.outputs; ++o) {
      const double r2 = RSquared(truth[o], columns.value()[o]);
      // The peer scored its predictions against the truth it read; the same number here
      // shows both sides saw the same data.
      auto peer_r2 = out.value().Get(model + ".r2." + std::to_string(o));
      if (!peer_r2.ok()) return peer_r2.status();
      if (std::abs(peer_r2.value() - r2) > 1e-9) {
        return Fail(p.name + ": " + model + " R² is " + dataset::FormatNumber(peer_r2.value()) +
                    " in the peer but " + dataset::FormatNumber(r2) +
                    " here: the two sides did not read the same data");
      }
      report.peers[m].push_back(r2);
    }
    auto seconds = out.value().Get(model + ".seconds");
    auto warnings = out.value().Get(model + ".convergence_warnings");
    if (!seconds.ok()) return seconds.status();
    if (!warnings.ok()) return warnings.status();
    report.peer_seconds[m] = seconds.value();
    report.peer_warnings[m] = static_cast<int>(warnings.value());
  }
  return report;
}

// Whether ours is within kAccuracyMargin of the best peer, for every output.
int PrintAccuracy(const Options& opt, const std::vector<AccuracyReport>& reports, int* rows_out) {
  std::printf(
      "accuracy: R² of all out-of-fold predictions, %d folds (the same on both sides), "
      "default settings\n",
      kFolds);
  std::printf(
      "  ours: TrainOptions defaults, folds 0%s; peers: scikit-learn defaults "
      "(GBR wrapped in MultiOutputRegressor for several outputs; MLP and Ridge after a "
      "StandardScaler)\n",
      opt.quick ? " (--quick: 2 members, 5 epochs)" : "");
  std::printf(
      "  MLP+y (a diagnostic, not in \"best peer\"): the MLP with standardized outputs "
      "too (TransformedTargetRegressor), as ours has\n");
  std::printf("  %-10s %5s %3s  %-12s | %7s %7s %7s %7s | %-13s %9s | %-6s | %7s\n", "dataset",
              "rows", "in", "output", "ours", "GBR", "MLP", "Ridge", "best peer", "ours-best",
              "target", "MLP+y");
  int met = 0, rows = 0;
  for (const AccuracyReport& r : reports) {
    for (size_t o = 0; o < r.outputs.size(); ++o) {
      size_t best = 0;
      for (size_t m = 1; m < kTargetPeers; ++m) {
        if (r.peers[m][o] > r.peers[best][o]) best = m;
      }
      const double gap = r.ours[o] - r.peers[best][o];
      const bool ok = gap >= -kAccuracyMargin;
      met += ok ? 1 : 0;
      ++rows;
      std::printf(
          "  %-10s %5zu %3zu  %-12s | %7.4f %7.4f %7.4f %7.4f | %-5s %7.4f %+9.4f | %-6s | %7.4f\n",
          r.name.c_str(), r.rows, r.inputs, r.outputs[o].c_str(), r.ours[o], r.peers[0][o],
          r.peers[1][o], r.peers[2][o], kPeerNames[best], r.peers[best][o], gap,
          ok ? "PASS" : "MISS", r.peers[3][o]);
    }
  }
  std::printf("  fit + predict time over the %d folds (s):\n", kFolds);
  for (const AccuracyReport& r : reports) {
    std::printf(
        "  %-10s ours %7.2f | GBR %7.2f | MLP %7.2f (%d ConvergenceWarnings) | Ridge %7.3f | "
        "MLP+y %7.2f (%d)\n",
        r.name.c_str(), r.ours_seconds, r.peer_seconds[0], r.peer_seconds[1], r.peer_warnings[1],
        r.peer_seconds[2], r.peer_seconds[3], r.peer_warnings[3]);
  }
  for (const AccuracyReport& r : reports) {
    std::printf("  %s: %s\n", r.name.c_str(), r.description.c_str());
  }
  std::printf("\n");
  *rows_out = rows;
  return met;
}

void PrintHeader(const Options& opt, const PeerOutput& versions) {
#if defined(__OPTIMIZE__) && defined(NDEBUG)
  const char* build = "optimized, NDEBUG";
#else
  const char* build = "NOT optimized or assertions on: do not record these numbers";
#endif
  auto info = [&](const char* name) {
    const auto it = versions.info.find(name);
    return it == versions.info.end() ? std::string("?") : it->second;
  };
  const analysis::RuntimeInfo runtime = analysis::Runtime();
  std::printf("analysis_bench: sigmad's MLP ensembles vs PyTorch and scikit-learn\n");
  std::printf("  command: %s\n", opt.command.c_str());
  std::printf("  cpu: %s, %u hardware threads, %d available; build %s\n", CpuModel().c_str(),
              std::thread::hardware_concurrency(), analysis::AvailableCpus(), build);
  std::printf("  ours: libtorch %s, BLAS %s\n", runtime.torch_version.c_str(),
              LoadedBlas().c_str());
  std::printf("  peer: %s; numpy %s, torch %s, scikit-learn %s; BLAS %s\n", info("python").c_str(),
              info("numpy").c_str(), info("torch").c_str(), info("sklearn").c_str(),
              info("blas").c_str());
  std::printf("  peer script: %s\n\n", opt.peer.c_str());
}

bool Has(const std::vector<std::string>& parts, const char* part) {
  return std::find(parts.begin(), parts.end(), part) != parts.end();
}

int Run(const Options& opt) {
  auto temp = TempDir::Make(opt.dir, "analysis_bench");
  if (!temp.ok()) {
    std::fprintf(stderr, "analysis_bench: %s\n", temp.status().message().c_str());
    return 1;
  }
  const std::filesystem::path dir = temp.value()->path();
  if (opt.keep) {
    temp.value()->Keep();
    std::fprintf(stderr, "analysis_bench: keeping %s\n", dir.c_str());
  }
  const PeerRunner peer(opt.python, opt.peer, dir);
  auto fail = [](const Status& s) {
    std::fprintf(stderr, "analysis_bench: %s\n", s.message().c_str());
    return 1;
  };
  auto versions = peer.Run({"check"});
  if (!versions.ok()) return fail(versions.status());
  if (Status s = analysis::SetThreads(opt.threads.front()); !s.ok()) return fail(s);
  PrintHeader(opt, versions.value());

  std::vector<std::string> summary;
  std::vector<std::string> ran;
  if (Has(opt.parts, "accuracy")) {
    std::vector<Problem> problems;
    problems.push_back(Friedman1(opt.quick ? 100 : 1000, 1));
    problems.push_back(Multi3(opt.quick ? 100 : 1500, 2));
    const auto diabetes_path = dir / "diabetes.peer.csv";
    auto written = peer.Run({"diabetes", "--out", diabetes_path.string()});
    if (!written.ok()) return fail(written.status());
    auto diabetes = ReadProblem(diabetes_path, "diabetes", 1);
    if (!diabetes.ok()) return fail(diabetes.status());
    diabetes.value().description =
        "scikit-learn's diabetes data (load_diabetes(scaled=False), python3-sklearn): 442 "
        "patients, 10 inputs, disease progression after one year";
    problems.push_back(std::move(diabetes).value());
    std::vector<AccuracyReport> reports;
    for (const Problem& p : problems) {
      auto r = Accuracy(opt, peer, dir, p);
      if (!r.ok()) return fail(r.status());
      reports.push_back(std::move(r).value());
    }
    int rows = 0;
    const int met = PrintAccuracy(opt, reports, &rows);
    summary.push_back("accuracy: " + std::to_string(met) + " of " + std::to_string(rows) +
                      " outputs within " + dataset::FormatNumber(kAccuracyMargin) +
                      " of the best peer's R²");
    ran.push_back("accuracy");
  }
  const bool training = Has(opt.parts, "training"), predict = Has(opt.parts, "predict");
  if (training || predict) {
    const Context ctx{opt, peer, dir};
    std::vector<SpeedReport> reports;
    for (int threads : opt.threads) {
      auto r = RunSpeed(ctx, threads, training, predict);
      if (!r.ok()) return fail(r.status());
      reports.push_back(r.value());
    }
    PrintSpeed(opt, reports);
    for (const SpeedReport& r : reports) {
      if (!r.trained) continue;
      const double ratio = r.ours_s / std::min(r.seq_s, r.bmm_s);
      char line[200];
      std::snprintf(line, sizeof line,
                    "training, %d thread%s: ours / the faster PyTorch peer = %.2f (target <= "
                    "%.1f): %s",
                    r.threads, r.threads == 1 ? "" : "s", ratio, kSpeedTarget,
                    ratio <= kSpeedTarget ? "met" : "MISSED");
      summary.push_back(line);
    }
    if (training) ran.push_back("training");
    if (predict) ran.push_back("predict");
  }
  for (const std::string& line : summary) std::printf("analysis_bench: %s\n", line.c_str());
  if (ran.size() == 3)
    std::printf("analysis_bench: every part ran (accuracy, training, predict)\n");
  return 0;
}

int Main(int argc, char** argv) {
  Options opt;
  opt.peer = SIGMAD_ANALYSIS_PEER;
  if (const char* tmp = std::getenv("TMPDIR"); tmp != nullptr && *tmp != '\0') opt.dir = tmp;
  if (opt.dir.empty()) opt.dir = "/tmp";
  CLI::App app{"analysis_bench: sigmad's models against PyTorch and scikit-learn",
               "analysis_bench"};
  app.add_option("--python", opt.python,
                 "the interpreter for the peer; it must import torch and sklearn (Debian's "
                 "python3-torch, python3-sklearn)");
  app.add_option("--peer", opt.peer, "the peer script (analysis_peer.py)")
      ->check(CLI::ExistingFile);
  app.add_option("--dir", opt.dir, "parent directory for the temporary files")
      ->check(CLI::ExistingDirectory);
  app.add_flag("--keep", opt.keep, "keep the temporary directory (its path is printed)");
  app.add_option("--parts", opt.parts, "accuracy, training, predict")
      ->delimiter(',')
      ->check(CLI::IsMember({"accuracy", "training", "predict"}));
  app.add_option("--threads", opt.threads, "intra-op thread counts, both sides; one run each")
      ->delimiter(',')
      ->check(CLI::Range(1, analysis::kMaxThreads));
  app.add_option("--reps", opt.reps, "timed training runs per peer")->check(CLI::Range(1, 100));
  app.add_option("--epochs", opt.epochs, "training epochs")->check(CLI::Range(1, 1000));
  app.add_option("--train-rows", opt.train_rows, "rows of the training-time problem")
      ->check(CLI::Range(64, 10000000));
  app.add_option("--predict-rows", opt.predict_rows, "rows of the prediction batch")
      ->check(CLI::Range(1, 10000000));
  app.add_option("--predict-reps", opt.predict_reps, "timed prediction repetitions")
      ->check(CLI::Range(1, 1000));
  app.add_option("--latency-calls", opt.latency_calls, "single-row calls per repetition")
      ->check(CLI::Range(1, 1000000));
  app.add_flag("--quick", opt.quick,
               "every part on tiny sizes, one repetition (smoke test; its numbers mean nothing)");
  CLI11_PARSE(app, argc, argv);
  for (int i = 0; i < argc; ++i) opt.command += (i == 0 ? "" : " ") + std::string(argv[i]);
  if (opt.quick) {
    opt.reps = 1;
    opt.epochs = 1;
    opt.train_rows = 256;
    opt.predict_rows = 2000;
    opt.predict_reps = 1;
    opt.latency_calls = 20;
  }
  return Run(opt);
}

}  // namespace
}  // namespace sigmad::bench

int main(int argc, char** argv) { return sigmad::bench::Main(argc, argv); }
