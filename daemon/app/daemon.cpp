#include "app/daemon.h"

#include <Poco/Util/HelpFormatter.h>
#include <Poco/Util/Option.h>
#include <Poco/Util/OptionException.h>
#include <Poco/Util/OptionSet.h>
#include <signal.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <iostream>
#include <thread>

#include "analysis/runtime.h"
#include "app/backup_methods.h"
#include "app/dataset_methods.h"
#include "app/job_methods.h"
#include "app/key_methods.h"
#include "app/methods.h"
#include "app/model_methods.h"
#include "app/notify.h"
#include "app/policy_methods.h"
#include "app/state_dir.h"
#include "app/store_methods.h"
#include "app/tenancy_methods.h"
#include "audit/log.h"
#include "common/file.h"
#include "common/time_format.h"
#include "control/server.h"
#include "crypto/master_key.h"
#include "keys/service.h"
#include "policy/rules.h"
#include "sigmad/version.h"
#include "store/vault.h"
#include "tenancy/service.h"

namespace sigmad::app {
namespace fs = std::filesystem;
using Poco::Util::Option;
using Poco::Util::OptionSet;

namespace {

constexpr const char* kDefaultConfig = "/etc/sigmad/sigmad.yaml";
constexpr int kExitOk = 0, kExitFailure = 1, kExitUsage = 2;

void PrintErrors(const std::vector<std::string>& errors) {
  for (const auto& e : errors) std::cerr << e << '\n';
}

// Fields that only a restart applies, compared for the reload log.
std::vector<std::string> RestartOnlyChanges(const Config& a, const Config& b) {
  std::vector<std::string> out;
  auto cmp = [&out](bool differ, const char* name) {
    if (differ) out.emplace_back(name);
  };
  cmp(a.state_dir != b.state_dir, "state_dir");
  cmp(a.master_key_file != b.master_key_file, "keys.master_key_file");
  cmp(a.control.socket != b.control.socket, "control.socket");
  cmp(a.control.socket_mode != b.control.socket_mode, "control.socket_mode");
  cmp(a.control.admin_group != b.control.admin_group, "control.admin_group");
  cmp(a.control.idle_timeout_seconds != b.control.idle_timeout_seconds,
      "control.idle_timeout_seconds");
  cmp(a.control.max_clients != b.control.max_clients, "control.max_clients");
  cmp(a.control.max_request_bytes != b.control.max_request_bytes, "control.max_request_bytes");
  cmp(a.jobs.workers != b.jobs.workers, "jobs.workers");
  cmp(a.jobs.threads != b.jobs.threads, "jobs.threads");
  return out;
}

}  // namespace

SigmadApp::SigmadApp() { setUnixOptions(true); }

void SigmadApp::defineOptions(OptionSet& options) {
  // Application's, not ServerApplication's: under systemd (Type=notify) sigmad never
  // daemonizes itself, so --daemon, --pidfile and --umask are not offered.
  Application::defineOptions(options);
  options.addOption(Option("help", "h", "show this help and exit"));
  options.addOption(Option("version", "", "print the version and exit"));
  options.addOption(Option("config", "", "config file (default /etc/sigmad/sigmad.yaml)")
                        .argument("FILE"));
  options.addOption(Option("dev", "",
                           "embedded default: run unprivileged with state, socket, master key "
                           "and certificate all inside DIR (created if missing)")
                        .argument("DIR"));
  options.addOption(
      Option("check-config", "", "validate FILE and exit: 0 valid, 1 invalid").argument("FILE"));
  options.addOption(Option("create-master-key", "",
                           "write a new random master key to FILE (mode 0400, never replacing "
                           "one) and exit")
                        .argument("FILE"));
  options.addOption(Option("log-level", "", "debug, info, warning or error (overrides config)")
                        .argument("LEVEL"));
}

void SigmadApp::handleOption(const std::string& name, const std::string& value) {
  Application::handleOption(name, value);
  if (name == "help") {
    help_ = true;
    stopOptionsProcessing();
  } else if (name == "version") {
    version_ = true;
  } else if (name == "config") {
    config_file_ = value;
  } else if (name == "dev") {
    dev_dir_ = value;
  } else if (name == "check-config") {
    check_config_ = value;
  } else if (name == "create-master-key") {
    create_master_key_ = value;
  } else if (name == "log-level") {
    log_level_override_ = log::ParseLevel(value);
    if (!log_level_override_) {
      throw Poco::Util::InvalidArgumentException(
          "--log-level must be one of debug, info, warning, error; got '" + value + "'");
    }
  }
}

int SigmadApp::RunMain(int argc, char** argv) {
  try {
    init(argc, argv);
  } catch (const Poco::Util::OptionException& e) {
    std::cerr << "sigmad: " << e.message() << "\nTry 'sigmad --help'.\n";
    return kExitUsage;
  }
  return Application::run();
}

int SigmadApp::main(const std::vector<std::string>& args) {
  if (help_) {
    Poco::Util::HelpFormatter help(options());
    help.setCommand("sigmad");
    help.setUsage("[--dev DIR | --config FILE | --check-config FILE] [--log-level LEVEL]");
    help.setHeader(
        "sigmad: on-premises analysis appliance daemon. Serves sigmactl on a unix control "
        "socket; run by systemd (Type=notify) or, for trying it, with --dev DIR.");
    help.setFooter("Exit status: 0 ok, 1 failure (invalid config, state dir in use, socket "
                   "unusable), 2 usage error. Signals: SIGTERM drains and stops, SIGHUP reloads.");
    help.setUnixStyle(true);
    help.format(std::cout);
    return kExitOk;
  }
  if (version_) {
    std::cout << "sigmad " << kVersion << '\n';
    return kExitOk;
  }
  if (!args.empty()) {
    std::cerr << "sigmad: unexpected argument '" << args.front() << "'\nTry 'sigmad --help'.\n";
    return kExitUsage;
  }
  const int modes = (dev_dir_ ? 1 : 0) + (config_file_ ? 1 : 0) + (check_config_ ? 1 : 0) +
                    (create_master_key_ ? 1 : 0);
  if (modes > 1) {
    std::cerr << "sigmad: --dev, --config, --check-config and --create-master-key exclude "
                 "each other\n";
    return kExitUsage;
  }
  if (create_master_key_) {
    if (Status s = crypto::CreateMasterKey(*create_master_key_); !s.ok()) {
      std::cerr << "sigmad: " << s.message() << '\n';
      return kExitFailure;
    }
    std::cout << create_master_key_->string() << ": new master key written (mode 0400)\n";
    return kExitOk;
  }
  if (check_config_) return CheckConfig(*check_config_);

  log::InitLogging(log_level_override_.value_or(log::Level::kInfo));
  auto config = LoadForMode();
  if (!config) return kExitFailure;
  return Serve(*config);
}

int SigmadApp::CheckConfig(const fs::path& file) {
  LoadResult r = LoadConfigFile(file, Config{});
  if (!r.ok()) {
    PrintErrors(r.errors);
    std::cerr << file.string() << ": " << r.errors.size() << " problem"
              << (r.errors.size() == 1 ? "" : "s") << "\n";
    return kExitFailure;
  }
  std::cout << file.string() << ": ok\n";
  return kExitOk;
}

std::optional<Config> SigmadApp::LoadForMode() {
  auto& log = log::For("app");
  if (dev_dir_) {
    std::error_code ec;
    const fs::path dir = fs::absolute(*dev_dir_, ec).lexically_normal();
    if (Status s = EnsureDirectory(dir); !s.ok()) {
      log.error(s.message());
      return std::nullopt;
    }
    auto lock = StateDirLock::Acquire(dir);
    if (!lock.ok()) {
      log.error(lock.status().message());
      return std::nullopt;
    }
    lock_.emplace(std::move(lock).value());
    const DevPaths paths = DevPaths::For(dir);
    std::string created;
    if (Status s = PrepareDevDir(paths, clock_.Now(), &created); !s.ok()) {
      log.error("dev dir " + dir.string() + ": " + s.message());
      return std::nullopt;
    }
    if (!created.empty()) log.information("dev dir " + dir.string() + ": created " + created);
    Config defaults;
    defaults.state_dir = dir;
    defaults.control.socket = paths.socket;
    defaults.control.socket_mode = 0600;
    defaults.policies_dir = paths.policies;
    LoadResult r = LoadConfigFile(paths.config, defaults, LoadOptions{dir, true});
    if (!r.ok()) {
      PrintErrors(r.errors);
      return std::nullopt;
    }
    config_path_ = paths.config;
    tls_cert_ = paths.tls_cert;
    master_key_path_ = paths.master_key;
    return r.config;
  }

  const fs::path file = config_file_.value_or(kDefaultConfig);
  LoadResult r = LoadConfigFile(file, Config{});
  if (!r.ok()) {
    PrintErrors(r.errors);
    return std::nullopt;
  }
  if (Status s = EnsureDirectory(r.config.state_dir); !s.ok()) {
    log.error(s.message());
    return std::nullopt;
  }
  auto lock = StateDirLock::Acquire(r.config.state_dir);
  if (!lock.ok()) {
    log.error(lock.status().message());
    return std::nullopt;
  }
  lock_.emplace(std::move(lock).value());
  config_path_ = file;
  const MasterKeySource key =
      ResolveMasterKeyPath(r.config.master_key_file, std::getenv("CREDENTIALS_DIRECTORY"));
  master_key_path_ = key.path;
  master_key_access_ = key.credential ? crypto::KeyFileAccess::kSystemdCredential
                                      : crypto::KeyFileAccess::kOwnerOnly;
  return r.config;
}

int SigmadApp::Serve(const Config& loaded) {
  Config config = loaded;
  if (!log_level_override_) log::SetLevel(config.log_level);
  log_level_ = log_level_override_.value_or(config.log_level);

  // Signals are taken synchronously by this thread; every thread started after this
  // inherits the mask. SIGUSR1 is sigmad's own: an in-place restore waiting to swap.
  sigset_t signals;
  sigemptyset(&signals);
  for (int s : {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1}) sigaddset(&signals, s);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  signal(SIGPIPE, SIG_IGN);
  // Past a file size limit (RLIMIT_FSIZE) a write fails with EFBIG, reported like a full
  // disk, instead of the signal killing sigmad.
  signal(SIGXFSZ, SIG_IGN);

  // Serves the store until a stop signal; an in-place restore stops serving, swaps the
  // store and serves again, audited in the restored store's log.
  std::optional<audit::Fields> restored;
  for (;;) {
    std::optional<StoreSwap> swap;
    const int rc = ServeStore(config, signals, restored, &swap);
    if (!swap) {
      lock_.reset();
      return rc;
    }
    restored = SwapStore(config.state_dir, *swap);
  }
}

std::optional<audit::Fields> SigmadApp::SwapStore(const fs::path& state_dir,
                                                  const StoreSwap& swap) {
  auto& log = log::For("backup");
  const fs::path live = state_dir / "store";
  audit::Fields f;
  f.time = clock_.Now();
  f.actor = swap.actor.name;
  f.source = swap.actor.source;
  f.action = "backup.restore";
  f.target = swap.backup_id;
  auto failed = [&](const std::string& why) {
    log.error("in-place restore of backup " + swap.backup_id + " failed: " + why +
              "; serving the store as it was");
    f.outcome = "error:io";
    f.details = "in place: " + why;
    std::error_code ec;
    // The staged copy goes only if the store is back in place; otherwise it may be the
    // only store left (FinishInterruptedSwap moves it in at the next start).
    if (fs::exists(live / "data.mdb", ec)) fs::remove_all(swap.staging.parent_path(), ec);
    return f;
  };
  if (::rename(live.c_str(), swap.previous.c_str()) != 0) {
    return failed("cannot move " + live.string() + " to " + swap.previous.string() + ": " +
                  std::strerror(errno));
  }
  if (::rename(swap.staging.c_str(), live.c_str()) != 0) {
    const std::string why = std::strerror(errno);
    if (::rename(swap.previous.c_str(), live.c_str()) != 0) {
      log.error("cannot move " + swap.previous.string() + " back to " + live.string() + ": " +
                std::strerror(errno) + "; move it back by hand before starting sigmad");
    }
    return failed("cannot move the restored store into " + live.string() + ": " + why);
  }
  if (Status s = SyncDirectory(state_dir); !s.ok()) log.warning(s.message());
  std::error_code ec;
  fs::remove_all(swap.staging.parent_path(), ec);
  log.information("backup " + swap.backup_id + " restored in place; the previous store is " +
                  swap.previous.string());
  f.outcome = std::string(audit::kOutcomeOk);
  f.details = "in place; the previous store is kept at " + swap.previous.string();
  return f;
}

Status SigmadApp::FinishInterruptedSwap(const fs::path& state_dir) {
  auto& log = log::For("backup");
  const fs::path live = state_dir / "store", staged = state_dir / "restore-staging" / "store";
  std::error_code ec;
  const bool live_present = fs::exists(live / "data.mdb", ec);
  if (!live_present && fs::exists(staged / "data.mdb", ec)) {
    // sigmad died between the two renames of an in-place restore: the store is aside
    // (store.before-restore-*) and the verified copy still staged. Finish the swap.
    fs::remove(live, ec);  // an empty dir at most
    if (::rename(staged.c_str(), live.c_str()) != 0) {
      return Status::Error("io",
                           "an in-place restore was interrupted and cannot be finished: "
                           "cannot move " +
                               staged.string() + " to " + live.string() + ": " +
                               std::strerror(errno));
    }
    log.warning(
        "an in-place restore was interrupted by a crash; its verified copy is now the "
        "store (the previous store is the newest " +
        state_dir.string() + "/store.before-restore-*)");
    (void)SyncDirectory(state_dir);
  }
  if (!fs::exists(live / "data.mdb", ec)) {
    // No store, nothing staged, but a store set aside by a restore: starting would make a
    // new empty store in its place. The operator must choose.
    for (const auto& e : fs::directory_iterator(state_dir, ec)) {
      if (e.path().filename().string().rfind("store.before-restore-", 0) == 0) {
        return Status::Error("io", live.string() + " holds no store, but " + e.path().string() +
                                       " does (set aside by an in-place restore): move the "
                                       "store to serve back to " +
                                       live.string());
      }
    }
  }
  fs::remove_all(state_dir / "restore-staging", ec);  // a restore that never got swapped in
  return Status::Ok();
}

int SigmadApp::ServeStore(Config& config, const sigset_t& signals,
                          const std::optional<audit::Fields>& restored,
                          std::optional<StoreSwap>* swap) {
  auto& log = log::For("app");
  {
    std::lock_guard lock(retention_mu_);
    retention_stop_ = false;
    audit_retention_days_ = 0;  // until this store's own policy says (a restore swaps it)
  }
  {
    std::lock_guard lock(swap_mu_);
    pending_swap_.reset();
  }

  // The master key is checked before anything listens: a bad one stops sigmad here.
  auto kek = crypto::LoadMasterKey(master_key_path_, master_key_access_);
  if (!kek.ok()) {
    log.error(kek.status().message());
    return kExitFailure;
  }
  log.information("master key " + master_key_path_.string() +
                  (master_key_access_ == crypto::KeyFileAccess::kSystemdCredential
                       ? " (systemd credential)"
                       : ""));

  // The trusted store, its audit log and the services on it. Declared before the
  // server so they outlive every connection.
  const fs::path store_dir = config.state_dir / "store";
  if (Status s = FinishInterruptedSwap(config.state_dir); !s.ok()) {
    log.error(s.message());
    return kExitFailure;
  }
  if (Status s = EnsureDirectory(store_dir); !s.ok()) {
    log.error(s.message());
    return kExitFailure;
  }
  store::EnvOptions store_options;
  store_options.dir = store_dir;
  auto vault = store::Vault::Open(store_options, std::move(kek).value(), clock_);
  if (!vault.ok()) {
    log.error("store " + store_dir.string() + ": " + vault.status().message());
    return kExitFailure;
  }
  if (const int stale = vault.value()->env().stale_readers_cleared(); stale > 0) {
    log.warning("store: cleared " + std::to_string(stale) +
                " reader slot(s) left by processes that died");
  }
  auto audit_log = audit::AuditLog::Open(*vault.value());
  if (!audit_log.ok()) {
    log.error("audit log: " + audit_log.status().message());
    return kExitFailure;
  }
  auto tenancy = tenancy::TenancyService::Open(*vault.value(), *audit_log.value(), clock_);
  if (!tenancy.ok()) {
    log.error("tenancy: " + tenancy.status().message());
    return kExitFailure;
  }
  keys::KeyService key_service(*vault.value(), *audit_log.value(), *tenancy.value(), clock_,
                               master_key_path_, /*replace_key_file=*/dev_dir_.has_value());
  key_service.Start();  // resumes an unfinished rewrap
  auto policies = policy::PolicyService::Open(*vault.value(), *audit_log.value(), clock_);
  if (!policies.ok()) {
    log.error("policies: " + policies.status().message());
    return kExitFailure;
  }
  LoadPolicies(*policies.value(), config.policies_dir);
  auto datasets =
      dataset::DatasetService::Open(*vault.value(), *audit_log.value(), *tenancy.value(), clock_);
  if (!datasets.ok()) {
    log.error("datasets: " + datasets.status().message());
    return kExitFailure;
  }
  if (Status s = analysis::SetThreads(config.jobs.threads); !s.ok()) {
    log.error("jobs.threads: " + s.message());  // the config check makes this unreachable
    return kExitFailure;
  }
  // Marks jobs an earlier process left unfinished as interrupted, then starts workers.
  auto jobs = jobs::JobService::Open(*vault.value(), *audit_log.value(), clock_,
                                     config.jobs.workers);
  if (!jobs.ok()) {
    log.error("jobs: " + jobs.status().message());
    return kExitFailure;
  }
  auto models = models::ModelService::Open(*vault.value(), *audit_log.value(), *tenancy.value(),
                                           *datasets.value(), *jobs.value(), clock_);
  if (!models.ok()) {
    log.error("models: " + models.status().message());
    return kExitFailure;
  }
  backup::ServiceOptions backup_options;
  backup_options.scratch_dir = config.state_dir / "scratch" / "backup";
  backup_options.sigmad_version = kVersion;
  if (dev_dir_) {  // everything inside DIR: backups too, whatever the policy's target
    backup_options.target_override = config.state_dir / "backups";
    if (Status s = EnsureDirectory(*backup_options.target_override); !s.ok()) {
      log.error(s.message());
      return kExitFailure;
    }
  }
  auto backups = backup::BackupService::Open(*vault.value(), *audit_log.value(), clock_,
                                             std::move(backup_options));
  if (!backups.ok()) {
    log.error("backups: " + backups.status().message());
    return kExitFailure;
  }
  if (restored) {
    audit::Fields f = *restored;
    f.time = clock_.Now();
    if (Status s = audit_log.value()->Append(f); !s.ok()) {
      log.error("auditing the in-place restore: " + s.message());
    }
  }
  log.information("store " + store_dir.string() + " open; audit log at sequence " +
                  std::to_string(audit_log.value()->last_seq()));

  control::ServerOptions opts;
  opts.socket = config.control.socket;
  opts.socket_mode = config.control.socket_mode;
  opts.admin = control::MakeAdminRule(config.control.admin_group);
  opts.idle_timeout = std::chrono::seconds(config.control.idle_timeout_seconds);
  opts.max_clients = config.control.max_clients;
  opts.max_request_bytes = static_cast<size_t>(config.control.max_request_bytes);
  audit::AuditLog* audit_ptr = audit_log.value().get();
  opts.on_access = [audit_ptr, this](const control::PeerCred& peer,
                                     const control::AccessDecision& decision) {
    audit::Fields f;
    f.time = clock_.Now();
    f.actor = ActorName(peer);
    f.action = "control.access";
    f.target = "pid=" + std::to_string(peer.pid);
    f.outcome = decision.admin ? std::string(audit::kOutcomeOk)
                               : std::string(audit::kOutcomeDenied);
    f.source = "control";
    f.details = decision.reason;
    return audit_ptr->Append(f);
  };
  if (!opts.admin.admin_gid) {
    const std::string who = opts.admin.daemon_uid == 0
                                ? "root"
                                : "root and uid " + std::to_string(opts.admin.daemon_uid);
    log.warning("admin group '" + config.control.admin_group + "' does not exist; only " + who +
                " may use the control socket");
  }

  DaemonFacts facts;
  facts.mode = dev_dir_ ? "dev" : "system";
  facts.state_dir = config.state_dir;
  facts.socket = config.control.socket;
  facts.config_file = config_path_;
  facts.tls_cert = tls_cert_;
  facts.admin_group = config.control.admin_group;
  facts.admin_group_exists = opts.admin.admin_gid.has_value();
  facts.max_clients = config.control.max_clients;
  facts.watchdog = notify::WatchdogInterval();
  facts.started_at = clock_.Now();
  facts.restored = restored;
  store::Vault* vault_ptr = vault.value().get();
  facts.store_status = [vault_ptr, audit_ptr, store_dir]() -> Poco::Dynamic::Var {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object(Poco::JSON_PRESERVE_KEY_ORDER);
    o->set("path", store_dir.string());
    if (auto info = vault_ptr->env().Info(); info.ok()) {
      o->set("used_bytes", static_cast<Poco::UInt64>(info.value().used_bytes));
      o->set("map_bytes", static_cast<Poco::UInt64>(info.value().map_bytes));
    }
    o->set("audit_last_seq", audit_ptr->last_seq());
    o->set("audit_last_hash", audit::DigestHex(audit_ptr->last_hash()));
    return o;
  };

  backup::BackupService* backups_ptr = backups.value().get();
  facts.backup_status = [backups_ptr]() { return RecoveryJson(*backups_ptr); };

  Uploads uploads(clock_);  // declared first: outlives the server's threads
  control::Dispatcher dispatcher;
  control::Server server(opts, dispatcher);
  RegisterAppMethods(dispatcher, facts, server, clock_, &log_level_);
  RegisterTenancyMethods(dispatcher, *tenancy.value());
  RegisterStoreMethods(dispatcher, *vault.value(), *audit_log.value());
  RegisterKeyMethods(dispatcher, key_service);
  RegisterPolicyMethods(dispatcher, *policies.value());
  RegisterUploadMethod(dispatcher, uploads);
  RegisterDatasetMethods(dispatcher, *datasets.value(), uploads);
  RegisterJobMethods(dispatcher, *jobs.value(), clock_);
  RegisterModelMethods(dispatcher, *models.value(), uploads);
  const fs::path staging = config.state_dir / "restore-staging";
  InPlaceRestore in_place;
  in_place.staging = staging;
  in_place.check = [store_dir, staging]() -> Status {
    // The swap renames store/ and the staged copy within the state dir: that cannot work
    // if store/ is a mount point or the state dir spans file systems.
    struct stat st_store {
    }, st_dir{};
    if (::stat(store_dir.c_str(), &st_store) != 0 ||
        ::stat(staging.parent_path().c_str(), &st_dir) != 0) {
      return Status::Error("io", "cannot stat " + store_dir.string() + ": " + std::strerror(errno));
    }
    if (st_store.st_dev != st_dir.st_dev) {
      return Status::Error("unsupported",
                           store_dir.string() +
                               " is a mount point (or on another file system "
                               "than " +
                               staging.parent_path().string() +
                               "), so an in-place restore "
                               "cannot swap it by renames; restore --to a directory on that file "
                               "system, stop sigmad and move it in by hand");
    }
    return Status::Ok();
  };
  in_place.swap = [this, staging](const std::string& id, const tenancy::Actor& actor) {
    return RequestSwap(id, actor, staging / "store");
  };
  RegisterBackupMethods(dispatcher, *backups.value(), std::move(in_place));

  // The policy's enforcement points: now for the active version, then on every
  // activation (SIGHUP, apply, rollback).
  const std::string config_admin_group = config.control.admin_group;
  auto enforce = [this, &server, &key_service, backups_ptr,
                  config_admin_group](const policy::StoredVersion& v) {
    Enforce(v, server, key_service, *backups_ptr, config_admin_group);
  };
  if (auto active = policies.value()->Active(); active.ok() && active.value()) {
    enforce(*active.value());
  }
  policies.value()->OnActivate(enforce);

  if (Status s = server.Start(); !s.ok()) {
    log.error(s.message());
    return kExitFailure;
  }
  backups.value()->Start();
  const std::string serving = "Serving on " + config.control.socket.string();
  notify::Ready(serving);
  swap_pinger_.reset();
  log.information("sigmad " + std::string(kVersion) + " " + facts.mode + " mode, state dir " +
                  config.state_dir.string() + ", control socket " +
                  config.control.socket.string() + " (pid " + std::to_string(getpid()) + ")");

  // The main loop: wait for signals, ping the watchdog at half its interval.
  const auto tick = facts.watchdog ? std::chrono::duration_cast<std::chrono::milliseconds>(
                                         *facts.watchdog / 2)
                                   : std::chrono::milliseconds(1000);
  auto next_ping = clock_.Monotonic();
  auto next_key_check = clock_.Monotonic();
  auto next_master_warning = clock_.Monotonic();
  std::thread retention([this, audit_ptr] { RetentionLoop(*audit_ptr); });
  for (;;) {
    if (clock_.Monotonic() >= next_key_check) {  // the EncryptionPolicy's rotation age
      if (auto r = key_service.RotateOverdue(); !r.ok()) {
        log.error("rotating overdue data keys: " + r.status().message());
      }
      if (auto m = key_service.MasterKeyStatus(); m.ok() && m.value().overdue &&
          clock_.Monotonic() >= next_master_warning) {
        log.warning("the master key is " +
                    std::to_string(std::chrono::duration_cast<std::chrono::hours>(
                                       clock_.Now() - m.value().created)
                                       .count() / 24) +
                    " days old, past the EncryptionPolicy's masterKeyRotationDays (" +
                    std::to_string(m.value().max_age->count() / 24) +
                    "); rotate it with sigmactl key rotate-master");
        next_master_warning = clock_.Monotonic() + std::chrono::hours(24);
      }
      next_key_check = clock_.Monotonic() + std::chrono::minutes(1);
    }
    if (facts.watchdog && clock_.Monotonic() >= next_ping) {
      notify::WatchdogPing();
      next_ping = clock_.Monotonic() + tick;
    }
    const auto wait = facts.watchdog ? std::max(std::chrono::milliseconds(1),
                                                std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    next_ping - clock_.Monotonic()))
                                     : tick;
    timespec ts{static_cast<time_t>(wait.count() / 1000),
                static_cast<long>((wait.count() % 1000) * 1000000)};
    siginfo_t info{};
    const int sig = sigtimedwait(&signals, &info, &ts);
    if (sig < 0) continue;  // timeout or EINTR
    if (sig == SIGUSR1) {
      std::lock_guard lock(swap_mu_);
      if (!pending_swap_) continue;  // not ours
      *swap = *pending_swap_;
      log.information("restoring backup " + swap->value().backup_id +
                      " in place: stopping to swap the store");
      break;
    }
    if (sig == SIGHUP) {
      notify::Reloading();
      Reload(config);
      LoadPolicies(*policies.value(), config.policies_dir);
      notify::Ready(serving);
      continue;
    }
    log.information(std::string("received ") + sigabbrev_np(sig) + " from pid " +
                    std::to_string(info.si_pid) + "; draining");
    break;
  }

