// Env::EnsureSchema: the schema version in the "meta" DB and the migrations up to it.
#include <cstdint>
#include <optional>
#include <string>

#include "store/keys.h"
#include "store/lmdb.h"

namespace sigmad::store {
namespace {

// (Appending rather than "v" + to_string(...) dodges GCC 12's false -Wrestrict, PR105329.)
std::string V(uint64_t version) { return std::string("v").append(std::to_string(version)); }

}  // namespace

Result<uint32_t> Env::EnsureSchema(uint32_t current, const Migrations& migrations) {
  if (current == 0) {
    return Status::Error(kCodeSchema, "schema version 0 is reserved for a new store");
  }
  Result<Dbi> opened = OpenDb(kMetaDb);
  if (!opened.ok()) return opened.status();
  const Dbi& meta = opened.value();
  const std::string encoded = KeyBuilder().U32(current).Build();

  uint32_t found = 0;
  if (options_.read_only) {
    Status s = View([&](ReadTxn& txn) -> Status {
      Result<std::optional<std::string_view>> stored = txn.Get(meta, kSchemaVersionKey);
      if (!stored.ok()) return stored.status();
      KeyReader reader(stored->value_or(""));
      const std::optional<uint32_t> version = reader.U32();
      if (!version || !reader.done()) {
        return Status::Error(kCodeSchema, "the store in " + dir_ + " records no schema version");
      }
      found = *version;
      return Status::Ok();
    });
    if (!s.ok()) return s;
    if (found != current) {
      return Status::Error(kCodeSchema, "the store in " + dir_ + " is at schema " + V(found) +
                                            ", this sigmad serves " + V(current) +
                                            " (a store open read-only is not migrated)");
    }
    return found;
  }
  Status s = Update([&](WriteTxn& txn) -> Status {
    found = 0;  // re-runnable: Update may call this again after growing the map
    Result<std::optional<std::string_view>> stored = txn.Get(meta, kSchemaVersionKey);
    if (!stored.ok()) return stored.status();
    if (!stored->has_value()) return txn.Put(meta, kSchemaVersionKey, encoded);

    const std::string_view bytes = *stored.value();
    KeyReader reader(bytes);
    const std::optional<uint32_t> version = reader.U32();
    if (!version || !reader.done() || *version == 0) {
      return Status::Error(kCodeSchema, "store meta '" + std::string(kSchemaVersionKey) +
                                            "' holds " + std::to_string(bytes.size()) +
                                            " bytes that are not a schema version; the store "
                                            "is damaged: restore it from a backup");
    }
    found = *version;
    if (found == current) return Status::Ok();
    if (found > current) {
      return Status::Error(kCodeSchema, "store schema " + V(found) +
                                            " is newer than this sigmad supports (" + V(current) +
                                            "); upgrade sigmad");
    }
    // Check every step before running any, so a gap is reported without side effects.
    for (uint64_t v = uint64_t{found} + 1; v <= current; ++v) {
      if (migrations.find(static_cast<uint32_t>(v)) == migrations.end()) {
        return Status::Error(kCodeSchema, "no migration to store schema " + V(v) +
                                              " (the store is at " + V(found) +
                                              ", this sigmad needs " + V(current) + ")");
      }
    }
    for (uint64_t v = uint64_t{found} + 1; v <= current; ++v) {
      Status m = migrations.at(static_cast<uint32_t>(v))(txn);
      if (!m.ok()) {
        return Status::Error(
            m.code(), "store schema migration " + V(v - 1) + " -> " + V(v) + ": " + m.message());
      }
    }
    return txn.Put(meta, kSchemaVersionKey, encoded);
  });
  if (!s.ok()) return s;
  return found;
}

}  // namespace sigmad::store
