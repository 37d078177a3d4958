// The pure Raft state machine. Deterministic: no threads, clocks, I/O or
// global randomness. The caller drives it with tick / step / propose and
// carries out its decisions through the ready / advance cycle:
//
//   node.tick(); node.step(msg); node.propose(data);   // any number of times
//   if (node.has_ready()) {
//     ready rd = node.take_ready();
//     send(rd.messages);                      // now, in parallel with the write
//     if (rd.must_sync)
//       persist(rd.state, rd.entries);        // durably (fdatasync)
//     send(rd.persisted_messages);            // only after the write is durable
//     apply(rd.committed);                    // in order
//     node.advance();                         // before the next take_ready
//   }
//
// The core decides what must be durable (as etcd's MustSync): entries, and a
// term or vote change. A ready whose only change is the commit index need
// not be written at all (Raft's commitIndex is volatile); its hard state is
// carried by the next ready that must be synced.
// tick/step/propose may be called between take_ready and advance (the actor
// layer keeps serving while the disk writes); their effects show up in the
// next ready, which is how proposals batch into one append and one fsync.
// A leader's snapshot is the exception: it is stepped in only between two
// readies (after the write under way, once the caller put it in force), as
// it may replace entries the outstanding ready acknowledges.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <vector>

#include "actraft/core/invariant.hpp"
#include "actraft/core/membership.hpp"
#include "actraft/core/message.hpp"
#include "actraft/core/options.hpp"
#include "actraft/core/progress.hpp"
#include "actraft/core/raft_log.hpp"
#include "actraft/core/types.hpp"

namespace actraft::core {

enum class role : std::uint8_t { follower, pre_candidate, candidate, leader };
std::string_view to_string(role r);

/// What a node finds in its data directory on start. A brand-new member of a
/// new cluster starts from a "bootstrap" snapshot at index 0 whose
/// configuration lists the initial members.
struct persisted_state {
  hard_state state;
  snapshot_meta snapshot;
  std::vector<entry> entries;  ///< the entries after snapshot.index, in order
};

/// The outcome of a read asked with node::read_index. `ok`: the read may be
/// served once the state machine has applied `index` (§6.4: then it
/// reflects every write committed before the read was asked). Not ok: this
/// node could not confirm a leader for it (leadership changed, or no round
/// was answered within an election timeout); nothing was read, so the
/// caller may ask again.
struct read_state {
  std::uint64_t id = 0;
  log_index index;
  bool ok = false;
  friend bool operator==(const read_state& a, const read_state& b) {
    return a.id == b.id && a.index == b.index && a.ok == b.ok;
  }
};

/// The work a node hands to its caller. See the top of this file.
struct ready {
  /// True if `state` and `entries` must be durable (written and synced)
  /// before `persisted_messages` are sent: there are entries, or the term or
  /// the vote changed. False if at most the commit index moved.
  bool must_sync = false;
  /// The hard state: with must_sync, the one to persist if it differs from
  /// the last one synced (a commit index not synced yet rides along);
  /// without, the new commit index, which the caller may record lazily or
  /// not at all.
  std::optional<hard_state> state;
  /// Entries to persist. If the first one's index is at or below the last
  /// stored index, the stored suffix from that index on is replaced (§5.3).
  std::vector<entry> entries;
  /// Messages that may be sent at once (a leader's appends go out in
  /// parallel with its own disk write, §10.2.1 of the Raft thesis).
  std::vector<message> messages;
  /// Messages that promise durability (votes, acknowledgements): send them
  /// only once `state` and `entries` are durable.
  std::vector<message> persisted_messages;
  /// A snapshot received from the leader, to install before `committed`:
  /// make its metadata durable (the stored log is replaced by it) and restore
  /// the state machine from its data. Everything up to it counts as applied.
  std::optional<snapshot_meta> snapshot;
  /// Newly committed entries, to apply in order.
  std::vector<entry> committed;
  /// Reads asked with read_index that are settled: serve each once
  /// `committed` (and what came before) is applied up to its index.
  std::vector<read_state> reads;

  [[nodiscard]] bool empty() const {
    return !state && entries.empty() && messages.empty() && persisted_messages.empty() &&
           committed.empty() && !snapshot && reads.empty();
  }
};

enum class propose_error : std::uint8_t {
  none,
  not_leader,          ///< only the leader appends; `leader` hints where to go
  change_in_progress,  ///< a membership change is not committed yet, or the new
                       ///< leader has not committed an entry of its own term
  transferring,        ///< leadership is being handed over: retry shortly
  invalid_change,      ///< the change does not apply to the configuration
};

struct propose_result {
  propose_error error = propose_error::none;
  log_index index;   ///< where the entry was placed (when accepted)
  raft_term term;    ///< the term it was placed in: (index, term) identifies it
  node_id leader;    ///< not_leader: the leader this node knows of, if any
  node_id member;    ///< membership changes: the member concerned (assigned id)
  std::string reason;  ///< invalid_change: why
  [[nodiscard]] bool ok() const { return error == propose_error::none; }
};

class node {
 public:
  /// Starts from persisted state only: role, leader, votes received,
  /// progress and applied index are volatile and begin afresh.
  ///
  /// `applied`: a state machine that keeps its own state may already hold
  /// the entries up to this index (0: none beyond the snapshot). They were
  /// committed (only committed entries are applied), so the commit index
  /// starts there too, and they are not handed out again. The caller
  /// checks that the log holds it (snapshot index <= applied <= last index).
  node(const options& opts, persisted_state state, log_index applied = {});

