// The LMDB layer of the store: one environment (a directory holding data.mdb and
// lock.mdb, mode 0600), a named database per record kind, and transactions that run as
// callbacks. Record encoding lives above this layer; key encoding is in store/keys.h.
//
// Ownership: Env::Open returns the Env in a unique_ptr; it owns the MDB_env and must
// outlive everything made from it. Transactions exist only inside the callback given
// to Env::View or Env::Update: the Env begins one, passes it by reference, and commits
// or aborts it when the callback returns. A Cursor belongs to its transaction and must
// be destroyed before the callback returns (sigmad aborts loudly otherwise).
//
// Data lifetime: the string_views that Get and Cursor return point into the memory map.
// They are valid until the transaction ends, and in a WriteTxn only until its next
// Put or Delete. Copy what must live longer.
//
// Errors: every LMDB failure is a Status with code kCodeStore and a message naming the
// call, where it happened and mdb_strerror's text, e.g.
//   store: mdb_put in 'tenants': MDB_MAP_FULL: Environment mapsize limit reached
// Absence is not an error: Get returns nullopt, Delete returns false.
//
// Thread-safety: Env is thread-safe. Read transactions run in parallel with each other
// and with the single write transaction LMDB allows at a time (a second Update waits
// for the first). MDB_NOTLS is set, so a read transaction is not tied to its OS thread.
// A ReadTxn, WriteTxn or Cursor is used only by the thread running the callback.
//
// Lock discipline: every live transaction holds the Env's map lock shared; growing the
// map (mdb_env_set_mapsize, which needs no transaction of this process to be open)
// takes it unique. Therefore a View/Update callback must not call View, Update, OpenDb,
// EnsureSchema or Info on the same Env: that would deadlock against a pending resize.
// Such calls are detected and fail with code kCodeNestedTxn instead. For the same reason
// a callback must not wait for another thread that is using the same Env. Open every
// Dbi at start-up, before handing the Env to worker threads.
#pragma once

#include <lmdb.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "common/status.h"

namespace sigmad::store {

// Status codes of this module.
inline constexpr char kCodeStore[] = "store";           // an LMDB or file-system failure
inline constexpr char kCodeExists[] = "exists";         // Put(kNoOverwrite) on a present key
inline constexpr char kCodeStoreFull[] = "store_full";  // the map is at max_map_bytes
inline constexpr char kCodeSchema[] = "schema";         // schema version cannot be served
inline constexpr char kCodeNestedTxn[] = "nested_txn";  // Env called inside its own callback
inline constexpr char kCodeReadOnly[] = "read_only";    // a write to a read-only Env
inline constexpr char kCodeNoDb[] = "no_db";            // OpenDb of a missing DB, read-only

// The DB and key holding the schema version (uint32, big-endian). Reserved.
inline constexpr char kMetaDb[] = "meta";
inline constexpr char kSchemaVersionKey[] = "schema_version";

struct EnvOptions {
  std::filesystem::path dir;                    // must exist; the caller creates it
  size_t initial_map_bytes = size_t{64} << 20;  // map size of a new store (or a larger old one)
  size_t max_map_bytes = size_t{64} << 30;      // the map never grows past this
  unsigned max_dbs = 32;                        // named databases, "meta" included
  unsigned max_readers = 126;                   // concurrent read transactions (all processes)
  // Open an existing store for reading only (MDB_RDONLY), e.g. a backup being verified:
  // Update fails with kCodeReadOnly, OpenDb with kCodeNoDb for a DB the store lacks,
  // EnsureSchema only compares. The dir must still be writable for LMDB's lock file.
  bool read_only = false;
};

struct EnvInfo {
  size_t map_bytes = 0;       // current size of the memory map
  size_t max_map_bytes = 0;   // the cap from EnvOptions
  size_t used_bytes = 0;      // up to the last page in use (free pages below it included)
  unsigned readers_used = 0;  // high-water mark of reader slots in the lock file
  unsigned max_readers = 0;
};

// A named database. Made by Env::OpenDb, valid for that Env's lifetime; cheap to copy.
class Dbi {
 public:
  const std::string& name() const { return name_; }

 private:
  friend class Env;
  friend class ReadTxn;
  friend class WriteTxn;
  Dbi(MDB_dbi handle, std::string name) : handle_(handle), name_(std::move(name)) {}

