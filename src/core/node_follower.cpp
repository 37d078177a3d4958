// The receiving side of elections and replication: vote requests and
// answers, and a follower's handling of appends, heartbeats and snapshots.
// Comments cite the rule of the Raft paper a line enforces.
#include "actraft/core/node.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "actraft/core/membership.hpp"

namespace actraft::core {

void node::handle_vote_request(const message& m) {
  // Figure 2, RequestVote: vote at most once per term (first come, first
  // served), and not while following a known leader of this term. A
  // pre-vote for a later term promises nothing and may always be granted.
  bool can_vote = vote_ == m.from || (vote_ == no_node && leader_ == no_node) ||
                  (m.type == message_type::pre_vote && m.term > term_);
  if (m.type == message_type::vote && planted(planted_bug::vote_twice)) can_vote = true;
  message r;
  r.to = m.from;
  r.type = m.type == message_type::vote ? message_type::vote_response
                                        : message_type::pre_vote_response;
  // §5.4.1: only for a candidate whose log is at least as up-to-date.
  if (can_vote && log_.is_up_to_date(m.index, m.log_term)) {
    r.term = m.term;
    if (m.type == message_type::vote) {
      vote_ = m.from;
      election_elapsed_ = 0;  // Figure 2, Followers: granting a vote resets the timer
    }
  } else {
    r.term = term_;
    r.reject = true;
  }
  respond(std::move(r));
}

void node::step_follower(const message& m) {
  switch (m.type) {
    case message_type::append:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_append(m);
      break;
    case message_type::heartbeat:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_heartbeat(m);
      break;
    case message_type::snapshot:
      election_elapsed_ = 0;
      leader_ = m.from;
      handle_snapshot(m);
      break;
    case message_type::timeout_now:
      // §3.10: our leader hands over; campaign now, without a pre-vote (the
      // leader vouches for us) and past the voters' leader lease.
      start_election(false, true);
      break;
    default:
      break;  // responses to roles we no longer hold
  }
}

void node::step_candidate(const message& m) {
  switch (m.type) {
    case message_type::append:
    case message_type::heartbeat:
    case message_type::snapshot:
      // Figure 2, Candidates: AppendEntries from the new leader of this term
      // means the election is lost.
      become_follower(term_, m.from);
      step_follower(m);
      break;
    case message_type::pre_vote_response:
      if (role_ == role::pre_candidate) handle_vote_response(m);
      break;
    case message_type::vote_response:
      if (role_ == role::candidate) handle_vote_response(m);
      break;
    default:
      break;
  }
}

void node::handle_vote_response(const message& m) {
  if (!config_.is_voter(m.from)) return;
  votes_.emplace(m.from, !m.reject);  // the first answer of each voter counts
  const std::size_t granted = granted_votes();
  std::size_t rejected = 0;
  for (const auto& [id, yes] : votes_) rejected += yes ? 0 : 1;
  if (granted >= quorum()) {
    // Figure 2, Candidates: votes from a majority make a leader; §9.6: a
    // pre-vote majority allows a real election.
    if (role_ == role::pre_candidate)
      start_election(false);
    else
      become_leader();
  } else if (config_.voter_count() - rejected < quorum()) {
    become_follower(term_, no_node);  // the election is lost
  }
}

void node::handle_append(const message& m) {
  message r;
  r.type = message_type::append_response;
  r.to = m.from;
  r.term = term_;
  if (m.index < log_.commit()) {
    // Everything up to our commit index is known to match the leader.
    r.index = log_.commit();
    respond(std::move(r));
    return;
  }
  if (!log_.matches(m.index, m.log_term)) {
    // Figure 2, AppendEntries 2: reply false if the log has no entry at
    // prevLogIndex with prevLogTerm. The hint lets the leader skip all our
    // entries of a term that conflicts (§5.3, "optimization").
    auto [hint_index, hint_term] =
        log_.find_conflict_by_term(std::min(m.index, log_.last_index()), m.log_term);
    r.reject = true;
    r.index = m.index;
    r.hint_index = hint_index;
    r.hint_term = hint_term;
    respond(std::move(r));
    return;
  }
  // Figure 2, AppendEntries 3 and 4: skip entries already present, delete a
  // conflicting entry and all that follow, append the rest.
  std::size_t k = 0;
  while (k < m.entries.size() && log_.matches(m.entries[k].index, m.entries[k].term)) ++k;
  if (k < m.entries.size()) {
    const log_index first_new = m.entries[k].index;
    std::vector<entry> rest(m.entries.begin() + static_cast<std::ptrdiff_t>(k), m.entries.end());
    if (first_new <= log_.last_index()) {
      if (planted(planted_bug::skip_truncate)) {
        std::erase_if(rest, [&](const entry& e) { return e.index <= log_.last_index(); });
      } else if (!truncate_log(first_new)) {
        return;  // would remove a committed entry: cannot come from a valid leader
      }
    }
    append_entries(rest);
  }
  const log_index last_new = m.index + m.entries.size();
  // Figure 2, AppendEntries 5: commitIndex = min(leaderCommit, last new entry).
  log_.commit_to(std::min(m.commit, last_new));
  r.index = last_new;
  respond(std::move(r));  // sent only once our log is durable (persisted_messages)
}

void node::handle_snapshot(const message& m) {
  message r;
  r.type = message_type::append_response;
  r.to = m.from;
  r.term = term_;
  const snapshot_meta& meta = m.snapshot;
  if (meta.index <= log_.commit()) {
    r.index = log_.commit();  // nothing new in it
  } else if (log_.matches(meta.index, meta.term) && meta.index <= log_.durable()) {
    // §7: the log already holds what the snapshot covers; keep the entries
    // after it and just learn that it is committed. Only if that entry is
    // durable: the caller put the snapshot in force on its disk first, which
    // kept the stored log only if it held that entry (an entry still waiting
    // to be written went with the rest).
    log_.commit_to(meta.index);
    r.index = meta.index;
  } else {
    // §7: "discard the entire log"; the state machine is reset from the
    // snapshot, and so is the configuration. Acknowledgements of the entries
    // that go can be dropped only while queued: one handed out with a ready
    // still being written could not be taken back (see node.hpp).
    ACTRAFT_INVARIANT(!ready_outstanding_, "a snapshot is stepped in only between two readies");
    log_.restore(meta);
    forget_acks_beyond(meta.index);
    adopt_configuration(meta.config, meta.index);
    pending_install_ = meta;
    r.index = meta.index;
  }
  respond(std::move(r));
}

void node::handle_heartbeat(const message& m) {
  // The leader sends min(matchIndex, commitIndex), which our log holds.
  log_.commit_to(m.commit);
  message r;
  r.type = message_type::heartbeat_response;
  r.to = m.from;
  r.term = term_;
  r.context = m.context;  // confirms the leader's round (§6.4)
  // Our commit index tells a leader waiting on a snapshot whether we have it.
  r.commit = log_.commit();
  respond(std::move(r));
}

}  // namespace actraft::core
