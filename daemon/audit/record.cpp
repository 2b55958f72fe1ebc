#include "audit/record.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdio>
#include <cstdlib>

#include "audit/bytes.h"
#include "crypto/digest.h"

namespace sigmad::audit {
namespace {

using namespace std::chrono;

[[noreturn]] void CryptoFailed(const char* what) {
  std::fprintf(stderr, "audit: OpenSSL failed to compute %s\n", what);
  std::abort();  // SHA-256 and HMAC on memory buffers cannot fail short of a broken library
}

std::string CodePoint(uint32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", cp);
  return buf;
}

// Empty when `s` is valid UTF-8 without control characters; otherwise what is wrong,
// by byte offset (never quoting the text itself).
std::string TextProblem(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto b0 = static_cast<uint8_t>(s[i]);
    uint32_t cp = 0;
    size_t len = 0;
    if (b0 < 0x80) {
      cp = b0;
      len = 1;
    } else if ((b0 & 0xE0) == 0xC0) {
      cp = b0 & 0x1Fu;
      len = 2;
    } else if ((b0 & 0xF0) == 0xE0) {
      cp = b0 & 0x0Fu;
      len = 3;
    } else if ((b0 & 0xF8) == 0xF0) {
      cp = b0 & 0x07u;
      len = 4;
    } else {
      return "is not valid UTF-8 (byte " + std::to_string(i) + ")";
    }
    if (i + len > s.size()) return "is not valid UTF-8 (byte " + std::to_string(i) + ")";
    for (size_t k = 1; k < len; ++k) {
      const auto b = static_cast<uint8_t>(s[i + k]);
      if ((b & 0xC0) != 0x80) return "is not valid UTF-8 (byte " + std::to_string(i) + ")";
      cp = (cp << 6) | (b & 0x3Fu);
    }
    const bool overlong =
        (len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000);
    if (overlong || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return "is not valid UTF-8 (byte " + std::to_string(i) + ")";
    }
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) {
      return "contains the control character " + CodePoint(cp) + " at byte " + std::to_string(i) +
             "; fields are single-line text";
    }
    i += len;
  }
  return {};
}

Status CheckText(const char* name, std::string_view value, size_t max_bytes) {
  if (value.size() > max_bytes) {
    return Status::Error(code::kInvalidRecord, std::string("audit field '") + name + "' is " +
                                                   std::to_string(value.size()) +
                                                   " bytes; the limit is " +
                                                   std::to_string(max_bytes));
  }
  if (std::string problem = TextProblem(value); !problem.empty()) {
    return Status::Error(code::kInvalidRecord,
                         std::string("audit field '") + name + "' " + problem);
  }
  return Status::Ok();
}

bool ValidOutcome(std::string_view outcome) {
  if (outcome == kOutcomeOk || outcome == kOutcomeDenied) return true;
  constexpr std::string_view kError = "error:";
  return outcome.size() > kError.size() && outcome.substr(0, kError.size()) == kError;
}

}  // namespace

Status Validate(const Fields& f) {
  struct Named {
    const char* name;
    const std::string* value;
    bool required;
  };
  for (const Named& n : {Named{"actor", &f.actor, true}, Named{"tenant", &f.tenant, false},
                         Named{"action", &f.action, true}, Named{"target", &f.target, false},
                         Named{"outcome", &f.outcome, true}, Named{"source", &f.source, false}}) {
    if (Status s = CheckText(n.name, *n.value, kMaxFieldBytes); !s.ok()) return s;
    if (n.required && n.value->empty()) {
      return Status::Error(code::kInvalidRecord,
                           std::string("audit field '") + n.name + "' is empty; it is required");
    }
  }
  if (f.details) {
    if (Status s = CheckText("details", *f.details, kMaxFieldBytes); !s.ok()) return s;
    if (f.details->empty()) {
      return Status::Error(code::kInvalidRecord,
                           "audit field 'details' is present but empty; leave it unset instead");
    }
  }
  if (!ValidOutcome(f.outcome)) {
    return Status::Error(code::kInvalidRecord,
                         "audit field 'outcome' must be \"ok\", \"denied\" or \"error:<code>\"");
  }
  return Status::Ok();
}