  MDB_dbi handle_;
  std::string name_;
};

class ReadTxn;
class WriteTxn;

// A position in one database inside one transaction, in key order. Made by
// ReadTxn::OpenCursor; movable, not copyable; destroy it before the callback returns.
class Cursor {
 public:
  Cursor(Cursor&& other) noexcept;
  Cursor& operator=(Cursor&&) = delete;
  Cursor(const Cursor&) = delete;
  Cursor& operator=(const Cursor&) = delete;
  ~Cursor();

  Status First();                     // to the first entry; !valid() if the DB is empty
  Status Seek(std::string_view key);  // to the first entry with key >= `key` ("" = First)
  Status Next();                      // to the next entry; !valid() past the last one
  bool valid() const { return valid_; }
  std::string_view key() const;    // requires valid()
  std::string_view value() const;  // requires valid()

 private:
  friend class ReadTxn;
  friend class WriteTxn;
  Cursor(MDB_cursor* cursor, const ReadTxn* txn, std::string db_name);
  Status Move(MDB_cursor_op op);

  MDB_cursor* cursor_;
  const ReadTxn* txn_;
  std::string db_name_;
  bool valid_ = false;
  MDB_val key_{};
  MDB_val value_{};
};

// Called by ForEach for each entry; set *stop to end the scan early (ok). A non-ok
// Status ends the scan and is returned by ForEach.
using ScanFn = std::function<Status(std::string_view key, std::string_view value, bool* stop)>;

// A read-only transaction: a consistent snapshot of every database.
class ReadTxn {
 public:
  ReadTxn(const ReadTxn&) = delete;
  ReadTxn& operator=(const ReadTxn&) = delete;

  // The value stored under `key`, or nullopt if there is none.
  Result<std::optional<std::string_view>> Get(const Dbi& dbi, std::string_view key) const;
  // Number of entries in `dbi`.
  Result<size_t> Count(const Dbi& dbi) const;
  // Calls fn for each entry whose key starts with `prefix` ("" = all), in key order.
  // fn must not Put or Delete in `dbi` (use WriteTxn::DeletePrefix, or collect first).
  Status ForEach(const Dbi& dbi, std::string_view prefix, const ScanFn& fn) const;
  Result<Cursor> OpenCursor(const Dbi& dbi) const;
  // Names of all named databases, sorted.
  Result<std::vector<std::string>> ListDbs() const;

 protected:
  ReadTxn(MDB_txn* txn, std::string_view env_dir) : txn_(txn), env_dir_(env_dir) {}
  ~ReadTxn() { Abort(); }
  void Abort();
  void CheckNoCursors() const;

  MDB_txn* txn_;              // nullptr once committed or aborted
  std::string_view env_dir_;  // the Env's dir_, for messages

 private:
  friend class Env;
  friend class Cursor;
  mutable int open_cursors_ = 0;
};

enum class PutMode { kOverwrite, kNoOverwrite };

// The write transaction; Update runs at most one at a time per store. Every Put or
// Delete may report MDB_MAP_FULL: Update then discards the transaction, grows the map
// and runs the callback again, whatever the callback returned.
class WriteTxn : public ReadTxn {
 public:
  // Stores `value` under `key` (1..511 bytes). kNoOverwrite: fails with kCodeExists,
  // changing nothing, if `key` is present.
  Status Put(const Dbi& dbi, std::string_view key, std::string_view value,
             PutMode mode = PutMode::kOverwrite);
  // Removes `key`; true if it was present.
  Result<bool> Delete(const Dbi& dbi, std::string_view key);
  // Removes every entry whose key starts with `prefix` ("" = all); the number removed.
  Result<size_t> DeletePrefix(const Dbi& dbi, std::string_view prefix);

 private:
  friend class Env;
  WriteTxn(MDB_txn* txn, std::string_view env_dir) : ReadTxn(txn, env_dir) {}
  // rc as a Status; remembers the first MDB_MAP_FULL.
  Status Check(int rc, std::string_view call, std::string_view where);
  int Commit();

