// analysis_speed.cpp: the training-time and prediction parts of analysis_bench
// (analysis_bench.h), for one intra-op thread count at a time.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "analysis/runtime.h"
#include "analysis_bench.h"
#include "dataset/values.h"
#include "harness.h"

namespace sigmad::bench {
namespace {

constexpr int kPredictCheckRows = 100;  // rows whose predictions both sides must agree on

std::string Num(double v) { return dataset::FormatNumber(v); }

// Our model in the text layout analysis_peer.py's read_model expects: counts, layer
// shapes, each member's layers (weights row-major inputs x outputs, then biases), each
// input's mean, scale, min, max, each output's mean, scale. Floats as %.9g and doubles as
// %.17g read back exactly.
std::string ModelText(const analysis::Model& m) {
  std::string t;
  char buf[40];
  const auto& layers = m.members.front().layers;
  t += std::to_string(m.members.size()) + " " + std::to_string(layers.size()) + " " +
       std::to_string(m.inputs.size()) + " " + std::to_string(m.outputs.size()) + "\n";
  for (const analysis::Layer& l : layers) {
    t += std::to_string(l.inputs) + " " + std::to_string(l.outputs) + "\n";
  }
  auto floats = [&](const std::vector<float>& values) {
    for (float v : values) {
      std::snprintf(buf, sizeof buf, "%.9g ", static_cast<double>(v));
      t += buf;
    }
    t += "\n";
  };
  for (const analysis::Member& member : m.members) {
    for (const analysis::Layer& l : member.layers) {
      floats(l.weight);
      floats(l.bias);
    }
  }
  for (const analysis::InputColumn& in : m.inputs) {
    std::snprintf(buf, sizeof buf, "%.17g ", in.mean);
    t += buf;
    std::snprintf(buf, sizeof buf, "%.17g ", in.scale);
    t += buf;
    std::snprintf(buf, sizeof buf, "%.17g ", in.min);
    t += buf;
    std::snprintf(buf, sizeof buf, "%.17g\n", in.max);
    t += buf;
  }
  for (const analysis::OutputColumn& out : m.outputs) {
    std::snprintf(buf, sizeof buf, "%.17g ", out.mean);
    t += buf;
    std::snprintf(buf, sizeof buf, "%.17g\n", out.scale);
    t += buf;
  }
  return t;
}

double MedianOf(std::vector<double> v) {
  Samples s;
  for (double x : v) s.Add(x);
  return s.Median();
}

// The training part: our Train against the two PyTorch peers, interleaved.
Status Training(const Context& ctx, const std::filesystem::path& data_path, const Problem& p,
                SpeedReport* r, analysis::Model* model) {
  const Options& opt = ctx.opt;
  analysis::TrainOptions options;
  options.folds = 0;
  options.validation_fraction = 0;  // no early stopping: exactly max_epochs epochs
  options.max_epochs = opt.epochs;
  const int64_t rows = static_cast<int64_t>(p.data.row_count());
  const int64_t batch = std::min<int64_t>(options.batch_size, rows);
  r->steps = opt.epochs * ((rows + batch - 1) / batch);
  std::string hidden;
  for (int h : options.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(h);

  std::vector<Peer> peers;
  peers.emplace_back("ours", [&](int rep) -> Result<double> {
    const auto start = SteadyClock::now();
    auto trained = analysis::Train(p.data, options);
    const double ns = NanosSince(start);
    if (!trained.ok()) return trained.status();
    if (rep >= 0) r->ours_runs.push_back(ns / 1e9);
    double loss = 0;
    for (const analysis::Member& m : trained.value().members) loss += m.best_loss;
    r->ours_loss = loss / static_cast<double>(trained.value().members.size());
    if (trained.value().threads != r->threads) {
      return Fail("ours trained with " + std::to_string(trained.value().threads) +
                  " threads, not " + std::to_string(r->threads));
    }
    *model = std::move(trained).value();
    return ns;
  });
  for (const char* style : {"seq", "bmm"}) {
    const bool seq = std::string(style) == "seq";
    double* loss = seq ? &r->seq_loss : &r->bmm_loss;
    std::vector<double>* runs = seq ? &r->seq_runs : &r->bmm_runs;
    peers.emplace_back(
        std::string("torch.") + style, [&, style, loss, runs](int rep) -> Result<double> {
          if (rep < 0) return 0.0;  // each invocation warms up in its own process
          auto out = ctx.peer.Run({"train",
                                   "--data",
                                   data_path.string(),
                                   "--outputs",
                                   std::to_string(p.outputs),
                                   "--style",
                                   style,
                                   "--ensemble",
                                   std::to_string(options.ensemble),
                                   "--hidden",
                                   hidden,
                                   "--epochs",
                                   std::to_string(options.max_epochs),
                                   "--batch",
                                   std::to_string(options.batch_size),
                                   "--lr",
                                   Num(options.learning_rate),
                                   "--weight-decay",
                                   Num(options.weight_decay),
                                   "--threads",
                                   std::to_string(r->threads),
                                   "--seed",
                                   std::to_string(options.seed)});
          if (!out.ok()) return out.status();
          auto seconds = out.value().Get("seconds");
          auto steps = out.value().Get("steps");
          auto peer_loss = out.value().Get("loss");
          auto threads = out.value().Get("threads");
          for (const auto* v : {&seconds, &steps, &peer_loss, &threads}) {
            if (!v->ok()) return v->status();
          }
          if (static_cast<int64_t>(steps.value()) != r->steps ||
              static_cast<int>(threads.value()) != r->threads) {
            return Fail(std::string("torch.") + style + " ran " + Num(steps.value()) +
                        " steps on " + Num(threads.value()) + " threads; ours " +
                        std::to_string(r->steps) + " on " + std::to_string(r->threads));
          }
          *loss = peer_loss.value();
          runs->push_back(seconds.value());
          return seconds.value() * 1e9;
        });
  }
  std::fprintf(stderr,
               "analysis_bench: training, %d thread(s): %d runs per peer, interleaved (torch.seq "
               "takes the longest)...\n",
               r->threads, opt.reps);
  const CpuClock before = CpuClock::Now();
  if (Status s = RunInterleaved(peers, opt.quick ? 0 : 1, opt.reps); !s.ok()) return s;
  r->train_others = OthersShare(before, CpuClock::Now());
  const Samples& ours = Find(peers, "ours").samples;
  const Samples& seq = Find(peers, "torch.seq").samples;
  const Samples& bmm = Find(peers, "torch.bmm").samples;
  r->ours_s = ours.Median() / 1e9;
  r->seq_s = seq.Median() / 1e9;
  r->bmm_s = bmm.Median() / 1e9;
  r->ours_spread = ours.Spread();
  r->seq_spread = seq.Spread();
  r->bmm_spread = bmm.Spread();
  r->trained = true;
  return Status::Ok();
}

// The prediction part: ours on the batch and on single rows, then the peer's invocation.
Status Prediction(const Context& ctx, const analysis::Model& model, SpeedReport* r) {
  const Options& opt = ctx.opt;
  const dataset::Dataset batch = InputsOnly(Wide20(opt.predict_rows, 4).data);
  const auto batch_path = ctx.dir / "predict.csv";
  const auto model_path = ctx.dir / "model.txt";
  const auto check_path = ctx.dir / "predict.check";
  if (Status s = WriteFile(batch_path, dataset::ExportCsv(batch)); !s.ok()) return s;
  if (Status s = WriteFile(model_path, ModelText(model)); !s.ok()) return s;

  const size_t singles_count =
      std::min<size_t>(static_cast<size_t>(opt.latency_calls), batch.row_count());
  std::vector<dataset::Dataset> singles;
  for (size_t i = 0; i < singles_count; ++i) {
    std::vector<bool> keep(batch.row_count(), false);
    keep[i] = true;
    singles.push_back(Subset(batch, keep));
  }
  analysis::Prediction first;
  std::vector<Peer> peers;
  peers.emplace_back("ours.batch", [&](int) -> Result<double> {
    const auto start = SteadyClock::now();
    auto p = analysis::Predict(model, batch);
    const double ns = NanosSince(start);
    if (!p.ok()) return p.status();
    if (p.value().row_count() != batch.row_count()) return Fail("Predict lost rows");
    if (first.row_count() == 0) first = std::move(p).value();
    return ns;
  });
  peers.emplace_back("ours.single", [&](int) -> Result<double> {
    std::vector<double> calls;
    for (const dataset::Dataset& one : singles) {
      const auto start = SteadyClock::now();
      auto p = analysis::Predict(model, one);
      calls.push_back(NanosSince(start));
      if (!p.ok()) return p.status();
      KeepAlive(p.value().mean.data());
    }
    return MedianOf(calls);
  });
  // A diagnostic: the model check every Predict call starts with, alone.
  peers.emplace_back("ours.check", [&](int) -> Result<double> {
    std::vector<double> calls;
    for (size_t i = 0; i < singles.size(); ++i) {
      const auto start = SteadyClock::now();
      Status s = analysis::CheckModel(model);
      calls.push_back(NanosSince(start));
      if (!s.ok()) return s;
    }
    return MedianOf(calls);
  });
  std::fprintf(stderr,
               "analysis_bench: predict, %d thread(s): ours (%zu rows, %zu single rows)...\n",
               r->threads, batch.row_count(), singles_count);
  const CpuClock before = CpuClock::Now();
  if (Status s = RunInterleaved(peers, 1, opt.predict_reps); !s.ok()) return s;
  r->ours_batch_s = Find(peers, "ours.batch").samples.Median() / 1e9;
  r->ours_batch_spread = Find(peers, "ours.batch").samples.Spread();
  r->ours_latency_us = Find(peers, "ours.single").samples.Median() / 1e3;
  r->ours_latency_spread = Find(peers, "ours.single").samples.Spread();
  r->check_us = Find(peers, "ours.check").samples.Median() / 1e3;

  std::fprintf(stderr, "analysis_bench: predict, %d thread(s): the PyTorch peers...\n", r->threads);
  auto out = ctx.peer.Run({"predict", "--model", model_path.string(), "--data", batch_path.string(),
                           "--threads", std::to_string(r->threads), "--reps",
                           std::to_string(opt.predict_reps), "--latency-calls",
                           std::to_string(singles_count), "--check-rows",
                           std::to_string(kPredictCheckRows), "--check-out", check_path.string()});
  if (!out.ok()) return out.status();
  r->predict_others = OthersShare(before, CpuClock::Now());
  for (auto [name, field] : {std::pair{"seq.batch_seconds", &r->seq_batch_s},
                             std::pair{"bmm.batch_seconds", &r->bmm_batch_s},
                             std::pair{"seq.latency_us", &r->seq_latency_us},
                             std::pair{"bmm.latency_us", &r->bmm_latency_us}}) {
    auto v = out.value().Get(name);
    if (!v.ok()) return v.status();
    *field = v.value();
  }

  // The peer's ensemble must be ours: its means on the first rows equal our Predict's
  // (up to float32 rounding), relative to each output's scale.
  auto text = ReadFile(check_path);
  if (!text.ok()) return text.status();
  std::istringstream in(text.value());
  const size_t check_rows = std::min<size_t>(kPredictCheckRows, batch.row_count());
  for (size_t row = 0; row < check_rows; ++row) {
    for (size_t o = 0; o < model.outputs.size(); ++o) {
      double v = 0;
      if (!(in >> v)) return Fail(check_path.string() + ": too few values");
      const double gap = std::abs(v - first.mean[o][row]) / model.outputs[o].scale;
      r->prediction_gap = std::max(r->prediction_gap, gap);
    }
  }
  if (r->prediction_gap > 1e-4) {
    return Fail("the PyTorch peer's predictions differ from ours by " + Num(r->prediction_gap) +
                " output standard deviations: it is not running the same ensemble");
  }
  r->predicted = true;
  return Status::Ok();
}

}  // namespace

Result<SpeedReport> RunSpeed(const Context& ctx, int threads, bool training, bool predict) {
  if (Status s = analysis::SetThreads(threads); !s.ok()) return s;
  SpeedReport r;
  r.threads = analysis::Runtime().intra_op_threads;
  if (r.threads != threads) {
    return Fail("asked for " + std::to_string(threads) + " intra-op threads, libtorch uses " +
                std::to_string(r.threads));
  }
  const Problem p = Wide20(ctx.opt.train_rows, 3);
  const auto data_path = ctx.dir / "wide20.csv";
  if (Status s = WriteFile(data_path, dataset::ExportCsv(p.data)); !s.ok()) return s;
  analysis::Model model;
  if (training) {
    if (Status s = Training(ctx, data_path, p, &r, &model); !s.ok()) return s;
  } else {
    analysis::TrainOptions options;
    options.folds = 0;
    options.validation_fraction = 0;
    options.max_epochs = ctx.opt.epochs;
    auto trained = analysis::Train(p.data, options);
    if (!trained.ok()) return trained.status();
    model = std::move(trained).value();
  }
  if (predict) {
    if (Status s = Prediction(ctx, model, &r); !s.ok()) return s;
  }
  return r;
}

void PrintSpeed(const Options& opt, const std::vector<SpeedReport>& reports) {
  const analysis::TrainOptions defaults;
  std::string hidden;
  for (int h : defaults.hidden) hidden += (hidden.empty() ? "" : ",") + std::to_string(h);
  if (!reports.empty() && reports.front().trained) {
    std::printf(
        "training: wide20, %zu rows x 20 inputs -> 3 outputs; %d members, hidden %s (SiLU), "
        "batch %d, %d epochs = %lld steps, AdamW lr %s wd %s, float32, MSE on standardized "
        "outputs\n",
        opt.train_rows, defaults.ensemble, hidden.c_str(), defaults.batch_size, opt.epochs,
        static_cast<long long>(reports.front().steps), Num(defaults.learning_rate).c_str(),
        Num(defaults.weight_decay).c_str());
    std::printf(
        "  median of %d runs per peer (ours after %d warm-up; each PyTorch run is one "
        "invocation, warmed up in-process), interleaved\n",
        opt.reps, opt.quick ? 0 : 1);
    std::printf("  %7s | %8s %11s %11s | %8s %8s | %9s %9s %9s | %-19s | %s\n", "threads", "ours s",
                "torch.seq s", "torch.bmm s", "ours/seq", "ours/bmm", "loss ours", "seq", "bmm",
                "spread ours/seq/bmm", "others");
    for (const SpeedReport& r : reports) {
      std::printf(
          "  %7d | %8.2f %11.2f %11.2f | %7.2fx %7.2fx | %9.4f %9.4f %9.4f | %4.0f%% %4.0f%% "
          "%4.0f%%    | %5.1f%%\n",
          r.threads, r.ours_s, r.seq_s, r.bmm_s, r.ours_s / r.seq_s, r.ours_s / r.bmm_s,
          r.ours_loss, r.seq_loss, r.bmm_loss, r.ours_spread * 100, r.seq_spread * 100,
          r.bmm_spread * 100, r.train_others * 100);
    }
    std::printf("  others: the share of all CPUs that other processes used during the runs\n");
    for (const SpeedReport& r : reports) {
      for (const auto& [name, runs] :
           {std::pair{"ours", &r.ours_runs}, std::pair{"torch.seq", &r.seq_runs},
            std::pair{"torch.bmm", &r.bmm_runs}}) {
        std::printf("  %d thread%s, %-9s s per run:", r.threads, r.threads == 1 ? " " : "s", name);
        for (double v : *runs) std::printf(" %.2f", v);
        std::printf("\n");
      }
    }
    std::printf("\n");
  }
  if (!reports.empty() && reports.front().predicted) {
    std::printf(
        "predict: %zu rows x 20 inputs (rows/s), and single rows (median µs of %d calls); the "
        "peers hold our model's weights; medians of %d repetitions\n",
        opt.predict_rows, opt.latency_calls, opt.predict_reps);
    std::printf("  %7s | %12s %12s %12s | %8s %8s | %9s %9s %9s | %8s %8s | %9s | %s\n", "threads",
                "ours rows/s", "seq rows/s", "bmm rows/s", "ours/seq", "ours/bmm", "ours µs",
                "seq µs", "bmm µs", "ours/seq", "ours/bmm", "max |gap|", "others");
    for (const SpeedReport& r : reports) {
      const auto rows = static_cast<double>(opt.predict_rows);
      std::printf(
          "  %7d | %12.0f %12.0f %12.0f | %7.2fx %7.2fx | %9.1f %9.1f %9.1f | %7.2fx %7.2fx | "
          "%9.1e | %5.1f%%\n",
          r.threads, rows / r.ours_batch_s, rows / r.seq_batch_s, rows / r.bmm_batch_s,
          r.ours_batch_s / r.seq_batch_s, r.ours_batch_s / r.bmm_batch_s, r.ours_latency_us,
          r.seq_latency_us, r.bmm_latency_us, r.ours_latency_us / r.seq_latency_us,
          r.ours_latency_us / r.bmm_latency_us, r.prediction_gap, r.predict_others * 100);
    }
    std::printf("  ratios are ours' time / the peer's (below 1: ours is faster); spread of ours: ");
    for (const SpeedReport& r : reports) {
      std::printf("batch %.0f%%, single %.0f%% (%d thr)  ", r.ours_batch_spread * 100,
                  r.ours_latency_spread * 100, r.threads);
    }
    std::printf("\n  of ours' single-row time, analysis::CheckModel alone takes:");
    for (const SpeedReport& r : reports) std::printf(" %.1f µs (%d thr)", r.check_us, r.threads);
    std::printf("\n\n");
  }
}

}  // namespace sigmad::bench
