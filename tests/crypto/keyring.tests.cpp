#include "crypto/keyring.h"

#include <openssl/rand.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace sigmad::crypto;
using Catch::Matchers::Contains;

std::string Bytes(const SecretBytes& s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

SecretBytes RandomKey() {
  auto r = Keyring::NewDataKey();
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::unique_ptr<Keyring> MakeKeyring(const SecretBytes& kek) {
  auto r = Keyring::Create(kek.Clone());
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string SealOk(const Keyring& keyring, uint64_t tenant, const std::string& plaintext,
                   const std::string& aad) {
  std::string sealed;
  REQUIRE(keyring.Seal(tenant, plaintext, aad, &sealed).ToString() == "ok");
  return sealed;
}

// Open must fail with `code`, say `why`, and leave *out empty.
void CheckOpenFails(const Keyring& keyring, uint64_t tenant, const std::string& sealed,
                    const std::string& aad, const std::string& code, const std::string& why) {
  std::string out = "previous contents";
  const sigmad::Status s = keyring.Open(tenant, sealed, aad, &out);
  CHECK(s.code() == code);
  CHECK_THAT(s.message(), Contains(why));
  CHECK(out.empty());
}

std::string OpenOk(const Keyring& keyring, uint64_t tenant, const std::string& sealed,
                   const std::string& aad) {
  std::string out;
  const sigmad::Status s = keyring.Open(tenant, sealed, aad, &out);
  REQUIRE(s.ToString() == "ok");
  return out;
}

}  // namespace

TEST_CASE("Keyring::Create and NewDataKey", "[crypto][keyring]") {
  SECTION("the KEK must be 32 bytes") {
    for (size_t n : {size_t{0}, size_t{16}, size_t{31}, size_t{33}}) {
      INFO("KEK of " << n << " bytes");
      auto r = Keyring::Create(SecretBytes(n));
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == "invalid_key");
    }
    CHECK(Keyring::Create(SecretBytes(32)).ok());
  }
  SECTION("data keys are 32 random bytes") {
    const SecretBytes a = RandomKey();
    const SecretBytes b = RandomKey();
    CHECK(a.size() == kDataKeyBytes);
    CHECK(kDataKeyBytes == 32u);
    CHECK(Bytes(a) != Bytes(b));
    CHECK(Bytes(a) != std::string(32, '\0'));
  }
}

TEST_CASE("Keyring wraps data keys bound to tenant and term", "[crypto][keyring]") {
  const SecretBytes kek = RandomKey();
  const auto keyring = MakeKeyring(kek);
  const SecretBytes dek = RandomKey();
  auto wrapped = keyring->WrapKey(42, 3, dek);
  REQUIRE(wrapped.ok());
  CHECK(wrapped->size() == kDataKeyBytes + kSealOverhead);
  CHECK(wrapped->find(Bytes(dek)) == std::string::npos);

  SECTION("round trip, also in another keyring with the same KEK") {
    const auto same_kek = MakeKeyring(kek);
    for (const Keyring* k : {keyring.get(), same_kek.get()}) {
      auto unwrapped = k->UnwrapKey(42, 3, wrapped.value());
      REQUIRE(unwrapped.ok());
      CHECK(Bytes(unwrapped.value()) == Bytes(dek));
    }
  }
  SECTION("another tenant or term does not unwrap it") {
    struct Case {
      uint64_t tenant;
      uint32_t term;
    };
    for (const Case c :
         {Case{43, 3}, Case{42, 4}, Case{42, 2}, Case{0, 3}, Case{3, 42}, Case{42ull << 32, 3}}) {
      INFO("tenant " << c.tenant << " term " << c.term);
      auto r = keyring->UnwrapKey(c.tenant, c.term, wrapped.value());
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == "integrity");
      CHECK_THAT(r.status().message(), Contains("tenant " + std::to_string(c.tenant) + " term " +
                                                std::to_string(c.term)));
      CHECK(r.status().message().find(Bytes(dek)) == std::string::npos);
    }
  }
  SECTION("another KEK, or an altered blob, does not unwrap it") {
    auto other = MakeKeyring(RandomKey())->UnwrapKey(42, 3, wrapped.value());
    REQUIRE_FALSE(other.ok());
    CHECK(other.status().code() == "integrity");
    std::string bad = wrapped.value();
    bad[kSealHeaderBytes] = static_cast<char>(bad[kSealHeaderBytes] ^ 0x01);
    CHECK(keyring->UnwrapKey(42, 3, bad).status().code() == "integrity");
    CHECK(keyring->UnwrapKey(42, 3, "").status().code() == "integrity");
  }
  SECTION("a data key must be 32 bytes") {
    auto r = keyring->WrapKey(42, 3, SecretBytes(16));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "invalid_key");
  }
  SECTION("a data value sealed under the KEK is not a wrapped key") {
    // Same KEK, same plaintext bytes, but sealed without the wrap binding.
    REQUIRE(keyring->AddKey(1, 1, kek.Clone(), true).ok());
    const std::string sealed = SealOk(*keyring, 1, Bytes(dek), "");
    CHECK(keyring->UnwrapKey(1, 1, sealed).status().code() == "integrity");
  }
}

