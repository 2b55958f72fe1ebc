#include "crypto/aead.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace sigmad::crypto;
using Catch::Matchers::Contains;

SecretBytes RandomKey() {
  SecretBytes key(kAeadKeyBytes);
  REQUIRE(RAND_bytes(key.data(), static_cast<int>(key.size())) == 1);
  return key;
}

std::unique_ptr<Aead> MakeAead(const SecretBytes& key) {
  auto r = Aead::Create(key);
  REQUIRE(r.ok());
  return std::move(r).value();
}

// n bytes that differ from position to position (and from seed to seed).
std::string Pattern(size_t n, unsigned seed = 7) {
  std::string s(n, '\0');
  for (size_t i = 0; i < n; ++i) s[i] = static_cast<char>((i * 31 + seed) & 0xff);
  return s;
}

std::string SealOk(const Aead& aead, uint32_t term, const std::string& plaintext,
                   const std::string& aad) {
  std::string sealed;
  const sigmad::Status s = aead.Seal(term, plaintext, aad, &sealed);
  REQUIRE(s.ToString() == "ok");
  return sealed;
}

// Opens `sealed` with a fresh OpenSSL context, independently of Aead, following the
// format aead.h documents: nonce at bytes 5..16, aad = header || aad, tag at the end.
std::optional<std::string> ReferenceOpen(const SecretBytes& key, const std::string& sealed,
                                         const std::string& aad) {
  if (sealed.size() < kSealOverhead) return std::nullopt;
  const auto* p = reinterpret_cast<const unsigned char*>(sealed.data());
  const int n = static_cast<int>(sealed.size() - kSealOverhead);
  std::string tag = sealed.substr(sealed.size() - kSealTagBytes);
  std::string plain(static_cast<size_t>(n), '\0');
  unsigned char final_block[16];
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  const bool ok =
      ctx != nullptr &&
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN, 12, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx, nullptr, nullptr, key.data(), p + 5) == 1 &&
      EVP_DecryptUpdate(ctx, nullptr, &len, p, 17) == 1 &&
      (aad.empty() ||
       EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(aad.data()),
                         static_cast<int>(aad.size())) == 1) &&
      (n == 0 || EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plain.data()), &len,
                                   p + 17, n) == 1) &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, 16, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx, final_block, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) return std::nullopt;
  return plain;
}

// Open must fail with "integrity", say `why`, and leave *out empty.
void CheckOpenFails(const Aead& aead, const std::string& sealed, const std::string& aad,
                    const std::string& why) {
  std::string out = "previous contents";
  const sigmad::Status s = aead.Open(sealed, aad, &out);
  CHECK(s.code() == "integrity");
  CHECK_THAT(s.message(), Contains(why));
  CHECK(out.empty());
}

}  // namespace

TEST_CASE("Aead::Create accepts only 32-byte keys", "[crypto][aead]") {
  CHECK(kSealHeaderBytes == 17u);
  CHECK(kSealOverhead == 33u);
  CHECK(kSealVersion == 1);
  for (size_t n : {size_t{0}, size_t{16}, size_t{31}, size_t{33}, size_t{64}}) {
    INFO("key of " << n << " bytes");
    auto r = Aead::Create(SecretBytes(n));
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "invalid_key");
    CHECK_THAT(r.status().message(), Contains("not " + std::to_string(n)));
  }
  CHECK(Aead::Create(SecretBytes(32)).ok());
}

TEST_CASE("Aead seals and opens values of every size", "[crypto][aead]") {
  const SecretBytes key = RandomKey();
  const auto aead = MakeAead(key);
  const std::string aad = "tenant=42;table=events;row=7";

  for (size_t n :
       {size_t{0}, size_t{1}, size_t{255}, size_t{4096}, size_t{65536}, size_t{1} << 20}) {
    INFO("plaintext of " << n << " bytes");
    const std::string plaintext = Pattern(n);
    const std::string sealed = SealOk(*aead, 0x01020304, plaintext, aad);

    REQUIRE(sealed.size() == n + kSealOverhead);
    CHECK(sealed.substr(0, 5) == std::string("\x01\x01\x02\x03\x04", 5));
    if (n >= 16) CHECK(sealed.substr(kSealHeaderBytes, n) != plaintext);

    std::string opened = "previous contents";
    REQUIRE(aead->Open(sealed, aad, &opened).ToString() == "ok");
    CHECK(opened == plaintext);
    CHECK(ReferenceOpen(key, sealed, aad) == plaintext);  // the documented format, exactly
    auto term = Aead::PeekTerm(sealed);
    REQUIRE(term.ok());
    CHECK(term.value() == 0x01020304u);
  }
}

TEST_CASE("Aead nonces are random: two seals of one plaintext differ", "[crypto][aead]") {
  const SecretBytes key = RandomKey();
  const auto aead = MakeAead(key);
  const std::string a = SealOk(*aead, 1, "same plaintext", "aad");
  const std::string b = SealOk(*aead, 1, "same plaintext", "aad");
  CHECK(a != b);
  CHECK(a.substr(5, kSealNonceBytes) != b.substr(5, kSealNonceBytes));
  CHECK(ReferenceOpen(key, a, "aad") == "same plaintext");
  CHECK(ReferenceOpen(key, b, "aad") == "same plaintext");
}

