// sigmactl dataset import|list|show|export|delete.
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

std::string FileName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}


void PrintColumns(const Object::Ptr& d) {
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : *d->getArray("column_list")) {
    auto c = v.extract<Object::Ptr>();
    std::string values;
    if (c->has("levels")) {
      for (const auto& [level, count] : *c->getObject("levels")) {
        values += (values.empty() ? "" : ", ") + level + " " + count.toString();
      }
    } else {
      values = Str(c, "min") + " .. " + Str(c, "max") + ", mean " + Num(c, "mean") + ", sd " +
               Num(c, "sd");
    }
    const std::string unit = Str(c, "unit");
    rows.push_back({Str(c, "name"), Str(c, "role"), Str(c, "type"), unit.empty() ? "-" : unit,
                    values});
  }
  PrintTable(std::cout, {"COLUMN", "ROLE", "TYPE", "UNIT", "VALUES"}, rows);
}

}  // namespace

int CmdDatasetImport(const GlobalOptions& g, const DatasetImportArgs& a) {
  // What the daemon would refuse anyway is refused before the file is sent.
  if (a.schema_file.empty() && (a.inputs.empty() || a.outputs.empty())) {
    std::cerr << "sigmactl: dataset import needs --schema, or both --inputs and --outputs\n";
    return kExitUsage;
  }
  auto csv = ReadWhole("the CSV file", a.file);
  if (!csv.ok()) return ReportFailure(csv.status());
  std::optional<std::string> schema;
  if (!a.schema_file.empty()) {
    auto text = ReadWhole("the schema file", a.schema_file);
    if (!text.ok()) return ReportFailure(text.status());
    schema = text.value();
  }
  // The bytes first, in parts; then the import names the upload.
  auto upload = Upload(g, csv.value());
  if (!upload.ok()) return ReportFailure(upload.status());
  Object::Ptr params = new Object;
  params->set("path", a.project);
  params->set("name", a.name);
  params->set("upload", upload.value());
  params->set("source", FileName(a.file));
  if (schema) params->set("schema", *schema);
  for (auto [key, list] : {std::pair{"inputs", &a.inputs}, std::pair{"outputs", &a.outputs}}) {
    if (list->empty()) continue;
    Array::Ptr arr = new Array;
    for (const auto& n : *list) arr->add(n);
    params->set(key, arr);
  }
  params->set("on_error", a.on_error);
  auto r = CallDaemon(g, "dataset.import", params);
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  auto o = r->extract<Object::Ptr>();
  auto d = o->getObject("dataset");
  auto report = o->getObject("report");
  const std::string path = Str(d, "tenant") + "/" + Str(d, "project") + "/" + Str(d, "name");
  if (o->getValue<bool>("existing")) {
    std::cout << "the same data is already dataset " << path << " (hash "
              << Str(d, "hash").substr(0, 12) << "); nothing was stored\n";
    return kExitOk;
  }
  std::cout << "imported " << path << ": " << Str(d, "rows") << " rows, " << Str(d, "columns")
            << " columns, hash " << Str(d, "hash").substr(0, 12) << '\n';
  std::cout << Str(report, "summary") << '\n';
  for (const auto& p : *report->getArray("problems")) std::cout << "  " << p.toString() << '\n';
  if (o->getValue<bool>("inferred")) {
    std::cout << "column types were inferred; 'sigmactl dataset show " << path
              << " --schema' prints them as a schema to edit for the next import\n";
  }
  PrintColumns(d);
  return kExitOk;
}

int CmdDatasetList(const GlobalOptions& g, const std::string& project) {
  return RunMethod(g, "dataset.list", PathParams(project), [&](const Object::Ptr& o) {
    std::vector<std::vector<std::string>> rows;
    for (const auto& v : *o->getArray("datasets")) {
      auto d = v.extract<Object::Ptr>();
      rows.push_back({Str(d, "name"), Str(d, "rows"), Str(d, "columns"),
                      Str(d, "hash").substr(0, 12), Str(d, "created_at"), Str(d, "source")});
    }
    if (rows.empty()) {
      std::cout << "no datasets in " << project << " (import one with: sigmactl dataset import "
                << project << " NAME --file data.csv)\n";
      return;
    }
    PrintTable(std::cout, {"NAME", "ROWS", "COLUMNS", "HASH", "CREATED", "SOURCE"}, rows);
  });
}

int CmdDatasetShow(const GlobalOptions& g, const std::string& path, bool schema_only) {
  return RunMethod(g, "dataset.show", PathParams(path), [&](const Object::Ptr& d) {
    if (schema_only) {
      std::cout << d->getValue<std::string>("schema");
      return;
    }
    PrintKeyValues(std::cout,
                   {{"dataset", Str(d, "tenant") + "/" + Str(d, "project") + "/" + Str(d, "name")},
                    {"rows", Str(d, "rows")},
                    {"columns", Str(d, "columns")},
                    {"hash", Str(d, "hash")},
                    {"source", Str(d, "source")},
                    {"created", Str(d, "created_at") + " by " + Str(d, "created_by")},
                    {"import", Str(d, "import_report")}});
    std::cout << '\n';
    PrintColumns(d);
  });
}

int CmdDatasetExport(const GlobalOptions& g, const std::string& path, const std::string& output) {
  if (g.json && output.empty()) {
    std::cerr << "sigmactl: dataset export --json needs --output: standard output carries the "
                 "CSV\n";
    return kExitUsage;
  }
  auto r = Download(g, "dataset.export", PathParams(path), output);
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(Poco::Dynamic::Var(r.value())) << '\n';
    return kExitOk;
  }
  std::cerr << "exported " << Str(r.value(), "rows") << " rows (" << Str(r.value(), "bytes")
            << " bytes)" << (output.empty() ? "" : " to " + output) << '\n';
  return kExitOk;
}

int CmdDatasetDelete(const GlobalOptions& g, const std::string& path, bool force) {
  Object::Ptr params = PathParams(path);
  if (force) params->set("force", true);
  return RunMethod(g, "dataset.delete", params, [&](const Object::Ptr& d) {
    std::cout << "deleted dataset " << Str(d, "tenant") << "/" << Str(d, "project") << "/"
              << Str(d, "name") << " (" << Str(d, "rows") << " rows)\n";
  });
}

}  // namespace sigmad::ctl