TEST_CASE("Keyring's key check tells a wrong master key", "[crypto][keyring]") {
  const SecretBytes kek = RandomKey();
  const auto keyring = MakeKeyring(kek);
  auto check = keyring->MakeKekCheck();
  REQUIRE(check.ok());
  CHECK(keyring->MakeKekCheck().value() != check.value());  // random nonce

  CHECK(keyring->VerifyKekCheck(check.value()).ToString() == "ok");
  CHECK(MakeKeyring(kek)->VerifyKekCheck(check.value()).ToString() == "ok");

  SECTION("another master key") {
    const sigmad::Status s = MakeKeyring(RandomKey())->VerifyKekCheck(check.value());
    CHECK(s.code() == "wrong_master_key");
    CHECK(s.message() ==
          "the master key does not match this store (it cannot open the store's key check)");
  }
  SECTION("an altered check does not open either") {
    std::string bad = check.value();
    bad.back() = static_cast<char>(bad.back() ^ 0x01);
    CHECK(keyring->VerifyKekCheck(bad).code() == "wrong_master_key");
  }
  SECTION("a damaged check is an integrity error, not a wrong key") {
    for (const std::string& bad :
         {std::string(), check->substr(0, 10), "\x02" + check->substr(1)}) {
      const sigmad::Status s = keyring->VerifyKekCheck(bad);
      CHECK(s.code() == "integrity");
      CHECK_THAT(s.message(), Contains("key check is damaged"));
    }
  }
  SECTION("a wrapped key is not a key check") {
    CHECK(keyring->VerifyKekCheck(keyring->WrapKey(0, 1, RandomKey()).value()).code() ==
          "wrong_master_key");
  }
}