TEST_CASE("Aead never hands out a nonce twice", "[crypto][aead]") {
  // Nonces are drawn in batches; these seals span many refills and two keys.
  const auto a = MakeAead(RandomKey());
  const auto b = MakeAead(RandomKey());
  std::set<std::string> nonces;
  constexpr int kSeals = 2000;
  for (int i = 0; i < kSeals; ++i) {
    nonces.insert(SealOk(i % 2 ? *a : *b, 1, "v", "").substr(5, kSealNonceBytes));
  }
  CHECK(nonces.size() == static_cast<size_t>(kSeals));
}

TEST_CASE("Aead: a forked child does not reuse its parent's nonces", "[crypto][aead]") {
  const auto aead = MakeAead(RandomKey());
  SealOk(*aead, 1, "before fork", "");  // this thread now holds unused nonces

  int fds[2];
  REQUIRE(pipe(fds) == 0);
  const pid_t child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {  // no Catch assertions here: report through the pipe and exit code
    close(fds[0]);
    std::string sealed;
    const bool ok =
        aead->Seal(1, "in child", "", &sealed).ok() &&
        write(fds[1], sealed.data() + 5, kSealNonceBytes) == static_cast<ssize_t>(kSealNonceBytes);
    _exit(ok ? 0 : 1);
  }
  close(fds[1]);
  const std::string parent_nonce = SealOk(*aead, 1, "in parent", "").substr(5, kSealNonceBytes);
  std::string child_nonce(kSealNonceBytes, '\0');
  const ssize_t got = read(fds[0], child_nonce.data(), child_nonce.size());
  close(fds[0]);
  int status = 0;
  REQUIRE(waitpid(child, &status, 0) == child);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  REQUIRE(got == static_cast<ssize_t>(kSealNonceBytes));
  CHECK(child_nonce != parent_nonce);
}

TEST_CASE("Aead::Open refuses every single-byte change", "[crypto][aead]") {
  const auto aead = MakeAead(RandomKey());
  const std::string aad = "row:7";

  SECTION("a small value: every position") {
    const std::string sealed = SealOk(*aead, 3, "attack at dawn, tenant 42", aad);
    for (size_t i = 0; i < sealed.size(); ++i) {
      INFO("byte " << i << " of " << sealed.size() << " flipped");
      std::string bad = sealed;
      bad[i] = static_cast<char>(bad[i] ^ 0x01);
      CheckOpenFails(*aead, bad, aad, i == 0 ? "unknown format version 0" : "authentication");
    }
  }
  SECTION("a 64 KiB value: header, nonce, ciphertext and tag positions") {
    const size_t n = 65536;
    const std::string sealed = SealOk(*aead, 3, Pattern(n), aad);
    std::vector<size_t> positions;
    for (size_t i = 1; i < kSealHeaderBytes; ++i) positions.push_back(i);  // term and nonce
    for (size_t i : {size_t{0}, size_t{1}, n / 2, n - 1}) positions.push_back(kSealHeaderBytes + i);
    for (size_t i = 0; i < kSealTagBytes; ++i) positions.push_back(kSealHeaderBytes + n + i);
    for (size_t i : positions) {
      for (int mask : {0x01, 0x80}) {
        INFO("byte " << i << " xor " << mask);
        std::string bad = sealed;
        bad[i] = static_cast<char>(bad[i] ^ mask);
        CheckOpenFails(*aead, bad, aad, "authentication");
      }
    }
  }
}

TEST_CASE("Aead::Open refuses truncated, extended and mismatched values", "[crypto][aead]") {
  const SecretBytes key = RandomKey();
  const auto aead = MakeAead(key);
  const std::string plaintext = "the quick brown fox";
  const std::string aad = "row:7";
  const std::string sealed = SealOk(*aead, 5, plaintext, aad);
  REQUIRE(ReferenceOpen(key, sealed, aad) == plaintext);

  SECTION("every truncation") {
    for (size_t len = 0; len < sealed.size(); ++len) {
      INFO("truncated to " << len << " bytes");
      CheckOpenFails(*aead, sealed.substr(0, len), aad,
                     len < kSealOverhead ? "too short" : "authentication");
    }
  }
  SECTION("a byte appended") {
    CheckOpenFails(*aead, sealed + '\0', aad, "authentication");
    CheckOpenFails(*aead, sealed + 'x', aad, "authentication");
  }
  SECTION("other associated data") {
    for (const std::string& other : {std::string(), std::string("row:8"), std::string("row:7 "),
                                     std::string("row:7\0", 6), std::string("Row:7")}) {
      INFO("aad '" << other << "'");
      CheckOpenFails(*aead, sealed, other, "authentication");
    }
    const std::string no_aad = SealOk(*aead, 5, plaintext, "");
    CheckOpenFails(*aead, no_aad, aad, "authentication");
  }
  SECTION("another key") { CheckOpenFails(*MakeAead(RandomKey()), sealed, aad, "authentication"); }
  SECTION("a rewritten term") {
    std::string bad = sealed;
    bad[4] = '\x06';  // term 5 -> 6: the header is authenticated
    REQUIRE(Aead::PeekTerm(bad).value() == 6u);
    CheckOpenFails(*aead, bad, aad, "authentication");
  }
  SECTION("another version") {
    for (char version : {'\0', '\x02', '\xff'}) {
      std::string bad = sealed;
      bad[0] = version;
      INFO("version " << static_cast<int>(static_cast<unsigned char>(version)));
      CheckOpenFails(*aead, bad, aad, "unknown format version");
    }
  }
  SECTION("messages hold neither plaintext nor aad") {
    std::string out;
    const sigmad::Status s = aead->Open(sealed, "wrong", &out);
    REQUIRE_FALSE(s.ok());
    CHECK(s.message().find(plaintext) == std::string::npos);
    CHECK(s.message().find("row:7") == std::string::npos);
  }
}

