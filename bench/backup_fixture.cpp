// backup_fixture.cpp: the generated store, the shell peers and CPU accounting
// (backup_bench.h).
#include <fcntl.h>
#include <openssl/rand.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "backup_bench.h"
#include "crypto/secret.h"
#include "harness.h"
#include "store/keys.h"

extern char** environ;

namespace sigmad::bench {

namespace fs = std::filesystem;

namespace {

constexpr char kTables[][10] = {"records", "documents"};  // both tenant-first
constexpr size_t kBatchBytes = 32 * kMiB;                 // plaintext per Update
constexpr size_t kIdBytes = 16;

void FillRandom(std::mt19937_64& rng, char* out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    const uint64_t r = rng();
    std::memcpy(out + i, &r, std::min<size_t>(8, n - i));
  }
}

// One value to put: where, whose, and which bytes of the pool.
struct Pending {
  size_t table;
  uint64_t tenant;
  std::string key;
  size_t offset, size;
};

std::string Tail(const std::string& text, size_t bytes) {
  return text.size() <= bytes ? text : "...\n" + text.substr(text.size() - bytes);
}

}  // namespace

Result<std::unique_ptr<Store>> MakeStore(const Options& opt, std::mt19937_64& rng,
                                         const Clock& clock) {
  auto st = std::make_unique<Store>();
  auto dir = TempDir::Make(opt.dir, "backup_bench");
  if (!dir.ok()) return dir.status();
  st->dir = std::move(dir).value();
  st->store_dir = st->dir->path() / "store";
  std::error_code ec;
  if (!fs::create_directory(st->store_dir, ec)) {
    return Fail("cannot create " + st->store_dir.string() + ": " + ec.message());
  }

  const uint64_t target = uint64_t{opt.store_mib} * kMiB;
  store::EnvOptions eo;
  eo.dir = st->store_dir;
  // Twice the target: sealed values round up to whole overflow pages. The map never
  // grows while loading.
  eo.initial_map_bytes = 2 * target + 64 * kMiB;
  eo.max_map_bytes = std::max(eo.max_map_bytes, eo.initial_map_bytes);
  crypto::SecretBytes kek(crypto::kAeadKeyBytes);
  if (RAND_bytes(kek.data(), static_cast<int>(kek.size())) != 1) return Fail("RAND_bytes failed");
  const auto start = SteadyClock::now();
  auto vault = store::Vault::Open(eo, std::move(kek), clock);
  if (!vault.ok()) return vault.status();
  st->vault = std::move(vault).value();
  store::Vault& v = *st->vault;
  st->tenants = static_cast<size_t>(opt.tenants);
  if (Status s = v.env().Update([&](store::WriteTxn& txn) -> Status {
        for (size_t t = 1; t <= st->tenants; ++t) {
          if (Status c = v.CreateTenantKey(txn, t); !c.ok()) return c;
        }
        return Status::Ok();
      });
      !s.ok()) {
    return s;
  }
  for (const char* name : kTables) {
    auto table = v.OpenTable(name, store::Owner::kTenantFirst);
    if (!table.ok()) return table.status();
    st->tables.push_back(table.value());
  }

  // Values are slices of a random pool at random offsets: once sealed, any plaintext
  // looks the same to a backup (random bytes, no compression anywhere).
  std::string pool(opt.max_value + 4 * kMiB, '\0');
  FillRandom(rng, pool.data(), pool.size());
  std::uniform_real_distribution<double> log_size(std::log(static_cast<double>(opt.min_value)),
                                                  std::log(static_cast<double>(opt.max_value)));
  std::uniform_int_distribution<uint64_t> tenant(1, st->tenants);
  std::uniform_int_distribution<size_t> offset(0, pool.size() - opt.max_value);
  std::bernoulli_distribution first_table(0.7);
  std::vector<Pending> batch;
  uint64_t next_report = 256 * kMiB;
  for (;;) {
    batch.clear();
    size_t batch_bytes = 0;
    while (batch_bytes < kBatchBytes) {
      Pending p;
      p.table = first_table(rng) ? 0 : 1;
      p.tenant = tenant(rng);
      std::string id(kIdBytes, '\0');
      FillRandom(rng, id.data(), id.size());
      p.key = store::KeyBuilder().U64(p.tenant).Bytes(id).Build();
      p.size = std::clamp<size_t>(static_cast<size_t>(std::exp(log_size(rng))), opt.min_value,
                                  opt.max_value);
      p.offset = offset(rng);
      batch_bytes += p.size;
      batch.push_back(std::move(p));
    }
    Status s = v.env().Update([&](store::WriteTxn& txn) -> Status {
      for (const Pending& p : batch) {
        if (Status put = v.Put(txn, st->tables[p.table], p.key, p.tenant,
                               std::string_view(pool).substr(p.offset, p.size));
            !put.ok()) {
          return put;
        }
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    st->values += batch.size();
    st->plaintext_bytes += batch_bytes;
    auto info = v.env().Info();
    if (!info.ok()) return info.status();
    st->used_bytes = info.value().used_bytes;
    if (st->used_bytes >= next_report) {
      std::fprintf(stderr, "backup_bench: generating: %llu of %zu MiB\n",
                   static_cast<unsigned long long>(st->used_bytes / kMiB), opt.store_mib);
      next_report += 256 * kMiB;
    }
    if (st->used_bytes >= target) break;
  }
  st->load_seconds = NanosSince(start) / 1e9;

  // Read the file once: every peer then finds the store in the page cache.
  const auto warm_start = SteadyClock::now();
  auto file_bytes = ReadWhole(st->store_dir / "data.mdb");
  if (!file_bytes.ok()) return file_bytes.status();
  st->file_bytes = file_bytes.value();
  st->warm_seconds = NanosSince(warm_start) / 1e9;
  return st;
}

Result<uint64_t> ReadWhole(const fs::path& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail("cannot open " + path.string() + ": " + std::strerror(errno));
  std::string buf(kMiB, '\0');
  uint64_t bytes = 0;
  for (;;) {
    const ssize_t n = read(fd, buf.data(), buf.size());
    if (n > 0) {
      bytes += static_cast<uint64_t>(n);
    } else if (n == 0 || errno != EINTR) {
      const int err = errno;
      close(fd);
      if (n < 0) return Fail("cannot read " + path.string() + ": " + std::strerror(err));
      return bytes;
    }
  }
}

Status RunBash(const std::string& script, const std::vector<std::string>& args,
               const fs::path& log) {
  std::vector<std::string> argv{"bash", "-c", "set -o pipefail; " + script, "bash"};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> cargv;
  for (std::string& a : argv) cargv.push_back(a.data());
  cargv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, log.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, STDOUT_FILENO, STDERR_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, "/bin/bash", &actions, nullptr, cargv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) return Fail(std::string("cannot run /bin/bash: ") + std::strerror(spawned));
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return Status::Ok();
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  const std::string how = WIFEXITED(status)
                              ? "exited with status " + std::to_string(WEXITSTATUS(status))
                              : "was killed by signal " + std::to_string(WTERMSIG(status));
  std::string hint;
  if (WIFEXITED(status) && WEXITSTATUS(status) == 127) {
    hint =
        " (a command is missing: mdb_copy is in Debian's lmdb-utils, openssl in openssl; "
        "run scripts/install-deps as root)";
  }
  return Fail("the peer `" + script + "` " + how + hint + ":\n" + Tail(text.str(), 2000));
}

std::string RandomHex(std::mt19937_64& rng, size_t bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < bytes; ++i) {
    const auto b = static_cast<uint8_t>(rng());
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0x0F]);
  }
  return out;
}

