// backup_proto.cpp: WriteBackup rebuilt from the public parts, with one change at a time
// (backup_bench.h).
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "backup/stream.h"
#include "backup_bench.h"
#include "common/file.h"
#include "crypto/digest.h"
#include "harness.h"

extern char** environ;

namespace sigmad::bench {

namespace fs = std::filesystem;

namespace {

constexpr size_t kIoBytes = kMiB;               // as archive.cpp
constexpr uint64_t kWritebackBytes = 8 * kMiB;  // kEarlyWriteback: a range each
constexpr size_t kHashQueue = 8;                // kHashThread: buffers in flight

// SHA-256 on a thread of its own: Update copies the bytes into a queue (bounded: it
// waits when the hasher is kHashQueue buffers behind), Finish waits for the digest.
class HashThread {
 public:
  HashThread() : thread_([this] { Loop(); }) {}
  ~HashThread() {
    Close();
    thread_.join();
  }
  void Update(std::string_view bytes) {
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return queue_.size() < kHashQueue; });
    std::string buf;
    if (!spare_.empty()) {
      buf = std::move(spare_.back());
      spare_.pop_back();
    }
    lock.unlock();
    buf.assign(bytes);
    lock.lock();
    queue_.push_back(std::move(buf));
    ready_.notify_one();
  }
  crypto::Sha256Digest Finish() {
    Close();
    std::unique_lock lock(mu_);
    room_.wait(lock, [&] { return finished_; });
    return digest_;
  }

 private:
  void Close() {
    std::lock_guard lock(mu_);
    closed_ = true;
    ready_.notify_one();
  }
  void Loop() {
    crypto::Sha256Hasher hash;
    std::unique_lock lock(mu_);
    for (;;) {
      ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
      if (queue_.empty()) break;
      std::string buf = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      hash.Update(buf);
      lock.lock();
      spare_.push_back(std::move(buf));
      room_.notify_one();
    }
    digest_ = hash.Finish();
    finished_ = true;
    room_.notify_all();
  }

  std::mutex mu_;
  std::condition_variable ready_, room_;
  std::deque<std::string> queue_;   // GUARDED_BY(mu_): bytes to hash, in order
  std::vector<std::string> spare_;  // GUARDED_BY(mu_): hashed buffers, for reuse
  bool closed_ = false;             // GUARDED_BY(mu_)
  bool finished_ = false;           // GUARDED_BY(mu_)
  crypto::Sha256Digest digest_{};   // GUARDED_BY(mu_)
  std::thread thread_;
};

// LMDB's copy without compaction (mdb_env_copyfd2 without MDB_CP_COMPACT), which Env does
// not offer: `mdb_copy DIR` (no -c) in a child process writing into `fd`. The child maps
// the store anew, so this costs a little more than the same copy in this process would.
Status PlainCopy(const fs::path& store_dir, int fd) {
  std::string prog = "mdb_copy", dir = store_dir.string();
  char* argv[] = {prog.data(), dir.data(), nullptr};
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fd, STDOUT_FILENO);
  pid_t pid = 0;
  const int spawned = posix_spawnp(&pid, "mdb_copy", &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (spawned != 0) {
    return Fail(std::string("cannot run mdb_copy (Debian's lmdb-utils): ") +
                std::strerror(spawned));
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) return Fail("mdb_copy " + dir + " failed");
  return Status::Ok();
}

}  // namespace

const char* ProtoName(ProtoVariant v) {
  switch (v) {
    case ProtoVariant::kSame:
      return "proto.backup";
    case ProtoVariant::kHashThread:
      return "proto.hash_thread";
    case ProtoVariant::kNoHash:
      return "proto.no_sha256";
    case ProtoVariant::kEarlyWriteback:
      return "proto.writeback";
    case ProtoVariant::kNoCompact:
      return "proto.no_compact";
  }
  return "?";
}

Result<ProtoResult> ProtoBackup(ProtoVariant variant, store::Env& env,
                                const backup::BackupKeys& keys, const fs::path& dir,
                                const std::string& name, size_t chunk_bytes) {
  const bool hash_thread = variant == ProtoVariant::kHashThread;
  const bool no_hash = variant == ProtoVariant::kNoHash;
  const bool early_writeback = variant == ProtoVariant::kEarlyWriteback;

  auto file = NewFile::Create(dir, name, 0600);
  if (!file.ok()) return file.status();
  crypto::Sha256Hasher hash;
  std::optional<HashThread> hasher;
  if (hash_thread) hasher.emplace();
  uint64_t written = 0, started = 0;
  auto writer = backup::StreamWriter::Begin(
      *keys.stream, backup::kStreamKeyTerm,
      [&](std::string_view bytes) -> Status {
        if (hasher) {
          hasher->Update(bytes);
        } else if (!no_hash) {
          hash.Update(bytes);
        }
        if (Status s = file.value().Write(bytes); !s.ok()) return s;
        written += bytes.size();
        if (early_writeback && written - started >= kWritebackBytes) {
          // Start writing this range to disk now; the final fsync then waits for less.
          (void)sync_file_range(file.value().fd(), static_cast<off_t>(started),
                                static_cast<off_t>(written - started), SYNC_FILE_RANGE_WRITE);
          started = written;
        }
        return Status::Ok();
      },
      chunk_bytes);
  if (!writer.ok()) return writer.status();

  Status status = backup::PipeStoreCopy(
      [&](int fd) {
        return variant == ProtoVariant::kNoCompact ? PlainCopy(env.dir(), fd) : env.CopyTo(fd);
      },
      [&](std::string_view bytes) { return writer.value().Write(bytes); });
  if (!status.ok()) return status;
  if (Status s = writer.value().Finish(); !s.ok()) return s;
  crypto::Sha256Digest digest{};
  if (hasher) {
    digest = hasher->Finish();
  } else if (!no_hash) {
    digest = hash.Finish();
  }
  KeepAlive(digest);
  if (Status s = file.value().Commit(); !s.ok()) return s;
  return ProtoResult{writer.value().stream_bytes(), writer.value().plaintext_bytes()};
}

}  // namespace sigmad::bench