  const control::ServerStats st = server.Stats();
  if (*swap) {
    // Not STOPPING=1: systemd would take the service for stopping and kill it after
    // TimeoutStopSec. RELOADING=1 until READY=1 when the restored store is served.
    notify::Reloading();
    swap_pinger_.emplace();  // until the restored store is served (READY=1)
    notify::Status("Restoring backup " + swap->value().backup_id + " in place: draining " +
                   std::to_string(st.active) + " client connection(s)");
  } else {
    notify::Stopping("Draining " + std::to_string(st.active) + " client connection(s)");
  }
  server.BeginDrain();
  // Running jobs stop at their next check and are recorded interrupted; job.wait calls
  // return, so they do not hold up the drain.
  jobs.value()->Stop();
  backups.value()->Stop();  // a backup under way finishes first
  log.information("control socket closed; waiting up to " +
                  std::to_string(config.drain_timeout_seconds) + "s for " +
                  std::to_string(server.Stats().active) + " connection(s) to finish");
  if (!server.WaitDrained(std::chrono::seconds(config.drain_timeout_seconds))) {
    log.warning(std::to_string(server.Stats().active) + " client connection(s) still busy after " +
                std::to_string(config.drain_timeout_seconds) + "s; closing them");
  }
  server.Stop();
  StopRetention();
  retention.join();  // a prune under way finishes first
  policies.value()->OnActivate(nullptr);  // its hook refers to the server
  key_service.Stop();  // a rewrap stops between batches and resumes at the next start
  if (*swap) {
    notify::Status("Restoring backup " + swap->value().backup_id + " in place");
    return kExitOk;
  }
  notify::Status("Stopped");
  log.information("stopped after serving " + std::to_string(server.Stats().requests) +
                  " request(s)");
  return kExitOk;
}

