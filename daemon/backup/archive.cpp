#include "backup/archive.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <set>
#include <thread>
#include <utility>

#include "common/file.h"
#include "crypto/digest.h"

namespace sigmad::backup {
namespace {

namespace fs = std::filesystem;
constexpr size_t kIoBytes = size_t{1} << 20;
constexpr size_t kMaxManifestBytes = 64 << 10;

Status Errno(const std::string& what, const fs::path& path, int err) {
  return Status::Error("io", "cannot " + what + " " + path.string() + ": " + std::strerror(err));
}

std::string Mib(uint64_t bytes) {
  const uint64_t tenths = (bytes * 10 + (1 << 19)) >> 20;
  return std::to_string(tenths / 10) + "." + std::to_string(tenths % 10) + " MiB";
}

bool HasSuffix(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// A file descriptor closed at scope exit.
struct Fd {
  int fd = -1;
  Fd() = default;
  explicit Fd(int f) : fd(f) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Close(); }
  void Close() {
    if (fd >= 0) close(fd);
    fd = -1;
  }
};

// read() that retries EINTR; 0 at the end.
ssize_t ReadSome(int fd, char* buf, size_t n) {
  for (;;) {
    const ssize_t r = read(fd, buf, n);
    if (r >= 0 || errno != EINTR) return r;
  }
}

}  // namespace

Result<BackupKeys> BackupKeys::Derive(const crypto::Keyring& keyring) {
  auto stream_key = keyring.DeriveFromKek(kStreamKeyLabel, crypto::kAeadKeyBytes);
  if (!stream_key.ok()) return stream_key.status();
  auto aead = crypto::Aead::Create(stream_key.value());
  if (!aead.ok()) return aead.status();
  auto mac = keyring.DeriveFromKek(kManifestKeyLabel, 32);
  if (!mac.ok()) return mac.status();
  auto id = keyring.DeriveFromKek(kMasterKeyIdLabel, 8);
  if (!id.ok()) return id.status();
  BackupKeys keys;
  keys.stream = std::move(aead).value();
  keys.mac = std::move(mac).value();
  keys.master_key_id = crypto::HexLower(id.value().data(), id.value().size());
  return keys;
}

Result<uint64_t> SpaceNeeded(store::Env& env, size_t chunk_bytes) {
  auto info = env.Info();
  if (!info.ok()) return info.status();
  const uint64_t used = info.value().used_bytes;
  const uint64_t chunks = used / chunk_bytes + 1;
  return used + chunks * crypto::kSealOverhead + kStreamHeaderBytes + kMaxManifestBytes;
}

Status PipeStoreCopy(const std::function<Status(int fd)>& copy,
                     const std::function<Status(std::string_view bytes)>& consume) {
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Status::Error("io", std::string("cannot create a pipe: ") + std::strerror(errno));
  }
  Fd read_end(pipe_fds[0]), write_end(pipe_fds[1]);
  (void)fcntl(write_end.fd, F_SETPIPE_SZ, static_cast<int>(kIoBytes));  // fewer wakeups
  Status copied = Status::Ok();
  std::thread copier([&] {
    // A write to a pipe whose reader went away is EPIPE here, never a SIGPIPE.
    sigset_t pipe_signal;
    sigemptyset(&pipe_signal);
    sigaddset(&pipe_signal, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
    copied = copy(write_end.fd);
    write_end.Close();
  });
  Status consumed = Status::Ok();
  std::string buf(kIoBytes, '\0');
  for (;;) {
    const ssize_t n = ReadSome(read_end.fd, buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) {
      consumed =
          Status::Error("io", std::string("cannot read the store copy: ") + std::strerror(errno));
      break;
    }
    if (!consumed.ok()) continue;  // drain, so the copy can finish
    consumed = consume(std::string_view(buf.data(), static_cast<size_t>(n)));
  }
  read_end.Close();  // if reading failed, the copier now gets EPIPE and ends
  copier.join();
  return copied.ok() ? consumed : copied;
}

Result<Manifest> WriteBackup(store::Env& env, const BackupKeys& keys, const fs::path& dir,
                             std::chrono::system_clock::time_point now,
                             const WriteOptions& options) {
  auto needed = SpaceNeeded(env, options.chunk_bytes);
  if (!needed.ok()) return needed.status();
  struct statvfs vfs {};
  if (statvfs(dir.c_str(), &vfs) != 0) return Errno("check the free space of", dir, errno);
  const uint64_t free_bytes = uint64_t{vfs.f_bavail} * vfs.f_frsize;
  if (free_bytes < needed.value()) {
    return Status::Error("no_space",
                         "the backup target " + dir.string() + " has " + Mib(free_bytes) +
                             " free; a backup of this store needs "
                             "up to " +
                             Mib(needed.value()) + "; free space there or prune old backups");
  }

  Manifest m;
  m.created = std::chrono::time_point_cast<std::chrono::milliseconds>(now);
  auto id = NewBackupId(m.created);
  if (!id.ok()) return id.status();
  m.id = id.value();
  m.chunk_bytes = static_cast<uint32_t>(options.chunk_bytes);
  m.schema_version = options.schema_version;
  m.master_key_id = keys.master_key_id;
  m.generations = GenerationsOf(m.created);
  m.sigmad_version = options.sigmad_version;

  auto file = NewFile::Create(dir, m.stream_file(), 0600);
  if (!file.ok()) return file.status();
  crypto::Sha256Hasher hash;
  std::string header;
  auto writer = StreamWriter::Begin(
      *keys.stream, kStreamKeyTerm,
      [&](std::string_view bytes) -> Status {
        if (header.size() < kStreamHeaderBytes) header.append(bytes.substr(0, kStreamHeaderBytes));
        hash.Update(bytes);
        return file.value().Write(bytes);
      },
      options.chunk_bytes);
  if (!writer.ok()) return writer.status();

  // LMDB writes the compacted copy from a thread of its own (the copy runs in a read
  // transaction); this thread seals and writes what comes out.
  uint64_t since_progress = 0;
  Status piped = PipeStoreCopy(
      [&env](int fd) {
        Status s = env.CopyTo(fd);
        return s.ok() ? s : Status::Error(s.code(), "copying the store: " + s.message());
      },
      [&](std::string_view bytes) {
        Status s = writer.value().Write(bytes);
        since_progress += bytes.size();
        if (s.ok() && options.progress && since_progress >= (uint64_t{64} << 20)) {
          since_progress = 0;
          options.progress(writer.value().plaintext_bytes());
        }
        return s;
      });
  if (!piped.ok()) return piped;
  if (Status s = writer.value().Finish(); !s.ok()) return s;
  if (Status s = file.value().Commit(); !s.ok()) return s;

  m.size = writer.value().stream_bytes();
  m.store_bytes = writer.value().plaintext_bytes();
  m.sha256 = crypto::HexLower(hash.Finish());
  m.stream_id = crypto::HexLower(reinterpret_cast<const uint8_t*>(header.data()) + 16, 16);

  auto manifest = NewFile::Create(dir, m.manifest_file(), 0600);
  Status s =
      manifest.ok() ? manifest.value().Write(EncodeManifest(m, keys.mac)) : manifest.status();
  if (s.ok()) s = manifest.value().Commit();
  if (!s.ok()) {
    // Without its manifest the stream is an orphan: take it away again.
    std::error_code ec;
    fs::remove(dir / m.stream_file(), ec);
    (void)SyncDirectory(dir);
    return s;
  }
  return m;
}

Result<Manifest> ReadManifest(const fs::path& dir, const std::string& id, const BackupKeys& keys) {
  if (!IsBackupId(id)) {
    return Status::Error("invalid_argument",
                         "'" + id + "' is not a backup id (like 20261203T010000Z-5f3a9c1e)");
  }
  const fs::path path = dir / (id + kManifestSuffix);
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    return Status::Error("not_found", "no backup " + id + " in " + dir.string());
  }
  auto bytes = ReadRegularFile(path, kMaxManifestBytes);
  if (!bytes.ok()) return Status::Error("io", path.string() + ": " + bytes.status().message());
  auto m = ParseManifest(bytes.value(), keys.mac, keys.master_key_id);
  if (!m.ok()) return Status::Error(m.status().code(), path.string() + ": " + m.status().message());
  if (m.value().id != id) {
    return Status::Error("integrity", path.string() + ": the manifest is that of backup " +
                                          m.value().id + " (a manifest was renamed or copied)");
  }
  return m;
}

