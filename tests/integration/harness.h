// Test harness for integration tests: temp dirs, running programs with captured output,
// the real sigmad in --dev mode, a NOTIFY_SOCKET listener and a raw socket client.
// Every wait is bounded so a broken daemon fails a test instead of hanging it.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace sigmad::it {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

struct RunResult {
  int exit_code = -1;  // -1 if killed by a signal
  std::string out, err;
};

struct RunOptions {
  std::vector<std::string> env;  // extra NAME=VALUE
  std::optional<uid_t> as_uid;   // drop to this uid/gid (root only) before exec
  std::chrono::seconds timeout = 60s;
};
inline RunOptions WithEnv(std::vector<std::string> env) {
  RunOptions o;
  o.env = std::move(env);
  return o;
}
inline RunOptions AsUid(uid_t uid) {
  RunOptions o;
  o.as_uid = uid;
  return o;
}

// Runs argv[0] with argv, waits for it (killed after the timeout), captures output.
RunResult Run(const std::vector<std::string>& argv, const RunOptions& options = {});

// sigmactl against `socket` (passed with --socket).
RunResult Ctl(const fs::path& socket, const std::vector<std::string>& args,
              const RunOptions& options = {});

// The real sigmad --dev DIR, with stderr going to a log file beside DIR.
class Daemon {
 public:
  // `args` replaces the default "--dev DIR"; the socket is still DIR/control.sock.
  explicit Daemon(fs::path dir, std::vector<std::string> env = {},
                  std::vector<std::string> args = {});
  ~Daemon();  // SIGKILL if still running
  Daemon(const Daemon&) = delete;
  Daemon& operator=(const Daemon&) = delete;

  // Starts it and waits (bounded) until the control socket answers a connect.
  // False if the process exited or the socket never came up.
  bool Start();
  // SIGTERM and wait; returns the exit code (or -1 for death by signal / timeout).
  int Stop(int signal = 15);
  void Signal(int signal);
  // Waits for the process to exit by itself; exit code or nullopt on timeout.
  std::optional<int> WaitExit(std::chrono::seconds timeout);
  bool running();

  pid_t pid() const { return pid_; }
  const fs::path& dir() const { return dir_; }
  fs::path socket() const { return dir_ / "control.sock"; }
  std::string Log() const;  // the daemon's stderr so far
  // Waits until the log contains `text`; false after the timeout.
  bool WaitForLog(const std::string& text, std::chrono::seconds timeout = 20s) const;

 private:
  fs::path dir_, log_;
  std::vector<std::string> env_, args_;
  pid_t pid_ = -1;
};

// A NOTIFY_SOCKET for the daemon to report to (datagrams, as systemd's).
class NotifyListener {
 public:
  explicit NotifyListener(const fs::path& path);
  ~NotifyListener();
  std::string env() const { return "NOTIFY_SOCKET=" + path_.string(); }
  // Waits for a datagram containing `text`; all datagrams seen so far are kept.
  bool WaitFor(const std::string& text, std::chrono::seconds timeout = 20s);
  const std::vector<std::string>& seen() const { return seen_; }

 private:
  fs::path path_;
  int fd_ = -1;
  std::vector<std::string> seen_;
};

// A bare connection to the control socket for sending anything at all.
class RawClient {
 public:
  explicit RawClient(const fs::path& socket);
  ~RawClient();
  bool connected() const { return fd_ >= 0; }
  bool Send(const std::string& bytes);
  // Next line from the daemon (without '\n'); nullopt on EOF or timeout.
  std::optional<std::string> ReadLine(std::chrono::seconds timeout = 20s);
  // True if the daemon closes the connection within the timeout (after any lines).
  bool WaitClosed(std::chrono::seconds timeout = 20s);
  void Close();

 private:
  int fd_ = -1;
  std::string buf_;
};

void WriteFile(const fs::path& path, const std::string& text);
std::string ReadFile(const fs::path& path);

// `text` cut at each '\n' (a last line without one counts; no empty last line).
std::vector<std::string> Lines(const std::string& text);
// `text` cut at each `separator`: "a,,b" gives "a", "", "b"; "a," gives "a" only.
std::vector<std::string> Split(const std::string& text, char separator);

}  // namespace sigmad::it
