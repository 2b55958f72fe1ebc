#include "crypto/tls_cert.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <regex>
#include <string>

#include "support/temp_dir.h"

namespace {

using namespace sigmad::crypto;
using namespace std::chrono;
using sigmad::testing::ModeOf;
using sigmad::testing::ReadFile;
using sigmad::testing::ScopedUmask;
using sigmad::testing::TempDir;
using sigmad::testing::WriteFile;
namespace fs = std::filesystem;

// A fixed "now", deliberately not the real time, with a sub-second part.
system_clock::time_point Now() {
  return sys_days{year{2026} / November / 23} + hours(7) + minutes(5) + milliseconds(123);
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<X509, X509Free> ReadCert(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (!f) return nullptr;
  std::unique_ptr<X509, X509Free> x(PEM_read_X509(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return x;
}

std::unique_ptr<EVP_PKEY, PkeyFree> ReadKey(const fs::path& p) {
  FILE* f = std::fopen(p.c_str(), "r");
  if (!f) return nullptr;
  std::unique_ptr<EVP_PKEY, PkeyFree> k(PEM_read_PrivateKey(f, nullptr, nullptr, nullptr));
  std::fclose(f);
  return k;
}

}  // namespace

TEST_CASE("CreateSelfSignedCertificate writes a key and a localhost certificate",
          "[crypto][tls]") {
  TempDir dir;
  const fs::path cert = dir / "tls.crt";
  const fs::path key = dir / "tls.key";
  const ScopedUmask mask(022);  // the usual service umask; the modes below assume it

  REQUIRE(CreateSelfSignedCertificate(cert, key, Now()).ToString() == "ok");

  SECTION("file modes") {
    CHECK(ModeOf(key) == 0600u);
    CHECK(ModeOf(cert) == 0644u);
  }
  SECTION("InspectCertificate reads subject, expiry and fingerprint") {
    auto info = InspectCertificate(cert);
    REQUIRE(info.ok());
    CHECK_THAT(info->subject, Catch::Matchers::Contains("CN=localhost"));

    const auto want = Now() + hours(24 * 365);
    const auto diff = duration_cast<seconds>(info->not_after - want);
    INFO("not_after - (now + 365d) = " << diff.count() << "s");
    CHECK(diff <= minutes(2));
    CHECK(diff >= -minutes(2));

    CHECK(info->sha256_fingerprint.size() == 95u);
    CHECK(std::regex_match(info->sha256_fingerprint,
                           std::regex("^([0-9A-F]{2}:){31}[0-9A-F]{2}$")));

    // The fingerprint is the SHA-256 of this certificate's DER encoding.
    auto x = ReadCert(cert);
    REQUIRE(x);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    REQUIRE(X509_digest(x.get(), EVP_sha256(), md, &len) == 1);
    std::string hex;
    char byte[4];
    for (unsigned i = 0; i < len; ++i) {
      std::snprintf(byte, sizeof byte, "%02X", static_cast<unsigned>(md[i]));
      hex += (i ? ":" : "") + std::string(byte);
    }
    CHECK(info->sha256_fingerprint == hex);
  }
  SECTION("the key belongs to the certificate, which names localhost and loopbacks") {
    auto x = ReadCert(cert);
    auto k = ReadKey(key);
    REQUIRE(x);
    REQUIRE(k);
    CHECK(X509_check_private_key(x.get(), k.get()) == 1);
    CHECK(EVP_PKEY_is_a(k.get(), "EC"));
    CHECK(X509_check_host(x.get(), "localhost", 0, 0, nullptr) == 1);
    CHECK(X509_check_ip_asc(x.get(), "127.0.0.1", 0) == 1);
    CHECK(X509_check_ip_asc(x.get(), "::1", 0) == 1);
    CHECK(X509_check_host(x.get(), "example.com", 0, 0, nullptr) != 1);
    // Valid from (about) now: not valid an hour earlier, valid a minute later.
    time_t before = system_clock::to_time_t(Now() - hours(1));
    time_t after = system_clock::to_time_t(Now() + minutes(1));
    CHECK(X509_cmp_time(X509_get0_notBefore(x.get()), &before) > 0);
    CHECK(X509_cmp_time(X509_get0_notBefore(x.get()), &after) < 0);
  }
  SECTION("a custom validity") {
    const fs::path cert2 = dir / "short.crt";
    const fs::path key2 = dir / "short.key";
    REQUIRE(CreateSelfSignedCertificate(cert2, key2, Now(), hours(24)).ok());
    auto info = InspectCertificate(cert2);
    REQUIRE(info.ok());
    const auto diff = duration_cast<seconds>(info->not_after - (Now() + hours(24)));
    CHECK(diff <= minutes(2));
    CHECK(diff >= -minutes(2));
  }
  SECTION("creating again over existing files fails and changes nothing") {
    const std::string cert_before = ReadFile(cert);
    const std::string key_before = ReadFile(key);
    const sigmad::Status s = CreateSelfSignedCertificate(cert, key, Now());
    CHECK_FALSE(s.ok());
    CHECK(s.code() == "tls");
    CHECK(ReadFile(cert) == cert_before);
    CHECK(ReadFile(key) == key_before);
    CHECK(ModeOf(key) == 0600u);
    CHECK(ModeOf(cert) == 0644u);
  }
  SECTION("an existing certificate alone: the new key is not left behind") {
    const fs::path key2 = dir / "fresh.key";
    const std::string cert_before = ReadFile(cert);
    CHECK_FALSE(CreateSelfSignedCertificate(cert, key2, Now()).ok());
    CHECK_FALSE(fs::exists(key2));
    CHECK(ReadFile(cert) == cert_before);
  }
  SECTION("an existing key alone: no certificate is written") {
    const fs::path cert2 = dir / "fresh.crt";
    const std::string key_before = ReadFile(key);
    CHECK_FALSE(CreateSelfSignedCertificate(cert2, key, Now()).ok());
    CHECK_FALSE(fs::exists(cert2));
    CHECK(ReadFile(key) == key_before);
  }
}

TEST_CASE("InspectCertificate fails on files that are not certificates", "[crypto][tls]") {
  TempDir dir;
  SECTION("not PEM") {
    const fs::path p = dir / "junk.crt";
    WriteFile(p, "this is not a certificate\n");
    auto r = InspectCertificate(p);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "tls");
    CHECK_THAT(r.status().message(), Catch::Matchers::Contains("is not a PEM certificate"));
  }
  SECTION("a PEM private key is not a certificate") {
    const ScopedUmask mask(022);
    REQUIRE(CreateSelfSignedCertificate(dir / "c.crt", dir / "c.key", Now()).ok());
    auto r = InspectCertificate(dir / "c.key");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Matchers::Contains("is not a PEM certificate"));
  }
  SECTION("missing") {
    auto r = InspectCertificate(dir / "absent.crt");
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == (dir / "absent.crt").string() +
                                       ": cannot read: No such file or directory");
  }
  SECTION("a FIFO fails at once instead of waiting for a writer") {
    REQUIRE(mkfifo((dir / "fifo.crt").c_str(), 0600) == 0);
    auto r = InspectCertificate(dir / "fifo.crt");
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Matchers::EndsWith("cannot read: not a regular file"));
  }
  SECTION("a directory") {
    auto r = InspectCertificate(dir.path());
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Matchers::EndsWith("cannot read: it is a directory"));
  }
}
