// ModelService: trained models kept in the trusted store, sealed under the owning
// tenant's key, with their lineage; training runs as a job (jobs/service.h).
//
// Tables (Owner::kTenantFirst):
//   models      tenant | project | model -> metadata JSON: name, dataset (name and
//               content hash), options, cross-validation metrics per output, rows,
//               input and output names, torch version and threads, job, created, actor
//   model_data  tenant | model           -> analysis::SerializeModel bytes
//
// Train checks what it can at once (names, the dataset, the options, a free name) and
// queues a job; the job loads the dataset, trains (progress per epoch, cancellation
// between steps) and stores the model in one audited transaction (model.train), after
// checking again that the project exists and the name is free. Models are immutable.
// Predict runs on the caller's thread, reporting progress per chunk of rows (about
// 80,000 rows a second for the default network on one thread).
//
// Thread-safety: every method may be called from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "analysis/model.h"
#include "audit/log.h"
#include "common/clock.h"
#include "common/status.h"
#include "dataset/service.h"
#include "jobs/service.h"
#include "store/vault.h"
#include "tenancy/service.h"

namespace sigmad::models {

struct ModelInfo {
  uint64_t id = 0;
  uint64_t tenant_id = 0;
  std::string tenant, project, name;
  std::string dataset, dataset_hash;
  analysis::TrainOptions options;
  analysis::CrossValidation cross_validation;
  std::vector<std::string> inputs, outputs;
  uint64_t rows = 0;
  std::string torch_version;
  int threads = 0;
  std::string job;
  std::chrono::system_clock::time_point created;
  std::string created_by;
};

class ModelService {
 public:
  static Result<std::unique_ptr<ModelService>> Open(store::Vault& vault, audit::AuditLog& audit,
                                                    tenancy::TenancyService& tenancy,
                                                    dataset::DatasetService& datasets,
                                                    jobs::JobService& jobs, const Clock& clock);

  // Queues the training of model `name` on dataset `dataset_path` (TENANT/PROJECT/
  // DATASET); returns the job. Errors: "invalid_name", "not_found", "exists",
  // "invalid_argument" (options), or the store's; refusals are audited.
  Result<jobs::JobInfo> Train(const tenancy::Actor& actor, std::string_view dataset_path,
                              const std::string& name, const analysis::TrainOptions& options);
  Result<std::vector<ModelInfo>> List(std::string_view project_path) const;
  Result<ModelInfo> Show(std::string_view model_path) const;
  // The trained model itself.
  Result<analysis::Model> Load(std::string_view model_path) const;

  // Predicts every row of `csv` with model `model_path` (TENANT/PROJECT/MODEL) and
  // returns the predictions as CSV (models/prediction.h has both formats). Audited
  // (model.predict), refusals too. Errors: "invalid_name", "not_found", "invalid_csv",
  // "invalid_data", or the store's.
  struct Predicted {
    std::string model;  // TENANT/PROJECT/MODEL as stored
    std::string csv;
    size_t rows = 0;
    size_t outside = 0;  // rows with an input outside the training range
  };
  Result<Predicted> Predict(const tenancy::Actor& actor, std::string_view model_path,
                            std::string_view csv, const analysis::PredictProgress& progress = {});

 private:
  struct Tables {
    store::Table meta, data;
  };
  ModelService(store::Vault& vault, audit::AuditLog& audit, tenancy::TenancyService& tenancy,
               dataset::DatasetService& datasets, jobs::JobService& jobs, const Clock& clock,
               Tables t)
      : vault_(vault), audit_(audit), tenancy_(tenancy), datasets_(datasets), jobs_(jobs),
        clock_(clock), t_(t) {}

  struct Place {
    uint64_t tenant = 0, project = 0;
    std::string tenant_name, project_name, name;
  };
  // Splits TENANT/PROJECT/NAME and finds the project.
  Result<Place> Resolve(std::string_view path) const;
  Result<std::vector<ModelInfo>> Scan(const store::ReadTxn& txn, const Place& where) const;
  // The trained model of a model Show found.
  Result<analysis::Model> LoadData(const ModelInfo& info) const;
  // The job's work: train and store.
  Result<std::string> Run(jobs::JobContext& context, const tenancy::Actor& actor,
                          const Place& where, const std::string& dataset_path,
                          const analysis::TrainOptions& options);
  Status Refuse(const tenancy::Actor& actor, std::string_view tenant, std::string_view action,
                std::string_view target, Status why);

  store::Vault& vault_;
  audit::AuditLog& audit_;
  tenancy::TenancyService& tenancy_;
  dataset::DatasetService& datasets_;
  jobs::JobService& jobs_;
  const Clock& clock_;
  Tables t_;
};

}  // namespace sigmad::models
