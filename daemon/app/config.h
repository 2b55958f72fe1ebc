// sigmad.yaml: the daemon's plumbing config (paths, socket, limits, log level).
// Security rules live in policy sets, not here.
//
// Validation is strict: an unknown key, a wrong type, an out-of-range value or a
// duplicate key is an error, and every problem in the file is reported, each as
// "FILE:LINE:COL: message" (1-based). A missing or empty file section takes defaults.
// Thread-safety: pure functions; Config is a plain value.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "common/log.h"

namespace sigmad::app {

struct ControlConfig {
  std::filesystem::path socket = "/run/sigmad/control.sock";
  unsigned socket_mode = 0660;           // file mode of the socket node
  std::string admin_group = "sigmad-admin";  // members are admins, with root and our uid
  int idle_timeout_seconds = 60;         // a client that says nothing this long is dropped
  int max_clients = 64;                  // served concurrently; more wait in the queue
  long long max_request_bytes = 16LL << 20;  // one request line, newline excluded
};

struct JobsConfig {
  int workers = 1;  // jobs (model training) run at once; more wait in the queue
  // CPU threads each training or prediction may use (libtorch intra-op threads); 0:
  // one per CPU sigmad may run on (analysis::AvailableCpus). The default is 1: for the
  // networks sigmad trains (32-row steps of layers up to a few hundred units) a second
  // thread was no faster alone and 3-5 times slower when the CPUs were busy, as OpenMP
  // threads then wait on each other (docs/benchmarks.md, analysis_bench).
  int threads = 1;
};

struct Config {
  std::filesystem::path state_dir = "/var/lib/sigmad";
  // The master key (KEK) when systemd passes no credential "master-key"
  // ($CREDENTIALS_DIRECTORY/master-key wins). Dev mode: always DIR/master.key.
  std::filesystem::path master_key_file = "/etc/sigmad/master.key";
  log::Level log_level = log::Level::kInfo;
  ControlConfig control;
  JobsConfig jobs;
  int drain_timeout_seconds = 30;  // SIGTERM waits this long for in-flight requests
  // The policy set loaded on start and SIGHUP. Dev mode: DIR/policies.d.
  std::filesystem::path policies_dir = "/etc/sigmad/policies.d";
};

// Limits enforced by validation (also the documented ranges).
inline constexpr long long kMaxRequestBytesLimit = 16LL << 20;
inline constexpr long long kMinRequestBytes = 1024;
inline constexpr size_t kMaxConfigBytes = 1u << 20;  // a config file larger than this is a mistake
inline constexpr size_t kMaxUnixSocketPath = 107;  // sun_path minus the terminating NUL

struct LoadOptions {
  // When set (dev mode), relative paths resolve against this dir and state_dir may not
  // be set in the file. Otherwise every path must be absolute.
  std::filesystem::path relative_base;
  bool state_dir_fixed = false;
};

struct LoadResult {
  Config config;
  std::vector<std::string> errors;  // "FILE:LINE:COL: message", in file order
  bool ok() const { return errors.empty(); }
};

// Validates YAML text. `file` names the source in messages. `defaults` supplies every
// value the text does not set.
LoadResult ParseConfig(const std::string& text, const std::string& file, const Config& defaults,
                       const LoadOptions& options = {});

// Reads and validates a file. An unreadable file is one error ("FILE: cannot read: why").
LoadResult LoadConfigFile(const std::filesystem::path& file, const Config& defaults,
                          const LoadOptions& options = {});

}  // namespace sigmad::app
