// The leader: replication with batching and a per-follower window,
// snapshots for followers that need compacted entries, commitment, and the
// proposals of commands and membership changes. Comments cite the rule of
// the Raft paper a line enforces.
#include "actraft/core/node.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "actraft/core/membership.hpp"

namespace actraft::core {

// --- Leader ------------------------------------------------------------------

void node::step_leader(const message& m) {
  switch (m.type) {
    case message_type::append_response: handle_append_response(m); break;
    case message_type::heartbeat_response: handle_heartbeat_response(m); break;
    default: break;
  }
}

void node::handle_append_response(const message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  progress& pr = it->second;
  pr.recent_active = true;
  if (m.reject) {
    if (pr.state == replication_state::snapshot) {
      pr.become_probe();
    } else if (pr.state == replication_state::replicate) {
      if (m.index <= pr.match) return;  // stale: answers an older append
      pr.become_probe();
    } else {
      if (m.index != pr.next - 1) return;  // stale: not our latest probe
      // Figure 2, Leaders: decrement nextIndex and retry; the follower's
      // hint lets us jump over a whole conflicting term at once.
      log_index probe = m.hint_index;
      if (m.hint_term > raft_term{0}) probe = log_.find_conflict_by_term(m.hint_index, m.hint_term).first;
      pr.next = std::max(std::min(m.index, probe + 1), pr.match + 1);
      pr.probe_sent = false;
    }
    send_append(m.from, pr, true);
    return;
  }
  if (m.index > log_.last_index()) return;  // cannot match what we never sent
  if (m.index > pr.match) {
    pr.match = m.index;  // Figure 2, Leaders: update nextIndex and matchIndex
    if (maybe_commit()) broadcast_pending_ = true;
    if (role_ != role::leader) return;  // committed our own removal
  }
  pr.next = std::max(pr.next, pr.match + 1);
  if (pr.state == replication_state::snapshot && pr.match < pr.pending_snapshot)
    return;  // an answer to something older than the snapshot on its way
  if (pr.state != replication_state::replicate)
    pr.become_replicate();
  else
    pr.free_inflight_to(m.index);
  while (send_append(m.from, pr, false)) {
  }
  maybe_promote(m.from, pr);
  // §3.10: the transferee has every entry now; tell it to campaign.
  if (m.from == transferee_ && pr.match == log_.last_index()) send_timeout_now(m.from);
}

propose_result node::transferring() const {
  propose_result r;
  r.error = propose_error::transferring;
  r.leader = transferee_;
  return r;
}

bool node::transfer_leadership(node_id to) {
  if (role_ != role::leader || to == opts_.id || !config_.is_voter(to)) return false;
  auto it = progress_.find(to);
  if (it == progress_.end()) return false;
  // The handover under way already: commands are refused meanwhile, so a
  // request repeated does not restart its clock (they would wait for ever).
  if (transferee_ == to) return true;
  // §3.10: stop accepting commands (so the transferee can catch up), bring
  // its log up to date, then have it start an election at once.
  transferee_ = to;
  transfer_elapsed_ = 0;
  if (it->second.match == log_.last_index())
    send_timeout_now(to);
  else
    send_append(to, it->second, true);
  return true;
}

void node::send_timeout_now(node_id to) {
  // The transferee campaigns past the voters' promise a lease relies on
  // (message::transfer): no lease reads for the rest of this term.
  lease_forfeited_ = true;
  message m;
  m.type = message_type::timeout_now;
  m.to = to;
  m.term = term_;
  send(std::move(m));
}

void node::handle_heartbeat_response(const message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  progress& pr = it->second;
  pr.recent_active = true;
  if (m.context > pr.round_acked && m.context <= round_) {
    pr.round_acked = m.context;
    release_reads();
  }
  if (pr.state == replication_state::snapshot) {
    // The snapshot's answer may have been lost. A follower whose commit
    // index reached the snapshot has the snapshot or the entries it covers:
    // probe from there. Its commit index is volatile, though (the entries
    // may not be durable yet, and a crash can take them back), so it only
    // says where to probe: matchIndex moves on the follower's answer, which
    // it sends once durable, never on this hint. One that has not reached it,
    // an election timeout of heartbeats later, may have crashed before its
    // install was durable: offer the snapshot again.
    if (m.commit >= pr.pending_snapshot && m.commit <= log_.last_index()) {
      pr.become_probe();
      pr.next = std::max(pr.next, m.commit + 1);
    } else if (++pr.snapshot_wait >= opts_.election_ticks) {
      pr.become_probe();
    } else {
      return;
    }
  }
  pr.probe_sent = false;
  // An append may have been lost: free a slot and resend from where the
  // follower is, which turns a gap into a rejection and a probe.
  if (pr.state == replication_state::replicate && pr.paused(opts_.max_inflight))
    pr.inflight.pop_front();
  if (pr.match < log_.last_index()) send_append(m.from, pr, true);
}

bool node::send_append(node_id to, progress& pr, bool allow_empty) {
  if (pr.paused(opts_.max_inflight)) return false;
  const log_index prev = pr.next - 1;
  const auto prev_term = log_.term_at(prev);
  if (!prev_term) return send_snapshot(to, pr);  // §7: compacted away
  std::vector<entry> es;
  if (pr.next <= log_.last_index()) es = log_.slice(pr.next, log_.last_index(), opts_.max_batch_bytes);
  if (es.empty() && !allow_empty) return false;
  message m;
  m.type = message_type::append;
  m.to = to;
  m.term = term_;
  m.index = prev;
  m.log_term = *prev_term;
  m.commit = log_.commit();
  if (pr.state == replication_state::replicate) {
    if (!es.empty()) {
      // Pipelining: assume success, send the next batch without waiting.
      pr.next = es.back().index + 1;
      pr.inflight.push_back(es.back().index);
    }
  } else {
    pr.probe_sent = true;  // probe: one append at a time until it is answered
  }
  m.entries = std::move(es);
  send(std::move(m));
  return true;
}

bool node::send_snapshot(node_id to, progress& pr) {
  const snapshot_meta& meta = log_.snapshot();
  // Only an entry at or below the snapshot's index has no term to send.
  ACTRAFT_INVARIANT(meta.index > log_index{0}, "a snapshot to send exists");
  ACTRAFT_INVARIANT(meta.config.voter_count() > 0,
                    "the snapshot to send carries the configuration in force at its index");
  message m;
  m.type = message_type::snapshot;
  m.to = to;
  m.term = term_;
  m.index = meta.index;
  m.log_term = meta.term;
  m.snapshot = meta;
  pr.become_snapshot(meta.index);
  send(std::move(m));
  return true;
}

void node::report_snapshot_failure(node_id follower) {
  auto it = progress_.find(follower);
  if (it == progress_.end() || it->second.state != replication_state::snapshot) return;
  // Try again later: probing finds that the snapshot is still needed.
  it->second.become_probe();
  it->second.probe_sent = true;  // until the next heartbeat response
}

std::optional<snapshot_meta> node::snapshot_meta_at(log_index index) const {
  auto t = log_.term_at(index);
  if (!t || index < log_.snapshot().index) return std::nullopt;
  snapshot_meta meta{index, *t, configuration_at(index).first};
  // §7: a snapshot carries the configuration in force at its index. A member
  // that joined with an empty log does not know it until the first
  // configuration entry (or snapshot) it receives; a snapshot taken before
  // that would have no voters, every receiver would drop it, and a leader
  // holding it could never catch a follower up.
  if (meta.config.voter_count() == 0) return std::nullopt;
  return meta;
}

bool node::compact(log_index index) {
  if (index > applied_) return false;
  auto meta = snapshot_meta_at(index);
  return meta && log_.compact(*meta);
}

void node::broadcast_append() {
  const bool advertise_commit = log_.commit() > last_broadcast_commit_;
  last_broadcast_commit_ = log_.commit();
  for (auto& [id, pr] : progress_) {
    bool allow_empty = advertise_commit || pr.state == replication_state::probe;
    while (send_append(id, pr, allow_empty)) {
      allow_empty = false;
      if (pr.state != replication_state::replicate) break;
    }
  }
}

void node::broadcast_heartbeat() {
  // Every heartbeat is a round: reads waiting for one get this one.
  if (read_round_due()) assign_round();
  ++round_;
  if (opts_.reads == read_mode::lease) round_sent_at_[round_] = leader_ticks_;
  for (const auto& [id, pr] : progress_) {
    message m;
    m.type = message_type::heartbeat;
    m.to = id;
    m.term = term_;
    // Never tell a follower to commit beyond what it is known to hold.
    m.commit = std::min(pr.match, log_.commit());
    m.context = round_;
    send(std::move(m));
  }
  release_reads();  // a lone voter is its own quorum
}

bool node::maybe_commit() {
  std::vector<log_index> matched;
  for (const auto& m : config_.members) {
    if (!m.voter && !planted(planted_bug::learner_counts)) continue;
    if (m.id == opts_.id) {
      matched.push_back(log_.durable());  // our own log counts once durable
    } else {
      auto it = progress_.find(m.id);
      matched.push_back(it == progress_.end() ? log_index{0} : it->second.match);
    }
  }
  if (matched.empty()) return false;
  std::sort(matched.begin(), matched.end(), std::greater<>());
  const log_index candidate = matched[quorum() - 1];  // held by a majority
  if (candidate <= log_.commit()) return false;
  // Figure 8 / §5.4.2: only an entry of the current term is committed by
  // counting replicas; earlier entries are committed with it.
  if (log_.term_at(candidate) != term_ && !planted(planted_bug::commit_previous_term))
    return false;
  log_.commit_to(candidate);
  // §4.2.2: a leader that is not part of the configuration steps down once
  // that configuration is committed.
  if (config_.find(opts_.id) == nullptr && log_.commit() >= config_index_)
    become_follower(term_, no_node);
  return true;
}

propose_result node::not_leader() const {
  propose_result r;
  r.error = propose_error::not_leader;
  r.leader = leader_;
  return r;
}

propose_result node::append_own(entry_kind kind, payload data, propose_result r) {
  // Figure 2, Leaders: append the command to the local log; it is replicated
  // with everything else proposed before the next ready (one batch).
  entry e{term_, log_.last_index() + 1, kind, std::move(data)};
  r.index = e.index;
  r.term = e.term;
  r.leader = opts_.id;
  append_entries({std::move(e)});
  broadcast_pending_ = true;
  return r;
}

propose_result node::propose(payload data, entry_kind kind) {
  if (role_ != role::leader) return not_leader();
  if (transferee_ != no_node) return transferring();
  if (kind == entry_kind::configuration) {
    propose_result r;
    r.error = propose_error::invalid_change;
    r.reason = "membership changes go through propose_membership";
    return r;
  }
  return append_own(kind, std::move(data), {});
}

bool node::membership_change_allowed() const {
  // One change at a time: the previous one must be committed. And a new
  // leader must have committed an entry of its own term first, or a change
  // it makes could conflict with one an earlier leader left uncommitted
  // (the single-server membership change bug, raft-dev 2015).
  return role_ == role::leader &&
         (log_.commit() >= config_index_ || planted(planted_bug::concurrent_changes)) &&
         log_.commit() >= term_start_index_;
}

propose_result node::propose_membership(const membership_change& change) {
  if (role_ != role::leader) return not_leader();
  if (transferee_ != no_node) return transferring();
  propose_result r;
  if (!membership_change_allowed()) {
    r.error = propose_error::change_in_progress;
    r.leader = opts_.id;
    return r;
  }
  change_outcome out = apply_change(config_, change);
  r.member = out.id;
  if (!out.error.empty()) {
    r.error = propose_error::invalid_change;
    r.reason = std::move(out.error);
    return r;
  }
  return append_own(entry_kind::configuration, encode_configuration(out.config), std::move(r));
}

void node::maybe_promote(node_id id, const progress& pr) {
  if (opts_.promote_lag < 0) return;
  const member* m = config_.find(id);
  if (m == nullptr || m->voter || !membership_change_allowed()) return;
  if (pr.match + static_cast<std::uint64_t>(opts_.promote_lag) < log_.last_index()) return;
  propose_membership(membership_change{membership_op::promote, id, {}});
}

}  // namespace actraft::core
