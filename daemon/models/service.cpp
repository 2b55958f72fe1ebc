#include "models/service.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <optional>
#include <sstream>

#include "crypto/random.h"
#include "models/prediction.h"
#include "dataset/values.h"
#include "store/keys.h"
#include "tenancy/names.h"

namespace sigmad::models {
namespace {

using Poco::JSON::Array;
using Poco::JSON::Object;
using store::KeyBuilder;
using store::KeyReader;
using tenancy::FoldName;

constexpr std::string_view kTrain = "model.train";
constexpr std::string_view kPredict = "model.predict";

Object::Ptr MetricsJson(const analysis::Metrics& m) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("r2", m.r2);
  o->set("rmse", m.rmse);
  o->set("mae", m.mae);
  return o;
}

analysis::Metrics MetricsFrom(const Object::Ptr& o) {
  return {o->getValue<double>("r2"), o->getValue<double>("rmse"), o->getValue<double>("mae")};
}

Array::Ptr Strings(const std::vector<std::string>& v) {
  Array::Ptr a = new Array;
  for (const auto& s : v) a->add(s);
  return a;
}

std::string EncodeMeta(const ModelInfo& m) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("name", m.name);
  o->set("dataset", m.dataset);
  o->set("dataset_hash", m.dataset_hash);
  const analysis::TrainOptions& t = m.options;
  Object::Ptr opt = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  opt->set("ensemble", t.ensemble);
  Array::Ptr hidden = new Array;
  for (int h : t.hidden) hidden->add(h);
  opt->set("hidden", hidden);
  opt->set("max_epochs", t.max_epochs);
  opt->set("batch_size", t.batch_size);
  opt->set("learning_rate", t.learning_rate);
  opt->set("weight_decay", t.weight_decay);
  opt->set("validation_fraction", t.validation_fraction);
  opt->set("patience", t.patience);
  opt->set("folds", t.folds);
  opt->set("seed", static_cast<Poco::UInt64>(t.seed));
  o->set("options", opt);
  Array::Ptr cv = new Array;
  for (const auto& metrics : m.cross_validation.outputs) cv->add(MetricsJson(metrics));
  o->set("cv_folds", m.cross_validation.folds);
  o->set("cv", cv);
  o->set("inputs", Strings(m.inputs));
  o->set("outputs", Strings(m.outputs));
  o->set("rows", static_cast<Poco::UInt64>(m.rows));
  o->set("torch_version", m.torch_version);
  o->set("threads", m.threads);
  o->set("job", m.job);
  o->set("created_ms", static_cast<Poco::Int64>(
                           std::chrono::duration_cast<std::chrono::milliseconds>(
                               m.created.time_since_epoch())
                               .count()));
  o->set("created_by", m.created_by);
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

Result<ModelInfo> DecodeMeta(uint64_t id, std::string_view plain) {
  try {
    Poco::JSON::Parser parser;
    Object::Ptr o = parser.parse(std::string(plain)).extract<Object::Ptr>();
    ModelInfo m;
    m.id = id;
    m.name = o->getValue<std::string>("name");
    m.dataset = o->getValue<std::string>("dataset");
    m.dataset_hash = o->getValue<std::string>("dataset_hash");
    Object::Ptr opt = o->getObject("options");
    analysis::TrainOptions& t = m.options;
    t.ensemble = opt->getValue<int>("ensemble");
    t.hidden.clear();
    for (const auto& h : *opt->getArray("hidden")) t.hidden.push_back(h.convert<int>());
    t.max_epochs = opt->getValue<int>("max_epochs");
    t.batch_size = opt->getValue<int>("batch_size");
    t.learning_rate = opt->getValue<double>("learning_rate");
    t.weight_decay = opt->getValue<double>("weight_decay");
    t.validation_fraction = opt->getValue<double>("validation_fraction");
    t.patience = opt->getValue<int>("patience");
    t.folds = opt->getValue<int>("folds");
    t.seed = opt->getValue<Poco::UInt64>("seed");
    m.cross_validation.folds = o->getValue<int>("cv_folds");
    for (const auto& v : *o->getArray("cv")) {
      m.cross_validation.outputs.push_back(MetricsFrom(v.extract<Object::Ptr>()));
    }
    for (const auto& v : *o->getArray("inputs")) m.inputs.push_back(v.toString());
    for (const auto& v : *o->getArray("outputs")) m.outputs.push_back(v.toString());
    m.rows = o->getValue<Poco::UInt64>("rows");
    m.torch_version = o->getValue<std::string>("torch_version");
    m.threads = o->getValue<int>("threads");
    m.job = o->getValue<std::string>("job");
    m.created = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(o->getValue<Poco::Int64>("created_ms")));
    m.created_by = o->getValue<std::string>("created_by");
    return m;
  } catch (const std::exception& e) {
    return Status::Error("corrupt", "model record " + std::to_string(id) + ": " + e.what());
  }
}

}  // namespace

