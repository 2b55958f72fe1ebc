// DatasetService: imported datasets kept in the trusted store, sealed under the owning
// tenant's data key, in column chunks, immutable, and identified by content hash.
//
// Tables (Owner::kTenantFirst; keys hold ids only, names live inside sealed values):
//   datasets      tenant | project | dataset            -> metadata JSON (below)
//   dataset_data  tenant | dataset | column u32 | chunk u32 -> kChunkRows doubles,
//                                                         little-endian, the last short
// Metadata: {"name", "hash", "rows", "created_ms", "created_by", "source", "schema"
// (dataset/schema.h YAML, the stored columns), "report" (what the import kept, skipped,
// dropped and filled), "stats" (per column: numeric min, max, mean, sd; categorical
// level counts)}.
//
// The content hash is SHA-256 over SchemaToYaml(schema), a NUL byte and
// ExportCsv(dataset): the same data under the same schema has the same hash, whatever
// the source file's layout. Importing data whose hash a dataset of the project already
// has stores nothing and returns that dataset with `existing` set; a name already taken
// by other data is refused ("exists": datasets are immutable).
//
// Every import (also one that finds its data already there), delete and refusal is
// audited (actions dataset.import, dataset.delete); a change writes its record in the
// same transaction. A project's datasets are deleted with it (project.delete --force)
// and keep it from being deleted without --force. Import parses and checks the CSV
// here, in the daemon: nothing a client says about the data is trusted.
//
// Thread-safety: every method may be called from any thread; writes are serialised by
// the audit log.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "audit/log.h"
#include "common/clock.h"
#include "common/status.h"
#include "dataset/dataset.h"
#include "store/vault.h"
#include "tenancy/service.h"

namespace sigmad::dataset {

inline constexpr uint32_t kChunkRows = 65536;

struct ImportRequest {
  std::string path;  // TENANT/PROJECT
  std::string name;  // the dataset's name in the project
  std::string csv;   // the file's bytes
  std::string source;                 // the file's name, for people; may be empty
  std::optional<std::string> schema;  // YAML; else inferred from inputs and outputs
  std::vector<std::string> inputs, outputs;
  DatasetOptions options;
};

struct ColumnStats {
  double min = 0, max = 0, mean = 0, sd = 0;  // numeric columns
  std::vector<uint64_t> level_counts;         // categorical columns, by level index
};

struct DatasetInfo {
  uint64_t id = 0;
  std::string tenant, project, name, hash, source;
  uint64_t rows = 0;
  std::chrono::system_clock::time_point created;
  std::string created_by;
  Schema schema;
  std::vector<ColumnStats> stats;  // one per schema column
  std::string report;              // ImportReport::ToString of the import
};

struct ImportResult {
  DatasetInfo info;
  ImportReport report;   // of this import (also when `existing`)
  bool existing = false;  // the data was already there as info.name; nothing was stored
  bool inferred = false;  // the schema was inferred (show it to the user)
};

class DatasetService {
 public:
  static Result<std::unique_ptr<DatasetService>> Open(store::Vault& vault, audit::AuditLog& audit,
                                                      tenancy::TenancyService& tenancy,
                                                      const Clock& clock);

  // Errors: "invalid_name", "not_found" (tenant, project), "invalid_csv",
  // "invalid_schema", "invalid_data", "invalid_argument", "exists", or the store's.
  Result<ImportResult> Import(const tenancy::Actor& actor, const ImportRequest& request);
  // The project's datasets, by name. `path` is TENANT/PROJECT.
  Result<std::vector<DatasetInfo>> List(std::string_view path) const;
  // `path` is TENANT/PROJECT/DATASET.
  Result<DatasetInfo> Show(std::string_view path) const;
  // The dataset's values, typed (as MakeDataset made them).
  Result<Dataset> Load(std::string_view path) const;
  // Removes the dataset and its data. A dataset models were trained on is refused
  // ("in_use", naming them) unless `force`; the models keep working without it.
  Result<DatasetInfo> Delete(const tenancy::Actor& actor, std::string_view path, bool force);

  // Names what depends on a dataset (ModelService: the models trained on it), from
  // inside Delete's transaction. Register before serving.
  using Dependents = std::function<Result<std::vector<std::string>>(
      const store::ReadTxn& txn, uint64_t tenant, uint64_t project, const DatasetInfo& dataset)>;
  void AddDependents(Dependents dependents) { dependents_.push_back(std::move(dependents)); }

 private:
  struct Tables {
    store::Table meta, data;
  };
  struct Where {
    uint64_t tenant = 0, project = 0;
    std::string tenant_name, project_name;
  };
  DatasetService(store::Vault& vault, audit::AuditLog& audit, tenancy::TenancyService& tenancy,
                 const Clock& clock, Tables t)
      : vault_(vault), audit_(audit), tenancy_(tenancy), clock_(clock), t_(t) {}

  Result<Where> Locate(std::string_view tenant, std::string_view project) const;
  // The project's datasets (opened metadata), in key order.
  Result<std::vector<DatasetInfo>> Scan(const store::ReadTxn& txn, const Where& where) const;
  // Splits and checks TENANT/PROJECT/DATASET and finds the project.
  Result<std::pair<Where, std::string>> Resolve(std::string_view path) const;
  // The dataset named `name` (case-insensitively) in the project, within `txn`.
  Result<DatasetInfo> FindIn(const store::ReadTxn& txn, const Where& where,
                             std::string_view name) const;
  // How many datasets the project has; with `remove`, deletes them and their data.
  Result<size_t> RemoveUnder(store::WriteTxn& txn, uint64_t tenant, uint64_t project,
                             bool remove) const;
  Status Refuse(const tenancy::Actor& actor, std::string_view tenant, std::string_view action,
                std::string_view target, Status why);
  audit::Fields Fields(const tenancy::Actor& actor, std::string_view tenant,
                       std::string_view action, std::string_view target,
                       std::string outcome) const;

  store::Vault& vault_;
  audit::AuditLog& audit_;
  tenancy::TenancyService& tenancy_;
  const Clock& clock_;
  Tables t_;
  std::vector<Dependents> dependents_;  // set before serving
};

}  // namespace sigmad::dataset