fs::path SigmadApp::RequestSwap(const std::string& backup_id, const tenancy::Actor& actor,
                                const fs::path& staging) {
  StoreSwap swap;
  swap.backup_id = backup_id;
  swap.actor = actor;
  swap.staging = staging;
  std::string stamp = FormatUtc(clock_.Now()).substr(0, 19);  // 2026-12-03T14:49:37
  std::erase(stamp, ':');
  std::erase(stamp, '-');
  const fs::path state_dir = staging.parent_path().parent_path();
  swap.previous = state_dir / ("store.before-restore-" + stamp);
  std::error_code ec;
  for (int n = 2; fs::exists(swap.previous, ec); ++n) {  // two restores in one second
    swap.previous = state_dir / ("store.before-restore-" + stamp + "-" + std::to_string(n));
  }
  {
    std::lock_guard lock(swap_mu_);
    pending_swap_ = swap;
  }
  kill(getpid(), SIGUSR1);  // the main thread takes it (sigtimedwait)
  return swap.previous;
}

void SigmadApp::Enforce(const policy::StoredVersion& v, control::Server& server,
                        keys::KeyService& keys, backup::BackupService& backups,
                        const std::string& config_admin_group) {
  auto& log = log::For("policy");
  const std::string which = "policy version " + std::to_string(v.info.version);
  std::string group = config_admin_group;
  std::optional<std::chrono::hours> max_age, master_max_age;
  int audit_days = 0;
  for (const auto& d : policy::ParseSet(v.files).documents) {
    if (d.kind == "RetentionPolicy") {
      audit_days = static_cast<int>(policy::IntField(d.node["spec"]["auditLogRetentionDays"]));
    }
    if (d.kind == "SecurityPolicy") group = d.node["spec"]["adminGroup"].Scalar();
    if (d.kind == "EncryptionPolicy") {
      max_age = std::chrono::hours(24 * policy::IntField(d.node["spec"]["dataKeyRotationDays"]));
      master_max_age =
          std::chrono::hours(24 * policy::IntField(d.node["spec"]["masterKeyRotationDays"]));
    }
  }
  if (server.admin_rule().admin_group != group) {
    const control::AdminRule rule = control::MakeAdminRule(group);
    log.information(which + ": control-socket admins are now root, uid " +
                    std::to_string(rule.daemon_uid) + " and members of group " + group +
                    " (was " + server.admin_rule().admin_group + ")");
    if (!rule.admin_gid) {
      log.warning(which + ": admin group '" + group + "' does not exist on this host");
    }
    server.SetAdminRule(rule);
  }
  keys.SetDataKeyMaxAge(max_age);
  keys.SetMasterKeyMaxAge(master_max_age);
  log.information(which + ": data keys rotate after " +
                  (max_age ? std::to_string(max_age->count() / 24) + " days"
                           : std::string("no set age (no EncryptionPolicy)")));
  {
    std::lock_guard lock(retention_mu_);
    audit_retention_days_.store(audit_days);
  }
  retention_cv_.notify_all();
  std::string backup_error;
  auto backup_settings = BackupSettingsOf(v, &backup_error);
  if (!backup_error.empty()) log.error(which + ": " + backup_error + "; backups are off");
  backups.SetSettings(std::move(backup_settings));
  if (auto in_force = backups.Settings()) {  // with dev mode's target
    log.information(which + ": backups to " + in_force->target.string() + " at " +
                    in_force->schedule.Describe() + ", kept by " + in_force->retention.Describe() +
                    "; restore drills at " + in_force->drill_schedule.Describe());
  } else if (backup_error.empty()) {
    log.warning(which + ": no BackupPolicy; sigmad takes no scheduled backups");
  }
  log.information(which + ": audit records are kept " +
                  (audit_days ? std::to_string(audit_days) + " days"
                              : std::string("for ever (no RetentionPolicy)")));
}

