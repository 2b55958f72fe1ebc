// sigmactl's commands: each turns a daemon result into human or --json output and
// returns sigmactl's exit code.
#pragma once

#include <Poco/Dynamic/Var.h>
#include <Poco/JSON/Object.h>

#include <chrono>
#include <functional>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "render.h"

namespace sigmad::ctl {

// Exit codes (documented in `sigmactl --help` and sigmactl(8)).
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;
inline constexpr int kExitUnreachable = 3;
inline constexpr int kExitDenied = 4;

struct GlobalOptions {
  std::string socket;
  bool json = false;
  std::chrono::milliseconds timeout{60000};
};

// Prints "sigmactl: message" for a failed call and maps its code to an exit code.
int ReportFailure(const Status& status);

// Connects and calls one method. Progress goes to `on_progress` if given, else is drawn
// on stderr when it is a terminal.
using ProgressFn = std::function<void(const Poco::Dynamic::Var& progress)>;
Result<Poco::Dynamic::Var> CallDaemon(const GlobalOptions& g, const std::string& method,
                                      Poco::JSON::Object::Ptr params = new Poco::JSON::Object,
                                      const ProgressFn& on_progress = {});

// {"path": path}: the parameters of the many methods that take only a path.
Poco::JSON::Object::Ptr PathParams(const std::string& path);

// Calls `method`; prints the JSON result with --json, else hands the result object to
// `human` to print. Exit status: ReportFailure's on failure, else kExitOk.
template <typename Fn>
int RunMethod(const GlobalOptions& g, const std::string& method,
              Poco::JSON::Object::Ptr params, Fn human) {
  auto r = CallDaemon(g, method, std::move(params));
  if (!r.ok()) return ReportFailure(r.status());
  if (g.json) {
    std::cout << ToJson(r.value()) << '\n';
  } else {
    human(r->template extract<Poco::JSON::Object::Ptr>());
  }
  return kExitOk;
}

// A field of a result object as text ("-" when absent or null).
std::string Str(const Poco::JSON::Object::Ptr& o, const std::string& key);
// A number field for people: `digits` significant digits ("-" when absent, null or not a
// number). --json output keeps every digit.
std::string Num(const Poco::JSON::Object::Ptr& o, const std::string& key, int digits = 6);

int CmdStatus(const GlobalOptions& g);
int CmdVersion(const GlobalOptions& g);

// Tenants, projects and tasks (tenancy.cpp). `path` is TENANT, TENANT/PROJECT or
// TENANT/PROJECT/TASK; the daemon validates it.
int CmdTenantCreate(const GlobalOptions& g, const std::string& name);
int CmdTenantList(const GlobalOptions& g);
int CmdTenantShow(const GlobalOptions& g, const std::string& name);
int CmdProjectCreate(const GlobalOptions& g, const std::string& path);
int CmdProjectList(const GlobalOptions& g, const std::string& tenant);
int CmdProjectDelete(const GlobalOptions& g, const std::string& path, bool force);
int CmdTaskCreate(const GlobalOptions& g, const std::string& path);
int CmdTaskList(const GlobalOptions& g, const std::string& project_path);
int CmdTaskDelete(const GlobalOptions& g, const std::string& path, bool force);

// The key hierarchy (store.cpp).
int CmdKeyStatus(const GlobalOptions& g);
int CmdKeyRotate(const GlobalOptions& g, const std::string& tenant, bool rewrap);
int CmdKeyRotateMaster(const GlobalOptions& g, const std::string& new_key_file);

// The store and its audit log (store.cpp). Verification failures exit 1.
int CmdStoreVerify(const GlobalOptions& g);
int CmdAuditVerify(const GlobalOptions& g);
int CmdAuditTail(const GlobalOptions& g, int n, const std::string& tenant, bool follow);
int CmdAuditExport(const GlobalOptions& g, const std::string& since, const std::string& until,
                   const std::string& format);

// Policies (policy.cpp). validate reads the files itself: no daemon is needed.
int CmdPolicyValidate(const GlobalOptions& g, const std::vector<std::string>& paths);

// Datasets (dataset.cpp). `project` is TENANT/PROJECT, `path` TENANT/PROJECT/DATASET.
struct DatasetImportArgs {
  std::string project, name, file, schema_file;
  std::vector<std::string> inputs, outputs;
  std::string on_error = "reject";
};
int CmdDatasetImport(const GlobalOptions& g, const DatasetImportArgs& args);
int CmdDatasetList(const GlobalOptions& g, const std::string& project);
// With `schema_only`, just the dataset's schema as YAML (an input for --schema).
int CmdDatasetShow(const GlobalOptions& g, const std::string& path, bool schema_only);
// To standard output, or to `output` (written whole or not at all).
int CmdDatasetExport(const GlobalOptions& g, const std::string& path, const std::string& output);
int CmdDatasetDelete(const GlobalOptions& g, const std::string& path, bool force);

// Models (model.cpp). `model train --wait` waits like `job wait`.
struct ModelTrainArgs {
  std::string dataset, name;  // TENANT/PROJECT/DATASET, the model's name
  std::optional<int> ensemble, epochs, folds;
  std::optional<long long> seed;
  std::vector<int> hidden;
  bool wait = false;
};
int CmdModelTrain(const GlobalOptions& g, const ModelTrainArgs& args);
int CmdModelList(const GlobalOptions& g, const std::string& project);
int CmdModelShow(const GlobalOptions& g, const std::string& path);
// The predictions to standard output, or to `output` (written whole or not at all).
int CmdPredict(const GlobalOptions& g, const std::string& model, const std::string& file,
               const std::string& output);

// Backups (backup.cpp). Verify, restore and drill exit 1 unless the backup is intact.
int CmdBackupRun(const GlobalOptions& g, bool wait);
int CmdBackupList(const GlobalOptions& g);
int CmdBackupVerify(const GlobalOptions& g, const std::string& id, bool all);
int CmdBackupPrune(const GlobalOptions& g, bool dry_run);
int CmdBackupRestore(const GlobalOptions& g, const std::string& id, const std::string& to,
                     bool in_place);
int CmdBackupDrill(const GlobalOptions& g);

// Jobs (job.cpp). `job wait` exits 0 only if the job succeeded.
int CmdJobList(const GlobalOptions& g);
int CmdJobShow(const GlobalOptions& g, const std::string& id);
int CmdJobCancel(const GlobalOptions& g, const std::string& id);
int CmdJobWait(const GlobalOptions& g, const std::string& id);
// The active set (version 0) or version N, files verbatim; the versions so far.
int CmdPolicyShow(const GlobalOptions& g, uint64_t version);
int CmdPolicyHistory(const GlobalOptions& g);
// plan: --detailed-exitcode exits 0 no change, 2 changes, 1 error.
int CmdPolicyPlan(const GlobalOptions& g, const std::string& dir, bool detailed_exitcode);
int CmdPolicyApply(const GlobalOptions& g, const std::string& dir, const std::string& plan_hash);
int CmdPolicyRollback(const GlobalOptions& g, uint64_t version);
int CmdPolicyEnforcement(const GlobalOptions& g);

}  // namespace sigmad::ctl
