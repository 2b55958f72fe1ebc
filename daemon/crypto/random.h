// Random identifiers from OpenSSL's CSPRNG: record ids, job ids, upload ids, stream ids.
// Thread-safety: safe from any thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "common/status.h"

namespace sigmad::crypto {

// A random 64-bit id, never 0 (0 names the system tenant); "crypto" if the generator fails.
Result<uint64_t> RandomId();
// `bytes` random bytes as lower-case hex.
Result<std::string> RandomHex(size_t bytes);
// `bytes` random bytes (at most INT_MAX), e.g. a stream id.
Result<std::string> RandomBytes(size_t bytes);

}  // namespace sigmad::crypto
