#include "backup/manifest.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <chrono>
#include <exception>
#include <sstream>

#include "common/time_format.h"
#include "crypto/digest.h"
#include "crypto/random.h"

namespace sigmad::backup {
namespace {

namespace chr = std::chrono;
constexpr std::string_view kMacPrefix = "hmac-sha256 ";

std::string Mac(std::string_view body, const crypto::SecretBytes& key) {
  return crypto::HexLower(crypto::HmacSha256(key.data(), key.size(), body));
}

Status Bad(const std::string& what) { return Status::Error("integrity", "the manifest " + what); }

bool IsHex(std::string_view s, size_t length) {
  if (s.size() != length) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> GenerationsOf(chr::system_clock::time_point created) {
  const chr::year_month_day day{chr::floor<chr::days>(created)};
  const chr::weekday wd{chr::sys_days(day)};
  std::vector<std::string> out = {"daily"};
  if (wd == chr::Sunday) {
    out.push_back("weekly");
    if (static_cast<unsigned>(day.day()) <= 7) out.push_back("monthly");
  }
  return out;
}

Result<std::string> NewBackupId(chr::system_clock::time_point created) {
  auto random = crypto::RandomHex(4);
  if (!random.ok()) return random.status();
  // FormatUtc: 2026-12-03T01:00:00.123Z -> 20261203T010000Z
  const std::string utc = FormatUtc(created);
  std::string id;
  for (char c : utc.substr(0, 19)) {
    if (c != '-' && c != ':') id.push_back(c);
  }
  return id + "Z-" + random.value();
}

bool IsBackupId(std::string_view id) {
  // YYYYMMDDTHHMMSSZ-xxxxxxxx
  if (id.size() != 25 || id[8] != 'T' || id[15] != 'Z' || id[16] != '-') return false;
  for (size_t i : {0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13, 14}) {
    if (id[i] < '0' || id[i] > '9') return false;
  }
  return IsHex(id.substr(17), 8);
}

std::string EncodeManifest(const Manifest& m, const crypto::SecretBytes& mac_key) {
  Poco::JSON::Object o(Poco::JSON_PRESERVE_KEY_ORDER);
  o.set("format", kManifestFormat);
  o.set("id", m.id);
  o.set("created", FormatUtc(m.created));
  o.set("file", m.stream_file());
  o.set("size", static_cast<Poco::UInt64>(m.size));
  o.set("store_bytes", static_cast<Poco::UInt64>(m.store_bytes));
  o.set("sha256", m.sha256);
  o.set("stream_id", m.stream_id);
  o.set("chunk_bytes", m.chunk_bytes);
  o.set("schema_version", m.schema_version);
  o.set("key_term", m.key_term);
  o.set("master_key_id", m.master_key_id);
  Poco::JSON::Array::Ptr gens = new Poco::JSON::Array;
  for (const auto& g : m.generations) gens->add(g);
  o.set("generations", gens);
  o.set("sigmad_version", m.sigmad_version);
  std::ostringstream body;
  o.stringify(body);
  return body.str() + "\n" + std::string(kMacPrefix) + Mac(body.str(), mac_key) + "\n";
}

Result<Manifest> ParseManifest(std::string_view bytes, const crypto::SecretBytes& mac_key,
                               std::string_view master_key_id) {
  const size_t nl = bytes.find('\n');
  if (nl == std::string_view::npos) return Bad("is cut short (no MAC line)");
  const std::string_view body = bytes.substr(0, nl);
  std::string_view mac_line = bytes.substr(nl + 1);
  if (!mac_line.empty() && mac_line.back() == '\n') mac_line.remove_suffix(1);
  if (mac_line.substr(0, kMacPrefix.size()) != kMacPrefix || !IsHex(mac_line.substr(12), 64)) {
    return Bad("has no valid MAC line (\"hmac-sha256 <64 hex digits>\")");
  }
  Manifest m;
  Poco::JSON::Object::Ptr o;
  try {
    Poco::JSON::Parser parser;
    o = parser.parse(std::string(body)).extract<Poco::JSON::Object::Ptr>();
  } catch (const std::exception& e) {
    return Bad(std::string("is not valid JSON: ") + e.what());
  }
  // The key id first (unauthenticated, to say which key is needed), then the MAC, and
  // only then the fields: nothing unauthenticated is used beyond this message.
  try {
    const std::string key_id = o->optValue<std::string>("master_key_id", "");
    if (key_id != master_key_id) {
      // Unauthenticated: echoed only if it has the form of an id.
      return Status::Error("wrong_master_key",
                           "the backup was taken under master key " +
                               (IsHex(key_id, 16) ? key_id : std::string("(not named)")) +
                               "; this store's master key is " + std::string(master_key_id));
    }
  } catch (const std::exception&) {
    return Bad("names no master key");
  }
  const auto want = crypto::HmacSha256(mac_key.data(), mac_key.size(), body);
  if (crypto::HexLower(want) != mac_line.substr(12)) {
    return Bad("does not match its MAC: it was edited or damaged");
  }
  try {
    if (o->getValue<std::string>("format") != kManifestFormat) {
      return Bad("has format '" + o->getValue<std::string>("format") + "', not " + kManifestFormat);
    }
    m.id = o->getValue<std::string>("id");
    auto created = ParseUtc(o->getValue<std::string>("created"));
    if (!created.ok()) return Bad("has a bad time: " + created.status().message());
    m.created = created.value();
    m.size = o->getValue<Poco::UInt64>("size");
    m.store_bytes = o->getValue<Poco::UInt64>("store_bytes");
    m.sha256 = o->getValue<std::string>("sha256");
    m.stream_id = o->getValue<std::string>("stream_id");
    m.chunk_bytes = o->getValue<uint32_t>("chunk_bytes");
    m.schema_version = o->getValue<uint32_t>("schema_version");
    m.key_term = o->getValue<uint32_t>("key_term");
    m.master_key_id = o->getValue<std::string>("master_key_id");
    for (const auto& g : *o->getArray("generations")) m.generations.push_back(g.toString());
    m.sigmad_version = o->getValue<std::string>("sigmad_version");
    if (o->getValue<std::string>("file") != m.stream_file()) return Bad("names another file");
  } catch (const std::exception& e) {
    return Bad(std::string("has a missing or malformed field: ") + e.what());
  }
  if (!IsBackupId(m.id)) return Bad("has a malformed id '" + m.id + "'");
  if (!IsHex(m.sha256, 64)) return Bad("has a malformed sha256");
  return m;
}

Result<chr::system_clock::time_point> StatedCreated(std::string_view bytes) {
  try {
    Poco::JSON::Parser parser;
    auto o = parser.parse(std::string(bytes.substr(0, bytes.find('\n'))))
                 .extract<Poco::JSON::Object::Ptr>();
    auto created = ParseUtc(o->getValue<std::string>("created"));
    if (!created.ok()) return Bad("has a bad time: " + created.status().message());
    return created.value();
  } catch (const std::exception& e) {
    return Bad(std::string("states no creation time: ") + e.what());
  }
}

}  // namespace sigmad::backup
