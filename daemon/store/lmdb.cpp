// Env: opening the environment, named databases, the View/Update loops and map growth.
#include "store/lmdb.h"

#include <sys/stat.h>

#include <algorithm>
#include <utility>

#include "store/mdb_util.h"

namespace sigmad::store {
namespace {

using internal::MdbError;

static_assert(sizeof(size_t) >= 8, "the store's map sizes need a 64-bit size_t");

// Bounds the begin/grow/retry loops; doubling from one page to 2^64 bytes takes < 64.
constexpr int kMaxAttempts = 100;

// The transactions this thread has open, innermost first, to refuse nested calls that
// would deadlock against a resize (see the lock discipline in lmdb.h).
struct ActiveTxn {
  const Env* env;
  const ActiveTxn* outer;
};
thread_local const ActiveTxn* tls_active = nullptr;

bool InsideTxnOf(const Env* env) {
  for (const ActiveTxn* t = tls_active; t != nullptr; t = t->outer) {
    if (t->env == env) return true;
  }
  return false;
}

class ActiveScope {
 public:
  explicit ActiveScope(const Env* env) : frame_{env, tls_active} { tls_active = &frame_; }
  ~ActiveScope() { tls_active = frame_.outer; }
  ActiveScope(const ActiveScope&) = delete;
  ActiveScope& operator=(const ActiveScope&) = delete;

