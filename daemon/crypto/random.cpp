#include "crypto/random.h"

#include <openssl/rand.h>

#include "crypto/digest.h"

namespace sigmad::crypto {

Result<uint64_t> RandomId() {
  uint64_t id = 0;
  while (id == 0) {
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&id), sizeof id) != 1) {
      return Status::Error("crypto", "the random generator failed to make an id");
    }
  }
  return id;
}

Result<std::string> RandomBytes(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(raw.size())) !=
      1) {
    return Status::Error("crypto", "the random generator failed");
  }
  return raw;
}

Result<std::string> RandomHex(size_t bytes) {
  auto raw = RandomBytes(bytes);
  if (!raw.ok()) return raw.status();
  return HexLower(reinterpret_cast<const uint8_t*>(raw.value().data()), raw.value().size());
}

}  // namespace sigmad::crypto
