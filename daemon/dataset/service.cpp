#include "dataset/service.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <sstream>

#include "crypto/digest.h"
#include "crypto/random.h"
#include "store/keys.h"
#include "dataset/values.h"
#include "tenancy/names.h"

namespace sigmad::dataset {
namespace {

static_assert(std::endian::native == std::endian::little,
              "dataset chunks are stored as little-endian doubles");

using Poco::JSON::Array;
using Poco::JSON::Object;
using store::KeyBuilder;
using store::KeyReader;
using tenancy::FoldName;

constexpr std::string_view kImport = "dataset.import";
constexpr std::string_view kDelete = "dataset.delete";

std::string ContentHash(const Dataset& d) {
  std::string bytes = SchemaToYaml(d.schema);
  bytes.push_back('\0');
  bytes += ExportCsv(d);
  return crypto::HexLower(crypto::Sha256(bytes));
}

std::vector<ColumnStats> Stats(const Dataset& d) {
  std::vector<ColumnStats> out(d.columns.size());
  for (size_t c = 0; c < d.columns.size(); ++c) {
    const std::vector<double>& v = d.columns[c];
    ColumnStats& s = out[c];
    if (d.schema.columns[c].type == ColumnType::kCategorical) {
      s.level_counts.assign(d.schema.columns[c].levels.size(), 0);
      for (double x : v) ++s.level_counts[static_cast<size_t>(x)];
      continue;
    }
    if (v.empty()) continue;
    s.min = *std::min_element(v.begin(), v.end());
    s.max = *std::max_element(v.begin(), v.end());
    // Welford over values scaled into [-1, 1], so that no step overflows even for
    // values near the largest double; the sd may still be infinite when the values
    // span nearly the whole range (stored as null).
    const double scale = std::max(std::fabs(s.min), std::fabs(s.max));
    if (scale == 0) continue;
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < v.size(); ++i) {
      const double x = v[i] / scale;
      const double delta = x - mean;
      mean += delta / static_cast<double>(i + 1);
      m2 += delta * (x - mean);
    }
    s.mean = mean * scale;
    s.sd = v.size() > 1 ? std::sqrt(m2 / static_cast<double>(v.size() - 1)) * scale : 0;
  }
  return out;
}

std::string EncodeMeta(const DatasetInfo& info) {
  Object::Ptr o = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
  o->set("name", info.name);
  o->set("hash", info.hash);
  o->set("rows", static_cast<Poco::UInt64>(info.rows));
  o->set("created_ms", static_cast<Poco::Int64>(
                           std::chrono::duration_cast<std::chrono::milliseconds>(
                               info.created.time_since_epoch())
                               .count()));
  o->set("created_by", info.created_by);
  o->set("source", info.source);
  o->set("schema", SchemaToYaml(info.schema));
  o->set("report", info.report);
  Array::Ptr stats = new Array;
  for (const ColumnStats& s : info.stats) {
    Object::Ptr so = new Object(Poco::JSON_PRESERVE_KEY_ORDER);
    if (s.level_counts.empty()) {
      // JSON has no infinity: a statistic that overflowed is null.
      for (auto [name, value] : {std::pair{"min", s.min}, std::pair{"max", s.max},
                                 std::pair{"mean", s.mean}, std::pair{"sd", s.sd}}) {
        so->set(name, std::isfinite(value) ? Poco::Dynamic::Var(value) : Poco::Dynamic::Var());
      }
    } else {
      Array::Ptr counts = new Array;
      for (uint64_t n : s.level_counts) counts->add(static_cast<Poco::UInt64>(n));
      so->set("level_counts", counts);
    }
    stats->add(so);
  }
  o->set("stats", stats);
  std::ostringstream out;
  o->stringify(out);
  return out.str();
}

Result<DatasetInfo> DecodeMeta(uint64_t id, std::string_view plain) {
  auto corrupt = [id](const std::string& why) {
    return Status::Error("corrupt", "dataset record " + std::to_string(id) + ": " + why);
  };
  try {
    Poco::JSON::Parser parser;
    Object::Ptr o = parser.parse(std::string(plain)).extract<Object::Ptr>();
    DatasetInfo info;
    info.id = id;
    info.name = o->getValue<std::string>("name");
    info.hash = o->getValue<std::string>("hash");
    info.rows = o->getValue<Poco::UInt64>("rows");
    info.created = std::chrono::system_clock::time_point(
        std::chrono::milliseconds(o->getValue<Poco::Int64>("created_ms")));
    info.created_by = o->getValue<std::string>("created_by");
    info.source = o->getValue<std::string>("source");
    info.report = o->getValue<std::string>("report");
    auto schema = ParseSchema(o->getValue<std::string>("schema"), "stored schema");
    if (!schema.ok()) return corrupt(schema.status().message());
    info.schema = std::move(schema).value();
    for (const auto& v : *o->getArray("stats")) {
      Object::Ptr so = v.extract<Object::Ptr>();
      ColumnStats s;
      if (so->has("level_counts")) {
        for (const auto& n : *so->getArray("level_counts")) {
          s.level_counts.push_back(n.convert<Poco::UInt64>());
        }
      } else {
        for (auto [name, slot] : {std::pair{"min", &s.min}, std::pair{"max", &s.max},
                                  std::pair{"mean", &s.mean}, std::pair{"sd", &s.sd}}) {
          *slot = so->isNull(name) ? HUGE_VAL : so->getValue<double>(name);
        }
      }
      info.stats.push_back(std::move(s));
    }
    if (info.stats.size() != info.schema.columns.size()) return corrupt("stats do not fit");
    return info;
  } catch (const Poco::Exception& e) {
    return corrupt(e.displayText());
  } catch (const std::exception& e) {
    return corrupt(e.what());
  }
}

std::string ChunkKey(uint64_t tenant, uint64_t dataset, uint32_t column, uint32_t chunk) {
  return KeyBuilder().U64(tenant).U64(dataset).U32(column).U32(chunk).Build();
}

}  // namespace

