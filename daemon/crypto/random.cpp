#include "crypto/random.h"

#include <openssl/rand.h>

#include <vector>

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

Result<std::string> RandomHex(size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) {
    return Status::Error("crypto", "the random generator failed to make an id");
  }
  return HexLower(raw.data(), raw.size());
}

}  // namespace sigmad::crypto
