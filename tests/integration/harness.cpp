#include "integration/harness.h"

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "common/unix_socket.h"

namespace sigmad::it {
namespace {

using Clock = std::chrono::steady_clock;

sockaddr_un UnixAddress(const fs::path& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  return addr;
}

[[noreturn]] void ExecChild(const std::vector<std::string>& argv,
                            const std::vector<std::string>& env, std::optional<uid_t> as_uid) {
  for (const auto& e : env) putenv(strdup(e.c_str()));
  if (as_uid) {
    if (setgroups(0, nullptr) != 0 || setgid(*as_uid) != 0 || setuid(*as_uid) != 0) _exit(126);
  }
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  execv(args[0], args.data());
  _exit(127);
}

}  // namespace

TempDir::TempDir() {
  char tmpl[] = "/tmp/sigmad-it.XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp failed");
  path_ = tmpl;
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::permissions(path_, fs::perms::owner_all, fs::perm_options::add, ec);
  fs::remove_all(path_, ec);
}

RunResult Run(const std::vector<std::string>& argv, const RunOptions& options) {
  int out[2], err[2];
  if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) throw std::runtime_error("pipe");
  const pid_t pid = fork();
  if (pid == 0) {
    dup2(out[1], 1);
    dup2(err[1], 2);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    ExecChild(argv, options.env, options.as_uid);
  }
  close(out[1]);
  close(err[1]);
  RunResult r;
  // Read both pipes until the child closes them, bounded by the timeout.
  const auto deadline = Clock::now() + options.timeout;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open_fds = 2;
  while (open_fds > 0 && Clock::now() < deadline) {
    if (poll(fds, 2, 200) <= 0) continue;
    for (auto& p : fds) {
      if (p.fd < 0 || !(p.revents & (POLLIN | POLLHUP))) continue;
      char buf[65536];
      const ssize_t n = read(p.fd, buf, sizeof buf);
      if (n > 0) {
        (p.fd == out[0] ? r.out : r.err).append(buf, static_cast<size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(p.fd);
        p.fd = -1;
        --open_fds;
      }
    }
  }
  for (auto& p : fds) {
    if (p.fd >= 0) close(p.fd);
  }
  int status = 0;
  if (open_fds > 0) kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

RunResult Ctl(const fs::path& socket, const std::vector<std::string>& args,
              const RunOptions& options) {
  std::vector<std::string> argv{SIGMACTL_BIN, "--socket", socket.string()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Run(argv, options);
}

Daemon::Daemon(fs::path dir, std::vector<std::string> env, std::vector<std::string> args)
    : dir_(std::move(dir)), log_(dir_.string() + ".log"), env_(std::move(env)),
      args_(std::move(args)) {
  if (args_.empty()) args_ = {"--dev", dir_.string()};
}

Daemon::~Daemon() {
  if (pid_ > 0) {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
}

bool Daemon::Start() {
  fs::create_directories(log_.parent_path());  // the log sits beside DIR
  const pid_t pid = fork();
  if (pid == 0) {
    int fd = open(log_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 2);
    dup2(fd, 1);
    int devnull = open("/dev/null", O_RDONLY);
    dup2(devnull, 0);
    std::vector<std::string> argv{SIGMAD_BIN};
    argv.insert(argv.end(), args_.begin(), args_.end());
    ExecChild(argv, env_, std::nullopt);
  }
  pid_ = pid;
  const auto deadline = Clock::now() + 30s;
  while (Clock::now() < deadline) {
    if (!running()) return false;
    const int fd = ConnectUnix(socket().string());
    if (fd >= 0) {
      close(fd);
      return true;
    }
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

void Daemon::Signal(int signal) {
  if (pid_ > 0) kill(pid_, signal);
}

std::optional<int> Daemon::WaitExit(std::chrono::seconds timeout) {
  if (pid_ <= 0) return std::nullopt;
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    int status = 0;
    const pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(20ms);
  }
  return std::nullopt;
}

int Daemon::Stop(int signal) {
  Signal(signal);
  return WaitExit(60s).value_or(-1);
}

bool Daemon::running() {
  if (pid_ <= 0) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == pid_) {
    pid_ = -1;
    return false;
  }
  return true;
}

std::string Daemon::Log() const { return ReadFile(log_); }

bool Daemon::WaitForLog(const std::string& text, std::chrono::seconds timeout) const {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (Log().find(text) != std::string::npos) return true;
    std::this_thread::sleep_for(20ms);
  }
  return false;
}

NotifyListener::NotifyListener(const fs::path& path) : path_(path) {
  fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr = UnixAddress(path_);
  if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot bind notify socket: " + std::string(std::strerror(errno)));
  }
}

NotifyListener::~NotifyListener() {
  if (fd_ >= 0) close(fd_);
}

bool NotifyListener::WaitFor(const std::string& text, std::chrono::seconds timeout) {
  for (const auto& s : seen_) {
    if (s.find(text) != std::string::npos) return true;
  }
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[4096];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) continue;
    seen_.emplace_back(buf, static_cast<size_t>(n));
    if (seen_.back().find(text) != std::string::npos) return true;
  }
  return false;
}

RawClient::RawClient(const fs::path& socket_path) {
  fd_ = ConnectUnix(socket_path.string());
}

RawClient::~RawClient() { Close(); }

void RawClient::Close() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

bool RawClient::Send(const std::string& bytes) { return SendAll(fd_, bytes); }

std::optional<std::string> RawClient::ReadLine(std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const size_t nl = buf_.find('\n');
    if (nl != std::string::npos) {
      std::string line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return line;
    }
    if (Clock::now() >= deadline) return std::nullopt;
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return std::nullopt;
    buf_.append(buf, static_cast<size_t>(n));
  }
}

bool RawClient::WaitClosed(std::chrono::seconds timeout) {
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[65536];
    const ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n == 0 || (n < 0 && errno == ECONNRESET)) return true;
    if (n > 0) buf_.append(buf, static_cast<size_t>(n));
  }
  return false;
}

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> Lines(const std::string& text) { return Split(text, '\n'); }

std::vector<std::string> Split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::istringstream in(text);
  std::string part;
  while (std::getline(in, part, separator)) parts.push_back(part);
  return parts;
}

}  // namespace sigmad::it
