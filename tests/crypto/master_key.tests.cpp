#include "crypto/master_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <future>
#include <string>

#include "support/temp_dir.h"

namespace {

using namespace sigmad::crypto;
using sigmad::testing::ModeOf;
using sigmad::testing::ReadFile;
using sigmad::testing::TempDir;
using sigmad::testing::WriteFile;
namespace fs = std::filesystem;

std::string Bytes(const SecretBytes& s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

void WriteKeyFile(const fs::path& p, const std::string& content, unsigned mode) {
  WriteFile(p, content);
  REQUIRE(chmod(p.c_str(), static_cast<mode_t>(mode)) == 0);
}

}  // namespace

TEST_CASE("CreateMasterKey writes 32 random bytes, mode 0400", "[crypto][master_key]") {
  TempDir dir;
  const fs::path key = dir / "master.key";

  REQUIRE(CreateMasterKey(key).ToString() == "ok");
  CHECK(fs::is_regular_file(fs::symlink_status(key)));
  CHECK(ModeOf(key) == 0400u);
  CHECK(fs::file_size(key) == kMasterKeyBytes);
  CHECK(kMasterKeyBytes == 32u);

  auto loaded = LoadMasterKey(key);
  REQUIRE(loaded.ok());
  CHECK(loaded->size() == 32u);
  CHECK(Bytes(loaded.value()) == ReadFile(key));

  SECTION("two keys differ") {
    const fs::path other = dir / "other.key";
    REQUIRE(CreateMasterKey(other).ok());
    CHECK(ReadFile(other) != ReadFile(key));
    CHECK(ReadFile(key) != std::string(32, '\0'));
  }
  SECTION("an existing key is never replaced") {
    const std::string before = ReadFile(key);
    const sigmad::Status s = CreateMasterKey(key);
    CHECK_FALSE(s.ok());
    CHECK(s.code() == "master_key");
    CHECK_THAT(s.message(), Catch::Matchers::Contains(key.string()));
    CHECK(ReadFile(key) == before);
    CHECK(ModeOf(key) == 0400u);
  }
  SECTION("a symlink at the path is not followed") {
    const fs::path link = dir / "link.key";
    const fs::path target = dir / "target";
    fs::create_symlink(target, link);
    CHECK_FALSE(CreateMasterKey(link).ok());
    CHECK_FALSE(fs::exists(target));
  }
}

TEST_CASE("LoadMasterKey refuses key files others can reach", "[crypto][master_key]") {
  TempDir dir;
  const fs::path key = dir / "master.key";
  const std::string content(32, 'k');

  SECTION("0400 and 0600 are accepted") {
    for (unsigned mode : {0400u, 0600u}) {
      WriteKeyFile(key, content, mode);
      auto r = LoadMasterKey(key);
      INFO("mode " << std::oct << mode);
      REQUIRE(r.ok());
      CHECK(Bytes(r.value()) == content);
    }
  }
  SECTION("group or other access is refused, naming the mode and the fix") {
    struct Case {
      unsigned mode;
      const char* text;
    };
    for (const Case c : {Case{0440, "0440"}, Case{0404, "0404"}, Case{0420, "0420"},
                         Case{0402, "0402"}, Case{0644, "0644"}, Case{0401, "0401"}}) {
      INFO("mode " << c.text);
      WriteKeyFile(key, content, c.mode);
      auto r = LoadMasterKey(key);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == "master_key");
      CHECK_THAT(r.status().message(), Catch::Matchers::Contains(std::string("mode ") + c.text));
      CHECK_THAT(r.status().message(),
                 Catch::Matchers::Contains("chmod 0400 " + key.string()));
    }
  }
}

TEST_CASE("LoadMasterKey takes a systemd credential whatever its group bits",
          "[crypto][master_key]") {
  // systemd may grant the service's uid read access to a credential by an ACL, whose
  // mask shows as group bits; the credential dir is systemd's to guard.
  TempDir dir;
  const fs::path key = dir / "master-key";
  const std::string content(32, 'c');
  for (unsigned mode : {0400u, 0440u}) {
    INFO("mode " << std::oct << mode);
    WriteKeyFile(key, content, mode);
    auto r = LoadMasterKey(key, KeyFileAccess::kSystemdCredential);
    REQUIRE(r.ok());
    CHECK(Bytes(r.value()) == content);
    CHECK(LoadMasterKey(key).ok() == (mode == 0400u));  // a key file: owner only
  }
  SECTION("others may not read it") {
    WriteKeyFile(key, content, 0404);
    auto r = LoadMasterKey(key, KeyFileAccess::kSystemdCredential);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(),
               Catch::Matchers::Contains("has mode 0404; others must have no access"));
  }
  SECTION("every other check still holds") {
    WriteKeyFile(key, std::string(31, 'c'), 0400);
    auto r = LoadMasterKey(key, KeyFileAccess::kSystemdCredential);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Matchers::Contains("holds 31 bytes"));
  }
}

