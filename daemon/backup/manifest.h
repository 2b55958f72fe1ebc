// The manifest of a backup: what the backup file is, when it was taken and under which
// key, authenticated so that an edited manifest is caught like an edited backup.
//
// A manifest is a small text file, ID.manifest beside ID.sigbk in the target dir:
//
//   {"format":"sigmad-backup/1","id":"20261203T010000Z-5f3a9c1e",...}   one JSON line
//   hmac-sha256 <64 hex digits>                                           over that line
//
// The MAC key is derived from the master key (Keyring::DeriveFromKek, kManifestKeyLabel),
// so only a holder of the master key can write a manifest that verifies, and a backup's
// manifest cannot be moved onto another backup: it names the file, its size and its
// SHA-256. The JSON stays readable with any tool (jq); nothing in it is secret.
//
// Errors of Parse: "integrity" naming what is wrong (the MAC does not match, a field is
// missing or malformed, another format), "wrong_master_key" if the manifest names
// another master key than the one given (so its MAC cannot be checked).
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "crypto/secret.h"

namespace sigmad::backup {

inline constexpr char kManifestFormat[] = "sigmad-backup/1";
inline constexpr char kStreamFileSuffix[] = ".sigbk";
inline constexpr char kManifestSuffix[] = ".manifest";
// HKDF labels under the master key.
inline constexpr char kStreamKeyLabel[] = "sigmad backup stream v1";
inline constexpr char kManifestKeyLabel[] = "sigmad backup manifest v1";
inline constexpr char kMasterKeyIdLabel[] = "sigmad master key id v1";
// The term the stream's chunks are sealed under: the backup key's derivation version.
inline constexpr uint32_t kStreamKeyTerm = 1;

struct Manifest {
  std::string id;                                 // also the file names' stem
  std::chrono::system_clock::time_point created;  // UTC, millisecond precision
  uint64_t size = 0;                              // bytes of the ID.sigbk file
  uint64_t store_bytes = 0;                       // bytes of the store copy inside
  std::string sha256;                             // of the ID.sigbk file, lower-case hex
  std::string stream_id;                          // the stream header's id, hex
  uint32_t chunk_bytes = 0;                       // the stream's chunk size
  uint32_t schema_version = 0;                    // the store schema the copy is at
  uint32_t key_term = kStreamKeyTerm;             // the stream's sealing term
  std::string master_key_id;                      // which master key it needs, hex
  std::vector<std::string> generations;           // "daily", "weekly", "monthly" (below)
  std::string sigmad_version;                     // the sigmad that wrote it

  std::string stream_file() const { return id + kStreamFileSuffix; }
  std::string manifest_file() const { return id + kManifestSuffix; }
};

// The generations a backup taken at `created` belongs to (UTC): "daily" always,
// "weekly" on a Sunday, "monthly" on a month's first Sunday.
std::vector<std::string> GenerationsOf(std::chrono::system_clock::time_point created);

// A new backup id for `created`: "YYYYMMDDTHHMMSSZ-" and 8 random hex digits, so ids
// sort by time and two backups in one second do not collide.
Result<std::string> NewBackupId(std::chrono::system_clock::time_point created);
// Whether `id` has the form NewBackupId makes (and so is safe as a file name).
bool IsBackupId(std::string_view id);

// The manifest file's bytes, MACed with `mac_key`.
std::string EncodeManifest(const Manifest& m, const crypto::SecretBytes& mac_key);
// Checks the MAC and every field. `master_key_id` is the id of the key `mac_key` was
// derived from.
Result<Manifest> ParseManifest(std::string_view bytes, const crypto::SecretBytes& mac_key,
                               std::string_view master_key_id);

// The created time a manifest states, without checking its MAC: only for pruning
// backups taken under another master key (which this store's key cannot authenticate);
// "integrity" if it states none.
Result<std::chrono::system_clock::time_point> StatedCreated(std::string_view bytes);

}  // namespace sigmad::backup