Result<std::vector<Listed>> ListBackups(const fs::path& dir, const BackupKeys& keys) {
  std::vector<Listed> out;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return out;
  std::vector<std::string> ids;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!HasSuffix(name, kManifestSuffix)) continue;
    const std::string id = name.substr(0, name.size() - std::strlen(kManifestSuffix));
    if (IsBackupId(id)) ids.push_back(id);  // other files are not ours
  }
  if (ec) return Status::Error("io", "cannot list " + dir.string() + ": " + ec.message());
  std::sort(ids.begin(), ids.end());
  for (const auto& id : ids) {
    Listed l;
    l.id = id;
    auto m = ReadManifest(dir, id, keys);
    if (m.status().code() == "not_found") continue;  // deleted since the listing
    if (m.ok()) {
      l.manifest = std::move(m).value();
    } else {
      l.problem = m.status();
      if (m.status().code() == "wrong_master_key") {
        auto bytes = ReadRegularFile(dir / (id + kManifestSuffix), kMaxManifestBytes);
        if (bytes.ok()) {
          if (auto t = StatedCreated(bytes.value()); t.ok()) l.stated_created = t.value();
        }
      }
    }
    out.push_back(std::move(l));
  }
  return out;
}

Result<ExtractStats> ExtractBackup(const fs::path& dir, const Manifest& m, const BackupKeys& keys,
                                   const fs::path& store_dir) {
  const fs::path path = dir / m.stream_file();
  // Not blocking and not following a symlink: a FIFO or a link planted in the target must
  // not hang or redirect this (it holds the service's operation lock).
  Fd in(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOFOLLOW));
  if (in.fd < 0) {
    if (errno == ENOENT) {
      return Status::Error("integrity",
                           "backup " + m.id + ": its file " + path.string() + " is missing");
    }
    return Errno("open", path, errno);
  }
  struct stat st {};
  if (fstat(in.fd, &st) != 0) return Errno("stat", path, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::Error("integrity",
                         "backup " + m.id + ": " + path.string() + " is not a regular file");
  }
  (void)fcntl(in.fd, F_SETFL, fcntl(in.fd, F_GETFL) & ~O_NONBLOCK);
  if (static_cast<uint64_t>(st.st_size) != m.size) {
    return Status::Error(
        "integrity",
        "backup " + m.id + ": " + path.string() + " is " + std::to_string(st.st_size) +
            " bytes, its manifest "
            "says " +
            std::to_string(m.size) +
            (static_cast<uint64_t>(st.st_size) < m.size ? " (truncated)"
                                                        : " (something was appended)"));
  }
  auto out = NewFile::Create(store_dir, "data.mdb", 0600);
  if (!out.ok()) return out.status();
  StreamReader reader(*keys.stream,
                      [&](std::string_view plain) { return out.value().Write(plain); });
  crypto::Sha256Hasher hash;
  ExtractStats stats;
  std::string buf(kIoBytes, '\0');
  for (;;) {
    const ssize_t n = ReadSome(in.fd, buf.data(), buf.size());
    if (n == 0) break;
    if (n < 0) return Errno("read", path, errno);
    const std::string_view bytes(buf.data(), static_cast<size_t>(n));
    hash.Update(bytes);
    stats.stream_bytes += bytes.size();
    if (Status s = reader.Feed(bytes); !s.ok()) {
      return Status::Error(s.code(), "backup " + m.id + ": " + s.message());
    }
  }
  if (Status s = reader.Finish(); !s.ok()) {
    return Status::Error(s.code(), "backup " + m.id + ": " + s.message());
  }
  if (crypto::HexLower(hash.Finish()) != m.sha256) {
    return Status::Error("integrity", "backup " + m.id + ": the SHA-256 of " + path.string() +
                                          " does not match its manifest");
  }
  if (reader.plaintext_bytes() != m.store_bytes) {
    return Status::Error(
        "integrity", "backup " + m.id + ": it holds " + std::to_string(reader.plaintext_bytes()) +
                         " bytes of store, its manifest says " + std::to_string(m.store_bytes));
  }
  if (Status s = out.value().Commit(); !s.ok()) return s;
  stats.store_bytes = reader.plaintext_bytes();
  stats.chunks = reader.chunks();
  return stats;
}