  /// One unit of logical time.
  void tick();
  /// Handles a message from a peer. Malformed or irrelevant messages
  /// (wrong recipient, stale, inconsistent) are dropped, never trusted.
  void step(const message& m);
  /// Appends a command to the log if this node is the leader.
  propose_result propose(payload data, entry_kind kind = entry_kind::normal);
  /// Proposes a membership change (leader only). Only one change may be
  /// uncommitted at a time, and a new leader must first commit an entry of
  /// its own term (the fix to the single-server change bug).
  propose_result propose_membership(const membership_change& change);
  /// A linearizable read without a log write (§6.4). The leader notes its
  /// commit index, waits until it has committed an entry of its own term
  /// and until a quorum answered a heartbeat round sent after the read
  /// arrived (every read waiting then shares that round), or serves it at
  /// once within its lease (read_mode::lease). A follower asks its leader
  /// for the index. The outcome comes in a ready's `reads`, named `id` (the
  /// caller's, unique among its open reads). False, and nothing pending, if
  /// no leader is known: ask again once one is.
  bool read_index(std::uint64_t id);
  /// Leader: a lease read must not trust the ticks counted so far (the
  /// caller's clock jumped, or its ticks came late): only rounds sent from
  /// now on renew the lease.
  void expire_lease();
  /// Starts an election now (as if the election timeout elapsed).
  void campaign();
  /// Leader: hands leadership to voter `to` (§3.10 of the Raft thesis).
  /// Proposals are refused (`transferring`) while the handover runs; `to`
  /// first gets every entry, then timeout_now, and campaigns at once. Gives
  /// up after an election timeout. False if `to` cannot take over.
  bool transfer_leadership(node_id to);
  /// Leader: the member leadership is being handed to, if any.
  [[nodiscard]] node_id transferee() const { return transferee_; }

  /// The caller has durably saved a snapshot of the state machine covering
  /// everything up to `index` (at most the applied index): forget the log up
  /// to there. Followers that need those entries get a snapshot instead.
  /// Returns false (and changes nothing) if `index` cannot be compacted.
  bool compact(log_index index);
  /// The metadata a snapshot taken at `index` must carry (its term and the
  /// configuration in force there); nothing if `index` is not in the log,
  /// or if this node does not know the configuration in force there (a
  /// member that joined with an empty log, before its first configuration).
  [[nodiscard]] std::optional<snapshot_meta> snapshot_meta_at(log_index index) const;
  /// Leader: sending the snapshot to `follower` failed (connection lost);
  /// it will be offered again.
  void report_snapshot_failure(node_id follower);
  [[nodiscard]] bool has_ready() const;
  ready take_ready();
  /// The last ready was carried out: persisted, sent and applied.
  void advance();

  [[nodiscard]] node_id id() const { return opts_.id; }
  [[nodiscard]] role current_role() const { return role_; }
  [[nodiscard]] raft_term term() const { return term_; }
  [[nodiscard]] node_id vote() const { return vote_; }
  /// The leader this node believes in for the current term (no_node if none).
  [[nodiscard]] node_id leader() const { return leader_; }
  [[nodiscard]] const raft_log& log() const { return log_; }
  [[nodiscard]] log_index applied() const { return applied_; }
  [[nodiscard]] const configuration& config() const { return config_; }
  /// The index of the entry `config()` came from (the snapshot's, if none after it).
  [[nodiscard]] log_index config_index() const { return config_index_; }
  [[nodiscard]] const options& opts() const { return opts_; }
  /// Heartbeat rounds that confirmed reads, since this node started.
  [[nodiscard]] std::uint64_t read_rounds() const { return read_rounds_; }
  /// Leader only: per-follower replication progress.
  [[nodiscard]] const std::map<node_id, progress>& followers() const { return progress_; }

