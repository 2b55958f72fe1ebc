// sigmactl: the sysadmin's control CLI for sigmad, over its unix control socket.
#include <CLI/CLI.hpp>

#include <cstdlib>
#include <iostream>
#include <string>

#include "commands.h"
#include "sigmad/version.h"

namespace {
constexpr const char* kDefaultSocket = "/run/sigmad/control.sock";
constexpr const char* kFooter =
    "Exit codes: 0 ok, 1 operation failed, 2 usage error, 3 daemon unreachable, "
    "4 access denied.\nThe socket is --socket, else $SIGMAD_SOCKET, else "
    "/run/sigmad/control.sock.";
}  // namespace

int main(int argc, char** argv) {
  using namespace sigmad::ctl;
  CLI::App app{"sigmactl: control sigmad, the on-premises analysis appliance", "sigmactl"};
  app.footer(kFooter);
  app.require_subcommand(1);
  app.fallthrough();  // global options may follow the command

  GlobalOptions g;
  const char* env = std::getenv("SIGMAD_SOCKET");
  g.socket = env && *env ? env : kDefaultSocket;
  double timeout_s = 60;
  app.add_option("--socket", g.socket, "control socket path")->type_name("PATH");
  app.add_flag("--json", g.json, "print the daemon's JSON result exactly, for scripts");
  app.add_option("--timeout", timeout_s,
                 "seconds to wait for the daemon between replies (0 waits forever)")
      ->type_name("SECONDS")
      ->check(CLI::Range(0.0, 86400.0));
  app.set_version_flag("--version", std::string("sigmactl ") + sigmad::kVersion);

  int rc = kExitOk;
  auto* status = app.add_subcommand(
      "status", "show the daemon: version, pid, uptime, state dir, socket, clients, runtime");
  status->callback([&] { rc = CmdStatus(g); });
  auto* version = app.add_subcommand("version", "print the versions of sigmactl and sigmad");
  version->callback([&] { rc = CmdVersion(g); });

  // tenant | project | task: each a group of subcommands.
  std::string path;
  bool force = false;
  auto group = [&](const char* name, const char* what) {
    auto* g_cmd = app.add_subcommand(name, what);
    g_cmd->require_subcommand(1);
    g_cmd->footer(kFooter);
    return g_cmd;
  };
  auto verb = [&](CLI::App* parent, const char* name, const char* what, const char* arg,
                  const char* arg_help, auto run) {
    auto* v = parent->add_subcommand(name, what);
    if (arg) v->add_option(arg, path, arg_help)->required();
    v->footer(kFooter);
    v->callback([&, run] { rc = run(); });
    return v;
  };

  auto* tenant = group("tenant", "create, list and show tenants (customers with their own keys)");
  verb(tenant, "create", "create a tenant and its data key", "NAME", "tenant name",
       [&] { return CmdTenantCreate(g, path); });
  verb(tenant, "list", "list tenants", nullptr, nullptr, [&] { return CmdTenantList(g); });
  verb(tenant, "show", "show a tenant and its projects", "NAME", "tenant name",
       [&] { return CmdTenantShow(g, path); });

  auto* project = group("project", "create, list and delete projects of a tenant");
  verb(project, "create", "create a project", "TENANT/PROJECT", "where to create it",
       [&] { return CmdProjectCreate(g, path); });
  verb(project, "list", "list a tenant's projects", "TENANT", "tenant name",
       [&] { return CmdProjectList(g, path); });
  verb(project, "delete", "delete a project (one with tasks needs --force)", "TENANT/PROJECT",
       "the project", [&] { return CmdProjectDelete(g, path, force); })
      ->add_flag("--force", force, "also delete its tasks");

  auto* task = group("task", "create, list and delete tasks of a project");
  verb(task, "create", "create a task", "TENANT/PROJECT/TASK", "where to create it",
       [&] { return CmdTaskCreate(g, path); });
  verb(task, "list", "list a project's tasks", "TENANT/PROJECT", "the project",
       [&] { return CmdTaskList(g, path); });
  verb(task, "delete", "delete a task (one holding data needs --force)", "TENANT/PROJECT/TASK",
       "the task", [&] { return CmdTaskDelete(g, path, force); })
      ->add_flag("--force", force, "also delete what it holds");

  std::string key_tenant, new_key_file;
  auto* key = group("key", "show and rotate data keys and the master key");
  verb(key, "status", "every data key: owner, term, age, and the values it seals", nullptr,
       nullptr, [&] { return CmdKeyStatus(g); });
  bool rewrap = false;
  auto* rotate = verb(key, "rotate",
                      "start a new term of a tenant's data key (default: the system key)",
                      nullptr, nullptr, [&] { return CmdKeyRotate(g, key_tenant, rewrap); });
  rotate->add_option("--tenant", key_tenant, "the tenant whose key to rotate")->type_name("NAME");
  rotate->add_flag("--rewrap", rewrap,
                   "also re-seal older values under the new term, in the background "
                   "(resumes after a restart)");
  verb(key, "rotate-master", "re-wrap every data key under a new master key", nullptr, nullptr,
       [&] { return CmdKeyRotateMaster(g, new_key_file); })
      ->add_option("--new-key-file", new_key_file,
                   "the new master key (32 bytes, mode 0400; see sigmad --create-master-key)")
      ->type_name("PATH")
      ->required();

  auto* store = group("store", "check the encrypted store");
  verb(store, "verify", "open every stored value and unwrap every key; exit 1 if any fails",
       nullptr, nullptr, [&] { return CmdStoreVerify(g); });

  int tail_n = 20;
  bool follow = false;
  std::string tenant_filter, since, until, format = "jsonl";
  auto* audit = group("audit", "read, verify and export the tamper-evident audit log");
  verb(audit, "verify", "check every record's hash, link and checkpoint; exit 1 if any fails",
       nullptr, nullptr, [&] { return CmdAuditVerify(g); });
  auto* tail = verb(audit, "tail", "show the newest records", nullptr, nullptr,
                    [&] { return CmdAuditTail(g, tail_n, tenant_filter, follow); });
  tail->add_option("-n", tail_n, "how many records (default 20)")->check(CLI::Range(0, 100000));
  tail->add_option("--tenant", tenant_filter, "only records about this tenant")
      ->type_name("NAME");
  tail->add_flag("-f,--follow", follow, "keep printing new records until interrupted");
  auto* exp = verb(audit, "export", "print records as JSON lines or CSV", nullptr, nullptr,
                   [&] { return CmdAuditExport(g, since, until, format); });
  exp->add_option("--since", since, "from this UTC time on (2026-11-23[T07:05:00Z])")
      ->type_name("TIME");
  exp->add_option("--until", until, "before this UTC time")->type_name("TIME");
  exp->add_option("--format", format, "jsonl (default) or csv")
      ->check(CLI::IsMember({"jsonl", "csv"}));

  DatasetImportArgs import;
  std::string export_output;
  auto* dataset = group("dataset", "import, list, show, export and delete a project's datasets");
  auto* imp = verb(dataset, "import",
                   "import a CSV file (RFC 4180, UTF-8, header row) as a dataset; every bad "
                   "row is reported as 'row R, column C: value \"V\": reason'",
                   nullptr, nullptr, [&] { return CmdDatasetImport(g, import); });
  imp->add_option("PROJECT", import.project, "TENANT/PROJECT")->required();
  imp->add_option("NAME", import.name, "the dataset's name")->required();
  imp->add_option("--file", import.file, "the CSV file")->type_name("PATH")->required();
  auto* schema_opt = imp->add_option("--schema", import.schema_file,
                                     "a YAML schema naming each column's role, type, unit, "
                                     "range and missing-value rule")
                         ->type_name("PATH");
  auto* inputs_opt = imp->add_option("--inputs", import.inputs,
                                     "without --schema: the input columns (types are inferred)")
                         ->delimiter(',')
                         ->type_name("COL,...");
  auto* outputs_opt = imp->add_option("--outputs", import.outputs,
                                      "without --schema: the output columns")
                          ->delimiter(',')
                          ->type_name("COL,...");
  schema_opt->excludes(inputs_opt)->excludes(outputs_opt);
  imp->add_option("--on-error", import.on_error,
                  "reject (default): store nothing if any row is bad; skip: store the good rows "
                  "and report the others")
      ->check(CLI::IsMember({"reject", "skip"}));
  verb(dataset, "list", "list a project's datasets", "PROJECT", "TENANT/PROJECT",
       [&] { return CmdDatasetList(g, path); });
  bool schema_only = false;
  verb(dataset, "show", "show a dataset: shape, schema and per-column statistics", "DATASET",
       "TENANT/PROJECT/DATASET", [&] { return CmdDatasetShow(g, path, schema_only); })
      ->add_flag("--schema", schema_only, "print only its schema, as YAML for --schema");
  verb(dataset, "export", "write a dataset back as CSV", "DATASET", "TENANT/PROJECT/DATASET",
       [&] { return CmdDatasetExport(g, path, export_output); })
      ->add_option("--output", export_output, "write to this file instead of standard output")
      ->type_name("PATH");
  verb(dataset, "delete", "delete a dataset", "DATASET", "TENANT/PROJECT/DATASET",
       [&] { return CmdDatasetDelete(g, path, force); })
      ->add_flag("--force", force, "delete even if models depend on it");

  ModelTrainArgs train;
  auto* model = group("model", "train multi-output network ensembles on datasets");
  auto* tr = verb(model, "train",
                  "train a model on a dataset as a job; prints the job id (or waits with --wait)",
                  nullptr, nullptr, [&] { return CmdModelTrain(g, train); });
  tr->add_option("DATASET", train.dataset, "TENANT/PROJECT/DATASET")->required();
  tr->add_option("--name", train.name, "the model's name")->required();
  tr->add_option("--ensemble", train.ensemble, "members (default 5)")->type_name("K");
  tr->add_option("--hidden", train.hidden, "units per hidden layer (default 64,64)")
      ->delimiter(',')
      ->type_name("N,...");
  tr->add_option("--epochs", train.epochs, "at most this many epochs (default 500)")
      ->type_name("N");
  tr->add_option("--folds", train.folds, "cross-validation folds (default 5; 0: none)")
      ->type_name("F");
  tr->add_option("--seed", train.seed, "the random seed (default 1)")->type_name("S");
  tr->add_flag("--wait", train.wait, "wait for the training, showing its progress");
  verb(model, "list", "list a project's models with their cross-validated R2", "PROJECT",
       "TENANT/PROJECT", [&] { return CmdModelList(g, path); });
  verb(model, "show", "show a model: lineage, options and cross-validation per output", "MODEL",
       "TENANT/PROJECT/MODEL", [&] { return CmdModelShow(g, path); });

  std::string predict_file, predict_output;
  auto* predict = verb(&app, "predict",
                       "predict every row of a CSV of a model's inputs: each row with, per "
                       "output, NAME and NAME_std (the ensemble's spread), and out_of_range "
                       "naming inputs outside the training range",
                       "MODEL", "TENANT/PROJECT/MODEL",
                       [&] { return CmdPredict(g, path, predict_file, predict_output); });
  predict->add_option("--file", predict_file, "the CSV of inputs (header row: the model's inputs)")
      ->type_name("PATH")
      ->required();
  predict->add_option("--output", predict_output, "write to this file instead of standard output")
      ->type_name("PATH");

  auto* job = group("job", "follow and cancel long work (model training)");
  verb(job, "list", "list jobs, newest first", nullptr, nullptr, [&] { return CmdJobList(g); });
  verb(job, "show", "show a job: state, progress, timings, error", "ID", "job id",
       [&] { return CmdJobShow(g, path); });
  verb(job, "cancel", "cancel a job (a running one stops within one epoch)", "ID", "job id",
       [&] { return CmdJobCancel(g, path); });
  verb(job, "wait", "wait for a job to end, showing its progress; exit 0 only if it succeeded",
       "ID", "job id", [&] { return CmdJobWait(g, path); });

  bool backup_wait = false, backup_all = false, backup_dry_run = false, backup_in_place = false;
  std::string backup_to;
  auto* backup = group("backup",
                       "encrypted backups of the store: take, list, verify, prune, "
                       "restore, and timed restore drills");
  verb(backup, "run",
       "take a backup now (the BackupPolicy's target; verified and pruned as it says); "
       "returns at once, or waits with --wait",
       nullptr, nullptr, [&] { return CmdBackupRun(g, backup_wait); })
      ->add_flag("--wait", backup_wait, "wait for the backup, its verification and pruning");
  verb(backup, "list", "list the backups: id, time, size, generations, last verification", nullptr,
       nullptr, [&] { return CmdBackupList(g); });
  auto* bv = verb(backup, "verify",
                  "decrypt a backup, check its hash, open it read-only and open every value "
                  "with the keys; exit 0 only if intact",
                  nullptr, nullptr, [&] { return CmdBackupVerify(g, path, backup_all); });
  bv->add_option("ID", path, "backup id (from backup list)");
  bv->add_flag("--all", backup_all, "verify every backup");
  verb(backup, "prune",
       "delete the backups the BackupPolicy's retention no longer keeps (each deletion "
       "audited); --dry-run shows what would go and which rule keeps each survivor",
       nullptr, nullptr, [&] { return CmdBackupPrune(g, backup_dry_run); })
      ->add_flag("--dry-run", backup_dry_run, "only show the plan");
  auto* br = verb(backup, "restore",
                  "restore a backup, verified first: --to DIR makes a copy that sigmad --dev DIR "
                  "serves once DIR/master.key holds this store's master key; --in-place "
                  "replaces the live store (sigmad stops serving, swaps, serves again, keeping "
                  "the previous store aside)",
                  "ID", "backup id (from backup list)",
                  [&] { return CmdBackupRestore(g, path, backup_to, backup_in_place); });
  auto* to_opt = br->add_option("--to", backup_to, "a new or empty directory")->type_name("DIR");
  br->add_flag("--in-place", backup_in_place, "replace the live store with the backup")
      ->excludes(to_opt);
  verb(backup, "drill",
       "restore the newest backup into scratch and verify it, recording how long it took "
       "(the RTO shown by status)",
       nullptr, nullptr, [&] { return CmdBackupDrill(g); });

  std::vector<std::string> policy_paths;
  auto* policy = group("policy", "check and manage the declarative security policies");
  verb(policy, "validate",
       "check policy sets (directories or files) without a daemon; problems are printed as "
       "FILE:LINE:COL: message; exit 1 if any",
       nullptr, nullptr, [&] { return CmdPolicyValidate(g, policy_paths); })
      ->add_option("PATH", policy_paths, "a policy set directory or a policy file")
      ->required();
  uint64_t policy_version = 0;
  verb(policy, "show", "print the active policy set (or --version N), files as applied",
       nullptr, nullptr, [&] { return CmdPolicyShow(g, policy_version); })
      ->add_option("--version", policy_version, "a version from 'policy history'")
      ->check(CLI::PositiveNumber);
  verb(policy, "history", "list the policy versions: when, by whom, from where", nullptr,
       nullptr, [&] { return CmdPolicyHistory(g); });
  bool detailed_exitcode = false;
  verb(policy, "plan", "show what applying DIR would change, field by field (+ ~ -)", "DIR",
       "the policy set directory", [&] { return CmdPolicyPlan(g, path, detailed_exitcode); })
      ->add_flag("--detailed-exitcode", detailed_exitcode,
                 "exit 0 if nothing would change, 2 if something would, 1 on error");
  std::string plan_hash;
  verb(policy, "apply", "make DIR the active policy set as a new version (all or nothing)",
       "DIR", "the policy set directory", [&] { return CmdPolicyApply(g, path, plan_hash); })
      ->add_option("--plan-hash", plan_hash,
                   "refuse unless the active set and DIR are still what 'policy plan' showed")
      ->type_name("HASH");
  verb(policy, "enforcement", "list each rule, where sigmad enforces it, and whether it does yet",
       nullptr, nullptr, [&] { return CmdPolicyEnforcement(g); });
  verb(policy, "rollback", "make a new version equal to version N", nullptr, nullptr,
       [&] { return CmdPolicyRollback(g, policy_version); })
      ->add_option("N", policy_version, "a version from 'policy history'")
      ->required()
      ->check(CLI::PositiveNumber);

  for (auto* sub : {status, version}) sub->footer(kFooter);
  app.parse_complete_callback(
      [&] { g.timeout = std::chrono::milliseconds(static_cast<long long>(timeout_s * 1000)); });

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);  // prints the message and the usage hint
    // policy plan --detailed-exitcode promises 2 for "changes" only; errors are 1.
    for (int i = 1; i < argc; ++i) {
      if (std::string(argv[i]) == "--detailed-exitcode") return kExitFailed;
    }
    return kExitUsage;
  }
  return rc;
}
