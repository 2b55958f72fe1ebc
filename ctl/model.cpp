// sigmactl model train|list|show, and sigmactl predict.
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <iostream>

#include "commands.h"
#include "render.h"
#include "transfer.h"

namespace sigmad::ctl {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;

}  // namespace

int CmdModelTrain(const GlobalOptions& g, const ModelTrainArgs& a) {
  Object::Ptr params = PathParams(a.dataset);
  params->set("name", a.name);
  if (a.ensemble) params->set("ensemble", *a.ensemble);
  if (a.epochs) params->set("epochs", *a.epochs);
  if (a.folds) params->set("folds", *a.folds);
  if (a.seed) params->set("seed", *a.seed);
  if (!a.hidden.empty()) {
    Array::Ptr h = new Array;
    for (int n : a.hidden) h->add(n);
    params->set("hidden", h);
  }
  auto r = CallDaemon(g, "model.train", params);
  if (!r.ok()) return ReportFailure(r.status());
  auto o = r->extract<Object::Ptr>();
  if (!a.wait) {
    if (g.json) {
      std::cout << ToJson(r.value()) << '\n';
    } else {
      std::cout << "training " << Str(o, "target") << " as job " << Str(o, "job")
                << " (follow it with: sigmactl job wait " << Str(o, "job") << ")\n";
    }
    return kExitOk;
  }
  if (!g.json) std::cerr << "training " << Str(o, "target") << " as job " << Str(o, "job") << '\n';
  return CmdJobWait(g, o->getValue<std::string>("job"));
}

int CmdModelList(const GlobalOptions& g, const std::string& project) {
  return RunMethod(g, "model.list", PathParams(project), [&](const Object::Ptr& o) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : *o->getArray("models")) {
      auto m = v.extract<Object::Ptr>();
      std::string r2;
      for (const auto& out : *m->getArray("outputs")) {
        auto oo = out.extract<Object::Ptr>();
        r2 += (r2.empty() ? "" : " ") + Str(oo, "name") + "=" + Num(oo, "r2");
      }
      rows.push_back({Str(m, "name"), Str(m, "dataset"), Str(m, "rows"), r2, Str(m, "created_at")});
    }
    if (rows.empty()) {
      std::cout << "no models in " << project << '\n';
      return;
    }
    PrintTable(std::cout, {"NAME", "DATASET", "ROWS", "CV R2", "CREATED"}, rows);
  });
}

int CmdModelShow(const GlobalOptions& g, const std::string& path) {
  return RunMethod(g, "model.show", PathParams(path), [&](const Object::Ptr& m) {
    auto opt = m->getObject("options");
    std::string hidden;
    for (const auto& h : *opt->getArray("hidden"))
      hidden += (hidden.empty() ? "" : ",") + h.toString();
    PrintKeyValues(
        std::cout,
        {{"model", Str(m, "tenant") + "/" + Str(m, "project") + "/" + Str(m, "name")},
         {"dataset", Str(m, "dataset") + " (hash " + Str(m, "dataset_hash").substr(0, 12) + ", " +
                         Str(m, "rows") + " rows)"},
         {"network", Str(opt, "ensemble") + " members, hidden " + hidden + ", up to " +
                         Str(opt, "max_epochs") + " epochs, seed " + Str(opt, "seed")},
         {"trained",
          Str(m, "created_at") + " by " + Str(m, "created_by") + ", job " + Str(m, "job")},
         {"runtime",
          "libtorch " + Str(m, "torch_version") + ", " + Str(m, "threads") + " thread(s)"}});
    std::cout << '\n';
    const std::string folds = Str(m, "cv_folds");
    if (folds == "0") {
      std::cout << "no cross-validation (folds 0)\n";
      return;
    }
    std::cout << folds << "-fold cross-validation:\n";
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : *m->getArray("outputs")) {
      auto o = v.extract<Object::Ptr>();
      rows.push_back({Str(o, "name"), Num(o, "r2"), Num(o, "rmse"), Num(o, "mae")});
    }
    PrintTable(std::cout, {"OUTPUT", "R2", "RMSE", "MAE"}, rows);
  });
}

int CmdPredict(const GlobalOptions& g, const std::string& model, const std::string& file,
               const std::string& output) {
  if (g.json && output.empty()) {
    std::cerr << "sigmactl: predict --json needs --output: standard output carries the CSV\n";
    return kExitUsage;
  }
  auto csv = ReadWhole("the CSV file", file);
  if (!csv.ok()) return ReportFailure(csv.status());
  auto upload = Upload(g, csv.value());
  if (!upload.ok()) return ReportFailure(upload.status());
  Object::Ptr params = PathParams(model);
  params->set("upload", upload.value());
  auto r = Download(g, "model.predict", params, output);
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(Poco::Dynamic::Var(r.value())) << '\n';
    return kExitOk;
  }
  const auto outside = r.value()->optValue<Poco::UInt64>("outside", 0);
  std::cerr << "predicted " << Str(r.value(), "rows") << " rows with " << Str(r.value(), "model")
            << (output.empty() ? "" : " into " + output);
  if (outside > 0) {
    std::cerr << "; " << outside << (outside == 1 ? " row has" : " rows have")
              << " inputs outside the training range (see out_of_range): trust those less";
  }
  std::cerr << '\n';
  return kExitOk;
}

}  // namespace sigmad::ctl
