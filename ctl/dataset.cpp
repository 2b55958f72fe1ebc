// sigmactl dataset import|list|show|export|delete.
#include <Poco/Base64Encoder.h>
#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "commands.h"
#include "render.h"

namespace sigmad::ctl {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Array;
using Poco::JSON::Object;

// Raw bytes per dataset.upload call: 6 MiB, 8 MiB in base64, well inside the default
// 16 MiB request limit.
constexpr size_t kUploadPartBytes = size_t{6} << 20;

Result<std::string> ReadWhole(const std::string& what, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::Error("io", "cannot read " + what + " " + file);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Error("io", "cannot read " + what + " " + file);
  return bytes;
}

std::string Base64(std::string_view bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  encoder.close();
  return out.str();
}

std::string FileName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

Object::Ptr PathParams(const std::string& path) {
  Object::Ptr p = new Object;
  p->set("path", path);
  return p;
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
      values = Str(c, "min") + " .. " + Str(c, "max") + ", mean " + Str(c, "mean") + ", sd " +
               Str(c, "sd");
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
  std::string upload;
  const std::string& bytes = csv.value();
  for (size_t at = 0; at == 0 || at < bytes.size(); at += kUploadPartBytes) {
    Object::Ptr p = new Object;
    if (!upload.empty()) p->set("upload", upload);
    p->set("data", Base64(std::string_view(bytes).substr(at, kUploadPartBytes)));
    auto r = CallDaemon(g, "dataset.upload", p);
    if (!r.ok()) return ReportFailure(r.status());
    upload = r->extract<Object::Ptr>()->getValue<std::string>("upload");
    if (bytes.empty()) break;
  }
  Object::Ptr params = new Object;
  params->set("path", a.project);
  params->set("name", a.name);
  params->set("upload", upload);
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
  auto r = CallDaemon(g, "dataset.list", PathParams(project));
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  std::vector<std::vector<std::string>> rows;
  for (const auto& v : *r->extract<Object::Ptr>()->getArray("datasets")) {
    auto d = v.extract<Object::Ptr>();
    rows.push_back({Str(d, "name"), Str(d, "rows"), Str(d, "columns"),
                    Str(d, "hash").substr(0, 12), Str(d, "created_at"), Str(d, "source")});
  }
  if (rows.empty()) {
    std::cout << "no datasets in " << project
              << " (import one with: sigmactl dataset import " << project
              << " NAME --file data.csv)\n";
    return kExitOk;
  }
  PrintTable(std::cout, {"NAME", "ROWS", "COLUMNS", "HASH", "CREATED", "SOURCE"}, rows);
  return kExitOk;
}

int CmdDatasetShow(const GlobalOptions& g, const std::string& path, bool schema_only) {
  auto r = CallDaemon(g, "dataset.show", PathParams(path));
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  auto d = r->extract<Object::Ptr>();
  if (schema_only) {
    std::cout << d->getValue<std::string>("schema");
    return kExitOk;
  }
  PrintKeyValues(std::cout, {{"dataset", Str(d, "tenant") + "/" + Str(d, "project") + "/" +
                                             Str(d, "name")},
                             {"rows", Str(d, "rows")},
                             {"columns", Str(d, "columns")},
                             {"hash", Str(d, "hash")},
                             {"source", Str(d, "source")},
                             {"created", Str(d, "created_at") + " by " + Str(d, "created_by")},
                             {"import", Str(d, "import_report")}});
  std::cout << '\n';
  PrintColumns(d);
  return kExitOk;
}

int CmdDatasetExport(const GlobalOptions& g, const std::string& path, const std::string& output) {
  // To a new temporary file (mode 0600: it holds customer data) beside --output,
  // renamed into place only when complete.
  std::string tmp;
  int fd = -1;
  if (!output.empty()) {
    const size_t slash = output.rfind('/');
    tmp = (slash == std::string::npos ? std::string() : output.substr(0, slash + 1)) +
          ".sigmactl-export-XXXXXX";
    fd = mkstemp(tmp.data());
    if (fd < 0) {
      return ReportFailure(Status::Error("io", "cannot create a file beside " + output + ": " +
                                                   std::strerror(errno)));
    }
  }
  size_t written = 0;
  bool write_failed = false;
  auto r = CallDaemon(g, "dataset.export", PathParams(path), [&](const Var& p) {
    auto o = p.extract<Object::Ptr>();
    if (!o->has("chunk")) return;
    const std::string chunk = o->getValue<std::string>("chunk");
    written += chunk.size();
    if (fd < 0) {
      std::cout << chunk;
      return;
    }
    for (size_t at = 0; at < chunk.size() && !write_failed;) {
      const ssize_t n = write(fd, chunk.data() + at, chunk.size() - at);
      if (n < 0 && errno == EINTR) continue;
      write_failed = n <= 0;
      at += n > 0 ? static_cast<size_t>(n) : 0;
    }
  });
  std::cout.flush();
  const bool complete = r.ok() && !write_failed &&
                        r->extract<Object::Ptr>()->optValue<Poco::UInt64>("bytes", 0) == written;
  if (fd >= 0) {
    const bool synced = fsync(fd) == 0;
    close(fd);
    if (!complete || !synced || std::rename(tmp.c_str(), output.c_str()) != 0) {
      std::remove(tmp.c_str());
      if (!r.ok()) return ReportFailure(r.status());
      return ReportFailure(Status::Error("io", "cannot write " + output + " (nothing written)"));
    }
  } else if (!r.ok()) {
    return ReportFailure(r.status());
  } else if (!complete) {
    return ReportFailure(Status::Error("io", "the export ended early"));
  }
  auto v = r->extract<Object::Ptr>();
  std::cerr << "exported " << Str(v, "rows") << " rows (" << Str(v, "bytes") << " bytes)"
            << (output.empty() ? "" : " to " + output) << '\n';
  return kExitOk;
}

int CmdDatasetDelete(const GlobalOptions& g, const std::string& path, bool force) {
  Object::Ptr params = PathParams(path);
  if (force) params->set("force", true);
  auto r = CallDaemon(g, "dataset.delete", params);
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
    return kExitOk;
  }
  auto d = r->extract<Object::Ptr>();
  std::cout << "deleted dataset " << Str(d, "tenant") << "/" << Str(d, "project") << "/"
            << Str(d, "name") << " (" << Str(d, "rows") << " rows)\n";
  return kExitOk;
}

}  // namespace sigmad::ctl
