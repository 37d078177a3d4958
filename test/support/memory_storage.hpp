// What a member made durable, kept in memory (etcd's MemoryStorage): the
// hard state, the snapshot in force and the entries after it. The core's
// test harness and the simulator's disks both keep one, so the rules of a
// write and of putting a snapshot in force are written once.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "actraft/core/node.hpp"

namespace actraft::test {

struct memory_storage : core::persisted_state {
  memory_storage() = default;
  explicit memory_storage(core::persisted_state s) : core::persisted_state(std::move(s)) {}

  [[nodiscard]] std::uint64_t last_index() const { return snapshot.index.value + entries.size(); }

  /// Writes consecutive entries that start above the snapshot and at most
  /// one past the stored log: they replace the stored suffix from their
  /// first index on. False, with nothing written, for any other batch.
  bool append(const std::vector<core::entry>& es) {
    if (es.empty()) return true;
    const std::uint64_t first = es.front().index.value;
    const std::uint64_t base = snapshot.index.value;
    if (first <= base || first > last_index() + 1) return false;
    for (std::size_t k = 1; k < es.size(); ++k)
      if (es[k].index != es[k - 1].index + 1) return false;
    entries.resize(static_cast<std::size_t>(first - 1 - base));
    entries.insert(entries.end(), es.begin(), es.end());
    return true;
  }

  /// Puts `meta` in force (§7): the log after it stays if the log holds the
  /// snapshot's last entry with the same term; otherwise the whole log goes.
  /// False, with nothing changed, if a newer snapshot is in force.
  bool install(const core::snapshot_meta& meta) {
    const std::uint64_t base = snapshot.index.value;
    const std::uint64_t i = meta.index.value;
    if (i < base) return false;
    const bool holds = i == base ? snapshot.term == meta.term
                                 : i <= last_index() && entries[i - base - 1].term == meta.term;
    if (holds)
      entries.erase(entries.begin(), entries.begin() + static_cast<std::ptrdiff_t>(i - base));
    else
      entries.clear();
    snapshot = meta;
    return true;
  }
};

}  // namespace actraft::test