TEST_CASE("LoadMasterKey refuses malformed key files", "[crypto][master_key]") {
  TempDir dir;
  const fs::path key = dir / "master.key";

  SECTION("wrong length") {
    for (size_t n : {size_t{0}, size_t{31}, size_t{33}, size_t{64}}) {
      INFO("length " << n);
      WriteKeyFile(key, std::string(n, 'k'), 0400);
      auto r = LoadMasterKey(key);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == "master_key");
      CHECK_THAT(r.status().message(),
                 Catch::Matchers::Contains("holds " + std::to_string(n) + " bytes"));
      CHECK_THAT(r.status().message(), Catch::Matchers::Contains("32"));
      fs::remove(key);
    }
  }
  SECTION("a directory") {
    fs::create_directory(key);
    auto r = LoadMasterKey(key);
    REQUIRE_FALSE(r.ok());
    CHECK_THAT(r.status().message(), Catch::Matchers::Contains("is not a regular file"));
  }
  SECTION("a symlink to a good key") {
    const fs::path real = dir / "real.key";
    REQUIRE(CreateMasterKey(real).ok());
    fs::create_symlink(real, key);
    CHECK_FALSE(LoadMasterKey(key).ok());
  }
  SECTION("a missing file") {
    auto r = LoadMasterKey(key);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "master_key");
    CHECK_THAT(r.status().message(), Catch::Matchers::Contains(key.string()) &&
                                         Catch::Matchers::Contains("No such file or directory"));
  }
}

// A FIFO is not a regular file, so it must be refused like a directory. The refusal
// must not depend on someone opening the FIFO's other end.
TEST_CASE("LoadMasterKey refuses a FIFO without blocking", "[crypto][master_key]") {
  TempDir dir;
  const fs::path key = dir / "master.key";
  REQUIRE(mkfifo(key.c_str(), 0400) == 0);

  auto pending = std::async(std::launch::async, [key] { return LoadMasterKey(key); });
  const bool returned = pending.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
  INFO("LoadMasterKey(FIFO) was still blocked in open() after 10 s");
  CHECK(returned);
  // If it blocked in open(), release it by opening the write end so the test can finish.
  while (pending.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
    const int w = open(key.c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    if (w >= 0) close(w);
  }
  auto r = pending.get();
  REQUIRE_FALSE(r.ok());
  CHECK_THAT(r.status().message(), Catch::Matchers::Contains("is not a regular file"));
}

TEST_CASE("SecretBytes moves and clones explicitly", "[crypto][secret]") {
  SecretBytes a(4);
  for (size_t i = 0; i < a.size(); ++i) a.data()[i] = static_cast<uint8_t>(i + 1);

  SECTION("move construction empties the source") {
    SecretBytes b(std::move(a));
    CHECK(b.size() == 4u);
    CHECK(b.data()[3] == 4);
    CHECK(a.size() == 0u);  // NOLINT(bugprone-use-after-move): checking the moved-from state
  }
  SECTION("move assignment empties the source and replaces the target") {
    SecretBytes b(10);
    b = std::move(a);
    CHECK(b.size() == 4u);
    CHECK(b.data()[0] == 1);
    CHECK(a.size() == 0u);  // NOLINT(bugprone-use-after-move)
  }
  SECTION("Clone copies, and the copies are independent") {
    SecretBytes c = a.Clone();
    REQUIRE(c.size() == 4u);
    CHECK(Bytes(c) == Bytes(a));
    CHECK(c.data() != a.data());
    c.data()[0] = 99;
    CHECK(a.data()[0] == 1);
  }
  SECTION("default is empty") {
    SecretBytes e;
    CHECK(e.size() == 0u);
    CHECK(e.Clone().size() == 0u);
  }
}