Result<std::unique_ptr<ModelService>> ModelService::Open(store::Vault& vault,
                                                         audit::AuditLog& audit,
                                                         tenancy::TenancyService& tenancy,
                                                         dataset::DatasetService& datasets,
                                                         jobs::JobService& jobs,
                                                         const Clock& clock) {
  auto meta = vault.OpenTable("models", store::Owner::kTenantFirst);
  if (!meta.ok()) return meta.status();
  auto data = vault.OpenTable("model_data", store::Owner::kTenantFirst);
  if (!data.ok()) return data.status();
  std::unique_ptr<ModelService> svc(new ModelService(vault, audit, tenancy, datasets, jobs, clock,
                                                     Tables{meta.value(), data.value()}));
  // A project's models go with it (project.delete --force), or keep it (without).
  tenancy.AddProjectData("model", [p = svc.get()](store::WriteTxn& txn, uint64_t tenant,
                                                  uint64_t project, bool remove) -> Result<size_t> {
    std::vector<std::string> keys;
    Status s = txn.ForEach(p->t_.meta.dbi, KeyBuilder().U64(tenant).U64(project).Build(),
                           [&](std::string_view key, std::string_view, bool*) {
                             keys.emplace_back(key);
                             return Status::Ok();
                           });
    if (!s.ok()) return s;
    for (const std::string& key : keys) {
      if (!remove) break;
      const uint64_t id = KeyReader(std::string_view(key).substr(16)).U64().value_or(0);
      if (auto d = txn.Delete(p->t_.data.dbi, KeyBuilder().U64(tenant).U64(id).Build()); !d.ok()) {
        return d.status();
      }
      if (auto d = txn.Delete(p->t_.meta.dbi, key); !d.ok()) return d.status();
    }
    return keys.size();
  });
  // A dataset that models were trained on is deleted only with --force.
  datasets.AddDependents([p = svc.get()](const store::ReadTxn& txn, uint64_t tenant,
                                         uint64_t project, const dataset::DatasetInfo& d)
                             -> Result<std::vector<std::string>> {
    auto all = p->Scan(txn, Place{tenant, project, d.tenant, d.project, ""});
    if (!all.ok()) return all.status();
    std::vector<std::string> names;
    for (const ModelInfo& m : all.value()) {
      if (m.dataset_hash == d.hash) names.push_back("model " + m.name);
    }
    return names;
  });
  return svc;
}

Status ModelService::Refuse(const tenancy::Actor& actor, std::string_view tenant,
                            std::string_view action, std::string_view target, Status why) {
  return tenancy::AuditRefusal(audit_, clock_, actor, tenant, action, target, std::move(why));
}

Result<ModelService::Place> ModelService::Resolve(std::string_view path) const {
  const size_t slash = path.rfind('/');
  auto parts = tenancy::ParsePath(path.substr(0, slash), 2);
  if (slash == std::string_view::npos || !parts.ok()) {
    return Status::Error("invalid_name", "'" + dataset::Printable(path, 200) +
                                             "' is not of the form TENANT/PROJECT/NAME");
  }
  Place w;
  w.name = std::string(path.substr(slash + 1));
  auto p = tenancy_.FindProject(parts.value()[0], parts.value()[1]);
  if (!p.ok()) return p.status();
  w.tenant = p.value().first;
  w.project = p.value().second.id;
  w.tenant_name = p.value().second.tenant;
  w.project_name = p.value().second.name;
  return w;
}

Result<std::vector<ModelInfo>> ModelService::Scan(const store::ReadTxn& txn,
                                                  const Place& where) const {
  std::vector<ModelInfo> out;
  Status s = vault_.Scan(txn, t_.meta, KeyBuilder().U64(where.tenant).U64(where.project).Build(),
                         [&](std::string_view key, std::string_view plain, bool*) -> Status {
                           auto m = DecodeMeta(KeyReader(key.substr(16)).U64().value_or(0), plain);
                           if (!m.ok()) return m.status();
                           m.value().tenant_id = where.tenant;
                           m.value().tenant = where.tenant_name;
                           m.value().project = where.project_name;
                           out.push_back(std::move(m).value());
                           return Status::Ok();
                         });
  if (!s.ok()) return s;
  std::sort(out.begin(), out.end(), [](const ModelInfo& a, const ModelInfo& b) {
    return FoldName(a.name) < FoldName(b.name);
  });
  return out;
}

