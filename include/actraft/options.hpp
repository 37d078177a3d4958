// Options of a node. Every field has a sane default; validate() explains
// what is wrong with a bad combination before anything starts.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

namespace actraft {

struct options {
  /// Where the log, hard state and snapshots live. Required.
  std::string data_dir;
  /// Leaders send heartbeats this often; it is also the tick of the core.
  std::chrono::milliseconds heartbeat_interval{50};
  /// A follower that hears nothing from a leader for a random time in
  /// [election_timeout, 2 * election_timeout) starts an election.
  std::chrono::milliseconds election_timeout{250};
  /// How long a proposal, join or leave may take before it is answered with
  /// `timeout` (or `not_leader` if no leader was found in time).
  std::chrono::milliseconds request_timeout{5000};
  /// Upper bound on the entry bytes in one append message.
  std::size_t max_batch_bytes = 1024 * 1024;
  /// Append messages in flight to one follower.
  std::size_t max_inflight = 256;
  /// A learner becomes a voter once within this many entries of the leader.
  int promote_lag = 64;
  /// Bytes per WAL segment file.
  std::size_t segment_bytes = 64 * 1024 * 1024;
  /// Peer connection retry backoff bounds.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};

  /// Empty if usable, else what is wrong, in words.
  [[nodiscard]] std::string validate() const;
};

}  // namespace actraft
