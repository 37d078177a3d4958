// Reads without a log write (§6.4 of Ongaro's thesis). A read must reflect
// every write committed before it was asked. The leader's commit index
// covers them, but only if it is still the leader: so it notes that index,
// and serves the read once a quorum answered a heartbeat round sent after
// the read arrived (every read waiting then shares the round), or at once
// while its lease holds (§6.4.1). A follower asks its leader for the index
// and serves the read itself once it applied that far.
#include "actraft/core/node.hpp"

#include <algorithm>
#include <utility>

namespace actraft::core {

bool node::read_index(std::uint64_t id) {
  if (role_ == role::leader) {
    // §6.4.1: within the lease no other leader can exist yet.
    if ((read_round_due() && lease_valid()) || planted(planted_bug::read_without_round)) {
      settle_read(id, no_node, log_.commit(), true);
      return true;
    }
    // The caller bounds its own reads (max_pending_requests); the bound of
    // handle_read_index is for followers' questions, which it does not see.
    reads_.push_back(pending_read{id, no_node, {}, 0, 0});
    return true;
  }
  if (leader_ == no_node) return false;
  message m;
  m.type = message_type::read_index;
  m.to = leader_;
  m.term = term_;
  m.context = id;
  send(std::move(m));
  asked_[id] = 0;
  return true;
}

void node::handle_read_index(const message& m) {
  if (role_ != role::leader || config_.find(m.from) == nullptr ||
      reads_.size() >= opts_.max_pending_reads) {
    // Not the leader (any more), or too busy: the follower asks again,
    // maybe elsewhere.
    message r;
    r.type = message_type::read_index_response;
    r.to = m.from;
    r.term = term_;
    r.context = m.context;
    r.reject = true;
    respond(std::move(r));
    return;
  }
  if (read_round_due() && lease_valid()) {
    settle_read(m.context, m.from, log_.commit(), true);
    return;
  }
  reads_.push_back(pending_read{m.context, m.from, {}, 0, 0});
}

void node::handle_read_index_response(const message& m) {
  auto it = asked_.find(m.context);
  if (it == asked_.end() || m.from != leader_) return;  // settled already, or not from our leader
  asked_.erase(it);
  read_states_.push_back(read_state{m.context, m.index, !m.reject});
}

void node::settle_read(std::uint64_t id, node_id from, log_index index, bool ok) {
  if (from == no_node) {
    read_states_.push_back(read_state{id, index, ok});
    return;
  }
  if (!ok) return;  // the follower's own timeout asks again
  message r;
  r.type = message_type::read_index_response;
  r.to = from;
  r.term = term_;
  r.context = id;
  r.index = index;
  send(std::move(r));
}

bool node::read_round_due() const {
  // §6.4 step 1: a new leader does not know which entries are committed
  // until it commits one of its own term (its no-op, §8).
  return role_ == role::leader && log_.commit() >= term_start_index_;
}

bool node::read_round_wanted() const {
  // One round in flight at a time: reads arriving meanwhile share the next
  // one, sent when this one is answered (or on the next heartbeat, should
  // it be lost). Fewer messages per read under load, one round trip more
  // at most for a read that just missed a round.
  return read_round_due() && !reads_.empty() && reads_.back().round == 0 &&
         confirmed_round_ >= round_;
}

void node::assign_round() {
  // §6.4 steps 1-2: the read index is the commit index now, and the round
  // that confirms it is the next one, sent after the read arrived.
  const std::uint64_t next = round_ + 1;
  bool assigned = false;
  for (auto& r : reads_) {
    if (r.round != 0) continue;
    r.round = next;
    r.index = log_.commit();
    assigned = true;
  }
  if (assigned) ++read_rounds_;
}

bool node::lease_valid() const {
  return opts_.reads == read_mode::lease && !lease_forfeited_ && leader_ticks_ < lease_until_;
}

void node::release_reads() {
  if (role_ != role::leader) return;
  // The highest round a quorum of voters answered (our own counts at once).
  std::vector<std::uint64_t> acked;
  for (const auto& mem : config_.members) {
    if (!mem.voter) continue;
    if (mem.id == opts_.id) {
      acked.push_back(round_);
    } else {
      auto it = progress_.find(mem.id);
      acked.push_back(it == progress_.end() ? 0 : it->second.round_acked);
    }
  }
  if (acked.size() < quorum()) return;
  std::sort(acked.begin(), acked.end(), std::greater<>());
  const std::uint64_t confirmed = acked[quorum() - 1];
  confirmed_round_ = std::max(confirmed_round_, confirmed);
  // §6.4 step 3: a quorum heard from us as leader after the read arrived:
  // no other leader had been elected by then, and our commit index held
  // every committed entry.
  while (!reads_.empty() && reads_.front().round != 0 && reads_.front().round <= confirmed) {
    const pending_read r = reads_.front();
    reads_.pop_front();
    settle_read(r.id, r.from, r.index, true);
  }
  // §6.4.1: the voters that answered that round vote for nobody else for an
  // election timeout after they heard it, so nobody else can lead before
  // then; the margin covers tick granularity and clock drift.
  auto sent = round_sent_at_.find(confirmed);
  if (sent != round_sent_at_.end()) {
    const auto lease = static_cast<std::uint64_t>(opts_.election_ticks - opts_.lease_margin_ticks);
    lease_until_ = std::max(lease_until_, sent->second + lease);
  }
  round_sent_at_.erase(round_sent_at_.begin(), round_sent_at_.upper_bound(confirmed));
}

void node::expire_lease() {
  lease_until_ = 0;
  round_sent_at_.clear();
}

void node::fail_reads() {
  for (const auto& r : reads_) settle_read(r.id, r.from, {}, false);
  reads_.clear();
  for (const auto& [id, age] : asked_) read_states_.push_back(read_state{id, {}, false});
  asked_.clear();
  round_ = 0;
  confirmed_round_ = 0;
  round_sent_at_.clear();
  leader_ticks_ = 0;
  lease_until_ = 0;
  lease_forfeited_ = false;
}

void node::age_reads() {
  // Rounds too old to start a lease are of no use any more.
  const auto lease = static_cast<std::uint64_t>(opts_.election_ticks - opts_.lease_margin_ticks);
  std::erase_if(round_sent_at_, [&](const auto& kv) { return kv.second + lease <= leader_ticks_; });
  // A read whose round no quorum answers within an election timeout (the
  // leader is cut off; with check-quorum it steps down about then), or whose
  // answer from the leader was lost, fails: the caller may ask again.
  for (auto it = reads_.begin(); it != reads_.end();) {
    if (++it->age >= opts_.election_ticks) {
      settle_read(it->id, it->from, {}, false);
      it = reads_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = asked_.begin(); it != asked_.end();) {
    if (++it->second >= opts_.election_ticks) {
      read_states_.push_back(read_state{it->first, {}, false});
      it = asked_.erase(it);
    } else {
      ++it;
    }
  }
}

}  // namespace actraft::core