Result<jobs::JobInfo> ModelService::Train(const tenancy::Actor& actor,
                                          std::string_view dataset_path, const std::string& name,
                                          const analysis::TrainOptions& options) {
  auto where = Resolve(dataset_path);
  const std::string tenant(dataset_path.substr(0, dataset_path.find('/')));
  if (!where.ok()) return Refuse(actor, tenant, kTrain, "", where.status());
  Place model = where.value();
  model.name = name;
  const std::string target = model.tenant_name + "/" + model.project_name + "/" + name;
  if (Status s = tenancy::ValidateName(tenancy::Kind::kModel, name); !s.ok()) {
    return Refuse(actor, model.tenant_name, kTrain, "", s);
  }
  if (Status s = analysis::ValidateOptions(options); !s.ok()) {
    return Refuse(actor, model.tenant_name, kTrain, target, s);
  }
  auto shown = datasets_.Show(dataset_path);
  if (!shown.ok()) return Refuse(actor, model.tenant_name, kTrain, target, shown.status());
  for (const dataset::ColumnSpec& c : shown.value().schema.columns) {
    if (c.role == dataset::Role::kOutput && c.type == dataset::ColumnType::kCategorical) {
      return Refuse(actor, model.tenant_name, kTrain, target,
                    Status::Error("unsupported",
                                  "output column '" + dataset::Printable(c.name) +
                                      "' is categorical; models predict numeric outputs only "
                                      "(import it as numbers, or with role input or ignore)"));
    }
  }
  if (auto existing = Show(target); existing.ok()) {
    return Refuse(actor, model.tenant_name, kTrain, target,
                  Status::Error("exists", "model '" + target + "' already exists; models are "
                                          "immutable: train under another name"));
  }
  const std::string data_path = shown.value().tenant + "/" + shown.value().project + "/" +
                                shown.value().name;
  return jobs_.Submit(actor, model.tenant, model.tenant_name, std::string(kTrain), target,
                      [this, actor, model, data_path, options](jobs::JobContext& c) {
                        return Run(c, actor, model, data_path, options);
                      });
}

Result<std::string> ModelService::Run(jobs::JobContext& context, const tenancy::Actor& actor,
                                       const Place& where, const std::string& dataset_path,
                                       const analysis::TrainOptions& options) {
  const std::string& job_id = context.id();
  context.Progress(0, "loading " + dataset_path);
  auto info = datasets_.Show(dataset_path);
  if (!info.ok()) return info.status();
  auto data = datasets_.Load(dataset_path);
  if (!data.ok()) return data.status();
  analysis::TrainHooks hooks;
  hooks.on_epoch = [&](const analysis::Progress& p) {
    context.Progress(p.fraction_done, analysis::DescribeProgress(p));
  };
  hooks.cancelled = [&] { return context.Cancelled(); };
  auto trained = analysis::Train(data.value(), options, hooks);
  if (!trained.ok()) return trained.status();
  const analysis::Model& m = trained.value();

  auto id = crypto::RandomId();
  if (!id.ok()) return id.status();
  ModelInfo meta;
  meta.id = id.value();
  meta.name = where.name;
  meta.dataset = info.value().name;
  meta.dataset_hash = info.value().hash;
  meta.options = options;
  meta.cross_validation = m.cross_validation;
  for (const auto& in : m.inputs) meta.inputs.push_back(in.name);
  for (const auto& out : m.outputs) meta.outputs.push_back(out.name);
  meta.rows = m.training_rows;
  meta.torch_version = m.torch_version;
  meta.threads = m.threads;
  meta.job = job_id;
  meta.created = std::chrono::floor<std::chrono::milliseconds>(clock_.Now());
  meta.created_by = actor.name;
  const std::string target = where.tenant_name + "/" + where.project_name + "/" + where.name;
  Status refused;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    refused = Status::Ok();
    if (Status p = tenancy_.CheckProject(txn, where.tenant, where.project); !p.ok()) {
      return refused = Status::Error("not_found", "project '" + where.tenant_name + "/" +
                                                      where.project_name + "' was deleted");
    }
    auto existing = Scan(txn, where);
    if (!existing.ok()) return existing.status();
    for (const ModelInfo& e : existing.value()) {
      if (FoldName(e.name) == FoldName(where.name)) {
        return refused = Status::Error("exists", "model '" + target + "' was made meanwhile");
      }
    }
    const std::string meta_key =
        KeyBuilder().U64(where.tenant).U64(where.project).U64(meta.id).Build();
    if (Status p = vault_.Put(txn, t_.meta, meta_key, where.tenant, EncodeMeta(meta),
                              store::PutMode::kNoOverwrite);
        !p.ok()) {
      return p;
    }
    if (Status p = vault_.Put(txn, t_.data, KeyBuilder().U64(where.tenant).U64(meta.id).Build(),
                              where.tenant, analysis::SerializeModel(m),
                              store::PutMode::kNoOverwrite);
        !p.ok()) {
      return p;
    }
    audit::Fields f = tenancy::AuditFields(clock_, actor, where.tenant_name, kTrain, target,
                                           std::string(audit::kOutcomeOk));
    f.details = "dataset " + meta.dataset + " (hash " + meta.dataset_hash.substr(0, 12) +
                "), job " + job_id + ", " + std::to_string(options.ensemble) + " members";
    return a.Append(f);
  });
  if (!refused.ok()) return Refuse(actor, where.tenant_name, kTrain, target, refused);
  if (!s.ok()) return s;
  return "model " + target;
}

