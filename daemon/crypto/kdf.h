// Key derivation: HKDF-SHA256 (RFC 5869) through OpenSSL's EVP_KDF.
//
// Derived keys separate purposes under one root key: a key derived with one `info`
// label tells nothing about a key derived with another, so e.g. the backup key can be
// derived from the master key without ever using the master key itself for data.
// Thread-safety: reentrant.
#pragma once

#include <string_view>

#include "common/status.h"
#include "crypto/secret.h"

namespace sigmad::crypto {

// `length` bytes (1..8160) of HKDF-SHA256(salt, ikm = key, info). Errors:
// "invalid_argument" (empty key or length out of range), "crypto" (OpenSSL failed).
Result<SecretBytes> DeriveKey(const SecretBytes& key, std::string_view salt,
                              std::string_view info, size_t length);

}  // namespace sigmad::crypto