void SigmadApp::RetentionLoop(audit::AuditLog& audit) {
  int pruned_for = 0;  // the retention the last prune ran with
  auto next = clock_.Monotonic();
  std::unique_lock lock(retention_mu_);
  while (!retention_stop_) {
    const int days = audit_retention_days_.load();
    if (days > 0 && (days != pruned_for || clock_.Monotonic() >= next)) {
      pruned_for = days;
      lock.unlock();
      const auto delay = PruneAudit(audit, days);
      lock.lock();
      next = clock_.Monotonic() + delay;
      continue;
    }
    retention_cv_.wait_until(lock, days > 0 ? next : clock_.Monotonic() + std::chrono::hours(1),
                             [&] { return retention_stop_ || audit_retention_days_ != days; });
  }
}

void SigmadApp::StopRetention() {
  {
    std::lock_guard lock(retention_mu_);
    retention_stop_ = true;
  }
  retention_cv_.notify_all();
}

std::chrono::seconds SigmadApp::PruneAudit(audit::AuditLog& audit, int days) {
  auto& log = log::For("audit");
  const auto now = clock_.Now();
  const std::string rule = "RetentionPolicy auditLogRetentionDays " + std::to_string(days);
  auto r = audit.Prune(now - std::chrono::hours(24) * days, now, rule);
  if (!r.ok()) {
    log.error("audit-log retention (" + rule + "): " + r.status().message() +
              "; run sigmactl audit verify");
    return std::chrono::hours(1);
  }
  if (r.value().prune_seq != 0) {
    log.information("audit-log retention: removed " + std::to_string(r.value().removed) +
                    " record(s) older than " + std::to_string(days) +
                    " days; the log now starts at record " +
                    std::to_string(r.value().first_kept) + " (" + rule + ", audit record " +
                    std::to_string(r.value().prune_seq) + ")");
  }
  return r.value().more ? std::chrono::seconds(1) : std::chrono::hours(1);
}

