#include "crypto/kdf.h"

#include <catch2/catch.hpp>
#include <string>

#include "crypto/digest.h"

namespace sigmad::crypto {
namespace {

std::string Hex(const SecretBytes& b) { return HexLower(b.data(), b.size()); }

SecretBytes Filled(size_t n, uint8_t value) {
  SecretBytes b(n);
  for (size_t i = 0; i < n; ++i) b.data()[i] = value;
  return b;
}

TEST_CASE("DeriveKey is HKDF-SHA256: RFC 5869 test cases 1 and 3", "[crypto]") {
  const SecretBytes ikm = Filled(22, 0x0b);
  std::string salt, info;
  for (char c = 0x00; c <= 0x0c; ++c) salt += c;
  for (int c = 0xf0; c <= 0xf9; ++c) info += static_cast<char>(c);
  const Result<SecretBytes> one = DeriveKey(ikm, salt, info, 42);
  REQUIRE(one.ok());
  CHECK(Hex(one.value()) ==
        "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
  const Result<SecretBytes> three = DeriveKey(ikm, "", "", 42);
  REQUIRE(three.ok());
  CHECK(Hex(three.value()) ==
        "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8");
}

TEST_CASE("DeriveKey: other labels give other keys, bad arguments are refused", "[crypto]") {
  const SecretBytes key = Filled(32, 7);
  const std::string a = Hex(DeriveKey(key, "", "sigmad backup v1", 32).value());
  CHECK(a.size() == 64);
  CHECK(a != Hex(DeriveKey(key, "", "sigmad backup v2", 32).value()));
  CHECK(a == Hex(DeriveKey(key, "", "sigmad backup v1", 32).value()));
  CHECK(DeriveKey(SecretBytes(), "", "x", 32).status().ToString() ==
        "invalid_argument: HKDF needs a non-empty key");
  CHECK(DeriveKey(key, "", "x", 0).status().ToString() ==
        "invalid_argument: HKDF-SHA256 gives 1..8160 bytes, not 0");
  CHECK(DeriveKey(key, "", "x", 8161).status().code() == "invalid_argument");
  CHECK(DeriveKey(key, "", "x", 8160).ok());
}

}  // namespace
}  // namespace sigmad::crypto