Result<std::unique_ptr<DatasetService>> DatasetService::Open(store::Vault& vault,
                                                             audit::AuditLog& audit,
                                                             tenancy::TenancyService& tenancy,
                                                             const Clock& clock) {
  auto meta = vault.OpenTable("datasets", store::Owner::kTenantFirst);
  if (!meta.ok()) return meta.status();
  auto data = vault.OpenTable("dataset_data", store::Owner::kTenantFirst);
  if (!data.ok()) return data.status();
  std::unique_ptr<DatasetService> svc(
      new DatasetService(vault, audit, tenancy, clock, Tables{meta.value(), data.value()}));
  // A project's datasets go with it (project.delete --force), or keep it (without).
  tenancy.AddProjectData("dataset", [p = svc.get()](store::WriteTxn& txn, uint64_t tenant,
                                                    uint64_t project, bool remove) {
    return p->RemoveUnder(txn, tenant, project, remove);
  });
  return svc;
}

audit::Fields DatasetService::Fields(const tenancy::Actor& actor, std::string_view tenant,
                                     std::string_view action, std::string_view target,
                                     std::string outcome) const {
  return tenancy::AuditFields(clock_, actor, tenant, action, target, std::move(outcome));
}

Status DatasetService::Refuse(const tenancy::Actor& actor, std::string_view tenant,
                              std::string_view action, std::string_view target, Status why) {
  return tenancy::AuditRefusal(audit_, clock_, actor, tenant, action, target, std::move(why));
}

Result<DatasetService::Where> DatasetService::Locate(std::string_view tenant,
                                                     std::string_view project) const {
  auto p = tenancy_.FindProject(tenant, project);
  if (!p.ok()) return p.status();
  return Where{p.value().first, p.value().second.id, p.value().second.tenant,
               p.value().second.name};
}

Result<std::vector<DatasetInfo>> DatasetService::Scan(const store::ReadTxn& txn,
                                                      const Where& where) const {
  std::vector<DatasetInfo> out;
  const std::string prefix = KeyBuilder().U64(where.tenant).U64(where.project).Build();
  Status s = vault_.Scan(txn, t_.meta, prefix,
                         [&](std::string_view key, std::string_view plain, bool*) -> Status {
                           KeyReader r(key.substr(16));
                           auto info = DecodeMeta(r.U64().value_or(0), plain);
                           if (!info.ok()) return info.status();
                           info.value().tenant = where.tenant_name;
                           info.value().project = where.project_name;
                           out.push_back(std::move(info).value());
                           return Status::Ok();
                         });
  if (!s.ok()) return s;
  return out;
}