void SigmadApp::LoadPolicies(policy::PolicyService& policies, const fs::path& dir) {
  auto& log = log::For("policy");
  auto what_stays = [&policies] {
    auto active = policies.Active();
    return active.ok() && active.value()
               ? "policy version " + std::to_string(active.value()->info.version) + " stays active"
               : std::string("no policy set is active");
  };
  std::error_code ec;
  if (!fs::exists(dir, ec)) {
    log.warning(dir.string() + " does not exist; " + what_stays());
    return;
  }
  auto r = policies.LoadDirectory(dir);
  if (!r.ok()) {
    log.error("loading " + dir.string() + ": " + r.status().message());
    return;
  }
  for (const auto& w : r.value().warnings) log.warning(w.ToString());
  if (!r.value().errors.empty()) {
    for (const auto& e : r.value().errors) log.error(e.ToString());
    log.error(dir.string() + " is invalid (" + std::to_string(r.value().errors.size()) +
              " problem(s)); " + what_stays());
    notify::Status("Policy set in " + dir.string() + " is invalid");
    return;
  }
  if (r.value().unchanged) {
    log.information(dir.string() + " unchanged since it was last loaded");
  } else if (r.value().applied && !r.value().applied->changed) {
    log.information(dir.string() + " equals the active policy version " +
                    std::to_string(r.value().applied->info.version) + "; nothing to apply");
  }
}

