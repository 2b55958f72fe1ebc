#include "store/keys.h"

#include <catch2/catch.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace {

using sigmad::store::KeyBuilder;
using sigmad::store::KeyReader;

}  // namespace

TEST_CASE("KeyBuilder writes fixed-width big-endian integers", "[store][keys]") {
  CHECK(KeyBuilder().U8(0xAB).Build() == std::string("\xAB", 1));
  CHECK(KeyBuilder().U32(0x01020304u).Build() == std::string("\x01\x02\x03\x04", 4));
  CHECK(KeyBuilder().U32(2).Build() == std::string("\0\0\0\x02", 4));
  CHECK(KeyBuilder().U64(0x0102030405060708ull).Build() ==
        std::string("\x01\x02\x03\x04\x05\x06\x07\x08", 8));
  CHECK(KeyBuilder().U64(~uint64_t{0}).Build() == std::string(8, '\xFF'));
  CHECK(KeyBuilder().U8(1).Bytes(std::string("i\0d", 3)).U32(7).Build() ==
        std::string("\x01i\0d\0\0\0\x07", 8));
  CHECK(KeyBuilder().size() == 0u);
  CHECK(KeyBuilder().U8(1).U32(2).U64(3).size() == 13u);
}

TEST_CASE("Bytewise order of encoded keys is numeric order", "[store][keys]") {
  const std::vector<uint64_t> ascending = {
      0, 1, 2, 10, 255, 256, 65535, 65536, 0xFFFFFFFFu, 0x100000000, 1ull << 63, ~0ull};
  for (size_t i = 0; i + 1 < ascending.size(); ++i) {
    INFO(ascending[i] << " < " << ascending[i + 1]);
    CHECK(KeyBuilder().U64(ascending[i]).Build() < KeyBuilder().U64(ascending[i + 1]).Build());
    // A shared leading component keeps the order of the next one.
    CHECK(KeyBuilder().U8(3).U64(ascending[i]).Build() <
          KeyBuilder().U8(3).U64(ascending[i + 1]).Build());
    if (ascending[i + 1] <= 0xFFFFFFFFu) {
      CHECK(KeyBuilder().U32(static_cast<uint32_t>(ascending[i])).Build() <
            KeyBuilder().U32(static_cast<uint32_t>(ascending[i + 1])).Build());
    }
  }
  // As decimal text, 10 would sort before 2: the reason for fixed-width binary.
  CHECK(std::string("10") < std::string("2"));
  CHECK(KeyBuilder().U32(2).Build() < KeyBuilder().U32(10).Build());
}

TEST_CASE("KeyReader parses what KeyBuilder wrote", "[store][keys]") {
  const std::string id = "0123456789abcdef";
  const std::string key =
      KeyBuilder().U8(7).U32(0xDEADBEEFu).U64(1ull << 40).Bytes(id).Bytes("tail").Build();
  KeyReader r(key);
  CHECK(r.remaining() == key.size());
  CHECK(r.U8() == std::optional<uint8_t>(7));
  CHECK(r.U32() == std::optional<uint32_t>(0xDEADBEEFu));
  CHECK(r.U64() == std::optional<uint64_t>(1ull << 40));
  CHECK(r.Bytes(16) == std::optional<std::string_view>(id));
  CHECK_FALSE(r.done());
  CHECK(r.Rest() == "tail");
  CHECK(r.done());
  CHECK(r.remaining() == 0u);
  CHECK(r.Rest().empty());
}

TEST_CASE("KeyReader rejects truncated keys and consumes nothing", "[store][keys]") {
  const std::string full = KeyBuilder().U8(1).U32(2).U64(3).Build();  // 13 bytes

  SECTION("every truncation fails at the component it cuts") {
    for (size_t len = 0; len < full.size(); ++len) {
      INFO("length " << len);
      KeyReader r(std::string_view(full).substr(0, len));
      const std::optional<uint8_t> a = r.U8();
      if (len < 1) {
        CHECK_FALSE(a);
        CHECK(r.remaining() == len);
        continue;
      }
      REQUIRE(a == std::optional<uint8_t>(1));
      const std::optional<uint32_t> b = r.U32();
      if (len < 5) {
        CHECK_FALSE(b);
        CHECK(r.remaining() == len - 1);
        continue;
      }
      REQUIRE(b == std::optional<uint32_t>(2));
      CHECK_FALSE(r.U64());
      CHECK(r.remaining() == len - 5);
    }
  }
  SECTION("Bytes past the end fails; trailing bytes leave done() false") {
    KeyReader r(full);
    CHECK_FALSE(r.Bytes(14));
    CHECK(r.remaining() == 13u);
    REQUIRE(r.Bytes(13));
    CHECK(r.done());
    CHECK_FALSE(r.U8());

    const std::string longer_key = full + "x";
    KeyReader longer(longer_key);
    REQUIRE(longer.U8());
    REQUIRE(longer.U32());
    REQUIRE(longer.U64());
    CHECK_FALSE(longer.done());
  }
}
