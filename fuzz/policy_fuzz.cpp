// libFuzzer target for the policy loader: one input is one policy file's text (a whole
// set fits in one file as several documents), checked as a set, rules included.
// Any crash, sanitizer report, leak or timeout is a bug. Run: scripts/fuzz-policy.
#include <cstddef>
#include <cstdint>
#include <string>

#include "policy/set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const sigmad::policy::LoadedSet set = sigmad::policy::ParseSet({{"fuzz.yaml", text}});
  // Every diagnostic must render; every accepted document must have a kind and name.
  size_t n = 0;
  for (const auto& e : set.errors) n += e.ToString().size();
  for (const auto& d : set.documents) {
    if (d.kind.empty() || d.name.empty()) __builtin_trap();
  }
  return n == static_cast<size_t>(-1) ? 1 : 0;
}