void SigmadApp::Reload(Config& running) {
  auto& log = log::For("app");
  LoadOptions options;
  if (dev_dir_) {
    options = LoadOptions{running.state_dir, true};
  }
  // Unset keys fall back to the defaults of the mode, not to the running values.
  Config base;
  if (dev_dir_) {
    base.state_dir = running.state_dir;
    base.control.socket = DevPaths::For(running.state_dir).socket;
    base.control.socket_mode = 0600;
  }
  LoadResult r = LoadConfigFile(*config_path_, base, options);
  if (!r.ok()) {
    for (const auto& e : r.errors) log.error("reload: " + e);
    log.error("reload: " + config_path_->string() + " is invalid; keeping the running config");
    notify::Status("Reload failed: " + config_path_->string() + " is invalid");
    return;
  }
  int changes = 0;
  if (r.config.log_level != running.log_level) {
    ++changes;
    if (log_level_override_) {
      log.information(std::string("reload: log.level ") + log::LevelName(running.log_level) +
                      " -> " + log::LevelName(r.config.log_level) +
                      " ignored: --log-level pins it to " +
                      log::LevelName(*log_level_override_));
    } else {
      log.information(std::string("reload: log.level ") + log::LevelName(running.log_level) +
                      " -> " + log::LevelName(r.config.log_level));
      log::SetLevel(r.config.log_level);
      log_level_ = r.config.log_level;
    }
    running.log_level = r.config.log_level;
  }
  if (r.config.drain_timeout_seconds != running.drain_timeout_seconds) {
    ++changes;
    log.information("reload: shutdown.drain_timeout_seconds " +
                    std::to_string(running.drain_timeout_seconds) + " -> " +
                    std::to_string(r.config.drain_timeout_seconds));
    running.drain_timeout_seconds = r.config.drain_timeout_seconds;
  }
  for (const auto& name : RestartOnlyChanges(running, r.config)) {
    ++changes;
    log.warning("reload: " + name + " changed in " + config_path_->string() +
                "; it takes effect at the next restart");
  }
  if (changes == 0) log.information("reload: " + config_path_->string() + " unchanged");
}

}  // namespace sigmad::app