Result<std::vector<ModelInfo>> ModelService::List(std::string_view project_path) const {
  auto parts = tenancy::ParsePath(project_path, 2);
  if (!parts.ok()) return parts.status();
  auto p = tenancy_.FindProject(parts.value()[0], parts.value()[1]);
  if (!p.ok()) return p.status();
  Place where{p.value().first, p.value().second.id, p.value().second.tenant,
              p.value().second.name, ""};
  std::vector<ModelInfo> out;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto all = Scan(txn, where);
    if (!all.ok()) return all.status();
    out = std::move(all).value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return out;
}

Result<ModelInfo> ModelService::Show(std::string_view model_path) const {
  auto where = Resolve(model_path);
  if (!where.ok()) return where.status();
  if (Status s = tenancy::ValidateName(tenancy::Kind::kModel, where.value().name); !s.ok()) {
    return s;
  }
  auto all = List(where.value().tenant_name + "/" + where.value().project_name);
  if (!all.ok()) return all.status();
  for (ModelInfo& m : all.value()) {
    if (FoldName(m.name) == FoldName(where.value().name)) return std::move(m);
  }
  return Status::Error("not_found", "model '" + where.value().tenant_name + "/" +
                                        where.value().project_name + "/" + where.value().name +
                                        "' does not exist");
}

Result<analysis::Model> ModelService::Load(std::string_view model_path) const {
  auto info = Show(model_path);
  if (!info.ok()) return info.status();
  return LoadData(info.value());
}

Result<analysis::Model> ModelService::LoadData(const ModelInfo& info) const {
  std::optional<std::string> bytes;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto got = vault_.Get(txn, t_.data, KeyBuilder().U64(info.tenant_id).U64(info.id).Build(),
                          info.tenant_id);
    if (!got.ok()) return got.status();
    bytes = got.value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  if (!bytes) {
    return Status::Error("corrupt", "model " + info.tenant + "/" + info.project + "/" +
                                        info.name + " has no data");
  }
  return analysis::DeserializeModel(*bytes);
}

Result<ModelService::Predicted> ModelService::Predict(const tenancy::Actor& actor,
                                                      std::string_view model_path,
                                                      std::string_view csv,
                                                      const analysis::PredictProgress& progress) {
  const std::string tenant(model_path.substr(0, model_path.find('/')));
  auto info = Show(model_path);
  if (!info.ok()) {
    return Refuse(actor, tenant, kPredict, dataset::Printable(model_path, 200), info.status());
  }
  Predicted out;
  out.model = info.value().tenant + "/" + info.value().project + "/" + info.value().name;
  auto refuse = [&](Status why) {
    return Refuse(actor, info.value().tenant, kPredict, out.model, std::move(why));
  };
  auto model = LoadData(info.value());
  if (!model.ok()) return refuse(model.status());
  auto inputs = ReadPredictionInputs(model.value(), csv);
  if (!inputs.ok()) return refuse(inputs.status());
  auto predicted = analysis::Predict(model.value(), inputs.value(), progress);
  if (!predicted.ok()) return refuse(predicted.status());
  out.rows = predicted.value().row_count();
  for (const auto& outside : predicted.value().outside) out.outside += outside.empty() ? 0 : 1;
  out.csv = PredictionCsv(model.value(), inputs.value(), predicted.value());
  audit::Fields f = tenancy::AuditFields(clock_, actor, info.value().tenant, kPredict, out.model,
                                         std::string(audit::kOutcomeOk));
  f.details = std::to_string(out.rows) + " rows, " + std::to_string(out.outside) +
              " with inputs outside the training range";
  if (Status s = audit_.Append(f); !s.ok()) return s;
  return out;
}

}  // namespace sigmad::models