Result<ImportResult> DatasetService::Import(const tenancy::Actor& actor,
                                            const ImportRequest& request) {
  auto parts = tenancy::ParsePath(request.path, 2);
  if (!parts.ok()) return Refuse(actor, "", kImport, "", parts.status());
  const std::string& tenant = parts.value()[0];
  const std::string target = request.path + "/" + request.name;
  if (Status s = tenancy::ValidateName(tenancy::Kind::kDataset, request.name); !s.ok()) {
    return Refuse(actor, tenant, kImport, "", s);
  }
  auto where = Locate(tenant, parts.value()[1]);
  if (!where.ok()) return Refuse(actor, tenant, kImport, target, where.status());
  const Where& w = where.value();

  // Parse and check everything before touching the store.
  auto table = ReadCsv(request.csv);
  if (!table.ok()) return Refuse(actor, w.tenant_name, kImport, target, table.status());
  ImportResult result;
  result.inferred = !request.schema;
  Result<Schema> schema = request.schema
                              ? ParseSchema(*request.schema, "schema")
                              : InferSchema(table.value(), request.inputs, request.outputs);
  if (!schema.ok()) return Refuse(actor, w.tenant_name, kImport, target, schema.status());
  auto made = MakeDataset(table.value(), schema.value(), request.options);
  if (!made.ok()) return Refuse(actor, w.tenant_name, kImport, target, made.status());
  const Dataset& data = made.value().dataset;
  result.report = made.value().report;

  auto id = crypto::RandomId();
  if (!id.ok()) return id.status();
  DatasetInfo& info = result.info;
  info.id = id.value();
  info.tenant = w.tenant_name;
  info.project = w.project_name;
  info.name = request.name;
  info.hash = ContentHash(data);
  info.source = request.source;
  info.rows = data.row_count();
  info.created = std::chrono::floor<std::chrono::milliseconds>(clock_.Now());
  info.created_by = actor.name;
  info.schema = data.schema;
  info.stats = Stats(data);
  info.report = result.report.ToString();

  Status refused;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    refused = Status::Ok();
    result.existing = false;
    // The project may have been deleted while the CSV was being parsed.
    if (Status p = tenancy_.CheckProject(txn, w.tenant, w.project); !p.ok()) {
      if (p.code() != "not_found") return p;
      return refused = Status::Error("not_found", "project '" + w.tenant_name + "/" +
                                                      w.project_name + "' does not exist");
    }
    auto existing = Scan(txn, w);
    if (!existing.ok()) return existing.status();
    // The same data first (whatever its name): recognised, nothing stored, audited.
    for (const DatasetInfo& e : existing.value()) {
      if (e.hash != info.hash) continue;
      result.info = e;
      result.existing = true;
      auto f = Fields(actor, w.tenant_name, kImport, target, std::string(audit::kOutcomeOk));
      f.details = "the same data as dataset " + e.name + " (hash " + e.hash.substr(0, 12) +
                  "); nothing stored";
      return a.Append(f);
    }
    for (const DatasetInfo& e : existing.value()) {
      if (FoldName(e.name) == FoldName(info.name)) {
        refused = Status::Error("exists", "dataset '" + w.tenant_name + "/" + w.project_name +
                                              "/" + e.name +
                                              "' already exists with other data (hash " +
                                              e.hash.substr(0, 12) +
                                              "); datasets are immutable: import under "
                                              "another name, or delete it first");
        return refused;
      }
    }
    const std::string meta_key = KeyBuilder().U64(w.tenant).U64(w.project).U64(info.id).Build();
    if (Status p = vault_.Put(txn, t_.meta, meta_key, w.tenant, EncodeMeta(info),
                              store::PutMode::kNoOverwrite);
        !p.ok()) {
      return p;
    }
    for (uint32_t c = 0; c < data.columns.size(); ++c) {
      const std::vector<double>& col = data.columns[c];
      for (uint32_t k = 0; static_cast<size_t>(k) * kChunkRows < col.size(); ++k) {
        const size_t begin = static_cast<size_t>(k) * kChunkRows;
        const size_t n = std::min<size_t>(kChunkRows, col.size() - begin);
        const std::string_view bytes(reinterpret_cast<const char*>(col.data() + begin),
                                     n * sizeof(double));
        if (Status p = vault_.Put(txn, t_.data, ChunkKey(w.tenant, info.id, c, k), w.tenant,
                                  bytes, store::PutMode::kNoOverwrite);
            !p.ok()) {
          return p;
        }
      }
    }
    auto f = Fields(actor, w.tenant_name, kImport, target, std::string(audit::kOutcomeOk));
    f.details = std::to_string(info.rows) + " rows, " + std::to_string(data.columns.size()) +
                " columns, hash " + info.hash.substr(0, 12);
    return a.Append(f);
  });
  if (!s.ok()) {
    if (!refused.ok()) return Refuse(actor, w.tenant_name, kImport, target, refused);
    return s;
  }
  return result;
}

