#include "app/dataset_methods.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <map>
#include <memory>
#include <mutex>
#include <sstream>

#include "app/params.h"
#include "common/time_format.h"
#include "dataset/values.h"

namespace sigmad::app {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;
using R = Result<Var>;

Object::Ptr InfoJson(const dataset::DatasetInfo& d) {
  Object::Ptr o = NewObject();
  o->set("tenant", d.tenant);
  o->set("project", d.project);
  o->set("name", d.name);
  o->set("rows", static_cast<Poco::UInt64>(d.rows));
  o->set("columns", static_cast<Poco::UInt64>(d.schema.columns.size()));
  o->set("hash", d.hash);
  o->set("source", d.source);
  o->set("created_at", FormatUtc(d.created));
  o->set("created_by", d.created_by);
  return o;
}

Object::Ptr DetailJson(const dataset::DatasetInfo& d) {
  Object::Ptr o = InfoJson(d);
  Array::Ptr columns = new Array;
  for (size_t i = 0; i < d.schema.columns.size(); ++i) {
    const dataset::ColumnSpec& c = d.schema.columns[i];
    const dataset::ColumnStats& s = d.stats[i];
    Object::Ptr co = NewObject();
    co->set("name", c.name);
    co->set("role", std::string(dataset::RoleName(c.role)));
    co->set("type", std::string(dataset::TypeName(c.type)));
    co->set("unit", c.unit);
    if (c.type == dataset::ColumnType::kNumeric) {
      co->set("min", s.min);
      co->set("max", s.max);
      co->set("mean", s.mean);
      co->set("sd", s.sd);
    } else {
      Object::Ptr levels = NewObject();
      for (size_t l = 0; l < c.levels.size(); ++l) {
        levels->set(c.levels[l], static_cast<Poco::UInt64>(s.level_counts[l]));
      }
      co->set("levels", levels);
    }
    columns->add(co);
  }
  o->set("column_list", columns);
  o->set("schema", dataset::SchemaToYaml(d.schema));
  o->set("import_report", d.report);
  return o;
}

R Import(const control::Call& call, dataset::DatasetService& svc, Uploads& uploads) {
  if (Status s = call.OnlyParams({"path", "name", "upload", "source", "schema", "inputs",
                                  "outputs", "on_error"});
      !s.ok()) {
    return s;
  }
  // The upload is taken first, so that it is dropped whatever else is wrong.
  auto upload = RequiredString(call, "upload");
  if (!upload.ok()) return upload.status();
  auto csv = uploads.Take(upload.value());
  if (!csv.ok()) return csv.status();
  dataset::ImportRequest req;
  req.csv = std::move(csv).value();
  for (auto [name, slot] : {std::pair{"path", &req.path}, std::pair{"name", &req.name}}) {
    auto v = RequiredString(call, name);
    if (!v.ok()) return v.status();
    *slot = v.value();
  }
  auto source = OptString(call, "source");
  if (!source.ok()) return source.status();
  req.source = source.value();
  if (call.params().has("schema")) {
    auto schema = OptString(call, "schema");
    if (!schema.ok()) return schema.status();
    req.schema = schema.value();
  }
  auto inputs = OptStringList(call, "inputs");
  if (!inputs.ok()) return inputs.status();
  auto outputs = OptStringList(call, "outputs");
  if (!outputs.ok()) return outputs.status();
  if (req.schema && (!inputs.value().empty() || !outputs.value().empty())) {
    return BadParam("inputs", "and 'outputs' go without 'schema': the schema names the roles");
  }
  if (!req.schema && (inputs.value().empty() || outputs.value().empty())) {
    return BadParam("schema", "is needed, or else both 'inputs' and 'outputs'");
  }
  req.inputs = inputs.value();
  req.outputs = outputs.value();
  auto on_error = OptString(call, "on_error", "reject");
  if (!on_error.ok()) return on_error.status();
  if (on_error.value() == "skip") {
    req.options.on_error = dataset::OnError::kSkip;
  } else if (on_error.value() != "reject") {
    return BadParam("on_error", "must be reject or skip, got '" +
                                    dataset::Printable(on_error.value(), 32) + "'");
  }
  auto r = svc.Import(ActorOf(call), req);
  if (!r.ok()) return r.status();
  Object::Ptr o = NewObject();
  o->set("dataset", DetailJson(r.value().info));
  o->set("existing", r.value().existing);
  o->set("inferred", r.value().inferred);
  const dataset::ImportReport& rep = r.value().report;
  Object::Ptr report = NewObject();
  report->set("rows_read", static_cast<Poco::UInt64>(rep.rows_read));
  report->set("rows_kept", static_cast<Poco::UInt64>(rep.rows_kept));
  report->set("rows_skipped", static_cast<Poco::UInt64>(rep.rows_skipped));
  report->set("rows_dropped", static_cast<Poco::UInt64>(rep.rows_dropped));
  Array::Ptr problems = new Array;
  for (const auto& p : rep.problems) problems->add(p);
  report->set("problems", problems);
  report->set("problem_count", static_cast<Poco::UInt64>(rep.problem_count));
  report->set("summary", rep.ToString());
  o->set("report", report);
  return Var(o);
}

R Export(const control::Call& call, const dataset::DatasetService& svc) {
  auto path = OnlyString(call, "path");
  if (!path.ok()) return path.status();
  auto d = svc.Load(path.value());
  if (!d.ok()) return d.status();
  const std::string csv = dataset::ExportCsv(d.value());
  if (Status s = SendCsv(call, csv); !s.ok()) return s;
  Object::Ptr o = NewObject();
  o->set("rows", static_cast<Poco::UInt64>(d.value().row_count()));
  o->set("bytes", static_cast<Poco::UInt64>(csv.size()));
  return Var(o);
}

}  // namespace

void RegisterDatasetMethods(control::Dispatcher& d, dataset::DatasetService& service,
                            Uploads& uploads_in) {
  dataset::DatasetService* svc = &service;
  Uploads* uploads = &uploads_in;
  d.Register("dataset.import", [svc, uploads](const control::Call& call) -> R {
    return Import(call, *svc, *uploads);
  });
  d.Register("dataset.list", [svc](const control::Call& call) -> R {
    auto path = OnlyString(call, "path");
    if (!path.ok()) return path.status();
    auto list = svc->List(path.value());
    if (!list.ok()) return list.status();
    Object::Ptr o = NewObject();
    o->set("datasets", ToArray(list.value(), InfoJson));
    return Var(o);
  });
  d.Register("dataset.show", [svc](const control::Call& call) -> R {
    auto path = OnlyString(call, "path");
    if (!path.ok()) return path.status();
    auto info = svc->Show(path.value());
    if (!info.ok()) return info.status();
    return Var(DetailJson(info.value()));
  });
  d.Register("dataset.export", [svc](const control::Call& call) -> R { return Export(call, *svc); });
  d.Register("dataset.delete", [svc](const control::Call& call) -> R {
    if (Status s = call.OnlyParams({"path", "force"}); !s.ok()) return s;
    auto path = RequiredString(call, "path");
    if (!path.ok()) return path.status();
    auto force = OptBool(call, "force");
    if (!force.ok()) return force.status();
    auto gone = svc->Delete(ActorOf(call), path.value(), force.value());
    if (!gone.ok()) return gone.status();
    return Var(InfoJson(gone.value()));
  });
}

}  // namespace sigmad::app
