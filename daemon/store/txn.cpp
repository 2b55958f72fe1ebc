// ReadTxn, WriteTxn and Cursor: thin wrappers that turn LMDB codes into Status values.
#include <cstdio>
#include <cstdlib>

#include "store/lmdb.h"
#include "store/mdb_util.h"

namespace sigmad::store {

using internal::FromVal;
using internal::MdbError;
using internal::ToVal;

// --- Cursor ---

Cursor::Cursor(MDB_cursor* cursor, const ReadTxn* txn, std::string db_name)
    : cursor_(cursor), txn_(txn), db_name_(std::move(db_name)) {
  ++txn_->open_cursors_;
}

Cursor::Cursor(Cursor&& other) noexcept
    : cursor_(other.cursor_),
      txn_(other.txn_),
      db_name_(std::move(other.db_name_)),
      valid_(other.valid_),
      key_(other.key_),
      value_(other.value_) {
  other.cursor_ = nullptr;
  other.txn_ = nullptr;
  other.valid_ = false;
}

Cursor::~Cursor() {
  if (cursor_ == nullptr) return;
  mdb_cursor_close(cursor_);
  --txn_->open_cursors_;
}

Status Cursor::Move(MDB_cursor_op op) {
  const int rc = mdb_cursor_get(cursor_, &key_, &value_, op);
  valid_ = rc == 0;
  if (rc == 0 || rc == MDB_NOTFOUND) return Status::Ok();
  return MdbError(rc, "mdb_cursor_get", db_name_);
}

Status Cursor::First() { return Move(MDB_FIRST); }

Status Cursor::Seek(std::string_view key) {
  if (key.empty()) return First();  // LMDB rejects an empty key for MDB_SET_RANGE
  key_ = ToVal(key);
  return Move(MDB_SET_RANGE);
}

Status Cursor::Next() {
  if (!valid_) return Status::Ok();
  return Move(MDB_NEXT);
}

std::string_view Cursor::key() const { return valid_ ? FromVal(key_) : std::string_view(); }
std::string_view Cursor::value() const { return valid_ ? FromVal(value_) : std::string_view(); }

// --- ReadTxn ---

void ReadTxn::CheckNoCursors() const {
  if (open_cursors_ != 0) {
    // A Cursor outliving its transaction would close freed memory: a bug, stop now.
    std::fprintf(stderr, "sigmad: store: %d cursor(s) still open at the end of a transaction\n",
                 open_cursors_);
    std::abort();
  }
}

void ReadTxn::Abort() {
  if (txn_ == nullptr) return;
  CheckNoCursors();
  mdb_txn_abort(txn_);
  txn_ = nullptr;
}

Result<std::optional<std::string_view>> ReadTxn::Get(const Dbi& dbi, std::string_view key) const {
  MDB_val k = ToVal(key);
  MDB_val v{};
  const int rc = mdb_get(txn_, dbi.handle_, &k, &v);
  if (rc == MDB_NOTFOUND) return std::optional<std::string_view>();
  if (rc != 0) return MdbError(rc, "mdb_get", dbi.name());
  return std::optional<std::string_view>(FromVal(v));
}

Result<size_t> ReadTxn::Count(const Dbi& dbi) const {
  MDB_stat st{};
  const int rc = mdb_stat(txn_, dbi.handle_, &st);
  if (rc != 0) return MdbError(rc, "mdb_stat", dbi.name());
  return size_t{st.ms_entries};
}

Result<Cursor> ReadTxn::OpenCursor(const Dbi& dbi) const {
  MDB_cursor* cursor = nullptr;
  const int rc = mdb_cursor_open(txn_, dbi.handle_, &cursor);
  if (rc != 0) return MdbError(rc, "mdb_cursor_open", dbi.name());
  return Cursor(cursor, this, dbi.name());
}

Status ReadTxn::ForEach(const Dbi& dbi, std::string_view prefix, const ScanFn& fn) const {
  Result<Cursor> opened = OpenCursor(dbi);
  if (!opened.ok()) return opened.status();
  Cursor& cursor = opened.value();
  Status s = cursor.Seek(prefix);
  while (s.ok() && cursor.valid() && cursor.key().starts_with(prefix)) {
    bool stop = false;
    Status r = fn(cursor.key(), cursor.value(), &stop);
    if (!r.ok()) return r;
    if (stop) break;
    s = cursor.Next();
  }
  return s;
}

Result<std::vector<std::string>> ReadTxn::ListDbs() const {
  // The main (unnamed) database holds one record per named database, keyed by name.
  MDB_dbi main = 0;
  const int rc = mdb_dbi_open(txn_, nullptr, 0, &main);
  if (rc != 0) return MdbError(rc, "mdb_dbi_open", "main DB of " + std::string(env_dir_));
  std::vector<std::string> names;
  Status s =
      ForEach(Dbi(main, "(main)"), "", [&names](std::string_view key, std::string_view, bool*) {
        names.emplace_back(key);
        return Status::Ok();
      });
  if (!s.ok()) return s;
  return names;
}

// --- WriteTxn ---

Status WriteTxn::Check(int rc, std::string_view call, std::string_view where) {
  if (rc == 0) return Status::Ok();
  Status s = MdbError(rc, call, where);
  if (rc == MDB_MAP_FULL && !map_full_) map_full_ = s;
  return s;
}

int WriteTxn::Commit() {
  CheckNoCursors();
  const int rc = mdb_txn_commit(txn_);  // frees the transaction even when it fails
  txn_ = nullptr;
  return rc;
}

Status WriteTxn::Put(const Dbi& dbi, std::string_view key, std::string_view value, PutMode mode) {
  if (map_full_) return *map_full_;  // the transaction is dead; Update will re-run
  MDB_val k = ToVal(key);
  MDB_val v = ToVal(value);
  const unsigned flags = mode == PutMode::kNoOverwrite ? MDB_NOOVERWRITE : 0u;
  const int rc = mdb_put(txn_, dbi.handle_, &k, &v, flags);
  if (rc == MDB_KEYEXIST) {
    return Status::Error(kCodeExists, "mdb_put in '" + dbi.name() + "': the key already exists");
  }
  return Check(rc, "mdb_put", dbi.name());
}

Result<bool> WriteTxn::Delete(const Dbi& dbi, std::string_view key) {
  if (map_full_) return *map_full_;
  MDB_val k = ToVal(key);
  const int rc = mdb_del(txn_, dbi.handle_, &k, nullptr);
  if (rc == MDB_NOTFOUND) return false;
  if (rc != 0) return Check(rc, "mdb_del", dbi.name());
  return true;
}

Result<size_t> WriteTxn::DeletePrefix(const Dbi& dbi, std::string_view prefix) {
  if (map_full_) return *map_full_;
  Result<Cursor> opened = OpenCursor(dbi);
  if (!opened.ok()) return opened.status();
  Cursor& cursor = opened.value();
  size_t removed = 0;
  Status s = cursor.Seek(prefix);
  while (s.ok() && cursor.valid() && cursor.key().starts_with(prefix)) {
    const int rc = mdb_cursor_del(cursor.cursor_, 0);
    if (rc != 0) return Check(rc, "mdb_cursor_del", dbi.name());
    ++removed;
    s = cursor.Next();  // after a delete, MDB_NEXT yields the entry that followed it
  }
  if (!s.ok()) return s;
  return removed;
}

}  // namespace sigmad::store
