// The nemesis driver's randomness: the fault schedule, each client's
// operations and the final reads are drawn from generators seeded with the
// run's seed, so that one seed reruns the same run.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "actraft/core/splitmix.hpp"

namespace actraft::nemesis {

struct prng {  // splitmix64: specified, so a seed means the same schedule everywhere
  std::uint64_t s;
  std::uint64_t next() { return actraft::core::splitmix64(s); }
  int between(int lo, int hi) {
    return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1));
  }
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[next() % i]);
  }
};

}  // namespace actraft::nemesis
