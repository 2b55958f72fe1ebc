#include "crypto/tls_cert.h"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>

#include "common/file.h"

namespace sigmad::crypto {
namespace {

constexpr size_t kMaxCertificateBytes = 1u << 20;  // a PEM chain is a few KiB

template <typename T, void (*F)(T*)>
struct Deleter {
  void operator()(T* p) const { F(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

std::string OpensslError(const std::string& what) {
  const unsigned long e = ERR_get_error();
  char buf[256] = "unknown error";
  if (e != 0) ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return what + ": " + buf;
}

bool AddExtension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// Opens `path` exclusively with `mode` and hands a FILE* to `write`.
Status WriteExclusive(const std::filesystem::path& path, mode_t mode,
                      const std::function<bool(FILE*)>& write) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) {
    return Status::Error("tls", "cannot create " + path.string() + ": " + std::strerror(errno));
  }
  // The umask may have narrowed `mode`; the caller's mode is the one that must hold.
  if (fchmod(fd, mode) != 0) {
    const int err = errno;
    close(fd);
    unlink(path.c_str());
    return Status::Error("tls", "cannot set mode of " + path.string() + ": " + std::strerror(err));
  }
  FILE* f = fdopen(fd, "w");
  if (!f) {
    close(fd);
    return Status::Error("tls", "cannot open " + path.string() + ": " + std::strerror(errno));
  }
  const bool wrote = write(f);
  const bool flushed = std::fflush(f) == 0 && fsync(fileno(f)) == 0;
  std::fclose(f);
  if (!wrote || !flushed) {
    unlink(path.c_str());
    return Status::Error("tls", OpensslError("cannot write " + path.string()));
  }
  return Status::Ok();
}

}  // namespace

Status CreateSelfSignedCertificate(const std::filesystem::path& cert_path,
                                   const std::filesystem::path& key_path,
                                   std::chrono::system_clock::time_point now,
                                   std::chrono::hours validity) {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return Status::Error("tls", OpensslError("cannot generate a P-256 key"));

  X509Ptr cert(X509_new());
  if (!cert) return Status::Error("tls", OpensslError("cannot allocate a certificate"));
  X509_set_version(cert.get(), 2);  // v3

  unsigned char serial[16];
  if (RAND_bytes(serial, sizeof serial) != 1) {
    return Status::Error("tls", OpensslError("cannot draw a serial number"));
  }
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);

  time_t start = std::chrono::system_clock::to_time_t(now) - 60;  // tolerate skew
  X509_time_adj_ex(X509_getm_notBefore(cert.get()), 0, 0, &start);
  X509_time_adj_ex(X509_getm_notAfter(cert.get()), 0,
                   static_cast<long>(std::chrono::seconds(validity).count() + 60), &start);

  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("sigmad dev mode"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());

  if (!AddExtension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !AddExtension(cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !AddExtension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !AddExtension(cert.get(), NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1,IP:::1") ||
      !AddExtension(cert.get(), NID_subject_key_identifier, "hash")) {
    return Status::Error("tls", OpensslError("cannot add certificate extensions"));
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return Status::Error("tls", OpensslError("cannot sign the certificate"));
  }

  Status s = WriteExclusive(key_path, 0600, [&](FILE* f) {
    return PEM_write_PrivateKey(f, key.get(), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  });
  if (!s.ok()) return s;
  s = WriteExclusive(cert_path, 0644, [&](FILE* f) { return PEM_write_X509(f, cert.get()) == 1; });
  if (!s.ok()) unlink(key_path.c_str());
  return s;
}

Result<CertificateInfo> InspectCertificate(const std::filesystem::path& cert_path) {
  Result<std::string> pem = ReadRegularFile(cert_path, kMaxCertificateBytes);
  if (!pem.ok()) return Status::Error("tls", cert_path.string() + ": " + pem.status().message());
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(pem.value().data(), static_cast<int>(pem.value().size())), &BIO_free);
  if (!bio) return Status::Error("tls", OpensslError("out of memory"));
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  if (!cert) return Status::Error("tls", OpensslError(cert_path.string() + " is not a PEM certificate"));

  CertificateInfo info;
  char subject[512];
  X509_NAME_oneline(X509_get_subject_name(cert.get()), subject, sizeof subject);
  info.subject = subject;

  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert.get()), &tm) != 1) {
    return Status::Error("tls", OpensslError("cannot read the expiry of " + cert_path.string()));
  }
  info.not_after = std::chrono::system_clock::from_time_t(timegm(&tm));

  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert.get(), EVP_sha256(), md, &len);
  static const char* hex = "0123456789ABCDEF";
  for (unsigned i = 0; i < len; ++i) {
    if (i) info.sha256_fingerprint += ':';
    info.sha256_fingerprint += hex[md[i] >> 4];
    info.sha256_fingerprint += hex[md[i] & 15];
  }
  return info;
}

}  // namespace sigmad::crypto