TEST_CASE("Keyring seals under the tenant's current term", "[crypto][keyring]") {
  const auto keyring = MakeKeyring(RandomKey());
  constexpr uint64_t kTenant = 7;

  SECTION("a tenant without keys cannot seal or open") {
    std::string out = "previous contents";
    const sigmad::Status s = keyring->Seal(kTenant, "x", "", &out);
    CHECK(s.code() == "no_key");
    CHECK_THAT(s.message(), Contains("tenant 7"));
    CHECK(out.empty());
    CHECK_FALSE(keyring->CurrentTerm(kTenant).has_value());
    CHECK(keyring->Terms(kTenant).empty());
  }
  SECTION("an installed but not current term opens but does not seal") {
    const auto other = MakeKeyring(RandomKey());
    const SecretBytes dek = RandomKey();
    REQUIRE(other->AddKey(kTenant, 1, dek.Clone(), true).ok());
    const std::string sealed = SealOk(*other, kTenant, "old value", "a");

    REQUIRE(keyring->AddKey(kTenant, 1, dek.Clone(), false).ok());
    CHECK_FALSE(keyring->CurrentTerm(kTenant).has_value());
    CHECK(OpenOk(*keyring, kTenant, sealed, "a") == "old value");
    std::string out;
    CHECK(keyring->Seal(kTenant, "x", "", &out).code() == "no_key");
  }
  SECTION("rotation: new seals carry term 2, term 1 values still open") {
    REQUIRE(keyring->AddKey(kTenant, 1, RandomKey(), true).ok());
    const std::string v1 = SealOk(*keyring, kTenant, "written under term 1", "row:1");
    CHECK(Aead::PeekTerm(v1).value() == 1u);

    REQUIRE(keyring->AddKey(kTenant, 2, RandomKey(), true).ok());
    CHECK(keyring->CurrentTerm(kTenant) == 2u);
    CHECK(keyring->Terms(kTenant) == std::vector<uint32_t>{1, 2});
    const std::string v2 = SealOk(*keyring, kTenant, "written under term 2", "row:2");
    CHECK(Aead::PeekTerm(v2).value() == 2u);

    CHECK(OpenOk(*keyring, kTenant, v1, "row:1") == "written under term 1");
    CHECK(OpenOk(*keyring, kTenant, v2, "row:2") == "written under term 2");
    CheckOpenFails(*keyring, kTenant, v2, "row:1", "integrity", "authentication");
  }
  SECTION("a value of an unknown term is no_key, naming tenant and term") {
    REQUIRE(keyring->AddKey(kTenant, 1, RandomKey(), true).ok());
    std::string sealed = SealOk(*keyring, kTenant, "x", "");
    sealed[4] = '\x09';  // the header now claims term 9
    CheckOpenFails(*keyring, kTenant, sealed, "", "no_key", "tenant 7 term 9");
  }
  SECTION("damaged values are integrity errors") {
    REQUIRE(keyring->AddKey(kTenant, 1, RandomKey(), true).ok());
    const std::string sealed = SealOk(*keyring, kTenant, "some value", "aad");
    CheckOpenFails(*keyring, kTenant, sealed.substr(0, 20), "aad", "integrity", "too short");
    std::string bad = sealed;
    bad[kSealHeaderBytes + 2] = static_cast<char>(bad[kSealHeaderBytes + 2] ^ 0x01);
    CheckOpenFails(*keyring, kTenant, bad, "aad", "integrity", "authentication");
  }
}

TEST_CASE("Keyring keeps tenants apart", "[crypto][keyring]") {
  const auto keyring = MakeKeyring(RandomKey());
  REQUIRE(keyring->AddKey(1, 1, RandomKey(), true).ok());
  REQUIRE(keyring->AddKey(2, 1, RandomKey(), true).ok());
  REQUIRE(keyring->AddKey(3, 5, RandomKey(), true).ok());
  const std::string a = SealOk(*keyring, 1, "tenant one's secret", "row:1");
  CHECK(OpenOk(*keyring, 1, a, "row:1") == "tenant one's secret");

  SECTION("same term, other tenant: authentication fails") {
    CheckOpenFails(*keyring, 2, a, "row:1", "integrity", "authentication");
  }
  SECTION("other tenant without that term: no_key") {
    CheckOpenFails(*keyring, 3, a, "row:1", "no_key", "tenant 3 term 1");
    CheckOpenFails(*keyring, 99, a, "row:1", "no_key", "tenant 99 term 1");
  }
  SECTION("ForgetTenant makes its values unopenable and leaves others alone") {
    const std::string b = SealOk(*keyring, 2, "tenant two's secret", "row:1");
    keyring->ForgetTenant(1);
    CheckOpenFails(*keyring, 1, a, "row:1", "no_key", "tenant 1 term 1");
    CHECK_FALSE(keyring->CurrentTerm(1).has_value());
    CHECK(keyring->Terms(1).empty());
    CHECK(keyring->ExportDataKey(1, 1).status().code() == "no_key");
    std::string out;
    CHECK(keyring->Seal(1, "x", "", &out).code() == "no_key");
    CHECK(OpenOk(*keyring, 2, b, "row:1") == "tenant two's secret");
    keyring->ForgetTenant(1);  // forgetting twice is harmless
    keyring->ForgetTenant(12345);
    // The same DEK can't come back by accident: a fresh term 1 is a fresh key.
    REQUIRE(keyring->AddKey(1, 1, RandomKey(), true).ok());
    CheckOpenFails(*keyring, 1, a, "row:1", "integrity", "authentication");
  }
}