TEST_CASE("Aead::PeekTerm reads the term and checks the header", "[crypto][aead]") {
  const auto aead = MakeAead(RandomKey());
  for (uint32_t term : {0u, 1u, 2u, 0x01020304u, 0xffffffffu}) {
    INFO("term " << term);
    auto r = Aead::PeekTerm(SealOk(*aead, term, "x", ""));
    REQUIRE(r.ok());
    CHECK(r.value() == term);
  }
  SECTION("too short") {
    for (size_t len : {size_t{0}, size_t{5}, size_t{17}, kSealOverhead - 1}) {
      auto r = Aead::PeekTerm(std::string(len, '\x01'));
      REQUIRE_FALSE(r.ok());
      CHECK(r.status().code() == "integrity");
      CHECK_THAT(r.status().message(), Contains("is " + std::to_string(len) + " bytes, too short"));
    }
    CHECK(Aead::PeekTerm(std::string(kSealOverhead, '\x01')).ok());
  }
  SECTION("another version") {
    std::string sealed = SealOk(*aead, 9, "x", "");
    sealed[0] = '\x02';
    auto r = Aead::PeekTerm(sealed);
    REQUIRE_FALSE(r.ok());
    CHECK(r.status().code() == "integrity");
    CHECK_THAT(r.status().message(), Contains("unknown format version 2"));
  }
}

TEST_CASE("Aead seals and opens in place when input and output are one string", "[crypto][aead]") {
  const SecretBytes key = RandomKey();
  const auto aead = MakeAead(key);
  const std::string plaintext = Pattern(1000, 3);
  std::string buffer = plaintext;
  REQUIRE(aead->Seal(4, buffer, "aad", &buffer).ok());
  REQUIRE(buffer.size() == plaintext.size() + kSealOverhead);
  CHECK(ReferenceOpen(key, buffer, "aad") == plaintext);
  REQUIRE(aead->Open(buffer, "aad", &buffer).ok());
  CHECK(buffer == plaintext);

  // The aad taken from the output string.
  std::string out = "aad";
  REQUIRE(aead->Seal(4, plaintext, out, &out).ok());
  CHECK(ReferenceOpen(key, out, "aad") == plaintext);
}

TEST_CASE("Aead is safe to share between threads", "[crypto][aead]") {
  const SecretBytes key = RandomKey();
  const auto aead = MakeAead(key);
  const std::string shared = SealOk(*aead, 1, "sealed before the threads", "shared");

  // More threads than the context pool holds, so contexts are also made and freed.
  for (const int threads : {4, 40}) {
    INFO(threads << " threads");
    const int iterations = threads == 4 ? 300 : 40;
    std::atomic<int> failures{0}, successes{0};
    std::vector<std::string> last(static_cast<size_t>(threads));
    std::vector<std::thread> pool;
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] {
        std::string sealed, opened;
        for (int i = 0; i < iterations; ++i) {
          const std::string plaintext =
              "thread " + std::to_string(t) + " value " + std::to_string(i) +
              Pattern(static_cast<size_t>(i * 97 % 5000), static_cast<unsigned>(t));
          const std::string aad = "t" + std::to_string(t);
          const bool ok = aead->Seal(static_cast<uint32_t>(t), plaintext, aad, &sealed).ok() &&
                          aead->Open(sealed, aad, &opened).ok() && opened == plaintext &&
                          aead->Open(shared, "shared", &opened).ok() &&
                          opened == "sealed before the threads" &&
                          !aead->Open(sealed, "other", &opened).ok();
          (ok ? successes : failures)++;
          if (i == iterations - 1) last[static_cast<size_t>(t)] = sealed;
        }
      });
    }
    for (std::thread& th : pool) th.join();
    CHECK(failures.load() == 0);
    CHECK(successes.load() == threads * iterations);
    for (int t = 0; t < threads; ++t) {
      auto opened = ReferenceOpen(key, last[static_cast<size_t>(t)], "t" + std::to_string(t));
      REQUIRE(opened.has_value());
      CHECK_THAT(*opened, Catch::Matchers::StartsWith("thread " + std::to_string(t) + " value "));
    }
  }
}