  std::optional<Status> map_full_;  // set once LMDB reported MDB_MAP_FULL
};

// Schema migrations by the version they produce: migrations[v] turns a v-1 store into v.
using Migrations = std::map<uint32_t, std::function<Status(WriteTxn&)>>;

class Env {
 public:
  // Opens (creating the files if needed) the store in options.dir with MDB_NOTLS and
  // mode 0600, then clears reader slots left by dead processes (mdb_reader_check).
  static Result<std::unique_ptr<Env>> Open(const EnvOptions& options);
  ~Env();
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;

  // The named database `name`, created if missing. Cached; thread-safe.
  Result<Dbi> OpenDb(const std::string& name);

  // Runs fn in a read-only transaction and returns its Status.
  Status View(const std::function<Status(ReadTxn&)>& fn);

  // Runs fn in a write transaction and commits if it returns ok; otherwise aborts and
  // returns fn's Status. When the map fills up (inside fn or at commit) the transaction
  // is aborted, the map doubled (up to max_map_bytes; past it: kCodeStoreFull) and fn
  // run again from the start. So fn must be re-runnable: everything it changes outside
  // the transaction must be reset at its start or be harmless to repeat. (View and
  // Update also absorb MDB_MAP_RESIZED, another process having grown the map, by
  // adopting its size and beginning again.)
  Status Update(const std::function<Status(WriteTxn&)>& fn);

  // Writes a consistent snapshot of the store to `fd` (a file or a pipe) as a new
  // data.mdb, compacted (free pages left out: mdb_env_copyfd2 with MDB_CP_COMPACT).
  // Readers and the writer go on meanwhile; only growing the map waits for the copy to
  // end (it holds the map lock shared, as every transaction does), and transactions begun
  // while a resize waits wait too. So the map is first grown to leave as much free room
  // as the store uses (at least 64 MiB, within max_map_bytes).
  Status CopyTo(int fd);

  // Brings the schema version in kMetaDb to `current` (>= 1), in one write transaction:
  // absent (new store): records `current`; equal: nothing; lower: runs
  // migrations[stored+1 .. current] in order, then records `current`; higher, or a
  // migration missing: kCodeSchema and nothing changes. Migrations are run like an
  // Update's fn (re-runnable). Returns the version found before (0: new store). A
  // read-only Env is never migrated: any version but `current` is kCodeSchema.
  Result<uint32_t> EnsureSchema(uint32_t current, const Migrations& migrations);

  Result<EnvInfo> Info();
  // Flushes buffers to disk. Commits are already durable (MDB_NOSYNC is not used).
  Status Sync();
  // Reader slots of dead processes cleared at Open, for the daemon to log.
  int stale_readers_cleared() const { return stale_readers_cleared_; }
  const std::filesystem::path& dir() const { return options_.dir; }
  bool read_only() const { return options_.read_only; }

 private:
  Env(MDB_env* env, EnvOptions options);
  // Takes map_mu_ shared, queueing behind a resize that is waiting (see turnstile_).
  std::shared_lock<std::shared_mutex> LockShared();
  // Doubles the map unless someone already grew it past `observed`; `why` is the
  // MDB_MAP_FULL error, quoted when the cap is reached.
  Status Grow(size_t observed, const Status& why);
  // Adopts the map size another process recorded (after MDB_MAP_RESIZED).
  Status AdoptMapSize();
  Status SetMapSize(size_t bytes);  // requires map_mu_ held unique

  const EnvOptions options_;
  const std::string dir_;  // options_.dir as text, for messages
  MDB_env* const env_;     // its mapping is GUARDED_BY(map_mu_): resized only under unique
  int stale_readers_cleared_ = 0;

  // Lock order: dbis_mu_, then turnstile_, then map_mu_.
  std::mutex dbis_mu_;
  std::map<std::string, Dbi, std::less<>> dbis_;  // GUARDED_BY(dbis_mu_)
  // A resize holds turnstile_ while it waits for map_mu_; new transactions pass through
  // it before taking map_mu_ shared, so a steady stream of readers cannot starve a
  // resize (std::shared_mutex on glibc prefers readers).
  std::mutex turnstile_;
  std::shared_mutex map_mu_;          // shared: a live transaction; unique: resizing
  std::atomic<size_t> map_bytes_{0};  // written under map_mu_ unique; read anywhere
  Status broken_;                     // GUARDED_BY(map_mu_); set if a remap failed
};

}  // namespace sigmad::store
