// The master key (KEK): 32 random bytes in a file only its owner can read.
//
// sigmad refuses a key file that group or others can read or write, one that is not a
// regular file, or one of the wrong length, and says which. Creation is exclusive
// (never replaces an existing key), mode 0400, fsynced with its directory.
// Thread-safety: pure functions.
#pragma once

#include <filesystem>

#include "common/status.h"
#include "crypto/secret.h"

namespace sigmad::crypto {

inline constexpr size_t kMasterKeyBytes = 32;  // AES-256

// Creates a new random key at `path` (mode 0400). Fails if anything exists there.
Status CreateMasterKey(const std::filesystem::path& path);
// Writes `key` to a new file at `path` (mode 0400, fsynced with its directory). Fails if
// anything exists there.
Status WriteMasterKey(const std::filesystem::path& path, const SecretBytes& key);
// Replaces the key file at `path` with `key` atomically (written beside it as
// PATH.sigmad-replace-PID, then renamed over it).
Status ReplaceMasterKey(const std::filesystem::path& path, const SecretBytes& key);

// Who may reach a key file. kOwnerOnly: its mode must give group and others nothing.
// kSystemdCredential: a credential in $CREDENTIALS_DIRECTORY, which systemd made for
// this service alone; systemd may grant our uid read access by an ACL, whose mask shows
// as group bits, so only others must have nothing.
enum class KeyFileAccess { kOwnerOnly, kSystemdCredential };

// Reads and checks a key file.
Result<SecretBytes> LoadMasterKey(const std::filesystem::path& path,
                                  KeyFileAccess access = KeyFileAccess::kOwnerOnly);

}  // namespace sigmad::crypto
