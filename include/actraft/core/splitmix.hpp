// splitmix64 (Steele, Lea, Flood 2014): a tiny generator specified bit for
// bit, so a seed means the same sequence on every compiler and platform. The
// core draws its election timeouts from it; the tests seed their generators
// and hash with it.
#pragma once

#include <cstdint>

namespace actraft::core {

/// Advances `state` and returns the next value.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace actraft::core