 private:
  // Role transitions (§5.2).
  void become_follower(raft_term t, node_id leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void start_election(bool pre, bool transfer = false);
  void reset(raft_term t);
  void reset_election_timeout();

  // Message handling, split by role.
  void step_leader(const message& m);
  void step_candidate(const message& m);
  void step_follower(const message& m);
  void handle_vote_request(const message& m);
  void handle_append(const message& m);
  void handle_heartbeat(const message& m);
  void handle_append_response(const message& m);
  void handle_heartbeat_response(const message& m);
  void handle_snapshot(const message& m);
  bool send_snapshot(node_id to, progress& pr);
  void send_timeout_now(node_id to);
  void handle_vote_response(const message& m);

  // Leader replication.
  void broadcast_append();
  void broadcast_heartbeat();
  bool send_append(node_id to, progress& pr, bool allow_empty);
  bool maybe_commit();
  bool quorum_active();

  void send(message m);
  void respond(message m);
  /// A voter, or a voter whose removal is in its log but not known to be
  /// committed: it may still be needed to commit it (§4.2.2, §4.2.3).
  [[nodiscard]] bool promotable() const;
  /// Votes granted by voters of the configuration in force (a candidate
  /// that is not one of them does not count itself).
  [[nodiscard]] std::size_t granted_votes() const;
  /// The newest configuration at or below `index` and the index it came
  /// from (the snapshot's, if no entry in the log up to there has one).
  [[nodiscard]] std::pair<configuration, log_index> configuration_at(log_index index) const;
  [[nodiscard]] std::size_t quorum() const { return config_.voter_count() / 2 + 1; }
  [[nodiscard]] bool planted(planted_bug b) const;
  [[nodiscard]] hard_state current_hard_state() const { return {term_, vote_, log_.commit()}; }
  [[nodiscard]] bool valid(const message& m) const;
  [[nodiscard]] bool membership_change_allowed() const;
  [[nodiscard]] propose_result not_leader() const;
  [[nodiscard]] propose_result transferring() const;
  /// Appends an entry of the current term as the leader; fills in `r`.
  propose_result append_own(entry_kind kind, payload data, propose_result r);
  void append_entries(const std::vector<entry>& es);
  bool truncate_log(log_index from);
  /// Drops queued acknowledgements of entries past `last`, which the log lost.
  void forget_acks_beyond(log_index last);
  void adopt_configuration(configuration c, log_index index);
  void maybe_promote(node_id id, const progress& pr);
  std::uint64_t next_random();

  // Reads (node_reads.cpp, §6.4).
  void handle_read_index(const message& m);
  void handle_read_index_response(const message& m);
  void settle_read(std::uint64_t id, node_id from, log_index index, bool ok);
  /// Leader: reads waiting for a round may get one (an entry of this term is committed).
  [[nodiscard]] bool read_round_due() const;
  /// Leader: reads wait for a round and none is in flight: send one now.
  [[nodiscard]] bool read_round_wanted() const;
  /// Leader: the next heartbeat round serves every read that has none yet.
  void assign_round();
  /// Leader: serves the reads whose round a quorum answered; renews the lease.
  void release_reads();
  [[nodiscard]] bool lease_valid() const;
  /// Every read this node holds fails (it stopped leading, or lost its leader).
  void fail_reads();
  void age_reads();

  options opts_;
  configuration config_;
  log_index config_index_;            // index of the entry config_ came from
  bool voter_before_ = false;         // a voter in the configuration config_ replaced
  log_index term_start_index_;        // leader: index of its first entry this term
  raft_log log_;
  role role_ = role::follower;
  raft_term term_;
  node_id vote_ = no_node;
  node_id leader_ = no_node;
  log_index applied_;

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  int randomized_election_timeout_ = 0;
  std::uint64_t rng_state_ = 0;

  std::map<node_id, bool> votes_;          // candidate / pre-candidate
  std::map<node_id, progress> progress_;   // leader: every other member
  bool broadcast_pending_ = false;         // leader: new entries to replicate
  node_id transferee_ = no_node;           // leader: handing over to this member
  int transfer_elapsed_ = 0;               // leader: ticks since the handover began
  log_index last_broadcast_commit_;        // leader: commit index followers were last sent

  // Reads (§6.4).
  struct pending_read {
    std::uint64_t id = 0;
    node_id from;            // no_node: asked here; else the follower that asked
    log_index index;         // the commit index it must reflect (once assigned a round)
    std::uint64_t round = 0; // the heartbeat round confirming it (0: none yet)
    int age = 0;             // ticks waited
  };
  std::deque<pending_read> reads_;         // leader: in order of rounds
  std::map<std::uint64_t, int> asked_;     // follower: reads asked of the leader -> ticks waited
  std::vector<read_state> read_states_;    // settled, for the next ready
  std::uint64_t round_ = 0;                // leader: last heartbeat round sent this term
  std::uint64_t read_rounds_ = 0;          // rounds that confirmed reads (a metric)
  std::uint64_t confirmed_round_ = 0;      // leader: last round a quorum answered
  std::map<std::uint64_t, std::uint64_t> round_sent_at_;  // leader: round -> leader_ticks_
  std::uint64_t leader_ticks_ = 0;         // leader: ticks since it became leader
  std::uint64_t lease_until_ = 0;          // leader: lease reads allowed while leader_ticks_ < this
  bool lease_forfeited_ = false;           // leader: a handover began this term: no lease
  bool boot_sticky_ = false;               // lease: a restarted voter votes for nobody for a while

  // The ready cycle.
  hard_state durable_state_;  // last hard state handed out with must_sync (and advanced)
  hard_state handed_state_;   // last hard state handed out at all
  bool ready_must_sync_ = false;
  std::vector<message> messages_;
  std::vector<message> persisted_messages_;
  bool ready_outstanding_ = false;
  log_index ready_last_index_;        // last entry handed over by take_ready
  log_index ready_committed_to_;      // applied index once advance() is called
  std::optional<snapshot_meta> pending_install_;  // received, not yet handed out
  hard_state ready_state_;
};

}  // namespace actraft::core