Result<std::vector<DatasetInfo>> DatasetService::List(std::string_view path) const {
  auto parts = tenancy::ParsePath(path, 2);
  if (!parts.ok()) return parts.status();
  auto where = Locate(parts.value()[0], parts.value()[1]);
  if (!where.ok()) return where.status();
  std::vector<DatasetInfo> out;
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto all = Scan(txn, where.value());
    if (!all.ok()) return all.status();
    out = std::move(all).value();
    return Status::Ok();
  });
  if (!s.ok()) return s;
  std::sort(out.begin(), out.end(), [](const DatasetInfo& a, const DatasetInfo& b) {
    return FoldName(a.name) < FoldName(b.name);
  });
  return out;
}

Result<std::pair<DatasetService::Where, std::string>> DatasetService::Resolve(
    std::string_view path) const {
  const size_t slash = path.rfind('/');
  auto parts = tenancy::ParsePath(path.substr(0, slash), 2);
  if (slash == std::string_view::npos || !parts.ok()) {
    return Status::Error("invalid_name", "'" + Printable(path, 200) +
                                             "' is not of the form TENANT/PROJECT/DATASET");
  }
  const std::string name(path.substr(slash + 1));
  if (Status s = tenancy::ValidateName(tenancy::Kind::kDataset, name); !s.ok()) return s;
  auto w = Locate(parts.value()[0], parts.value()[1]);
  if (!w.ok()) return w.status();
  return std::make_pair(w.value(), name);
}

Result<DatasetInfo> DatasetService::FindIn(const store::ReadTxn& txn, const Where& where,
                                           std::string_view name) const {
  auto all = Scan(txn, where);
  if (!all.ok()) return all.status();
  for (DatasetInfo& d : all.value()) {
    if (FoldName(d.name) == FoldName(name)) return std::move(d);
  }
  return Status::Error("not_found", "dataset '" + where.tenant_name + "/" + where.project_name +
                                        "/" + std::string(name) + "' does not exist");
}

Result<DatasetInfo> DatasetService::Show(std::string_view path) const {
  auto r = Resolve(path);
  if (!r.ok()) return r.status();
  Result<DatasetInfo> found = Status::Error("not_found", "");
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    found = FindIn(txn, r.value().first, r.value().second);
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return found;
}

Result<Dataset> DatasetService::Load(std::string_view path) const {
  auto r = Resolve(path);
  if (!r.ok()) return r.status();
  const Where& where = r.value().first;
  Dataset d;
  // The metadata and every chunk from one snapshot: a delete cannot come in between.
  Status s = vault_.env().View([&](store::ReadTxn& txn) -> Status {
    auto info = FindIn(txn, where, r.value().second);
    if (!info.ok()) return info.status();
    d.schema = info.value().schema;
    d.columns.assign(d.schema.columns.size(), {});
    const uint64_t rows = info.value().rows;
    for (uint32_t c = 0; c < d.columns.size(); ++c) {
      std::vector<double>& col = d.columns[c];
      col.resize(rows);
      for (uint32_t k = 0; static_cast<uint64_t>(k) * kChunkRows < rows; ++k) {
        const size_t begin = static_cast<size_t>(k) * kChunkRows;
        const size_t n = std::min<size_t>(kChunkRows, rows - begin);
        auto got = vault_.Get(txn, t_.data, ChunkKey(where.tenant, info.value().id, c, k),
                              where.tenant);
        if (!got.ok()) return got.status();
        if (!got.value() || got.value()->size() != n * sizeof(double)) {
          return Status::Error("corrupt", "dataset " + info.value().name + ": column " +
                                              std::to_string(c) + " chunk " + std::to_string(k) +
                                              " is missing or has the wrong size");
        }
        std::memcpy(col.data() + begin, got.value()->data(), n * sizeof(double));
      }
    }
    return Status::Ok();
  });
  if (!s.ok()) return s;
  return d;
}

