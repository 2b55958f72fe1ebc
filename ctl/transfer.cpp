#include "transfer.h"

#include <Poco/Base64Encoder.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string_view>

#include "render.h"

namespace sigmad::ctl {
namespace {

using Poco::Dynamic::Var;
using Poco::JSON::Object;

// Raw bytes per dataset.upload call: 6 MiB, 8 MiB in base64, well inside the default
// 16 MiB request limit.
constexpr size_t kUploadPartBytes = size_t{6} << 20;

std::string Base64(std::string_view bytes) {
  std::ostringstream out;
  Poco::Base64Encoder encoder(out);
  encoder.rdbuf()->setLineLength(0);
  encoder.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  encoder.close();
  return out.str();
}

}  // namespace

Result<std::string> ReadWhole(const std::string& what, const std::string& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) return Status::Error("io", "cannot read " + what + " " + file);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return Status::Error("io", "cannot read " + what + " " + file);
  return bytes;
}

Result<std::string> Upload(const GlobalOptions& g, const std::string& bytes) {
  std::string upload;
  for (size_t at = 0; at == 0 || at < bytes.size(); at += kUploadPartBytes) {
    Object::Ptr p = new Object;
    if (!upload.empty()) p->set("upload", upload);
    p->set("data", Base64(std::string_view(bytes).substr(at, kUploadPartBytes)));
    auto r = CallDaemon(g, "dataset.upload", p);
    if (!r.ok()) return r.status();
    upload = r->extract<Object::Ptr>()->getValue<std::string>("upload");
    if (bytes.empty()) break;
  }
  return upload;
}

Result<Object::Ptr> Download(const GlobalOptions& g, const std::string& method,
                             Object::Ptr params, const std::string& output) {
  std::string tmp;
  int fd = -1;
  if (!output.empty()) {
    const size_t slash = output.rfind('/');
    tmp = (slash == std::string::npos ? std::string() : output.substr(0, slash + 1)) +
          ".sigmactl-download-XXXXXX";
    fd = mkstemp(tmp.data());
    if (fd < 0) {
      return Status::Error("io", "cannot create a file beside " + output + ": " +
                                     std::strerror(errno));
    }
  }
  size_t written = 0;
  bool write_failed = false;
  const bool tty = isatty(2) == 1 && !g.json;
  bool drew = false;
  auto r = CallDaemon(g, method, params, [&](const Var& p) {
    auto o = p.extract<Object::Ptr>();
    if (!o->has("chunk")) {  // other progress: a bar on a terminal
      if (tty) std::cerr << "\r\033[K" << FormatProgress(p) << std::flush;
      drew = drew || tty;
      return;
    }
    const std::string chunk = o->getValue<std::string>("chunk");
    written += chunk.size();
    if (fd < 0) {
      write_failed = write_failed || !(std::cout << chunk);
      return;
    }
    for (size_t at = 0; at < chunk.size() && !write_failed;) {
      const ssize_t n = write(fd, chunk.data() + at, chunk.size() - at);
      if (n < 0 && errno == EINTR) continue;
      write_failed = n <= 0;
      at += n > 0 ? static_cast<size_t>(n) : 0;
    }
  });
  if (drew) std::cerr << "\r\033[K" << std::flush;
  if (fd < 0 && !std::cout.flush()) write_failed = true;
  const bool complete = r.ok() && !write_failed &&
                        r->extract<Object::Ptr>()->optValue<Poco::UInt64>("bytes", 0) == written;
  if (fd >= 0) {
    const bool synced = fsync(fd) == 0;
    close(fd);
    if (!complete || !synced || std::rename(tmp.c_str(), output.c_str()) != 0) {
      std::remove(tmp.c_str());
      if (!r.ok()) return r.status();
      return Status::Error("io", "cannot write " + output + " (nothing written)");
    }
  } else if (!r.ok()) {
    return r.status();
  } else if (write_failed) {
    return Status::Error("io", "cannot write standard output (a full disk or a closed pipe?); "
                               "what was written is incomplete");
  } else if (!complete) {
    return Status::Error("io", "the transfer ended early");
  }
  return r->extract<Object::Ptr>();
}

}  // namespace sigmad::ctl
