// Test helpers for services over the trusted store: Ok() unwraps a Result or fails the
// test with its status, and OpenTestVault() opens a small store under a fixed master key.
#pragma once

#include <catch2/catch.hpp>
#include <filesystem>
#include <memory>
#include <utility>

#include "common/clock.h"
#include "common/status.h"
#include "crypto/secret.h"
#include "store/vault.h"

namespace sigmad::testing {

template <typename T>
T Ok(Result<T> r) {
  INFO(r.status().ToString());
  REQUIRE(r.ok());
  return std::move(r).value();
}

// The store in `dir` (created if missing) under a master key of 32 bytes of `fill`.
inline std::unique_ptr<store::Vault> OpenTestVault(const std::filesystem::path& dir,
                                                   const Clock& clock, uint8_t fill = 0x42) {
  store::EnvOptions options;
  options.dir = dir;
  options.initial_map_bytes = size_t{1} << 20;
  crypto::SecretBytes kek(32);
  for (size_t i = 0; i < kek.size(); ++i) kek.data()[i] = fill;
  return Ok(store::Vault::Open(options, std::move(kek), clock));
}

}  // namespace sigmad::testing
