#include "app/uploads.h"

#include <Poco/Base64Decoder.h>
#include <Poco/JSON/Object.h>

#include <algorithm>
#include <sstream>

#include "app/params.h"
#include "crypto/random.h"

namespace sigmad::app {
namespace {

Status NoSuchUpload() {
  return BadParam("upload", "names no upload in progress (they end " +
                                std::to_string(kUploadIdleTimeout.count()) +
                                " minutes after their last part, and with the import or "
                                "prediction that uses them)");
}

// Strict RFC 4648 base64: groups of 4 of A-Z a-z 0-9 + /, '=' only as the padding of
// the last group.
Result<std::string> DecodeBase64(const std::string& name, const std::string& text) {
  const size_t pad = text.size() - std::min(text.size(), text.find_last_not_of('=') + 1);
  bool ok = text.size() % 4 == 0 && pad <= 2;
  for (size_t i = 0; ok && i < text.size() - pad; ++i) {
    const char c = text[i];
    ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         c == '+' || c == '/';
  }
  if (!ok) return BadParam(name, "must be base64: groups of four of A-Z a-z 0-9 + /, "
                                 "padded with '=' at the end only");
  try {
    std::istringstream in(text);
    Poco::Base64Decoder decoder(in);
    return std::string((std::istreambuf_iterator<char>(decoder)),
                       std::istreambuf_iterator<char>());
  } catch (const Poco::Exception& e) {
    return BadParam(name, "is not valid base64: " + e.displayText());
  }
}

}  // namespace

Result<std::pair<std::string, size_t>> Uploads::Append(const std::string& id, std::string bytes) {
  std::lock_guard lock(mu_);
  Expire();
  if (auto it = parts_.find(id);
      it != parts_.end() && it->second.bytes.size() + bytes.size() > kMaxUploadFileBytes) {
    total_ -= it->second.bytes.size();
    parts_.erase(it);
    return Status::Error("too_large", "a CSV file may have at most " +
                                          std::to_string(kMaxUploadFileBytes >> 20) +
                                          " MiB; the upload was dropped");
  }
  if (total_ + bytes.size() > kMaxUploadBytes) {
    return Status::Error("too_large", "uploads in progress would hold more than " +
                                          std::to_string(kMaxUploadBytes >> 20) +
                                          " MiB; finish or wait for the others");
  }
  std::string key = id;
  if (key.empty()) {
    auto fresh = crypto::RandomHex(16);
    if (!fresh.ok()) return fresh.status();
    key = fresh.value();
  } else if (!parts_.count(key)) {
    return NoSuchUpload();
  }
  Part& p = parts_[key];
  total_ += bytes.size();
  p.bytes.append(bytes);
  p.touched = clock_.Monotonic();
  return std::make_pair(key, p.bytes.size());
}

Result<std::string> Uploads::Take(const std::string& id) {
  std::lock_guard lock(mu_);
  Expire();
  auto it = parts_.find(id);
  if (it == parts_.end()) return NoSuchUpload();
  std::string bytes = std::move(it->second.bytes);
  total_ -= bytes.size();
  parts_.erase(it);
  return bytes;
}

void Uploads::Expire() {
  for (auto it = parts_.begin(); it != parts_.end();) {
    if (clock_.Monotonic() - it->second.touched > kUploadIdleTimeout) {
      total_ -= it->second.bytes.size();
      it = parts_.erase(it);
    } else {
      ++it;
    }
  }
}

void RegisterUploadMethod(control::Dispatcher& d, Uploads& uploads_in) {
  Uploads* uploads = &uploads_in;
  d.Register("dataset.upload", [uploads](const control::Call& call) -> Result<Poco::Dynamic::Var> {
    if (Status s = call.OnlyParams({"upload", "data"}); !s.ok()) return s;
    auto id = OptString(call, "upload");
    if (!id.ok()) return id.status();
    auto data = RequiredString(call, "data");
    if (!data.ok()) return data.status();
    auto bytes = DecodeBase64("data", data.value());
    if (!bytes.ok()) return bytes.status();
    auto r = uploads->Append(id.value(), std::move(bytes).value());
    if (!r.ok()) return r.status();
    Poco::JSON::Object::Ptr o = NewObject();
    o->set("upload", r.value().first);
    o->set("bytes", static_cast<Poco::UInt64>(r.value().second));
    return Poco::Dynamic::Var(o);
  });
}

Status SendCsv(const control::Call& call, const std::string& csv) {
  for (size_t at = 0; at < csv.size();) {
    size_t end = csv.size();
    if (csv.size() - at > kSendChunkBytes) {
      size_t nl = csv.rfind('\n', at + kSendChunkBytes - 1);
      if (nl == std::string::npos || nl < at) nl = csv.find('\n', at + kSendChunkBytes);
      if (nl != std::string::npos) end = nl + 1;
    }
    Poco::JSON::Object::Ptr p = NewObject();
    p->set("chunk", csv.substr(at, end - at));
    if (!call.Progress(p)) return Status::Error("cancelled", "client went away");
    at = end;
  }
  return Status::Ok();
}

}  // namespace sigmad::app
