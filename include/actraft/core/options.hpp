// Options of the pure Raft core. Time is counted in ticks: the caller decides
// how long a tick is (the actor layer uses a timer, the simulator a counter).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "actraft/core/types.hpp"

namespace actraft::core {

/// Deliberate bugs that the simulator must catch (see test/planted). They
/// only take effect in the core and driver built with ACTRAFT_PLANTED_BUGS
/// (the test-only libraries `actraft_core_planted`, `actraft_driver_planted`);
/// the production libraries ignore them.
enum class planted_bug : std::uint8_t {
  none = 0,
  // In the core.
  vote_twice,             ///< grant a vote although already voted for another in this term
  commit_previous_term,   ///< commit an earlier-term entry by counting replicas (Figure 8)
  skip_truncate,          ///< append without removing a conflicting suffix
  ack_before_persist,     ///< acknowledge appended entries before they are durable
  concurrent_changes,     ///< accept a membership change while another is uncommitted
  learner_counts,         ///< count a learner's copy toward a commit
  // In the driver (src/driver), found only because the simulator runs it.
  answer_before_apply,    ///< answer a proposal once committed, without waiting for apply
  skip_vote_sync,         ///< write only readies with entries: a new term or vote is not synced
  answer_by_index,        ///< match answers to pending proposals by index alone, not (index, term)
  read_without_round,     ///< serve a read at the leader's commit index without a heartbeat round
};

/// How a leader confirms it still leads before it serves a read (§6.4).
enum class read_mode : std::uint8_t {
  /// ReadIndex: one heartbeat round answered by a quorum, shared by every
  /// read that arrived before the round was sent. Safe whatever the clocks do.
  read_index,
  /// Leader lease (§6.4.1): a read is served at once while the last round a
  /// quorum answered was sent less than `election_ticks - lease_margin_ticks`
  /// ticks ago. Needs check-quorum (voters that heard from the leader refuse
  /// to vote for anyone else for an election timeout) and clocks whose rates
  /// differ by less than the margin covers; a read index round otherwise.
  lease,
};

/// The lease margin (options::lease_margin_ticks) that keeps a lease safe
/// when the caller ticks at least every 1.25 intervals (and expires the
/// lease otherwise) and clock rates differ by at most `drift`: the leader's
/// lease of election_ticks - m ticks, measured on its clock, must end before
/// a voter that heard it waits election_ticks - 1 whole ticks on its own.
int lease_margin_ticks(int election_ticks, double drift);

struct options {
  node_id id;
  /// A follower that hears nothing from a leader for a random number of
  /// ticks in [election_ticks, 2 * election_ticks) starts an election (§5.2).
  int election_ticks = 10;
  /// A leader sends heartbeats every `heartbeat_ticks`; must be smaller than
  /// election_ticks.
  int heartbeat_ticks = 1;
  /// §9.6 pre-vote: a candidate first asks whether it could win, so a node
  /// rejoining after a partition does not disrupt a healthy leader.
  bool pre_vote = true;
  /// §6.2 check-quorum: a leader that has not heard from a quorum within an
  /// election timeout steps down; followers that heard from a leader recently
  /// ignore vote requests (leader stickiness / lease).
  bool check_quorum = true;
  /// Upper bound on the entry bytes of one append message (at least one
  /// entry is always sent, so an oversized entry still makes progress).
  std::size_t max_batch_bytes = 1024 * 1024;
  /// Append messages in flight to one follower in the replicate state.
  std::size_t max_inflight = 256;
  /// A learner is promoted to voter automatically once its log is within
  /// this many entries of the leader's (so a slow joiner never stalls the
  /// quorum). Negative: never promote automatically.
  int promote_lag = 64;
  /// How reads are confirmed; see read_mode.
  read_mode reads = read_mode::read_index;
  /// read_mode::lease: the lease ends this many ticks before the election
  /// timeout a voter waits after hearing from the leader. At least 2: one
  /// tick because ticks count whole intervals, one for the caller's slack in
  /// calling tick() (it must also expire the lease when ticks come late);
  /// add election_ticks times the clock drift to bound.
  int lease_margin_ticks = 3;
  /// Leader: reads waiting for a round at once (its own and its followers');
  /// a follower's read beyond is refused (it asks again later).
  std::size_t max_pending_reads = 256 * 1024;
  /// Seeds the election timeout randomization. Same seed, same run.
  std::uint64_t seed = 1;

  planted_bug bug = planted_bug::none;

  /// Empty if the options are usable, else a description of what is wrong.
  [[nodiscard]] std::string validate() const;
};

}  // namespace actraft::core
