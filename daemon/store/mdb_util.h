// Private to the store module: LMDB return codes as Status, MDB_val <-> string_view.
// Thread-safety: pure functions.
#pragma once

#include <lmdb.h>

#include <string>
#include <string_view>

#include "common/status.h"
#include "store/lmdb.h"

namespace sigmad::store::internal {

// "<call> in '<where>': <mdb_strerror(rc)>" with code kCodeStore. rc must be non-zero.
inline Status MdbError(int rc, std::string_view call, std::string_view where) {
  std::string message(call);
  message += " in '";
  message += where;
  message += "': ";
  message += mdb_strerror(rc);
  return Status::Error(kCodeStore, std::move(message));
}

// LMDB never writes through mv_data of a key or a value passed in.
inline MDB_val ToVal(std::string_view s) { return MDB_val{s.size(), const_cast<char*>(s.data())}; }

inline std::string_view FromVal(const MDB_val& v) {
  return std::string_view(static_cast<const char*>(v.mv_data), v.mv_size);
}

}  // namespace sigmad::store::internal