 private:
  ActiveTxn frame_;
};

Status NestedError(std::string_view call) {
  return Status::Error(kCodeNestedTxn,
                       std::string(call) +
                           " called inside a View/Update callback of the same store; it "
                           "would deadlock: finish the transaction first");
}

std::string MiB(size_t bytes) {
  return std::to_string(bytes >> 20) + " MiB (" + std::to_string(bytes) + " bytes)";
}

}  // namespace

Env::Env(MDB_env* env, EnvOptions options)
    : options_(std::move(options)), dir_(options_.dir.string()), env_(env) {}

Env::~Env() { mdb_env_close(env_); }

Result<std::unique_ptr<Env>> Env::Open(const EnvOptions& options) {
  if (options.dir.empty()) return Status::Error("invalid_config", "store directory is empty");
  if (options.initial_map_bytes == 0 || options.max_map_bytes < options.initial_map_bytes) {
    return Status::Error("invalid_config", "store map sizes: need 0 < initial_map_bytes (" +
                                               std::to_string(options.initial_map_bytes) +
                                               ") <= max_map_bytes (" +
                                               std::to_string(options.max_map_bytes) + ")");
  }
  if (options.max_dbs == 0 || options.max_readers == 0) {
    return Status::Error("invalid_config", "store max_dbs and max_readers must be at least 1");
  }

  MDB_env* raw = nullptr;
  int rc = mdb_env_create(&raw);
  if (rc != 0) return MdbError(rc, "mdb_env_create", options.dir.string());
  // From here the Env owns raw: its destructor calls mdb_env_close, which LMDB also
  // requires after a failed mdb_env_open.
  std::unique_ptr<Env> env(new Env(raw, options));
  const std::string& where = env->dir_;

  rc = mdb_env_set_maxdbs(raw, options.max_dbs);
  if (rc != 0) return MdbError(rc, "mdb_env_set_maxdbs", where);
  rc = mdb_env_set_maxreaders(raw, options.max_readers);
  if (rc != 0) return MdbError(rc, "mdb_env_set_maxreaders", where);

  // A size set before mdb_env_open replaces the one an existing store recorded (LMDB
  // only keeps it above the data), so set it beforehand only for a new store.
  struct stat st {};
  const bool fresh = ::stat((options.dir / "data.mdb").c_str(), &st) != 0;
  if (fresh && !options.read_only) {
    rc = mdb_env_set_mapsize(raw, options.initial_map_bytes);
    if (rc != 0) return MdbError(rc, "mdb_env_set_mapsize", where);
  }
  const unsigned flags = MDB_NOTLS | (options.read_only ? MDB_RDONLY : 0);
  rc = mdb_env_open(raw, where.c_str(), flags, 0600);
  if (rc != 0) return MdbError(rc, "mdb_env_open", where);

  MDB_envinfo info{};
  rc = mdb_env_info(raw, &info);
  if (rc != 0) return MdbError(rc, "mdb_env_info", where);
  size_t map_bytes = info.me_mapsize;
  if (map_bytes < options.initial_map_bytes && !options.read_only) {
    rc = mdb_env_set_mapsize(raw, options.initial_map_bytes);  // no transaction open yet
    if (rc != 0) return MdbError(rc, "mdb_env_set_mapsize", where);
    rc = mdb_env_info(raw, &info);
    if (rc != 0) return MdbError(rc, "mdb_env_info", where);
    map_bytes = info.me_mapsize;
  }
  env->map_bytes_.store(map_bytes);

  int dead = 0;
  rc = mdb_reader_check(raw, &dead);
  if (rc != 0) return MdbError(rc, "mdb_reader_check", where);
  env->stale_readers_cleared_ = dead;
  return env;
}

std::shared_lock<std::shared_mutex> Env::LockShared() {
  std::unique_lock gate(turnstile_);
  std::shared_lock lock(map_mu_);
  return lock;
}

Status Env::SetMapSize(size_t bytes) {
  const int rc = mdb_env_set_mapsize(env_, bytes);
  if (rc != 0) {
    // LMDB unmaps before it remaps: the environment cannot be used any more.
    broken_ = Status::Error(kCodeStore, MdbError(rc, "mdb_env_set_mapsize", dir_).message() +
                                            "; the store is unusable until sigmad restarts");
    return broken_;
  }
  MDB_envinfo info{};
  mdb_env_info(env_, &info);
  map_bytes_.store(info.me_mapsize);
  return Status::Ok();
}

Status Env::Grow(size_t observed, const Status& why) {
  std::lock_guard gate(turnstile_);
  std::unique_lock lock(map_mu_);
  if (!broken_.ok()) return broken_;
  const size_t current = map_bytes_.load();
  if (current != observed) return Status::Ok();  // another thread resized it meanwhile
  const size_t cap = options_.max_map_bytes;
  if (current >= cap) {
    return Status::Error(kCodeStoreFull, why.message() + "; the store map is " + MiB(current) +
                                             " and may not grow past max_map_bytes " + MiB(cap) +
                                             ": free space or raise the cap");
  }
  return SetMapSize(current > cap / 2 ? cap : current * 2);
}

Status Env::AdoptMapSize() {
  std::lock_guard gate(turnstile_);
  std::unique_lock lock(map_mu_);
  if (!broken_.ok()) return broken_;
  return SetMapSize(0);  // 0: the size the last writer (another process) recorded
}

Result<Dbi> Env::OpenDb(const std::string& name) {
  if (InsideTxnOf(this)) return NestedError("OpenDb");
  if (name.empty() || name.find('\0') != std::string::npos) {
    return Status::Error(kCodeStore, "invalid database name (empty or containing NUL)");
  }
  std::lock_guard lock(dbis_mu_);
  if (auto it = dbis_.find(name); it != dbis_.end()) return it->second;
  MDB_dbi handle = 0;
  if (options_.read_only) {  // no MDB_CREATE; a read transaction commits the handle
    std::shared_lock map_lock = LockShared();
    MDB_txn* txn = nullptr;
    int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &txn);
    if (rc != 0) return MdbError(rc, "mdb_txn_begin (read)", dir_);
    rc = mdb_dbi_open(txn, name.c_str(), 0, &handle);
    if (rc != 0) {
      mdb_txn_abort(txn);
      if (rc == MDB_NOTFOUND) {
        return Status::Error(kCodeNoDb, "the store in " + dir_ + " has no database '" + name + "'");
      }
      return MdbError(rc, "mdb_dbi_open", name);
    }
    rc = mdb_txn_commit(txn);
    if (rc != 0) return MdbError(rc, "mdb_txn_commit (read)", name);
    return dbis_.emplace(name, Dbi(handle, name)).first->second;
  }
  Status s = Update([&](WriteTxn& txn) {
    return txn.Check(mdb_dbi_open(txn.txn_, name.c_str(), MDB_CREATE, &handle), "mdb_dbi_open",
                     name);
  });
  if (!s.ok()) return s;
  // After the commit the handle is valid in every transaction begun from now on.
  return dbis_.emplace(name, Dbi(handle, name)).first->second;
}