Result<size_t> DatasetService::RemoveUnder(store::WriteTxn& txn, uint64_t tenant,
                                           uint64_t project, bool remove) const {
  std::vector<std::string> keys;
  Status s = txn.ForEach(t_.meta.dbi, KeyBuilder().U64(tenant).U64(project).Build(),
                         [&](std::string_view key, std::string_view, bool*) {
                           keys.emplace_back(key);
                           return Status::Ok();
                         });
  if (!s.ok()) return s;
  if (!remove) return keys.size();
  for (const std::string& key : keys) {
    const uint64_t id = KeyReader(std::string_view(key).substr(16)).U64().value_or(0);
    auto chunks = txn.DeletePrefix(t_.data.dbi, KeyBuilder().U64(tenant).U64(id).Build());
    if (!chunks.ok()) return chunks.status();
    auto gone = txn.Delete(t_.meta.dbi, key);
    if (!gone.ok()) return gone.status();
  }
  return keys.size();
}

Result<DatasetInfo> DatasetService::Delete(const tenancy::Actor& actor, std::string_view path,
                                           bool force) {
  auto r = Resolve(path);
  if (!r.ok()) {
    const bool named = r.status().code() != "invalid_name";
    const std::string tenant(path.substr(0, path.find('/')));
    return Refuse(actor, named ? tenant : "", kDelete, named ? Printable(path, 200) : "",
                  r.status());
  }
  const Where& where = r.value().first;
  DatasetInfo d;
  Status refused;
  Status s = audit_.Update([&](store::WriteTxn& txn, audit::AuditLog::Appender& a) -> Status {
    refused = Status::Ok();
    auto info = FindIn(txn, where, r.value().second);
    if (!info.ok()) {
      if (info.status().code() == "not_found") refused = info.status();
      return info.status();
    }
    d = std::move(info).value();
    std::string users;
    for (const Dependents& dependents : dependents_) {
      auto names = dependents(txn, where.tenant, where.project, d);
      if (!names.ok()) return names.status();
      for (const auto& n : names.value()) users += (users.empty() ? "" : ", ") + n;
    }
    if (!users.empty() && !force) {
      return refused = Status::Error(
                 "in_use", "dataset '" + d.tenant + "/" + d.project + "/" + d.name +
                               "' was used to train " + users +
                               "; delete it with --force (the models keep working: they hold "
                               "what they learned, and its hash)");
    }
    auto gone = txn.Delete(t_.meta.dbi, KeyBuilder().U64(where.tenant).U64(where.project)
                                            .U64(d.id).Build());
    if (!gone.ok()) return gone.status();
    auto chunks = txn.DeletePrefix(t_.data.dbi, KeyBuilder().U64(where.tenant).U64(d.id).Build());
    if (!chunks.ok()) return chunks.status();
    auto f = Fields(actor, d.tenant, kDelete, d.tenant + "/" + d.project + "/" + d.name,
                    std::string(audit::kOutcomeOk));
    f.details = std::to_string(d.rows) + " rows, hash " + d.hash.substr(0, 12) +
                (users.empty() ? "" : "; forced, used by " + users);
    return a.Append(f);
  });
  if (!refused.ok()) {
    return Refuse(actor, where.tenant_name, kDelete,
                  where.tenant_name + "/" + where.project_name + "/" + r.value().second, refused);
  }
  if (!s.ok()) return s;
  return d;
}

}  // namespace sigmad::dataset
