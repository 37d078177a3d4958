// A member's metrics (the mailbox's metrics): counters since it started,
// gauges as they are now, and histograms; prometheus_text() renders them in
// the Prometheus text exposition format. Plain values, no CAF.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "actraft/status.hpp"

namespace actraft {

/// Observations in buckets (Prometheus' histogram): counts[i] observations
/// were <= bounds[i] and above bounds[i-1]; counts.back() (one more than
/// bounds) counts those above every bound.
struct histogram {
  std::vector<double> bounds;
  std::vector<std::uint64_t> counts;
  double sum = 0;
  std::uint64_t count = 0;
};

/// Requests this member answered, by kind (propose, query, stale_query,
/// join, remove, transfer, snapshot) and outcome ("ok" or the errc's name).
struct request_count {
  std::string kind;
  std::string outcome;
  std::uint64_t count = 0;
};

/// Raft messages by type (append, vote, heartbeat, ...).
struct message_count {
  std::string type;
  std::uint64_t sent = 0;
  std::uint64_t received = 0;
};

/// Bytes on the wire between members, by frame (raft: Raft messages in
/// batches; request/response: forwarded requests and snapshot chunks;
/// hello/refuse: connection set-up), TLS records' overhead not counted.
struct traffic_count {
  std::string frame;
  std::uint64_t bytes_sent = 0;
  std::uint64_t bytes_received = 0;
};

struct node_metrics {
  // --- gauges: as they are now ---
  std::uint64_t id = 0;
  node_role role = node_role::joining;
  std::uint64_t term = 0;
  std::uint64_t leader_id = 0;
  std::uint64_t commit_index = 0;
  std::uint64_t applied_index = 0;
  std::uint64_t last_index = 0;
  std::uint64_t snapshot_index = 0;
  std::uint64_t members = 0;
  std::uint64_t voters = 0;
  std::uint64_t pending_requests = 0;
  std::uint64_t subscribers = 0;
  // --- counters: since the member started ---
  std::vector<request_count> requests;
  std::uint64_t entries_committed = 0;  ///< entries this member learned committed
  std::uint64_t entries_applied = 0;    ///< commands applied to the store
  std::uint64_t log_bytes_written = 0;  ///< entry data appended to the log
  std::uint64_t elections_started = 0;  ///< times it became a candidate
  std::uint64_t elections_won = 0;      ///< times it became leader
  std::uint64_t leader_changes = 0;     ///< times it learned of a new leader
  std::vector<message_count> messages;
  std::vector<traffic_count> traffic;
  std::uint64_t snapshots_taken = 0;
  std::uint64_t snapshots_installed = 0;  ///< from a leader
  std::uint64_t snapshot_bytes_sent = 0;
  std::uint64_t snapshot_bytes_received = 0;
  std::uint64_t read_rounds = 0;   ///< leader: heartbeat rounds that confirmed reads (§6.4)
  std::uint64_t reads_ok = 0;      ///< linearizable reads settled
  std::uint64_t reads_failed = 0;  ///< not confirmed (lost leadership, deadline)
  std::uint64_t storage_errors = 0;  ///< log writes that failed (disk full, I/O error; retried)
  // --- histograms ---
  histogram apply_seconds;  ///< store::apply of one command
  histogram fsync_seconds;  ///< one durable log write (append + sync)
  histogram fsync_entries;  ///< entries made durable by one sync
};

/// The metrics in the Prometheus text format (version 0.0.4), names
/// prefixed `actraft_`, every counter ending in `_total`.
std::string prometheus_text(const node_metrics& m);

}  // namespace actraft
