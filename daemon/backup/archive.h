// The backups in one target directory: writing a backup of the store, listing,
// reading one back into a store copy, checking that copy, deleting. No policy, no
// audit: the BackupService decides when and records what happened.
//
// A backup is two files in the target dir: ID.sigbk, the store copy as a sealed stream
// (stream.h) under the backup stream key, and ID.manifest (manifest.h). Both are written
// as NewFiles (common/file.h): each appears under its name only once it is complete and
// on disk, the stream first. The manifest is the commit point: a backup without one is
// not in the catalogue, and the stream file a crash left between the two is an orphan
// that RemoveOrphans deletes. So a backup is either complete and catalogued or absent.
//
// Keys: the stream key, the manifest MAC key and the master key id are all derived from
// the master key (Keyring::DeriveFromKek), so a backup needs the master key it was
// taken under, which its manifest names by id. Nothing secret is written in clear.
//
// Thread-safety: BackupKeys is immutable once derived; the functions are reentrant, but
// two writers of one target dir must not delete each other's files (the service runs
// one operation at a time).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "backup/manifest.h"
#include "backup/stream.h"
#include "common/status.h"
#include "crypto/aead.h"
#include "crypto/keyring.h"
#include "store/vault.h"

namespace sigmad::backup {

struct BackupKeys {
  std::unique_ptr<crypto::Aead> stream;
  crypto::SecretBytes mac;
  std::string master_key_id;  // 16 hex digits
  // From the keyring's current master key.
  static Result<BackupKeys> Derive(const crypto::Keyring& keyring);
};

struct WriteOptions {
  size_t chunk_bytes = kDefaultChunkBytes;
  std::string sigmad_version;
  uint32_t schema_version = 0;
  // Called now and then with the bytes of the store copy written so far.
  std::function<void(uint64_t store_bytes)> progress;
};

// Runs `copy` (which writes a store copy into the fd it is given, e.g. Env::CopyTo) on a
// thread of its own, through a pipe, and hands what it writes to `consume` on this thread
// in pieces of up to 1 MiB. Once `consume` fails the rest is drained, so the copy always
// ends. Returns the copy's error, else the read's or consume's. (SIGPIPE is blocked on
// the copy's thread: an early end is EPIPE there.)
Status PipeStoreCopy(const std::function<Status(int fd)>& copy,
                     const std::function<Status(std::string_view bytes)>& consume);

// Free bytes a backup of `env` may need in the target (the store's used size plus the
// stream's overhead and a margin); the compacted copy is never larger.
Result<uint64_t> SpaceNeeded(store::Env& env, size_t chunk_bytes);

// Writes a new backup of `env` into `dir` (which must exist) taken at `now`. Checks the
// free space first ("no_space", naming what is free and what is needed). On any error
// nothing is left in `dir`: the error names what failed ("io" with the path and
// strerror for a full disk or a file size limit).
Result<Manifest> WriteBackup(store::Env& env, const BackupKeys& keys,
                             const std::filesystem::path& dir,
                             std::chrono::system_clock::time_point now,
                             const WriteOptions& options);

// One backup found in the target dir. `problem` is ok for a catalogued backup whose
// manifest verified; otherwise it says what is wrong and `manifest` may be empty (a
// manifest that does not verify, or names another master key).
struct Listed {
  std::string id;
  std::optional<Manifest> manifest;
  Status problem = Status::Ok();
  // For a backup under another master key ("wrong_master_key"): the creation time its
  // manifest states, unauthenticated (used only to prune it on time).
  std::optional<std::chrono::system_clock::time_point> stated_created;
};

// Every manifest in `dir`, oldest first (by id). Orphan stream files are not listed.
// "io" if `dir` cannot be read; a missing dir is an empty list.
Result<std::vector<Listed>> ListBackups(const std::filesystem::path& dir, const BackupKeys& keys);

// The verified manifest of backup `id`: "not_found" if there is none, else ParseManifest's
// errors.
Result<Manifest> ReadManifest(const std::filesystem::path& dir, const std::string& id,
                              const BackupKeys& keys);

struct ExtractStats {
  uint64_t stream_bytes = 0, store_bytes = 0, chunks = 0;
};

// Reads backup `m` from `dir` and writes the store copy inside as `store_dir`/data.mdb
// (mode 0600; `store_dir` must exist and hold no data.mdb). Checks the file's size
// against the manifest first, then every chunk as it is decrypted and the SHA-256 of the
// whole file; data.mdb appears only if all of it is intact. Errors: "integrity" naming
// what is wrong (size, chunk, hash), "not_found", "io".
Result<ExtractStats> ExtractBackup(const std::filesystem::path& dir, const Manifest& m,
                                   const BackupKeys& keys, const std::filesystem::path& store_dir);

// Opens the store copy in `store_dir` read-only under `kek` and checks it: the key check,
// every wrapped data key, and every sealed value of the tables named in `tables` (with
// their owners; one the copy lacks was made after the backup and is skipped).
Result<store::VerifyReport> CheckStoreCopy(const std::filesystem::path& store_dir,
                                           crypto::SecretBytes kek,
                                           const std::vector<store::Table>& tables,
                                           const Clock& clock);

// Removes backup `id` from `dir`: the manifest first (so it leaves the catalogue at
// once), then the stream file, then fsyncs `dir`.
Status DeleteBackup(const std::filesystem::path& dir, const std::string& id);

// Removes stream files without a manifest and NewFile temp files that a crash left in
// `dir`; returns their names.
Result<std::vector<std::string>> RemoveOrphans(const std::filesystem::path& dir);

}  // namespace sigmad::backup
