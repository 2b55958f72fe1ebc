#include "common/file.h"

#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <string>

#include "support/temp_dir.h"

using sigmad::ReadRegularFile;
using sigmad::testing::TempDir;
using sigmad::testing::WriteFile;

TEST_CASE("ReadRegularFile reads a whole regular file", "[common][file]") {
  TempDir dir;
  std::string text(200000, 'x');  // more than one read() buffer
  text[12345] = '\0';             // binary-safe
  WriteFile(dir / "f", text);
  auto r = ReadRegularFile(dir / "f", 1u << 20);
  REQUIRE(r.ok());
  CHECK(r.value() == text);

  WriteFile(dir / "empty", "");
  auto e = ReadRegularFile(dir / "empty", 10);
  REQUIRE(e.ok());
  CHECK(e.value().empty());
}

TEST_CASE("ReadRegularFile refuses what is not a small regular file", "[common][file]") {
  TempDir dir;
  SECTION("missing") {
    auto r = ReadRegularFile(dir / "absent", 100);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "cannot read: No such file or directory");
  }
  SECTION("a directory") {
    auto r = ReadRegularFile(dir.path(), 100);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "cannot read: it is a directory");
  }
  SECTION("a FIFO, without blocking on it") {
    REQUIRE(mkfifo((dir / "fifo").c_str(), 0600) == 0);
    auto r = ReadRegularFile(dir / "fifo", 100);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "cannot read: not a regular file");
  }
  SECTION("a character device") {
    auto r = ReadRegularFile("/dev/zero", 100);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "cannot read: not a regular file");
  }
  SECTION("over the size limit") {
    WriteFile(dir / "big", std::string(101, 'x'));
    auto r = ReadRegularFile(dir / "big", 100);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().message() == "cannot read: 101 bytes is over the limit of 100");
    WriteFile(dir / "exact", std::string(100, 'x'));
    CHECK(ReadRegularFile(dir / "exact", 100).ok());
  }
  SECTION("no read permission") {
    if (geteuid() == 0) SUCCEED("root reads anything; nothing to check");
    else {
      WriteFile(dir / "secret", "x");
      REQUIRE(chmod((dir / "secret").c_str(), 0) == 0);
      auto r = ReadRegularFile(dir / "secret", 100);
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().message() == "cannot read: Permission denied");
    }
  }
}
