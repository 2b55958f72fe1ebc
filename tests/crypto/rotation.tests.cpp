// Master-key rotation at the crypto layer: Keyring::ReplaceKek, WriteMasterKey and
// ReplaceMasterKey.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crypto/aead.h"
#include "crypto/keyring.h"
#include "crypto/master_key.h"
#include "support/temp_dir.h"

namespace {

using namespace sigmad::crypto;
using Catch::Matchers::Contains;
using sigmad::testing::ModeOf;
using sigmad::testing::ReadFile;
using sigmad::testing::TempDir;
using sigmad::testing::WriteFile;
namespace fs = std::filesystem;

std::string Bytes(const SecretBytes& s) {
  return std::string(reinterpret_cast<const char*>(s.data()), s.size());
}

// A key of `n` bytes, all `fill`: two fills are two different keys.
SecretBytes Filled(uint8_t fill, size_t n = 32) {
  SecretBytes k(n);
  for (size_t i = 0; i < k.size(); ++i) k.data()[i] = fill;
  return k;
}

std::unique_ptr<Keyring> MakeKeyring(const SecretBytes& kek) {
  auto r = Keyring::Create(kek.Clone());
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

std::string SealOk(const Keyring& keyring, uint64_t tenant, const std::string& plaintext,
                   const std::string& aad) {
  std::string sealed;
  REQUIRE(keyring.Seal(tenant, plaintext, aad, &sealed).ToString() == "ok");
  return sealed;
}

std::string OpenOk(const Keyring& keyring, uint64_t tenant, const std::string& sealed,
                   const std::string& aad) {
  std::string out;
  REQUIRE(keyring.Open(tenant, sealed, aad, &out).ToString() == "ok");
  return out;
}

std::string CheckOf(const Keyring& keyring) {
  auto c = keyring.MakeKekCheck();
  INFO(c.status().ToString());
  REQUIRE(c.ok());
  return c.value();
}

std::string Wrapped(const Keyring& keyring, uint64_t tenant, uint32_t term, const SecretBytes& dek) {
  auto w = keyring.WrapKey(tenant, term, dek);
  INFO(w.status().ToString());
  REQUIRE(w.ok());
  return w.value();
}

}  // namespace

TEST_CASE("Keyring::ReplaceKek switches the master key, not the data keys",
          "[crypto][keyring][rotation]") {
  const SecretBytes old_kek = Filled(0x01);
  const SecretBytes new_kek = Filled(0x02);
  const auto keyring = MakeKeyring(old_kek);
  const auto with_old = MakeKeyring(old_kek);
  const auto with_new = MakeKeyring(new_kek);

  const SecretBytes dek1 = Filled(0x11);
  const SecretBytes dek2 = Filled(0x12);
  REQUIRE(keyring->AddKey(7, 1, dek1.Clone(), true).ok());
  REQUIRE(keyring->AddKey(7, 2, dek2.Clone(), true).ok());
  REQUIRE(keyring->AddKey(kSystemTenant, 1, Filled(0x10), true).ok());
  const std::string v1 = [&] {
    // A value of term 1, sealed by another keyring holding the same data key.
    const auto other = MakeKeyring(old_kek);
    REQUIRE(other->AddKey(7, 1, dek1.Clone(), true).ok());
    return SealOk(*other, 7, "sealed under term 1", "row:1");
  }();
  const std::string v2 = SealOk(*keyring, 7, "sealed under term 2", "row:2");
  const std::string wrapped_before = Wrapped(*keyring, 7, 2, dek2);
  const std::string check_before = CheckOf(*keyring);
  CHECK(with_old->VerifyKekCheck(check_before).ok());

  REQUIRE(keyring->ReplaceKek(new_kek.Clone()).ToString() == "ok");

  SECTION("key checks made after verify under the new key, not the old") {
    const std::string check = CheckOf(*keyring);
    CHECK(keyring->VerifyKekCheck(check).ToString() == "ok");
    CHECK(with_new->VerifyKekCheck(check).ToString() == "ok");
    CHECK(with_old->VerifyKekCheck(check).code() == "wrong_master_key");
    // ... and the check made before no longer verifies in the keyring itself.
    CHECK(keyring->VerifyKekCheck(check_before).code() == "wrong_master_key");
  }
  SECTION("keys wrapped after unwrap under the new key, not the old") {
    const std::string wrapped = Wrapped(*keyring, 7, 2, dek2);
    auto by_new = with_new->UnwrapKey(7, 2, wrapped);
    REQUIRE(by_new.ok());
    CHECK(Bytes(by_new.value()) == Bytes(dek2));
    CHECK(with_old->UnwrapKey(7, 2, wrapped).status().code() == "integrity");
    auto self = keyring->UnwrapKey(7, 2, wrapped);
    REQUIRE(self.ok());
    CHECK(Bytes(self.value()) == Bytes(dek2));
    // The old wrapping is the old key's business now.
    CHECK(keyring->UnwrapKey(7, 2, wrapped_before).status().code() == "integrity");
    CHECK(with_old->UnwrapKey(7, 2, wrapped_before).ok());
  }
  SECTION("installed data keys keep sealing and opening, terms unchanged") {
    CHECK(keyring->CurrentTerm(7) == 2u);
    CHECK(keyring->Terms(7) == std::vector<uint32_t>{1, 2});
    CHECK(keyring->CurrentTerm(kSystemTenant) == 1u);
    CHECK(OpenOk(*keyring, 7, v1, "row:1") == "sealed under term 1");
    CHECK(OpenOk(*keyring, 7, v2, "row:2") == "sealed under term 2");
    const std::string v3 = SealOk(*keyring, 7, "sealed after the switch", "row:3");
    CHECK(Aead::PeekTerm(v3).value() == 2u);
    // Sealed with the same data key as before: a keyring with only that DEK opens it.
    const auto reader = MakeKeyring(Filled(0x77));
    REQUIRE(reader->AddKey(7, 2, dek2.Clone(), true).ok());
    CHECK(OpenOk(*reader, 7, v3, "row:3") == "sealed after the switch");
    auto exported = keyring->ExportDataKey(7, 1);
    REQUIRE(exported.ok());
    CHECK(Bytes(exported.value()) == Bytes(dek1));
  }
  SECTION("replacing again, back to the old key") {
    REQUIRE(keyring->ReplaceKek(old_kek.Clone()).ToString() == "ok");
    CHECK(with_old->VerifyKekCheck(CheckOf(*keyring)).ok());
    CHECK(with_new->VerifyKekCheck(CheckOf(*keyring)).code() == "wrong_master_key");
    CHECK(OpenOk(*keyring, 7, v2, "row:2") == "sealed under term 2");
  }
}

TEST_CASE("Keyring::ReplaceKek refuses a key of the wrong size and changes nothing",
          "[crypto][keyring][rotation]") {
  const SecretBytes kek = Filled(0x21);
  const auto keyring = MakeKeyring(kek);
  const auto with_kek = MakeKeyring(kek);
  REQUIRE(keyring->AddKey(3, 1, Filled(0x31), true).ok());
  const std::string sealed = SealOk(*keyring, 3, "kept", "aad");

  for (size_t n : {size_t{0}, size_t{16}, size_t{31}, size_t{33}, size_t{64}}) {
    INFO("new KEK of " << n << " bytes");
    const sigmad::Status s = keyring->ReplaceKek(Filled(0x22, n));
    CHECK(s.code() == "invalid_key");
    CHECK_THAT(s.message(), Contains(std::to_string(n)));
    // Still the old KEK: its checks and wrapped keys verify under it.
    CHECK(with_kek->VerifyKekCheck(CheckOf(*keyring)).ToString() == "ok");
    const std::string wrapped = Wrapped(*keyring, 3, 1, Filled(0x31));
    CHECK(with_kek->UnwrapKey(3, 1, wrapped).ok());
    CHECK(OpenOk(*keyring, 3, sealed, "aad") == "kept");
    CHECK(keyring->CurrentTerm(3) == 1u);
  }
}

// Seal and Open do not use the KEK, and key checks use whichever KEK is current: none of
// them may fail, block for good or crash while ReplaceKek swaps the KEK under them.
TEST_CASE("Keyring::ReplaceKek runs alongside Seal, Open and MakeKekCheck on other threads",
          "[crypto][keyring][rotation]") {
  const SecretBytes kek_a = Filled(0x41);
  const SecretBytes kek_b = Filled(0x42);
  const auto keyring = MakeKeyring(kek_a);
  const auto with_a = MakeKeyring(kek_a);
  const auto with_b = MakeKeyring(kek_b);
  REQUIRE(keyring->AddKey(9, 1, Filled(0x51), true).ok());
  const std::string earlier = SealOk(*keyring, 9, "sealed before any switch", "e");

  constexpr int kWorkers = 3;
  constexpr int kRounds = 400;
  constexpr int kSwitches = 200;
  std::atomic<int> failures{0};
  std::atomic<int> done{0};
  std::atomic<int> checks_bad{0};
  std::vector<std::thread> workers;
  for (int w = 0; w < kWorkers; ++w) {
    workers.emplace_back([&, w] {
      std::string sealed, opened;
      for (int i = 0; i < kRounds; ++i) {
        const std::string plain = "w" + std::to_string(w) + "#" + std::to_string(i);
        if (!keyring->Seal(9, plain, "c", &sealed).ok()) ++failures;
        if (!keyring->Open(9, sealed, "c", &opened).ok() || opened != plain) ++failures;
        if (!keyring->Open(9, earlier, "e", &opened).ok() ||
            opened != "sealed before any switch") {
          ++failures;
        }
        if (i % 8 == 0) {
          // A check made mid-switch is made under one of the two keys, never a mix.
          auto check = keyring->MakeKekCheck();
          if (!check.ok() || (!with_a->VerifyKekCheck(check.value()).ok() &&
                              !with_b->VerifyKekCheck(check.value()).ok())) {
            ++checks_bad;
          }
        }
        ++done;
      }
    });
  }
  int replace_failures = 0;
  for (int i = 0; i < kSwitches; ++i) {
    if (!keyring->ReplaceKek((i % 2 == 0 ? kek_b : kek_a).Clone()).ok()) ++replace_failures;
  }
  for (auto& t : workers) t.join();

  CHECK(replace_failures == 0);
  CHECK(failures.load() == 0);
  CHECK(checks_bad.load() == 0);
  CHECK(done.load() == kWorkers * kRounds);
  // kSwitches is even: the last switch put kek_a back.
  CHECK(with_a->VerifyKekCheck(CheckOf(*keyring)).ToString() == "ok");
  CHECK(OpenOk(*keyring, 9, earlier, "e") == "sealed before any switch");
}

TEST_CASE("WriteMasterKey writes exactly the given key, mode 0400", "[crypto][master_key][rotation]") {
  TempDir dir;
  const fs::path path = dir / "master.key";
  SecretBytes key(kMasterKeyBytes);
  for (size_t i = 0; i < key.size(); ++i) key.data()[i] = static_cast<uint8_t>(0xA0 + i);

  SECTION("a new file of those 32 bytes, mode 0400, that LoadMasterKey accepts") {
    REQUIRE(WriteMasterKey(path, key).ToString() == "ok");
    CHECK(fs::is_regular_file(fs::symlink_status(path)));
    CHECK(ModeOf(path) == 0400u);
    CHECK(fs::file_size(path) == 32u);
    CHECK(ReadFile(path) == Bytes(key));
    auto loaded = LoadMasterKey(path);
    INFO(loaded.status().ToString());
    REQUIRE(loaded.ok());
    CHECK(Bytes(loaded.value()) == Bytes(key));
  }
  SECTION("mode 0400 under a permissive umask too") {
    sigmad::testing::ScopedUmask mask(0);
    REQUIRE(WriteMasterKey(path, key).ToString() == "ok");
    CHECK(ModeOf(path) == 0400u);
  }
  SECTION("an existing file is refused and left as it was") {
    WriteFile(path, "an existing file, not a key");
    REQUIRE(chmod(path.c_str(), 0600) == 0);
    const sigmad::Status s = WriteMasterKey(path, key);
    CHECK(s.code() == "master_key");
    CHECK_THAT(s.message(), Contains(path.string()));
    CHECK(ReadFile(path) == "an existing file, not a key");
    CHECK(ModeOf(path) == 0600u);
  }
  SECTION("an existing key is refused and left as it was") {
    REQUIRE(WriteMasterKey(path, Filled(0x33)).ok());
    const sigmad::Status s = WriteMasterKey(path, key);
    CHECK(s.code() == "master_key");
    CHECK(ReadFile(path) == Bytes(Filled(0x33)));
    CHECK(ModeOf(path) == 0400u);
  }
  SECTION("a symlink at the path is refused and its target not created") {
    const fs::path target = dir / "target";
    fs::create_symlink(target, path);
    CHECK(WriteMasterKey(path, key).code() == "master_key");
    CHECK_FALSE(fs::exists(target));
  }
  SECTION("a key of the wrong size is refused; no file is created") {
    for (size_t n : {size_t{0}, size_t{16}, size_t{31}, size_t{33}}) {
      INFO("key of " << n << " bytes");
      const sigmad::Status s = WriteMasterKey(path, Filled(0x44, n));
      CHECK(s.code() == "invalid_key");
      CHECK_THAT(s.message(), Contains("32"));
      CHECK_FALSE(fs::exists(fs::symlink_status(path)));
    }
  }
}

TEST_CASE("ReplaceMasterKey replaces the key file atomically", "[crypto][master_key][rotation]") {
  TempDir dir;
  const fs::path path = dir / "master.key";
  const fs::path staged = dir / ("master.key.sigmad-replace-" + std::to_string(getpid()));
  const SecretBytes old_key = Filled(0x55);
  const SecretBytes new_key = Filled(0x66);
  REQUIRE(WriteMasterKey(path, old_key).ok());

  SECTION("the file then holds the new key, mode 0400, and no staged file is left") {
    // A reader that opened the old file keeps reading the old key: the file was renamed
    // over, not rewritten in place.
    const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(fd >= 0);
    REQUIRE(ReplaceMasterKey(path, new_key).ToString() == "ok");
    std::string seen(32, '\0');
    const ssize_t n = pread(fd, seen.data(), seen.size(), 0);
    close(fd);
    CHECK(n == 32);
    CHECK(seen == Bytes(old_key));

    CHECK(ReadFile(path) == Bytes(new_key));
    CHECK(ModeOf(path) == 0400u);
    CHECK(fs::is_regular_file(fs::symlink_status(path)));
    CHECK_FALSE(fs::exists(fs::symlink_status(staged)));
    auto loaded = LoadMasterKey(path);
    REQUIRE(loaded.ok());
    CHECK(Bytes(loaded.value()) == Bytes(new_key));
  }
  SECTION("a stale staged file from an interrupted replacement is replaced") {
    WriteFile(staged, "half a key");
    REQUIRE(chmod(staged.c_str(), 0400) == 0);
    REQUIRE(ReplaceMasterKey(path, new_key).ToString() == "ok");
    CHECK(ReadFile(path) == Bytes(new_key));
    CHECK(ModeOf(path) == 0400u);
    CHECK_FALSE(fs::exists(fs::symlink_status(staged)));
  }
  SECTION("a stale staged symlink is removed, not followed") {
    const fs::path target = dir / "elsewhere";
    WriteFile(target, "not to be touched");
    fs::create_symlink(target, staged);
    REQUIRE(ReplaceMasterKey(path, new_key).ToString() == "ok");
    CHECK(ReadFile(path) == Bytes(new_key));
    CHECK(ReadFile(target) == "not to be touched");
    CHECK_FALSE(fs::exists(fs::symlink_status(staged)));
  }
  SECTION("an operator's PATH.new is left alone") {
    const fs::path theirs = dir / "master.key.new";
    WriteFile(theirs, "the operator's file");
    REQUIRE(ReplaceMasterKey(path, new_key).ToString() == "ok");
    CHECK(ReadFile(theirs) == "the operator's file");
  }
  SECTION("a path with no key yet gets one") {
    const fs::path fresh = dir / "fresh.key";
    REQUIRE(ReplaceMasterKey(fresh, new_key).ToString() == "ok");
    CHECK(ReadFile(fresh) == Bytes(new_key));
    CHECK(ModeOf(fresh) == 0400u);
    CHECK_FALSE(fs::exists(dir / ("fresh.key.sigmad-replace-" + std::to_string(getpid()))));
  }
  SECTION("a key of the wrong size is refused; the old key stays") {
    const sigmad::Status s = ReplaceMasterKey(path, Filled(0x66, 16));
    CHECK(s.code() == "invalid_key");
    CHECK(ReadFile(path) == Bytes(old_key));
    CHECK(ModeOf(path) == 0400u);
    CHECK_FALSE(fs::exists(fs::symlink_status(staged)));
  }
}
