#include "app/model_methods.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include "app/params.h"
#include "common/time_format.h"

namespace sigmad::app {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using R = Result<Var>;

Object::Ptr ModelJson(const models::ModelInfo& m) {
  Object::Ptr o = NewObject();
  o->set("tenant", m.tenant);
  o->set("project", m.project);
  o->set("name", m.name);
  o->set("dataset", m.dataset);
  o->set("dataset_hash", m.dataset_hash);
  o->set("rows", static_cast<Poco::UInt64>(m.rows));
  Object::Ptr opt = NewObject();
  opt->set("ensemble", m.options.ensemble);
  Array::Ptr hidden = new Array;
  for (int h : m.options.hidden) hidden->add(h);
  opt->set("hidden", hidden);
  opt->set("max_epochs", m.options.max_epochs);
  opt->set("folds", m.options.folds);
  opt->set("seed", static_cast<Poco::UInt64>(m.options.seed));
  o->set("options", opt);
  o->set("cv_folds", m.cross_validation.folds);
  Array::Ptr outputs = new Array;
  for (size_t i = 0; i < m.outputs.size(); ++i) {
    Object::Ptr out = NewObject();
    out->set("name", m.outputs[i]);
    if (i < m.cross_validation.outputs.size()) {
      out->set("r2", m.cross_validation.outputs[i].r2);
      out->set("rmse", m.cross_validation.outputs[i].rmse);
      out->set("mae", m.cross_validation.outputs[i].mae);
    }
    outputs->add(out);
  }
  o->set("outputs", outputs);
  Array::Ptr inputs = new Array;
  for (const auto& in : m.inputs) inputs->add(in);
  o->set("inputs", inputs);
  o->set("torch_version", m.torch_version);
  o->set("threads", m.threads);
  o->set("job", m.job);
  o->set("created_at", FormatUtc(m.created));
  o->set("created_by", m.created_by);
  return o;
}

}  // namespace

void RegisterModelMethods(control::Dispatcher& d, models::ModelService& service,
                          Uploads& uploads_in) {
  models::ModelService* svc = &service;
  Uploads* uploads = &uploads_in;
  d.Register("model.train", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"path", "name", "ensemble", "hidden", "epochs", "seed",
                                    "folds"});
        !s.ok()) {
      return s;
    }
    auto path = RequiredString(call, "path");
    if (!path.ok()) return path.status();
    auto name = RequiredString(call, "name");
    if (!name.ok()) return name.status();
    analysis::TrainOptions o;
    // The service validates the ranges; here only that they are integers that fit.
    for (auto [key, slot] : {std::pair{"ensemble", &o.ensemble},
                             std::pair{"epochs", &o.max_epochs}, std::pair{"folds", &o.folds}}) {
      auto v = OptInt(call, key, *slot, -1000000, 1000000);
      if (!v.ok()) return v.status();
      *slot = static_cast<int>(v.value());
    }
    auto seed = OptInt(call, "seed", 1, 0, (1LL << 62));
    if (!seed.ok()) return seed.status();
    o.seed = static_cast<uint64_t>(seed.value());
    if (call.params().has("hidden")) {
      const Var v = call.params().get("hidden");
      if (v.type() != typeid(Array::Ptr)) return BadParam("hidden", "must be a list of integers");
      o.hidden.clear();
      for (const Var& h : *v.extract<Array::Ptr>()) {
        if (!h.isInteger() || h.isBoolean()) return BadParam("hidden", "must be a list of integers");
        o.hidden.push_back(static_cast<int>(std::clamp<long long>(h.convert<long long>(), -1, 1 << 20)));
      }
    }
    auto job = svc->Train(ActorOf(call), path.value(), name.value(), o);
    if (!job.ok()) return job.status();
    Object::Ptr out = NewObject();
    out->set("job", job.value().id);
    out->set("target", job.value().target);
    out->set("state", std::string(jobs::StateName(job.value().state)));
    return Var(out);
  });
  d.Register("model.list", [svc](const control::Call& call) -> R {
    auto path = OnlyString(call, "path");
    if (!path.ok()) return path.status();
    auto list = svc->List(path.value());
    if (!list.ok()) return list.status();
    Object::Ptr o = NewObject();
    o->set("models", ToArray(list.value(), ModelJson));
    return Var(o);
  });
  d.Register("model.show", [svc](const control::Call& call) -> R {
    auto path = OnlyString(call, "path");
    if (!path.ok()) return path.status();
    auto m = svc->Show(path.value());
    if (!m.ok()) return m.status();
    return Var(ModelJson(m.value()));
  });
  d.Register("model.predict", [svc, uploads](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"path", "upload"}); !s.ok()) return s;
    // The upload is taken first, so that it is dropped whatever else is wrong.
    auto upload = RequiredString(call, "upload");
    if (!upload.ok()) return upload.status();
    auto csv = uploads->Take(upload.value());
    if (!csv.ok()) return csv.status();
    auto path = RequiredString(call, "path");
    if (!path.ok()) return path.status();
    // Progress per chunk keeps sigmactl's between-replies timeout from firing on a
    // large file, and stops the work when the client has gone or sigmad is stopping.
    auto p = svc->Predict(ActorOf(call), path.value(), csv.value(),
                          [&call](size_t done, size_t total) {
                            Object::Ptr progress = NewObject();
                            progress->set("done", static_cast<Poco::UInt64>(done));
                            progress->set("total", static_cast<Poco::UInt64>(total));
                            progress->set("message", std::string("predicting"));
                            return call.Progress(progress) && !call.Stopping();
                          });
    if (!p.ok()) return p.status();
    if (Status s = SendCsv(call, p.value().csv); !s.ok()) return s;
    Object::Ptr o = NewObject();
    o->set("model", p.value().model);
    o->set("rows", static_cast<Poco::UInt64>(p.value().rows));
    o->set("outside", static_cast<Poco::UInt64>(p.value().outside));
    o->set("bytes", static_cast<Poco::UInt64>(p.value().csv.size()));
    return Var(o);
  });
}

}  // namespace sigmad::app