Status Env::View(const std::function<Status(ReadTxn&)>& fn) {
  if (InsideTxnOf(this)) return NestedError("View");
  ActiveScope active(this);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    {
      std::shared_lock lock = LockShared();
      if (!broken_.ok()) return broken_;
      MDB_txn* raw = nullptr;
      const int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &raw);
      if (rc == 0) {
        ReadTxn txn(raw, dir_);  // aborted by its destructor, before the lock is released
        return fn(txn);
      }
      if (rc != MDB_MAP_RESIZED) return MdbError(rc, "mdb_txn_begin (read)", dir_);
    }
    Status s = AdoptMapSize();
    if (!s.ok()) return s;
  }
  return Status::Error(kCodeStore, "View in '" + dir_ + "': gave up after repeated map resizes");
}

Status Env::Update(const std::function<Status(WriteTxn&)>& fn) {
  if (InsideTxnOf(this)) return NestedError("Update");
  if (options_.read_only) {
    return Status::Error(kCodeReadOnly, "the store in " + dir_ + " is open read-only");
  }
  ActiveScope active(this);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    size_t observed = 0;
    std::optional<Status> map_full;  // set: grow and retry; unset: adopt a resize
    {
      std::shared_lock lock = LockShared();
      if (!broken_.ok()) return broken_;
      observed = map_bytes_.load();
      MDB_txn* raw = nullptr;
      int rc = mdb_txn_begin(env_, nullptr, 0, &raw);
      if (rc != 0 && rc != MDB_MAP_RESIZED) return MdbError(rc, "mdb_txn_begin (write)", dir_);
      if (rc == 0) {
        WriteTxn txn(raw, dir_);  // aborted by its destructor unless committed
        Status s = fn(txn);
        if (txn.map_full_) {
          map_full = *txn.map_full_;  // whatever fn made of it: the map is what failed
        } else if (!s.ok()) {
          return s;
        } else {
          rc = txn.Commit();
          if (rc == 0) return Status::Ok();
          if (rc != MDB_MAP_FULL) return MdbError(rc, "mdb_txn_commit", dir_);
          map_full = MdbError(rc, "mdb_txn_commit", dir_);
        }
      }
    }
    Status s = map_full ? Grow(observed, *map_full) : AdoptMapSize();
    if (!s.ok()) return s;
  }
  return Status::Error(kCodeStore, "Update in '" + dir_ + "': gave up after repeated map resizes");
}

Result<EnvInfo> Env::Info() {
  if (InsideTxnOf(this)) return NestedError("Info");
  std::shared_lock lock = LockShared();
  if (!broken_.ok()) return broken_;
  MDB_envinfo info{};
  int rc = mdb_env_info(env_, &info);
  if (rc != 0) return MdbError(rc, "mdb_env_info", dir_);
  MDB_stat st{};
  rc = mdb_env_stat(env_, &st);
  if (rc != 0) return MdbError(rc, "mdb_env_stat", dir_);
  EnvInfo out;
  out.map_bytes = info.me_mapsize;
  out.max_map_bytes = options_.max_map_bytes;
  out.used_bytes = (info.me_last_pgno + 1) * st.ms_psize;
  out.readers_used = info.me_numreaders;
  out.max_readers = info.me_maxreaders;
  return out;
}

Status Env::CopyTo(int fd) {
  if (InsideTxnOf(this)) return NestedError("CopyTo");
  // A resize waits for the copy to end, and every transaction begun after it waits for
  // the resize: give the writers room first, as much free map as the store uses (at
  // least 64 MiB, within max_map_bytes), so that a resize during the copy is unlikely.
  auto info = Info();
  if (!info.ok()) return info.status();
  const size_t used = info.value().used_bytes;
  const size_t want = std::max(used, size_t{64} << 20);
  {
    std::lock_guard gate(turnstile_);
    std::unique_lock grow(map_mu_);
    if (!broken_.ok()) return broken_;
    size_t target = map_bytes_.load();
    while (target - std::min(target, used) < want && target < options_.max_map_bytes) {
      target = target > options_.max_map_bytes / 2 ? options_.max_map_bytes : target * 2;
    }
    if (target != map_bytes_.load()) {
      if (Status s = SetMapSize(target); !s.ok()) return s;
    }
  }
  std::shared_lock lock = LockShared();
  if (!broken_.ok()) return broken_;
  const int rc = mdb_env_copyfd2(env_, fd, MDB_CP_COMPACT);
  if (rc != 0) return MdbError(rc, "mdb_env_copyfd2", dir_);
  return Status::Ok();
}

Status Env::Sync() {
  const int rc = mdb_env_sync(env_, 1);
  if (rc != 0) return MdbError(rc, "mdb_env_sync", dir_);
  return Status::Ok();
}

}  // namespace sigmad::store
