// The Raft state machine. Comments cite the rule a line enforces: Figure 2
// and §5 of the Raft paper ("In Search of an Understandable Consensus
// Algorithm", extended version), §6 and §9.6 of Ongaro's thesis for
// check-quorum and pre-vote.
#include "actraft/core/node.hpp"

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

node::node(const options& opts, persisted_state state)
    : opts_(opts),
      config_(state.snapshot.config),
      config_index_(state.snapshot.index),
      log_(std::move(state.snapshot), std::move(state.entries), state.state.commit),
      term_(state.state.term),
      vote_(state.state.vote),
      applied_(log_.snapshot().index),
      persisted_state_(state.state) {
  rng_state_ = opts_.seed ^ (opts_.id.value * 0x9e3779b97f4a7c15ULL);
  // The newest configuration in the log is in force, committed or not (§4.1).
  for (log_index i = log_.last_index(); i > log_.snapshot().index; i = i - 1) {
    const entry& e = log_.at(i);
    if (e.kind != entry_kind::configuration) continue;
    if (auto c = decode_configuration(e.data)) {
      adopt_configuration(std::move(*c), i);
      break;
    }
  }
  // Everything volatile starts afresh: a restarted node is a follower that
  // knows no leader, whatever it was before (Figure 2, "Persistent state").
  become_follower(term_, no_node);
}

bool node::planted([[maybe_unused]] planted_bug b) const {
#ifdef ACTRAFT_PLANTED_BUGS
  return opts_.bug == b;
#else
  return false;
#endif
}

std::uint64_t node::next_random() {
  // splitmix64: small, fast and identical on every platform.
  std::uint64_t z = (rng_state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

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
  votes_.clear();
  progress_.clear();
  broadcast_pending_ = false;
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
  start_election(opts_.pre_vote);
}

void node::start_election(bool pre) {
  if (!promotable()) return;  // learners and removed nodes never campaign
  if (pre)
    become_pre_candidate();
  else
    become_candidate();
  const raft_term request_term = pre ? term_ + 1 : term_;
  votes_[opts_.id] = true;
  if (votes_.size() >= quorum()) {  // a single voter wins at once
    if (pre)
      start_election(false);
    else
      become_leader();
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
    send(std::move(req));
  }
}

// --- Time --------------------------------------------------------------------

void node::tick() {
  ++election_elapsed_;
  if (role_ == role::leader) {
    ++heartbeat_elapsed_;
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
  const bool durable_promise =
      m.type == message_type::vote || m.type == message_type::vote_response ||
      m.type == message_type::append_response;
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
    if (vote_request && opts_.check_quorum && leader_ != no_node &&
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
      default: return;  // stale responses are ignored
    }
    respond(std::move(r));
    return;
  }

  if (m.type == message_type::vote || m.type == message_type::pre_vote) {
    handle_vote_request(m);
    return;
  }
  switch (role_) {
    case role::leader: step_leader(m); break;
    case role::candidate:
    case role::pre_candidate: step_candidate(m); break;
    case role::follower: step_follower(m); break;
  }
}

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
  std::size_t granted = 0;
  std::size_t rejected = 0;
  for (const auto& [id, yes] : votes_) (yes ? granted : rejected) += 1;
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
  } else if (log_.matches(meta.index, meta.term)) {
    // §7: the log already holds what the snapshot covers; keep the entries
    // after it and just learn that it is committed.
    log_.commit_to(meta.index);
    r.index = meta.index;
  } else {
    // §7: "discard the entire log"; the state machine is reset from the
    // snapshot, and so is the configuration.
    log_.restore(meta);
    config_ = meta.config;
    config_index_ = meta.index;
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
  // Our commit index tells a leader waiting on a snapshot whether we have it.
  r.commit = log_.commit();
  respond(std::move(r));
}

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
}

void node::handle_heartbeat_response(const message& m) {
  auto it = progress_.find(m.from);
  if (it == progress_.end()) return;
  progress& pr = it->second;
  pr.recent_active = true;
  if (pr.state == replication_state::snapshot) {
    // The snapshot's answer may have been lost. A follower whose commit
    // index reached the snapshot has installed it (its committed entries are
    // ours): continue from there. One that has not, an election timeout of
    // heartbeats later, may have crashed before its install was durable:
    // offer the snapshot again.
    if (m.commit >= pr.pending_snapshot && m.commit <= log_.last_index()) {
      pr.match = std::max(pr.match, m.commit);
      pr.become_probe();
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
  if (meta.index == log_index{0}) return false;  // nothing compacted: cannot happen
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
  snapshot_meta meta{index, *t, log_.snapshot().config};
  for (log_index i = index; i > log_.snapshot().index; i = i - 1) {
    const entry& e = log_.at(i);
    if (e.kind != entry_kind::configuration) continue;
    if (auto c = decode_configuration(e.data)) {
      meta.config = std::move(*c);
      break;
    }
  }
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
  for (const auto& [id, pr] : progress_) {
    message m;
    m.type = message_type::heartbeat;
    m.to = id;
    m.term = term_;
    // Never tell a follower to commit beyond what it is known to hold.
    m.commit = std::min(pr.match, log_.commit());
    send(std::move(m));
  }
}

bool node::maybe_commit() {
  std::vector<log_index> matched;
  for (const auto& m : config_.members) {
    if (!m.voter) continue;
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
  return role_ == role::leader && log_.commit() >= config_index_ &&
         log_.commit() >= term_start_index_;
}

propose_result node::propose_membership(const membership_change& change) {
  if (role_ != role::leader) return not_leader();
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
  if (from > config_index_) return true;
  // The configuration in force was removed with the suffix: fall back to the
  // newest one left in the log, or the snapshot's.
  for (log_index i = log_.last_index(); i > log_.snapshot().index; i = i - 1) {
    const entry& e = log_.at(i);
    if (e.kind != entry_kind::configuration) continue;
    if (auto c = decode_configuration(e.data)) {
      adopt_configuration(std::move(*c), i);
      return true;
    }
  }
  adopt_configuration(log_.snapshot().config, log_.snapshot().index);
  return true;
}

void node::adopt_configuration(configuration c, log_index index) {
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
         log_.unstable_from() <= log_.last_index() || current_hard_state() != persisted_state_ ||
         log_.commit() > applied_;
}

ready node::take_ready() {
  if (role_ == role::leader && broadcast_pending_) broadcast_append();
  broadcast_pending_ = false;
  ready rd;
  const hard_state hs = current_hard_state();
  if (hs != persisted_state_) rd.state = hs;
  rd.entries = log_.take_unstable();
  rd.messages = std::move(messages_);
  rd.persisted_messages = std::move(persisted_messages_);
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
  return rd;
}

void node::advance() {
  if (!ready_outstanding_) return;
  ready_outstanding_ = false;
  persisted_state_ = ready_state_;
  log_.mark_durable(ready_last_index_);
  applied_ = std::max(applied_, ready_committed_to_);
  // The leader's own append is now durable and counts toward a quorum.
  if (role_ == role::leader && maybe_commit()) broadcast_pending_ = true;
}

}  // namespace actraft::core
