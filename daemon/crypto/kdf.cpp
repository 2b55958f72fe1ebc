#include "crypto/kdf.h"

#include <openssl/core_names.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

namespace sigmad::crypto {

Result<SecretBytes> DeriveKey(const SecretBytes& key, std::string_view salt,
                              std::string_view info, size_t length) {
  if (key.size() == 0) return Status::Error("invalid_argument", "HKDF needs a non-empty key");
  if (length == 0 || length > 255 * 32) {
    return Status::Error("invalid_argument", "HKDF-SHA256 gives 1..8160 bytes, not " +
                                                 std::to_string(length));
  }
  EVP_KDF* kdf = EVP_KDF_fetch(nullptr, "HKDF", nullptr);
  EVP_KDF_CTX* ctx = kdf ? EVP_KDF_CTX_new(kdf) : nullptr;
  EVP_KDF_free(kdf);  // the context holds its own reference
  if (ctx == nullptr) return Status::Error("crypto", "OpenSSL has no HKDF");
  char digest[] = "SHA256";
  OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, digest, 0),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, const_cast<uint8_t*>(key.data()),
                                        key.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, const_cast<char*>(salt.data()),
                                        salt.size()),
      OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, const_cast<char*>(info.data()),
                                        info.size()),
      OSSL_PARAM_construct_end()};
  SecretBytes out(length);
  const int ok = EVP_KDF_derive(ctx, out.data(), out.size(), params);
  EVP_KDF_CTX_free(ctx);
  if (ok != 1) return Status::Error("crypto", "HKDF-SHA256 failed");
  return out;
}

}  // namespace sigmad::crypto