Status ValidateCheckpointKey(std::string_view key_id, const crypto::SecretBytes& secret) {
  if (key_id.empty()) return Status::Error(code::kInvalidKey, "checkpoint key id is empty");
  if (key_id.size() > kMaxKeyIdBytes) {
    return Status::Error(code::kInvalidKey,
                         "checkpoint key id is " + std::to_string(key_id.size()) +
                             " bytes; the limit is " + std::to_string(kMaxKeyIdBytes));
  }
  if (std::string problem = TextProblem(key_id); !problem.empty()) {
    return Status::Error(code::kInvalidKey, "checkpoint key id " + problem);
  }
  if (secret.size() < kMinCheckpointKeyBytes) {
    return Status::Error(code::kInvalidKey, "checkpoint key '" + std::string(key_id) +
                                                "' is shorter than " +
                                                std::to_string(kMinCheckpointKeyBytes) + " bytes");
  }
  return Status::Ok();
}

int64_t UnixMillis(TimePoint t) { return floor<milliseconds>(t.time_since_epoch()).count(); }

std::optional<TimePoint> FromUnixMillis(int64_t ms) {
  static const int64_t kMin = ceil<milliseconds>(TimePoint::min().time_since_epoch()).count();
  static const int64_t kMax = floor<milliseconds>(TimePoint::max().time_since_epoch()).count();
  if (ms < kMin || ms > kMax) return std::nullopt;
  return TimePoint(duration_cast<TimePoint::duration>(milliseconds(ms)));
}

std::string CanonicalBytes(const Record& r) {
  using namespace internal;
  std::string out;
  out.reserve(kDomain.size() + 16 + 7 * 4 + 3 + r.fields.actor.size() + r.fields.tenant.size() +
              r.fields.action.size() + r.fields.target.size() + r.fields.outcome.size() +
              r.fields.source.size() + (r.fields.details ? r.fields.details->size() : 0) +
              (r.checkpoint ? r.checkpoint->key_id.size() : 0) + r.prev_hash.size());
  out.append(kDomain);
  PutU64(out, r.seq);
  PutU64(out, static_cast<uint64_t>(UnixMillis(r.fields.time)));
  PutStr(out, r.fields.actor);
  PutStr(out, r.fields.tenant);
  PutStr(out, r.fields.action);
  PutStr(out, r.fields.target);
  PutStr(out, r.fields.outcome);
  PutStr(out, r.fields.source);
  PutOpt(out, r.fields.details);
  PutOpt(out, r.checkpoint ? std::optional<std::string>(r.checkpoint->key_id) : std::nullopt);
  PutDigest(out, r.prev_hash);
  return out;
}

Digest ComputeHash(const Record& record) { return crypto::Sha256(CanonicalBytes(record)); }

Digest ComputeCheckpointMac(const crypto::SecretBytes& key, const Digest& hash) {
  static const uint8_t kNoKey = 0;  // HMAC() wants a non-null pointer even for 0 bytes
  Digest mac{};
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key.size() ? key.data() : &kNoKey, static_cast<int>(key.size()),
           hash.data(), hash.size(), mac.data(), &len) == nullptr ||
      len != mac.size()) {
    CryptoFailed("HMAC-SHA256");
  }
  return mac;
}

bool DigestsEqual(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string DigestHex(const Digest& d) { return crypto::HexLower(d); }

Result<Digest> ParseDigestHex(std::string_view hex) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  Digest d{};
  if (hex.size() != d.size() * 2) {
    return Status::Error("invalid_digest", "a hash is 64 hex digits; got " +
                                               std::to_string(hex.size()) + " characters");
  }
  for (size_t i = 0; i < d.size(); ++i) {
    const int hi = nibble(hex[2 * i]);
    const int lo = nibble(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) {
      return Status::Error("invalid_digest", "a hash is 64 hex digits; character " +
                                                 std::to_string(hi < 0 ? 2 * i : 2 * i + 1) +
                                                 " is not one");
    }
    d[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return d;
}

}  // namespace sigmad::audit
