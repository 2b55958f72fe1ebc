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

TEST_CASE("Sha256Hasher: pieces give the digest of the whole", "[crypto][digest]") {
  sigmad::crypto::Sha256Hasher h;
  // FIPS 180-2's two-block vector, fed in uneven pieces.
  const std::string text = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  for (size_t i = 0; i < text.size(); i += 7) h.Update(std::string_view(text).substr(i, 7));
  CHECK(HexLower(h.Finish()) == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  // Finish starts over.
  h.Update("abc");
  CHECK(HexLower(h.Finish()) == HexLower(Sha256("abc")));
  CHECK(HexLower(h.Finish()) == HexLower(Sha256("")));
}

TEST_CASE("HmacSha256: RFC 4231 test cases 1 and 2", "[crypto][digest]") {
  const std::string key1(20, '\x0b');
  CHECK(HexLower(sigmad::crypto::HmacSha256(reinterpret_cast<const uint8_t*>(key1.data()),
                                            key1.size(), "Hi There")) ==
        "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  const std::string key2 = "Jefe";
  const auto d = sigmad::crypto::HmacSha256(reinterpret_cast<const uint8_t*>(key2.data()),
                                            key2.size(), "what do ya want for nothing?");
  CHECK(HexLower(d) == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  CHECK(sigmad::crypto::DigestsEqual(d, d));
  CHECK_FALSE(sigmad::crypto::DigestsEqual(d, Sha256("")));
}
