#include "app/state_dir.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "crypto/master_key.h"
#include "crypto/tls_cert.h"
#include "policy/set.h"

namespace sigmad::app {
namespace fs = std::filesystem;

namespace {
constexpr const char* kDevConfigTemplate = R"(# sigmad dev-mode config for this directory.
#
# `sigmad --dev DIR` reads this file at every start and on SIGHUP. It takes the keys of
# /etc/sigmad/sigmad.yaml except state_dir (in dev mode the state dir is DIR itself).
# Relative paths are relative to DIR. Uncomment a line to change it; check with
#   sigmad --check-config DIR/sigmad.yaml
#
# log:
#   level: info                  # debug | info | warning | error (SIGHUP applies it)
# control:
#   socket: control.sock         # at most 107 bytes once made absolute
#   socket_mode: "0600"          # quoted octal; owner must keep read+write
#   admin_group: sigmad-admin    # members may use sigmactl, as may root and this uid
#   idle_timeout_seconds: 60     # 1..3600: silent clients are dropped after this
#   max_clients: 64              # 1..4096 served at once; more wait in a queue
#   max_request_bytes: 16777216  # 1024..16777216 per request line
# shutdown:
#   drain_timeout_seconds: 30    # 1..600: SIGTERM waits this long for requests
# jobs:
#   workers: 1                   # 1..64 jobs (model training) run at once
#   threads: 1                   # 0..256 CPU threads per training; 0: one per CPU
)";
}  // namespace

MasterKeySource ResolveMasterKeyPath(const fs::path& configured, const char* credentials_dir) {
  if (credentials_dir && *credentials_dir) {
    const fs::path credential = fs::path(credentials_dir) / "master-key";
    std::error_code ec;
    if (fs::exists(credential, ec)) return {credential, true};
  }
  return {configured, false};
}

Result<StateDirLock> StateDirLock::Acquire(const fs::path& dir) {
  const fs::path path = dir / "sigmad.lock";
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return Status::Error("state_dir", "cannot open lock file " + path.string() + ": " +
                                          std::strerror(errno));
  }
  if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {0};
    const ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
    close(fd);
    if (err == EWOULDBLOCK) {
      std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
      while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
      return Status::Error("state_dir_locked",
                           "state dir " + dir.string() + " is in use by another sigmad" +
                               (holder.empty() ? "" : " (pid " + holder + ")") +
                               "; stop it first or use another dir");
    }
    return Status::Error("state_dir", "cannot lock " + path.string() + ": " + std::strerror(err));
  }
  const std::string pid = std::to_string(getpid()) + "\n";
  if (ftruncate(fd, 0) != 0 || pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    // The lock holds without the pid; only the message to a second daemon is poorer.
  }
  return StateDirLock(fd);
}

StateDirLock::~StateDirLock() {
  if (fd_ >= 0) close(fd_);  // releases the flock
}

Status EnsureDirectory(const fs::path& dir) {
  std::error_code ec;
  const auto st = fs::status(dir, ec);
  if (!ec && fs::exists(st)) {
    if (!fs::is_directory(st)) {
      return Status::Error("state_dir", dir.string() + " exists and is not a directory");
    }
    if (access(dir.c_str(), W_OK | X_OK) != 0) {
      return Status::Error("state_dir", "cannot write to " + dir.string() + ": " +
                                            std::strerror(errno));
    }
    return Status::Ok();
  }
  if (!dir.parent_path().empty()) {
    fs::create_directories(dir.parent_path(), ec);
    if (ec) {
      return Status::Error("state_dir", "cannot create " + dir.parent_path().string() + ": " +
                                            ec.message());
    }
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Status::Error("state_dir", "cannot create " + dir.string() + ": " + std::strerror(errno));
  }
  return Status::Ok();
}

DevPaths DevPaths::For(const fs::path& dir) {
  DevPaths p;
  p.dir = dir;
  p.config = dir / "sigmad.yaml";
  p.master_key = dir / "master.key";
  p.tls_cert = dir / "tls" / "cert.pem";
  p.tls_key = dir / "tls" / "key.pem";
  p.socket = dir / "control.sock";
  p.policies = dir / "policies.d";
  return p;
}

Status PrepareDevDir(const DevPaths& paths, std::chrono::system_clock::time_point now,
                     std::string* created) {
  auto note = [created](const std::string& what) {
    if (!created->empty()) *created += ", ";
    *created += what;
  };
  std::error_code ec;

  if (!fs::exists(paths.master_key, ec)) {
    // A new key cannot open a store that is already here (a restored backup, say): refuse
    // before making anything, rather than leave a useless key where the right one goes.
    if (fs::exists(paths.dir / "store" / "data.mdb", ec)) {
      return Status::Error("master_key", paths.dir.string() + "/store holds a store but " +
                                             paths.master_key.string() +
                                             " is missing: put that store's master key there "
                                             "(mode 0400); a new key would not open it");
    }
    Status s = crypto::CreateMasterKey(paths.master_key);
    if (!s.ok()) return s;
    note("master key");
  }
  auto key = crypto::LoadMasterKey(paths.master_key);
  if (!key.ok()) return key.status();

  const bool has_cert = fs::exists(paths.tls_cert, ec);
  const bool has_key = fs::exists(paths.tls_key, ec);
  if (has_cert != has_key) {
    return Status::Error("tls", "found " + (has_cert ? paths.tls_cert : paths.tls_key).string() +
                                    " without " + (has_cert ? paths.tls_key : paths.tls_cert).string() +
                                    "; remove the one left to have a new pair made");
  }
  if (!has_cert) {
    Status s = EnsureDirectory(paths.tls_cert.parent_path());
    if (!s.ok()) return s;
    s = crypto::CreateSelfSignedCertificate(paths.tls_cert, paths.tls_key, now);
    if (!s.ok()) return s;
    note("self-signed certificate");
  }

  if (!fs::exists(paths.config, ec)) {
    std::ofstream out(paths.config);
    out << kDevConfigTemplate;
    if (!out) {
      return Status::Error("state_dir", "cannot write " + paths.config.string());
    }
    note("sigmad.yaml");
  }

  if (!fs::exists(paths.policies, ec)) {
    if (Status s = EnsureDirectory(paths.policies); !s.ok()) return s;
    for (const auto& [name, text] : policy::BaselineFiles()) {
      std::ofstream out(paths.policies / name);
      out << text;
      if (!out) return Status::Error("state_dir", "cannot write " + (paths.policies / name).string());
    }
    note("policies.d (the baseline policy set)");
  }
  return Status::Ok();
}

}  // namespace sigmad::app