Result<uint64_t> FileSize(const fs::path& path) {
  std::error_code ec;
  const uint64_t size = fs::file_size(path, ec);
  if (ec) return Fail("cannot stat " + path.string() + ": " + ec.message());
  return size;
}

namespace {

// CPU seconds of each of the kernel's own threads (kthreadd and its children): the
// writeback and journal threads that flush a peer's files work for it and must not count
// as others. By pid, since kernel threads come and go.
std::map<int, double> KernelThreadSeconds() {
  std::map<int, double> seconds;
  const double tick = static_cast<double>(sysconf(_SC_CLK_TCK));
  std::error_code ec;
  for (fs::directory_iterator it("/proc", ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    std::ifstream in(it->path() / "stat");
    std::string line;
    if (!std::getline(in, line)) continue;  // the process ended
    const size_t close = line.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(line.substr(close + 2));
    std::string state;
    long long ppid = 0, skip = 0, utime = 0, stime = 0;
    rest >> state >> ppid;
    for (int field = 5; field <= 13; ++field) rest >> skip;
    rest >> utime >> stime;
    if (name == "2" || ppid == 2) {
      seconds[std::stoi(name)] = static_cast<double>(utime + stime) / tick;
    }
  }
  return seconds;
}

}  // namespace

CpuSample CpuSample::Now() {
  CpuSample c;
  static const auto epoch = SteadyClock::now();
  c.wall_s = NanosSince(epoch) / 1e9;
  std::ifstream stat("/proc/stat");
  std::string cpu;
  long long user = 0, nice = 0, system = 0;
  stat >> cpu >> user >> nice >> system;
  c.machine_busy_s =
      static_cast<double>(user + nice + system) / static_cast<double>(sysconf(_SC_CLK_TCK));
  c.kernel_threads = KernelThreadSeconds();
  c.own_s = OwnCpuSeconds();
  return c;
}

double OthersShare(const CpuSample& a, const CpuSample& b) {
  const double wall = b.wall_s - a.wall_s;
  if (wall <= 0) return 0;
  double kernel = 0;  // by the kernel threads alive at b (one that ended took little)
  for (const auto& [pid, seconds] : b.kernel_threads) {
    const auto before = a.kernel_threads.find(pid);
    kernel += seconds - (before == a.kernel_threads.end() ? 0 : before->second);
  }
  const double others = (b.machine_busy_s - a.machine_busy_s) - (b.own_s - a.own_s) - kernel;
  const double cpus = static_cast<double>(std::max<long>(1, sysconf(_SC_NPROCESSORS_ONLN)));
  return std::clamp(others / (wall * cpus), 0.0, 1.0);
}

}  // namespace sigmad::bench
