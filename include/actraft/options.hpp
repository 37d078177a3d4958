// Options of a node. Every field has a sane default; validate() explains
// what is wrong with a bad combination before anything starts.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

namespace spdlog {
class logger;
}

namespace actraft {

struct options {
  /// Where the log, hard state and snapshots live. Required.
  std::string data_dir;
  /// "host:port" the other members dial to reach this one, stored in the
  /// cluster's configuration. Empty: the listen address with the port
  /// bound. Needed when listening on a wildcard (0.0.0.0, [::]) or behind
  /// NAT; a wildcard itself is refused. Port 0: the port bound. A host name
  /// is resolved again on every reconnect. A member keeps the address it
  /// joined with: to move it, remove it and join anew.
  std::string advertise_address;
  /// Leaders send heartbeats this often; it is also the tick of the core.
  std::chrono::milliseconds heartbeat_interval{50};
  /// A follower that hears nothing from a leader for a random time in
  /// [election_timeout, 2 * election_timeout) starts an election.
  std::chrono::milliseconds election_timeout{250};
  /// Linearizable reads (raft::query) normally cost one heartbeat round to
  /// a quorum (ReadIndex). With lease_reads the leader serves them at once
  /// while its last round a quorum answered is recent enough that no other
  /// leader can exist yet (§6.4.1): that relies on the members' clocks
  /// running at rates within max_clock_drift of each other, and on no
  /// process pausing without its timer noticing. Every member must use the
  /// same setting. Needs election_timeout >= 3 heartbeat intervals.
  bool lease_reads = false;
  double max_clock_drift = 0.01;
  /// How long a proposal, join or leave may take before it is answered with
  /// `timeout` (or `not_leader` if no leader was found in time).
  std::chrono::milliseconds request_timeout{5000};
  /// Largest command a proposal may carry (bad_request beyond it): every
  /// member stores, sends and applies it, so it is bounded before anything
  /// is written. A member also refuses an append holding a larger entry:
  /// give every member of a cluster the same value.
  std::size_t max_command_bytes = 16 * 1024 * 1024;
  /// Requests a member keeps open at once (proposals waiting for a leader,
  /// in the log, forwarded): beyond, `overloaded` at once, instead of
  /// memory that grows with the load.
  std::size_t max_pending_requests = 65536;
  /// A leader's reads waiting for a heartbeat round at once, its own and
  /// the ones its followers ask it for (theirs are refused beyond: they
  /// ask again later).
  std::size_t max_pending_reads = 256 * 1024;
  /// Upper bound on the entry bytes in one append message.
  std::size_t max_batch_bytes = 1024 * 1024;
  /// Append messages in flight to one follower.
  std::size_t max_inflight = 256;
  /// A learner becomes a voter once within this many entries of the leader.
  int promote_lag = 64;
  /// Bytes per WAL segment file.
  std::size_t segment_bytes = 64 * 1024 * 1024;
  /// Every member snapshots its store on its own once this many entries
  /// were applied since its last snapshot (0: never by count) ... (Until a
  /// member has taken one, these thresholds are 1 to 2 times as large, by
  /// its id: members do not all write their snapshots at once.)
  std::uint64_t snapshot_entries = 8192;
  /// ... or once the commands applied since then add up to this many bytes
  /// (0: never by size). A snapshot compacts the log behind it.
  std::uint64_t snapshot_bytes = 64ull * 1024 * 1024;
  /// A snapshot writes the whole state. Once one is due, it waits until the
  /// commands applied since the last one this member took add up to this
  /// many times that snapshot's size, so a large state is not written again
  /// for a change much smaller than itself (LogCabin's snapshotRatio): the
  /// disk writes the snapshot at most 1/ratio as many bytes as the log. The
  /// wait ends at four times snapshot_entries or snapshot_bytes (the log's
  /// memory stays bounded). 0: no wait.
  double snapshot_log_ratio = 2.0;
  /// Entries kept in the log behind a snapshot: a follower lagging by fewer
  /// catches up from the log instead of receiving the whole snapshot.
  std::uint64_t snapshot_keep_entries = 1024;
  /// Snapshot data per message when a leader sends its snapshot to a
  /// follower ...
  std::size_t snapshot_chunk_bytes = 1024 * 1024;
  /// ... and chunks on their way at most (1–64; flow control: the follower
  /// answers each once written). More than one keeps a link with a round trip
  /// busy. Fewer are sent at once if the window would exceed max_message_bytes.
  std::size_t snapshot_chunks_in_flight = 4;
  /// A snapshot arriving from a leader larger than this is refused (and its
  /// partial file deleted) ...
  std::uint64_t max_snapshot_bytes = 64ull << 30;
  /// ... and so is one whose next chunk does not come for this long.
  std::chrono::milliseconds snapshot_idle_timeout{60'000};
  /// Where the node actor runs. true: on the middleman's I/O thread, where
  /// the other members' messages (the member transport, a broker) and
  /// network clients' requests (brokers) arrive, so none of them waits for a
  /// thread hand-off.
  /// false: on CAF's scheduler, which suits proposers that are actors of the
  /// same actor system. The node never blocks either way.
  bool node_on_io_thread = true;
  /// Where store::apply runs. true: on a thread of its own, so a slow apply
  /// never delays the node's Raft work. false: beside the node, on its
  /// thread, one thread hand-off fewer per commit (lower latency); only for
  /// an apply that takes microseconds, like an in-memory map's: on the I/O
  /// thread a slow apply would also hold up all network traffic. snapshot()
  /// and restore() run on a thread of their own either way.
  bool apply_on_own_thread = true;
  /// Where actraft logs: null, on stderr at the level ACTRAFT_LOG names
  /// (info if unset); else through clones of this spdlog logger (its sinks,
  /// level and format), one per node, named "node <id>".
  std::shared_ptr<spdlog::logger> logger;
  // --- security (docs/security.md) ---
  /// Certificates from the operator's own CA, all three or none: the CA's
  /// certificate, this member's certificate (EKU serverAuth and clientAuth)
  /// and its unencrypted key, as PEM files. None: the cluster runs its own
  /// CA, created by lead() in the data directory, and join() needs the join
  /// token lead() printed.
  std::string tls_ca_file;
  std::string tls_cert_file;
  std::string tls_key_file;
  /// The join token (`actraft-join-1....`) join() presents to be admitted
  /// to a cluster that runs its own CA.
  std::string join_token;
  /// Plaintext and no authentication: anyone who reaches the port can act
  /// as a member. Only for a network where every process is trusted.
  bool insecure = false;
  /// A connection must finish its TLS handshake and hello within this.
  std::chrono::milliseconds handshake_timeout{5000};
  /// Largest frame a member accepts from another (an append of
  /// max_batch_bytes, a snapshot chunk, with room for one large entry).
  std::size_t max_message_bytes = 64 * 1024 * 1024;
  /// A connection to a peer that reads nothing we sent for this long (it is
  /// paused, or the network dropped it) is closed and dialed again: what
  /// Raft sends meanwhile is not buffered without end.
  std::chrono::milliseconds peer_stall_timeout{3000};
  /// Connections a member accepts at once (members and joiners).
  std::size_t max_connections = 512;
  /// Peer connection retry backoff bounds.
  std::chrono::milliseconds reconnect_min{50};
  std::chrono::milliseconds reconnect_max{2000};

  /// Empty if usable, else what is wrong, in words.

  [[nodiscard]] std::string validate() const;
};

}  // namespace actraft
