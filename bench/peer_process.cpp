// peer_process.cpp: the temporary directory, running analysis_peer.py, and reading what
// it printed (analysis_bench.h).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "analysis_bench.h"
#include "dataset/values.h"
#include "harness.h"

extern char** environ;

namespace sigmad::bench {

Result<double> PeerOutput::Get(const std::string& name) const {
  const auto it = results.find(name);
  if (it == results.end()) return Fail("the peer did not report \"" + name + "\"");
  return it->second;
}

namespace {

// Parses "result NAME NUMBER" and "info NAME TEXT" lines; other lines are refused, so a
// stray print in the peer is noticed rather than misread.
Result<PeerOutput> Parse(const std::string& out) {
  PeerOutput parsed;
  std::istringstream lines(out);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.empty()) continue;
    std::istringstream words(line);
    std::string kind, name, rest;
    words >> kind >> name;
    std::getline(words >> std::ws, rest);
    if (kind == "info") {
      parsed.info[name] = rest;
      continue;
    }
    double value = 0;
    if (kind != "result" || dataset::ParseNumber(rest, &value) != nullptr) {
      return Fail(
          "the peer printed a line that is not \"result NAME NUMBER\" or \"info NAME "
          "TEXT\": " +
          dataset::Printable(line, 200));
    }
    parsed.results[name] = value;
  }
  return parsed;
}

std::string Tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : "...\n" + text.substr(text.size() - bytes);
}

}  // namespace

Result<PeerOutput> PeerRunner::Run(const std::vector<std::string>& args) const {
  std::vector<std::string> argv{python_, peer_};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  std::string shown = python_ + " " + peer_ + " " + args.front();

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return Fail(std::string("pipe: ") + std::strerror(errno));
  const std::filesystem::path err_path = dir_ / "peer.stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], STDOUT_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, err_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, python_.c_str(), &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    return Fail("cannot run " + python_ + ": " + std::strerror(spawned) +
                " (install Debian's python3, or pass --python an interpreter with torch and "
                "sklearn)");
  }
  std::string out;
  char buffer[65536];
  for (;;) {
    const ssize_t n = read(pipe_fds[0], buffer, sizeof buffer);
    if (n > 0) {
      out.append(buffer, static_cast<size_t>(n));
    } else if (n == 0 || errno != EINTR) {
      break;
    }
  }
  close(pipe_fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  auto err = ReadFile(err_path);
  const std::string err_text = err.ok() ? err.value() : "(its stderr could not be read)";
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string how = WIFEXITED(status)
                                ? "exited with status " + std::to_string(WEXITSTATUS(status))
                                : "was killed by signal " + std::to_string(WTERMSIG(status));
    return Fail("the peer (" + shown + ") " + how + ":\n" + Tail(err_text, 4000));
  }
  // Warnings the peer printed on success are shown, not hidden.
  if (!err_text.empty()) std::fprintf(stderr, "%s", Tail(err_text, 4000).c_str());
  auto parsed = Parse(out);
  if (!parsed.ok()) return Fail("the peer (" + shown + "): " + parsed.status().message());
  return parsed;
}

std::string LoadedBlas() {
  std::ifstream maps("/proc/self/maps");
  std::string line;
  while (std::getline(maps, line)) {
    const size_t slash = line.find('/');
    if (slash == std::string::npos) continue;
    const std::filesystem::path path = line.substr(slash);
    const std::string base = path.filename().string();
    if (base.rfind("libblas", 0) == 0 || base.rfind("libopenblas", 0) == 0) {
      std::error_code ec;
      const auto real = std::filesystem::canonical(path, ec);
      return ec ? path.string() : real.string();
    }
  }
  return "none mapped";
}

CpuClock CpuClock::Now() {
  CpuClock c;
  static const auto epoch = SteadyClock::now();
  c.wall_s = NanosSince(epoch) / 1e9;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  long long user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
  stat >> cpu >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
  c.machine_busy_s = static_cast<double>(user + nice + system + irq + softirq + steal) /
                     static_cast<double>(sysconf(_SC_CLK_TCK));
  c.own_s = OwnCpuSeconds();
  return c;
}

double OthersShare(const CpuClock& a, const CpuClock& b) {
  const double wall = b.wall_s - a.wall_s;
  if (wall <= 0) return 0;
  const double others = (b.machine_busy_s - a.machine_busy_s) - (b.own_s - a.own_s);
  const double cpus = static_cast<double>(std::max<long>(1, sysconf(_SC_NPROCESSORS_ONLN)));
  return std::clamp(others / (wall * cpus), 0.0, 1.0);
}

}  // namespace sigmad::bench