TEST_CASE("Keyring::AddKey refuses conflicting keys and changes nothing", "[crypto][keyring]") {
  const auto keyring = MakeKeyring(RandomKey());
  REQUIRE(keyring->AddKey(7, 1, RandomKey(), false).ok());
  REQUIRE(keyring->AddKey(7, 3, RandomKey(), true).ok());
  const std::string v3 = SealOk(*keyring, 7, "value", "");

  struct Case {
    uint32_t term;
    bool make_current;
    const char* code;
    const char* why;
  };
  for (const Case c : {Case{1, false, "key_exists", "tenant 7 term 1 already has a data key"},
                       Case{3, true, "key_exists", "tenant 7 term 3 already has a data key"},
                       Case{3, false, "key_exists", "already has a data key"},
                       Case{2, true, "invalid_term", "current term is already 3"},
                       Case{0, false, "invalid_term", "terms start at 1"},
                       Case{0, true, "invalid_term", "terms start at 1"}}) {
    INFO("term " << c.term << (c.make_current ? " current" : ""));
    const sigmad::Status s = keyring->AddKey(7, c.term, RandomKey(), c.make_current);
    CHECK(s.code() == c.code);
    CHECK_THAT(s.message(), Contains(c.why));
  }
  const sigmad::Status short_key = keyring->AddKey(7, 4, SecretBytes(31), true);
  CHECK(short_key.code() == "invalid_key");
  CHECK(keyring->AddKey(8, 1, RandomKey(), false).ok());  // refusals elsewhere don't block

  // Nothing changed for tenant 7: same terms, same current, same key.
  CHECK(keyring->CurrentTerm(7) == 3u);
  CHECK(keyring->Terms(7) == std::vector<uint32_t>{1, 3});
  CHECK(OpenOk(*keyring, 7, v3, "") == "value");
  // A refused first key leaves no empty tenant behind.
  CHECK(keyring->AddKey(9, 0, RandomKey(), true).code() == "invalid_term");
  CHECK(keyring->Terms(9).empty());
  // Non-current terms may arrive in any order, and a higher one can become current later.
  CHECK(keyring->AddKey(7, 2, RandomKey(), false).ok());
  CHECK(keyring->AddKey(7, 4, RandomKey(), true).ok());
  CHECK(keyring->Terms(7) == std::vector<uint32_t>{1, 2, 3, 4});
  CHECK(keyring->CurrentTerm(7) == 4u);
}

TEST_CASE("Keyring supports master-key rotation by re-wrapping", "[crypto][keyring]") {
  const SecretBytes old_kek = RandomKey();
  const SecretBytes new_kek = RandomKey();
  const auto keyring = MakeKeyring(old_kek);
  const SecretBytes dek = RandomKey();
  REQUIRE(keyring->AddKey(5, 2, dek.Clone(), true).ok());
  const std::string sealed = SealOk(*keyring, 5, "survives rotation", "row");

  auto exported = keyring->ExportDataKey(5, 2);
  REQUIRE(exported.ok());
  CHECK(Bytes(exported.value()) == Bytes(dek));
  CHECK(keyring->ExportDataKey(5, 3).status().code() == "no_key");

  auto rewrapped = Keyring::WrapKeyUnder(new_kek, 5, 2, exported.value());
  REQUIRE(rewrapped.ok());
  CHECK(keyring->UnwrapKey(5, 2, rewrapped.value()).status().code() == "integrity");
  CHECK(Keyring::WrapKeyUnder(SecretBytes(8), 5, 2, dek).status().code() == "invalid_key");

  const auto restarted = MakeKeyring(new_kek);
  auto unwrapped = restarted->UnwrapKey(5, 2, rewrapped.value());
  REQUIRE(unwrapped.ok());
  REQUIRE(restarted->AddKey(5, 2, std::move(unwrapped).value(), true).ok());
  CHECK(OpenOk(*restarted, 5, sealed, "row") == "survives rotation");
}

