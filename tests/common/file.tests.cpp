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

TEST_CASE("NewFile appears under its name only at Commit", "[common][file]") {
  sigmad::testing::TempDir tmp;
  const auto dir = tmp.path();
  {
    auto f = sigmad::NewFile::Create(dir, "out.bin", 0600);
    REQUIRE(f.ok());
    REQUIRE(f.value().Write("hello ").ok());
    REQUIRE(f.value().Write("world").ok());
    CHECK_FALSE(std::filesystem::exists(dir / "out.bin"));
    REQUIRE(f.value().Commit().ok());
  }
  CHECK(sigmad::testing::ReadFile(dir / "out.bin") == "hello world");
  CHECK(sigmad::testing::ModeOf(dir / "out.bin") == 0600);
  // Never replaces: a second file of that name is refused and the first stays.
  {
    auto f = sigmad::NewFile::Create(dir, "out.bin", 0600);
    REQUIRE(f.ok());
    REQUIRE(f.value().Write("other").ok());
    CHECK(f.value().Commit().code() == "exists");
  }
  CHECK(sigmad::testing::ReadFile(dir / "out.bin") == "hello world");
  // Dropped before Commit: nothing is left, not even a temp file.
  {
    auto f = sigmad::NewFile::Create(dir, "gone.bin", 0600);
    REQUIRE(f.ok());
    REQUIRE(f.value().Write("x").ok());
  }
  size_t entries = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    ++entries;
    CHECK(e.path().filename() == "out.bin");
  }
  CHECK(entries == 1);
  CHECK(sigmad::NewFile::Create(dir, "a/b", 0600).status().code() == "invalid_argument");
  CHECK(sigmad::NewFile::Create(dir / "missing", "x", 0600).status().code() == "io");
}

TEST_CASE("RemoveStaleTempFiles removes only NewFile's hidden temp files", "[common][file]") {
  sigmad::testing::TempDir tmp;
  sigmad::testing::WriteFile(tmp / ".tmp-x.sigbk-123", "partial");
  sigmad::testing::WriteFile(tmp / "keep.txt", "kept");
  auto removed = sigmad::RemoveStaleTempFiles(tmp.path());
  REQUIRE(removed.ok());
  CHECK(removed.value() == 1);
  CHECK_FALSE(std::filesystem::exists(tmp / ".tmp-x.sigbk-123"));
  CHECK(std::filesystem::exists(tmp / "keep.txt"));
}