Result<store::VerifyReport> CheckStoreCopy(const fs::path& store_dir, crypto::SecretBytes kek,
                                           const std::vector<store::Table>& tables,
                                           const Clock& clock) {
  store::EnvOptions options;
  options.dir = store_dir;
  options.read_only = true;
  auto vault = store::Vault::Open(options, std::move(kek), clock);
  if (!vault.ok()) return vault.status();
  for (const auto& t : tables) {
    auto opened = vault.value()->OpenTable(t.dbi.name(), t.owner);
    if (!opened.ok() && opened.status().code() != store::kCodeNoDb) return opened.status();
  }
  return vault.value()->Verify(nullptr);
}

Status DeleteBackup(const fs::path& dir, const std::string& id) {
  if (!IsBackupId(id)) return Status::Error("invalid_argument", "'" + id + "' is not a backup id");
  for (const char* suffix : {kManifestSuffix, kStreamFileSuffix}) {
    const fs::path path = dir / (id + suffix);
    if (unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("delete", path, errno);
  }
  return SyncDirectory(dir);
}

namespace {

// Whether `name` is a temp file NewFile made for a backup: .tmp-ID.sigbk-N or
// .tmp-ID.manifest-N (N decimal). Anything else in the target is not ours to delete.
bool IsOurTempFile(const std::string& name) {
  const std::string prefix = NewFile::kTempPrefix;
  if (name.rfind(prefix, 0) != 0) return false;
  const size_t dash = name.rfind('-');
  if (dash == std::string::npos || dash + 1 == name.size()) return false;
  for (size_t i = dash + 1; i < name.size(); ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
  }
  const std::string file = name.substr(prefix.size(), dash - prefix.size());
  for (const char* suffix : {kStreamFileSuffix, kManifestSuffix}) {
    if (HasSuffix(file, suffix) && IsBackupId(file.substr(0, file.size() - std::strlen(suffix)))) {
      return true;
    }
  }
  return false;
}

}  // namespace

Result<std::vector<std::string>> RemoveOrphans(const fs::path& dir) {
  std::vector<std::string> removed;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return removed;
  std::set<std::string> manifests;
  std::vector<std::string> candidates;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!it->is_regular_file(ec) || it->is_symlink(ec)) continue;  // only our plain files
    if (HasSuffix(name, kManifestSuffix)) {
      manifests.insert(name.substr(0, name.size() - std::strlen(kManifestSuffix)));
    } else if (HasSuffix(name, kStreamFileSuffix) || IsOurTempFile(name)) {
      candidates.push_back(name);
    }
  }
  if (ec) return Status::Error("io", "cannot list " + dir.string() + ": " + ec.message());
  for (const auto& name : candidates) {
    if (!IsOurTempFile(name)) {
      const std::string id = name.substr(0, name.size() - std::strlen(kStreamFileSuffix));
      if (!IsBackupId(id) || manifests.count(id)) continue;  // not ours, or catalogued
    }
    if (unlink((dir / name).c_str()) != 0 && errno != ENOENT) {
      return Errno("delete", dir / name, errno);
    }
    removed.push_back(name);
  }
  if (!removed.empty()) {
    if (Status s = SyncDirectory(dir); !s.ok()) return s;
  }
  return removed;
}

}  // namespace sigmad::backup
