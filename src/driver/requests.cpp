// The replica's client requests: routed to the core on the leader, forwarded
// to the leader from a follower, waiting while no leader is known, and
// answered exactly once, by the (index, term) of their entry.
#include <algorithm>
#include <utility>

#include "actraft/core/membership.hpp"
#include "actraft/driver/replica.hpp"

namespace actraft::driver {

void replica::submit(request_id id, request r) {
  // Bounded where it enters: a command every member would store and send,
  // and the requests this member keeps open.
  const bool carries_bytes = r.kind == request_kind::propose || r.kind == request_kind::query ||
                             r.kind == request_kind::query_local;
  if (carries_bytes && r.command.size() > opts_.max_command_bytes) {
    answer(id, reply::failure(errc::bad_request,
                              "a command of " + std::to_string(r.command.size()) +
                                  " bytes exceeds max_command_bytes (" +
                                  std::to_string(opts_.max_command_bytes) + ")"));
    return;
  }
  if (open_requests() >= opts_.max_pending_requests) {
    answer(id, reply::failure(errc::overloaded,
                              std::to_string(opts_.max_pending_requests) +
                                  " requests are open on this member (max_pending_requests)"));
    return;
  }
  route(waiting_request{id, std::move(r), false});
  drive();
}

std::size_t replica::open_requests() const {
  return waiting_.size() + pending_.size() + forwarded_.size() + reading_.size() + reads_ready_.size() +
         handovers_.size() + snapshot_requests_.size();
}

void replica::route(waiting_request w) {
  switch (phase_) {
    case phase::removed:
      answer(w.id, reply::failure(errc::removed, "this node was removed from the cluster"));
      return;
    case phase::stopped:
      answer(w.id, reply::failure(errc::shutting_down, "node is shutting down"));
      return;
    case phase::joining:
      waiting_.push_back(std::move(w));  // until the core starts
      return;
    case phase::running:
    case phase::installing:
      break;
  }
  if (w.req.kind == request_kind::query || w.req.kind == request_kind::query_local) {
    route_query(std::move(w));
    return;
  }
  if (w.req.kind == request_kind::snapshot) {
    request_snapshot(std::move(w));
    return;
  }
  auto& c = *core_;
  if (c.current_role() == core::role::leader) {
    if (hand_over_before_leaving(w)) return;
    if (w.req.kind == request_kind::transfer) {
      route_transfer(std::move(w));
      return;
    }
    core::propose_result r;
    switch (w.req.kind) {
      case request_kind::propose:
        r = c.propose(w.req.command);
        break;
      case request_kind::join:
        r = c.propose_membership({core::membership_op::add_learner, w.req.member, w.req.address});
        break;
      case request_kind::remove:
        r = c.propose_membership({core::membership_op::remove, w.req.member, {}});
        break;
      case request_kind::query:
      case request_kind::query_local:
      case request_kind::transfer:
      case request_kind::snapshot:
        return;  // routed above
    }
    switch (r.error) {
      case core::propose_error::none:
        track(r, w);
        return;
      case core::propose_error::change_in_progress:
      case core::propose_error::transferring:
        waiting_.push_back(std::move(w));  // tried again on the next tick
        return;
      case core::propose_error::invalid_change:
        answer(w.id, reply::failure(errc::membership_refused, r.reason));
        return;
      case core::propose_error::not_leader:
        break;  // cannot happen for a leader
    }
  }
  if (w.req.forwarded) {
    answer(w.id, leader_error());  // the follower that forwarded it tries again
    return;
  }
  const auto leader = c.leader();
  if (leader != core::no_node && leader != c.id() && connected_.count(leader) != 0) {
    forward(std::move(w));
    return;
  }
  waiting_.push_back(std::move(w));  // until a leader is known
}

void replica::track(const core::propose_result& r, waiting_request& w) {
  auto old = pending_.find(r.index);
  if (old != pending_.end()) {
    // An entry proposed here in an earlier term sat at this index; the new
    // leader (this node, again) has overwritten it.
    answer(old->second.id, reply::failure(errc::dropped, "entry overwritten by a new leader"));
    pending_.erase(old);
  }
  pending_.emplace(r.index, pending_entry{r.term, w.req.kind, r.member, w.id, w.req.deadline});
}

void replica::forward(waiting_request w) {
  if (io_.clock->now() >= w.req.deadline) {
    answer(w.id, reply::failure(errc::timeout, "request deadline passed"));
    return;
  }
  request r = w.req;
  r.forwarded = true;
  forwarded_.emplace(w.id, std::move(w.req));
  io_.network->forward(w.id, r, core_->leader());
}

void replica::on_forwarded(request_id id, reply r) {
  auto it = forwarded_.find(id);
  if (it == forwarded_.end()) return;  // answered already (the node stopped)
  request req = std::move(it->second);
  forwarded_.erase(it);
  // not_leader means the entry was not appended: safe to try again with
  // whoever leads next. Anything else leaves the outcome unknown.
  if (r.error == errc::not_leader && io_.clock->now() < req.deadline &&
      (phase_ == phase::running || phase_ == phase::installing)) {
    waiting_.push_back(waiting_request{id, std::move(req), false});
    return;
  }
  const bool removed_self =
      r.ok() && req.kind == request_kind::remove && core_ && r.member == core_->id();
  answer(id, std::move(r));
  // The leader stops replicating to a removed member, so it may never see
  // its own removal committed: it learns it here.
  if (removed_self) enter_removed();
}

/// The voter best placed to take over from this leader: the most up to date
/// among those connected.
core::node_id replica::successor() const {
  core::node_id best = core::no_node;
  core::log_index best_match;
  for (const auto& [id, pr] : core_->followers()) {
    if (!core_->config().is_voter(id) || connected_.count(id) == 0) continue;
    if (best == core::no_node || pr.match > best_match) {
      best = id;
      best_match = pr.match;
    }
  }
  return best;
}

/// A leader that leaves hands leadership over first (§3.10), so the cluster
/// does not wait an election timeout for a new leader; the leave then goes
/// to the new leader like any follower's. Without a successor, or if the
/// handover is abandoned, the leader removes itself and steps down.
bool replica::hand_over_before_leaving(waiting_request& w) {
  auto& c = *core_;
  if (w.req.kind != request_kind::remove || w.req.member != c.id() || w.handover_tried) return false;
  w.handover_tried = true;
  const auto to = successor();
  if (to == core::no_node || !c.transfer_leadership(to)) return false;
  log(severity::info, "leaving: handing leadership to node " + std::to_string(to.value) + " first");
  waiting_.push_back(std::move(w));
  return true;
}

/// Takes the proposals among `committed` out of the pending ones, for the
/// state machine to answer once it has applied them. A proposal whose index
/// another leader's entry took is answered now: it will never be applied.
std::vector<answer_slot> replica::take_answers(const std::vector<core::entry>& committed) {
  std::vector<answer_slot> slots;
  if (pending_.empty()) return slots;
  for (const auto& e : committed) {
    auto it = pending_.find(e.index);
    if (it == pending_.end()) continue;
    // Figure 2 makes (index, term) identify an entry: the index alone names
    // whatever entry ended up there.
    if (it->second.term != e.term && !planted(core::planted_bug::answer_by_index)) {
      answer(it->second.id, reply::failure(errc::dropped, "entry overwritten by a new leader"));
      pending_.erase(it);
      continue;
    }
    if (it->second.kind != request_kind::propose) continue;  // answered once applied
    if (planted(core::planted_bug::answer_before_apply)) {
      answer(it->second.id, reply{});
    } else {
      slots.push_back(answer_slot{e.index, it->second.id});
    }
    pending_.erase(it);
  }
  return slots;
}

/// Membership changes are answered once applied: the joiner's id and the
/// members then, or the removed member's id.
void replica::answer_applied() {
  for (auto it = pending_.begin(); it != pending_.end() && it->first <= applied_;) {
    if (it->second.kind == request_kind::propose) {
      ++it;  // handed to the state machine, or waiting for its deadline
      continue;
    }
    reply r;
    r.member = it->second.member;
    if (it->second.kind == request_kind::join && core_) r.members = core_->config().members;
    answer(it->second.id, std::move(r));
    it = pending_.erase(it);
  }
}

/// Every request is answered by its deadline, whatever else happens.
void replica::expire(time_point now) {
  expire_reads(now);
  expire_snapshot_requests(now);
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (now >= it->second.deadline) {
      answer(it->second.id, reply::failure(errc::timeout,
                                           "not committed before the deadline; it may still be applied"));
      it = pending_.erase(it);
    } else {
      ++it;
    }
  }
}

void replica::retry_waiting() {
  if (waiting_.empty()) return;
  const auto now = io_.clock->now();
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& w : waiting) {
    if (now >= w.req.deadline)
      answer(w.id, leader_error());
    else
      route(std::move(w));
  }
}

void replica::answer(request_id id, reply r) { io_.requesters->answer(id, std::move(r)); }

void replica::answer_everything(errc code, const std::string& why) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [index, p] : pending) answer(p.id, reply::failure(code, why));
  auto waiting = std::move(waiting_);
  waiting_.clear();
  for (auto& w : waiting) answer(w.id, reply::failure(code, why));
  answer_reads(code, why);
  auto handovers = std::move(handovers_);
  handovers_.clear();
  for (const auto& h : handovers) answer(h.id, reply::failure(code, why));
  answer_snapshot_requests(code, why);
}

reply replica::leader_error() const {
  std::string hint = "no leader known";
  if (core_ && core_->leader() != core::no_node) {
    hint = "leader is node " + std::to_string(core_->leader().value);
    if (const auto* m = core_->config().find(core_->leader())) hint += " at " + m->address;
  }
  return reply::failure(errc::not_leader, std::move(hint));
}

}  // namespace actraft::driver