TEST_CASE("Keyring serves readers while keys are added and forgotten", "[crypto][keyring]") {
  const auto keyring = MakeKeyring(RandomKey());
  REQUIRE(keyring->AddKey(1, 1, RandomKey(), true).ok());
  const std::string before = SealOk(*keyring, 1, "sealed before", "a");

  constexpr int kReaders = 4;
  constexpr int kIterations = 300;
  std::atomic<int> failures{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> readers;
  for (int t = 0; t < kReaders; ++t) {
    readers.emplace_back([&, t] {
      std::string sealed, opened;
      for (int i = 0; i < kIterations; ++i) {
        const std::string plaintext = "reader " + std::to_string(t) + " #" + std::to_string(i);
        const bool ok = keyring->Seal(1, plaintext, "a", &sealed).ok() &&
                        keyring->Open(1, sealed, "a", &opened).ok() && opened == plaintext &&
                        keyring->Open(1, before, "a", &opened).ok() && opened == "sealed before";
        if (!ok) failures++;
      }
    });
  }
  // The writer rotates tenant 1 and churns tenant 2 meanwhile.
  std::thread writer([&] {
    for (uint32_t term = 2; term <= 20; ++term) {
      if (!keyring->AddKey(1, term, RandomKey(), true).ok()) failures++;
      if (!keyring->AddKey(2, 1, RandomKey(), true).ok()) failures++;
      keyring->ForgetTenant(2);
    }
    done = true;
  });
  for (std::thread& th : readers) th.join();
  writer.join();
  CHECK(done.load());
  CHECK(failures.load() == 0);
  CHECK(keyring->CurrentTerm(1) == 20u);
  CHECK(keyring->Terms(1).size() == 20u);
  CHECK(keyring->Terms(2).empty());
}

TEST_CASE("Keyring derives keys from the current master key", "[crypto][keyring]") {
  const SecretBytes kek = RandomKey(), other = RandomKey();
  auto ring = MakeKeyring(kek);
  auto a = ring->DeriveFromKek("sigmad backup v1", 32);
  auto again = ring->DeriveFromKek("sigmad backup v1", 32);
  auto label = ring->DeriveFromKek("sigmad other v1", 32);
  REQUIRE(a.ok());
  REQUIRE(again.ok());
  REQUIRE(label.ok());
  CHECK(a.value().size() == 32);
  CHECK(Bytes(a.value()) == Bytes(again.value()));
  CHECK(Bytes(a.value()) != Bytes(label.value()));
  CHECK(Bytes(a.value()) != Bytes(kek));
  // The same label under the same master key in another keyring gives the same key...
  auto same = MakeKeyring(kek)->DeriveFromKek("sigmad backup v1", 32);
  REQUIRE(same.ok());
  CHECK(Bytes(same.value()) == Bytes(a.value()));
  // ...and after a master-key rotation another one.
  REQUIRE(ring->ReplaceKek(other.Clone()).ok());
  auto rotated = ring->DeriveFromKek("sigmad backup v1", 32);
  REQUIRE(rotated.ok());
  CHECK(Bytes(rotated.value()) != Bytes(a.value()));
  CHECK(ring->DeriveFromKek("sigmad backup v1", 0).status().code() == "invalid_argument");
}
