#include "crypto/digest.h"

#include <catch2/catch.hpp>
#include <string>

namespace {

using sigmad::crypto::HexLower;
using sigmad::crypto::Sha256;

TEST_CASE("Sha256 and HexLower: the FIPS 180-2 test vectors", "[crypto][digest]") {
  CHECK(HexLower(Sha256("abc")) ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(HexLower(Sha256("")) ==
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  const std::string with_nul("a\0b", 3);  // bytes, not a C string
  CHECK(HexLower(Sha256(with_nul)) != HexLower(Sha256("a")));
  const uint8_t bytes[] = {0x00, 0x0f, 0xa5, 0xff};
  CHECK(HexLower(bytes, sizeof bytes) == "000fa5ff");
  CHECK(HexLower(bytes, 0).empty());
}

}  // namespace
