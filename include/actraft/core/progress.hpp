// What a leader knows about one follower's log (§5.3 nextIndex/matchIndex),
// plus the flow control state that bounds what is in flight to it.
#pragma once

#include <cstddef>
#include <deque>

#include "actraft/core/types.hpp"

namespace actraft::core {

enum class replication_state : std::uint8_t {
  /// The leader does not know where the follower's log matches: one append at
  /// a time, backtracking on rejection.
  probe,
  /// The follower's log matches up to `match`: appends are pipelined, up to
  /// max_inflight messages at once.
  replicate,
  /// The follower needs entries that were compacted away: a snapshot is on
  /// its way; nothing else is sent until it is answered (or reported failed).
  snapshot,
};

struct progress {
  log_index match;  ///< highest index known to be replicated on the follower
  log_index next;   ///< index of the next entry to send
  replication_state state = replication_state::probe;
  /// probe: an append was sent and no answer arrived yet.
  bool probe_sent = false;
  /// replicate: last index of each append in flight, oldest first.
  std::deque<log_index> inflight;
  /// Heard from this follower since the last check-quorum round.
  bool recent_active = false;
  /// snapshot: the index of the snapshot being sent.
  log_index pending_snapshot;
  /// snapshot: heartbeat answers received since it was sent.
  int snapshot_wait = 0;
  /// Highest heartbeat round of this term the follower answered (§6.4).
  std::uint64_t round_acked = 0;

  void become_probe() {
    state = replication_state::probe;
    next = match + 1;
    probe_sent = false;
    inflight.clear();
  }
  void become_snapshot(log_index index) {
    state = replication_state::snapshot;
    pending_snapshot = index;
    snapshot_wait = 0;
    probe_sent = false;
    inflight.clear();
  }
  void become_replicate() {
    state = replication_state::replicate;
    next = match + 1;
    probe_sent = false;
    inflight.clear();
  }
  /// Frees in-flight slots of appends up to and including `i`.
  void free_inflight_to(log_index i) {
    while (!inflight.empty() && inflight.front() <= i) inflight.pop_front();
  }
  [[nodiscard]] bool paused(std::size_t max_inflight) const {
    switch (state) {
      case replication_state::probe: return probe_sent;
      case replication_state::replicate: return inflight.size() >= max_inflight;
      case replication_state::snapshot: return true;
    }
    return true;
  }
};

}  // namespace actraft::core
