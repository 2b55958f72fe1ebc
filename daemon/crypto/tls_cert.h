// Self-signed TLS certificates for dev mode, and reading facts about a certificate.
//
// Dev mode needs a certificate for the HTTPS API without any operator step: an ECDSA
// P-256 key and a certificate for localhost, 127.0.0.1 and ::1, valid for a year.
// The private key is written 0600, the certificate 0644, both exclusively.
// Thread-safety: pure functions.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>

#include "common/status.h"

namespace sigmad::crypto {

struct CertificateInfo {
  std::string subject;
  std::chrono::system_clock::time_point not_after;
  std::string sha256_fingerprint;  // "AB:CD:..."
};

Status CreateSelfSignedCertificate(const std::filesystem::path& cert_path,
                                   const std::filesystem::path& key_path,
                                   std::chrono::system_clock::time_point now,
                                   std::chrono::hours validity = std::chrono::hours(24 * 365));

Result<CertificateInfo> InspectCertificate(const std::filesystem::path& cert_path);

}  // namespace sigmad::crypto
