// The Raft state machine: roles and elections, time, message dispatch, the
// log's configuration and the ready cycle. The receiving side of votes and
// replication is in node_follower.cpp, the leader in node_leader.cpp.
// Comments cite the rule a line enforces: Figure 2 and §5 of the Raft paper
// ("In Search of an Understandable Consensus Algorithm", extended version),
// §6 and §9.6 of Ongaro's thesis for check-quorum and pre-vote.
#include "actraft/core/node.hpp"

#include "actraft/core/splitmix.hpp"

#include <algorithm>
#include <limits>
#include <utility>

namespace actraft::core {

std::string_view to_string(role r) {
  switch (r) {
    case role::follower: return "follower";
    case role::pre_candidate: return "pre_candidate";
    case role::candidate: return "candidate";
    case role::leader: return "leader";
  }
  return "unknown";
}

node::node(const options& opts, persisted_state state, log_index applied)
    : opts_(opts),
      config_(state.snapshot.config),
      config_index_(state.snapshot.index),
      log_(std::move(state.snapshot), std::move(state.entries), std::max(state.state.commit, applied)),
      term_(state.state.term),
      vote_(state.state.vote),
      applied_(std::max(log_.snapshot().index, applied)),
      durable_state_(state.state),
      handed_state_(state.state) {
  ACTRAFT_INVARIANT(applied <= log_.last_index(),
                    "a state machine's own index is within the log it starts with");
  rng_state_ = opts_.seed ^ (opts_.id.value * 0x9e3779b97f4a7c15ULL);
  // The newest configuration in the log is in force, committed or not (§4.1).
  auto [c, at] = configuration_at(log_.last_index());
  adopt_configuration(std::move(c), at);
  // Everything volatile starts afresh: a restarted node is a follower that
  // knows no leader, whatever it was before (Figure 2, "Persistent state").
  become_follower(term_, no_node);
  // §6.4.1: a leader's lease counts on every voter that answered it to vote
  // for nobody else for an election timeout. A voter that restarts forgot
  // whom it heard from: it keeps that promise for one election timeout
  // after it starts, as if it had just heard from a leader. (A node that
  // never stored a term never answered a leader: see send().)
  boot_sticky_ = opts_.reads == read_mode::lease && term_ > raft_term{0};
}

bool node::planted([[maybe_unused]] planted_bug b) const {
#ifdef ACTRAFT_PLANTED_BUGS
  return opts_.bug == b;
#else
  return false;
#endif
}

std::uint64_t node::next_random() { return splitmix64(rng_state_); }

void node::reset_election_timeout() {
  // §5.2: randomized election timeouts make split votes rare.
  auto spread = static_cast<std::uint64_t>(opts_.election_ticks);
  randomized_election_timeout_ = opts_.election_ticks + static_cast<int>(next_random() % spread);
}

// --- Role transitions ------------------------------------------------------

void node::reset(raft_term t) {
  if (term_ != t) {
    // Figure 2: votedFor is per term.
    term_ = t;
    vote_ = no_node;
  }
  leader_ = no_node;
  election_elapsed_ = 0;
  heartbeat_elapsed_ = 0;
  reset_election_timeout();
  fail_reads();  // a read confirmed by another role or term proves nothing
  boot_sticky_ = false;
  votes_.clear();
  progress_.clear();
  broadcast_pending_ = false;
  transferee_ = no_node;
  transfer_elapsed_ = 0;
  last_broadcast_commit_ = log_index{0};
}

void node::become_follower(raft_term t, node_id leader) {
  reset(t);
  role_ = role::follower;
  leader_ = leader;
}

void node::become_pre_candidate() {
  // §9.6: a pre-candidate keeps its term and vote; it only asks around.
  votes_.clear();
  leader_ = no_node;
  election_elapsed_ = 0;
  reset_election_timeout();
  fail_reads();  // the reads asked of the leader we gave up on
  role_ = role::pre_candidate;
}

void node::become_candidate() {
  // Figure 2, Candidates: increment currentTerm, vote for self.
  reset(term_ + 1);
  vote_ = opts_.id;
  role_ = role::candidate;
}

void node::become_leader() {
  reset(term_);
  role_ = role::leader;
  leader_ = opts_.id;
  // Figure 2: nextIndex = leader last log index + 1, matchIndex = 0.
  for (const auto& m : config_.members) {
    if (m.id == opts_.id) continue;
    progress pr;
    pr.next = log_.last_index() + 1;
    pr.recent_active = true;  // give every follower one check-quorum round
    progress_.emplace(m.id, std::move(pr));
  }
  // §5.4.2 / §8: a new leader commits an entry of its own term, which also
  // commits everything before it.
  term_start_index_ = log_.last_index() + 1;
  append_entries({entry{term_, term_start_index_, entry_kind::empty, payload{}}});
  broadcast_pending_ = true;
  maybe_commit();  // a single-voter cluster may commit at once (once durable)
}

void node::campaign() {
  if (role_ == role::leader) return;
  // A node whose removal is pending asks first, always: if its removal is
  // committed already (it may never hear of it), the voters' logs have moved
  // on and it must not make anybody change terms.
  start_election(opts_.pre_vote || !config_.is_voter(opts_.id));
}

bool node::promotable() const {
  if (config_.is_voter(opts_.id)) return true;
  // §4.2.2: the newest configuration is in force, committed or not, so a
  // voter that appended its own removal (as leader) and lost its leadership
  // before committing it is no voter any more. But its log may be the only
  // one holding the removal: the remaining voters then need it to elect
  // anybody. Until its removal is committed it takes part in elections (as
  // removed servers do in §4.2.3), counting the votes of the voters of its
  // newest configuration, never its own.
  return voter_before_ && config_.find(opts_.id) == nullptr && log_.commit() < config_index_;
}

std::size_t node::granted_votes() const {
  std::size_t granted = 0;
  for (const auto& [id, yes] : votes_) granted += yes && config_.is_voter(id) ? 1 : 0;
  return granted;
}

void node::start_election(bool pre, bool transfer) {
  if (!promotable()) return;  // learners and removed nodes never campaign
  if (pre)
    become_pre_candidate();
  else
    become_candidate();
  const raft_term request_term = pre ? term_ + 1 : term_;
  votes_[opts_.id] = true;
  if (granted_votes() >= quorum()) {
    // A lone voter has nobody to ask. A pre-vote changes no term: on to the
    // real election at once. That one is won when the vote for itself is
    // durable (advance()), as Figure 2 wants currentTerm and votedFor on
    // stable storage before they are acted on; a candidate with peers gets
    // there by itself, its requests leaving only once they are durable.
    if (pre) start_election(false);
    return;
  }
  for (const auto& m : config_.members) {
    if (m.id == opts_.id || !m.voter) continue;
    message req;
    req.type = pre ? message_type::pre_vote : message_type::vote;
    req.to = m.id;
    req.term = request_term;
    req.index = log_.last_index();
    req.log_term = log_.last_term();
    req.transfer = transfer;
    send(std::move(req));
  }
}

// --- Time --------------------------------------------------------------------

void node::tick() {
  ++election_elapsed_;
  if (election_elapsed_ >= opts_.election_ticks) boot_sticky_ = false;
  age_reads();
  if (role_ == role::leader) {
    ++heartbeat_elapsed_;
    ++leader_ticks_;
    // A handover that did not happen within an election timeout (the
    // transferee is down or cut off) is abandoned: we lead on.
    if (transferee_ != no_node && ++transfer_elapsed_ >= opts_.election_ticks) {
      transferee_ = no_node;
      transfer_elapsed_ = 0;
    }
    if (election_elapsed_ >= opts_.election_ticks) {
      election_elapsed_ = 0;
      // §6.2 check-quorum: a leader cut off from a majority steps down, so
      // clients stop talking to a leader that cannot commit anything.
      if (opts_.check_quorum && !quorum_active()) {
        become_follower(term_, no_node);
        return;
      }
    }
    if (heartbeat_elapsed_ >= opts_.heartbeat_ticks) {
      heartbeat_elapsed_ = 0;
      broadcast_heartbeat();  // Figure 2, Leaders: heartbeats prevent elections
    }
    return;
  }
  // Figure 2, Followers: no word from a leader within the election timeout
  // means start an election.
  if (promotable() && election_elapsed_ >= randomized_election_timeout_) {
    election_elapsed_ = 0;
    campaign();
  }
}

bool node::quorum_active() {
  std::size_t active = config_.is_voter(opts_.id) ? 1 : 0;
  for (auto& [id, pr] : progress_) {
    if (pr.recent_active && config_.is_voter(id)) ++active;
    pr.recent_active = false;
  }
  return active >= quorum();
}

// --- Messages ---------------------------------------------------------------

void node::send(message m) {
  m.from = opts_.id;
  // An answer to a leader's heartbeat in a term not yet durable waits for
  // it too: the lease counts on the voters that answered (§6.4.1), and a
  // restarted voter keeps that promise only if it knows it made it.
  const bool durable_promise =
      m.type == message_type::vote || m.type == message_type::vote_response ||
      m.type == message_type::append_response ||
      (m.type == message_type::heartbeat_response && opts_.reads == read_mode::lease &&
       term_ != durable_state_.term);
  // A vote or an acknowledgement promises state that must survive a crash
  // (Figure 2: persist before responding). A candidate's request carries its
  // own vote for itself, which must be durable as well.
  if (durable_promise &&
      !(m.type == message_type::append_response && planted(planted_bug::ack_before_persist)))
    persisted_messages_.push_back(std::move(m));
  else
    messages_.push_back(std::move(m));
}

void node::respond(message m) { send(std::move(m)); }

void node::forget_acks_beyond(log_index last) {
  // An acknowledgement waits for the next write, which no longer holds the
  // entries it promised: sent, it would let a leader count this member for
  // entries it never stored (and commit them, or send from past our log end
  // forever). Dropped, it is a lost message; the leader probes again.
  std::erase_if(persisted_messages_, [&](const message& m) {
    return m.type == message_type::append_response && !m.reject && m.index > last;
  });
}

bool node::valid(const message& m) const {
  if (m.to != opts_.id || m.from == no_node || m.from == opts_.id) return false;
  constexpr std::uint64_t limit = std::numeric_limits<std::uint64_t>::max() / 2;
  if (m.term.value > limit || m.index.value > limit || m.commit.value > limit) return false;
  switch (m.type) {
    case message_type::append: {
      if (m.log_term > m.term) return false;
      raft_term prev_term = m.log_term;
      log_index expect = m.index + 1;
      for (const auto& e : m.entries) {
        // Entries must directly follow prevLogIndex, with terms that never
        // decrease and never exceed the sender's term.
        if (e.index != expect || e.term < prev_term || e.term > m.term) return false;
        prev_term = e.term;
        expect = expect + 1;
      }
      return true;
    }
    case message_type::vote:
    case message_type::pre_vote:
      return m.log_term <= m.term && m.entries.empty();
    case message_type::snapshot: {
      if (!m.entries.empty() || m.snapshot.index != m.index || m.snapshot.term != m.log_term ||
          m.snapshot.term > m.term || m.snapshot.index == log_index{0})
        return false;
      for (const auto& mem : m.snapshot.config.members)
        if (mem.id == no_node) return false;
      return m.snapshot.config.voter_count() > 0;
    }
    case message_type::pre_vote_response:
    case message_type::vote_response:
    case message_type::append_response:
    case message_type::heartbeat:
    case message_type::heartbeat_response:
    case message_type::timeout_now:
    case message_type::read_index:
    case message_type::read_index_response:
      return m.entries.empty();
  }
  return false;
}

void node::step(const message& m) {
  if (!valid(m)) return;

  if (m.term > term_) {
    const bool vote_request = m.type == message_type::vote || m.type == message_type::pre_vote;
    // §6 (check-quorum's companion): a follower that heard from a leader
    // within the minimum election timeout ignores vote requests, so a
    // partitioned node cannot depose a healthy leader.
    if (vote_request && !m.transfer && opts_.check_quorum && (leader_ != no_node || boot_sticky_) &&
        election_elapsed_ < opts_.election_ticks)
      return;
    if (m.type == message_type::pre_vote ||
        (m.type == message_type::pre_vote_response && !m.reject)) {
      // §9.6: pre-votes never change anybody's term.
    } else {
      // Figure 2, All servers: a higher term makes us a follower of it.
      const bool from_leader = m.type == message_type::append ||
                               m.type == message_type::heartbeat ||
                               m.type == message_type::snapshot;
      const int elapsed = election_elapsed_;
      become_follower(m.term, from_leader ? m.from : no_node);
      // Figure 2, Followers: only the leader's AppendEntries or a vote we
      // grant resets the election timer; a vote request we may reject must
      // not, or a candidate that can never win keeps everyone from timing out.
      if (vote_request) election_elapsed_ = elapsed;
    }
  } else if (m.term < term_) {
    // Figure 2: reply false to a stale term, carrying ours so a deposed
    // leader or candidate learns it and steps down.
    message r;
    r.to = m.from;
    r.term = term_;
    r.reject = true;
    r.index = m.index;
    switch (m.type) {
      case message_type::append:
      case message_type::heartbeat:
      case message_type::snapshot:
        r.type = message_type::append_response;
        break;
      case message_type::vote: r.type = message_type::vote_response; break;
      case message_type::pre_vote: r.type = message_type::pre_vote_response; break;
      case message_type::read_index:
        r.type = message_type::read_index_response;
        r.context = m.context;
        break;
      default: return;  // stale responses are ignored
    }
    respond(std::move(r));
    return;
  }

  if (m.type == message_type::vote || m.type == message_type::pre_vote) {
    handle_vote_request(m);
    return;
  }
  if (m.type == message_type::read_index) {
    handle_read_index(m);
    return;
  }
  if (m.type == message_type::read_index_response) {
    handle_read_index_response(m);
    return;
  }
  switch (role_) {
    case role::leader: step_leader(m); break;
    case role::candidate:
    case role::pre_candidate: step_candidate(m); break;
    case role::follower: step_follower(m); break;
  }
}

// --- Log and configuration ---------------------------------------------------

void node::append_entries(const std::vector<entry>& es) {
  if (!log_.append(es)) return;
  // §4.1: a server uses the newest configuration in its log, committed or not.
  for (auto it = es.rbegin(); it != es.rend(); ++it) {
    if (it->kind != entry_kind::configuration) continue;
    if (auto c = decode_configuration(it->data)) adopt_configuration(std::move(*c), it->index);
    break;
  }
}

bool node::truncate_log(log_index from) {
  if (!log_.truncate_from(from)) return false;
  forget_acks_beyond(from - 1);
  if (from > config_index_) return true;
  // The configuration in force was removed with the suffix: fall back to the
  // newest one left in the log, or the snapshot's.
  auto [c, at] = configuration_at(log_.last_index());
  adopt_configuration(std::move(c), at);
  return true;
}

std::pair<configuration, log_index> node::configuration_at(log_index index) const {
  for (log_index i = std::min(index, log_.last_index()); i > log_.snapshot().index; i = i - 1) {
    const entry& e = log_.at(i);
    if (e.kind != entry_kind::configuration) continue;
    if (auto c = decode_configuration(e.data)) return {std::move(*c), i};
  }
  return {log_.snapshot().config, log_.snapshot().index};
}

void node::adopt_configuration(configuration c, log_index index) {
  // Whether this node was a voter before: only looked for when the new
  // configuration leaves it out (see promotable()).
  voter_before_ = false;
  if (c.find(opts_.id) == nullptr && index > log_.snapshot().index)
    voter_before_ = configuration_at(index - 1).first.is_voter(opts_.id);
  config_ = std::move(c);
  config_index_ = index;
  if (role_ != role::leader) return;
  for (auto it = progress_.begin(); it != progress_.end();) {
    if (config_.find(it->first) == nullptr)
      it = progress_.erase(it);
    else
      ++it;
  }
  for (const auto& m : config_.members) {
    if (m.id == opts_.id || progress_.count(m.id) != 0) continue;
    progress pr;
    pr.next = log_.last_index() + 1;
    pr.recent_active = true;
    progress_.emplace(m.id, std::move(pr));
  }
}

// --- The ready cycle ------------------------------------------------------------

bool node::has_ready() const {
  if (ready_outstanding_) return false;
  return broadcast_pending_ || pending_install_ || !messages_.empty() || !persisted_messages_.empty() ||
         read_round_wanted() || !read_states_.empty() ||
         log_.unstable_from() <= log_.last_index() || current_hard_state() != handed_state_ ||
         log_.commit() > applied_;
}

ready node::take_ready() {
  ACTRAFT_INVARIANT(!ready_outstanding_, "take_ready before the previous ready was advanced");
  if (role_ == role::leader && broadcast_pending_) broadcast_append();
  broadcast_pending_ = false;
  // §6.4: reads that arrived since the last round get one now; the reads
  // of one ready share it.
  if (read_round_wanted()) {
    heartbeat_elapsed_ = 0;
    broadcast_heartbeat();
  }
  ready rd;
  const hard_state hs = current_hard_state();
  rd.entries = log_.take_unstable();
  // Figure 2: currentTerm, votedFor and log[] are persistent state, updated
  // on stable storage before responding to RPCs; commitIndex is volatile.
  rd.must_sync = !rd.entries.empty() || hs.term != durable_state_.term || hs.vote != durable_state_.vote;
  if (rd.must_sync ? hs != durable_state_ : hs != handed_state_) rd.state = hs;
  rd.messages = std::move(messages_);
  // An acknowledgement promises entries this write makes durable (see
  // forget_acks_beyond): they must be in the log.
  for (const auto& m : persisted_messages_)
    ACTRAFT_INVARIANT(m.type != message_type::append_response || m.reject || m.index <= log_.last_index(),
                      "an acknowledgement covers only entries the log holds");
  rd.persisted_messages = std::move(persisted_messages_);
  rd.reads = std::move(read_states_);
  read_states_.clear();
  messages_.clear();
  persisted_messages_.clear();
  if (pending_install_) {
    rd.snapshot = std::move(pending_install_);
    pending_install_.reset();
    applied_ = rd.snapshot->index;  // the snapshot replaces everything before it
  }
  if (log_.commit() > applied_)
    rd.committed = log_.slice(applied_ + 1, log_.commit(), std::numeric_limits<std::size_t>::max());
  ready_outstanding_ = true;
  ready_last_index_ = log_.last_index();
  ready_committed_to_ = log_.commit();
  ready_state_ = hs;
  ready_must_sync_ = rd.must_sync;
  return rd;
}

void node::advance() {
  if (!ready_outstanding_) return;
  ready_outstanding_ = false;
  handed_state_ = ready_state_;
  if (ready_must_sync_) durable_state_ = ready_state_;
  log_.mark_durable(ready_last_index_);
  applied_ = std::max(applied_, ready_committed_to_);
  // A lone voter's own vote counts once it is durable (see start_election).
  if (role_ == role::candidate && durable_state_.term == term_ && durable_state_.vote == opts_.id &&
      granted_votes() >= quorum())
    become_leader();
  // The leader's own append is now durable and counts toward a quorum.
  if (role_ == role::leader && maybe_commit()) broadcast_pending_ = true;
}

}  // namespace actraft::core
