// The replica's admin requests: a leadership handover on request (§3.10),
// answered once the transferee leads, and a snapshot on request, answered
// once one covering what was applied when it was asked is in force.
#include <algorithm>
#include <utility>

#include "actraft/driver/replica.hpp"

namespace actraft::driver {

// --- Leadership transfer ---------------------------------------------------------------

/// Leader: starts handing leadership to the voter asked for (or the most
/// caught-up one); the core refuses commands meanwhile and gives up after an
/// election timeout.
void replica::route_transfer(waiting_request w) {
  auto& c = *core_;
  auto to = w.req.member;
  if (to == core::no_node) to = successor();
  if (to == c.id()) {
    reply r;
    r.member = to;  // it leads already
    answer(w.id, std::move(r));
    return;
  }
  if (to == core::no_node) {
    answer(w.id, reply::failure(errc::membership_refused,
                                "no other voter is connected to take over leadership"));
    return;
  }
  if (!c.config().is_voter(to)) {
    answer(w.id, reply::failure(errc::membership_refused,
                                "node " + std::to_string(to.value) + " is not a voter of the cluster"));
    return;
  }
  if (!c.transfer_leadership(to)) {
    answer(w.id, reply::failure(errc::membership_refused,
                                "node " + std::to_string(to.value) + " cannot take over now"));
    return;
  }
  log(severity::info, "handing leadership to node " + std::to_string(to.value) + " on request");
  handovers_.push_back(handover{w.id, to, w.req.deadline});
}

/// Answers the handovers that ended: the transferee leads, another member
/// does, the core gave up, or the deadline passed.
void replica::check_handovers(time_point now) {
  if (handovers_.empty() || !core_) return;
  const auto& c = *core_;
  std::erase_if(handovers_, [&](const handover& h) {
    const auto who = std::to_string(h.to.value);
    if (c.leader() == h.to) {
      reply r;
      r.member = h.to;
      answer(h.id, std::move(r));
    } else if (c.current_role() == core::role::leader && c.transferee() != h.to) {
      answer(h.id, reply::failure(errc::timeout, "node " + who +
                                                     " did not take over within an election timeout; "
                                                     "this member still leads"));
    } else if (c.leader() != core::no_node && c.leader() != c.id()) {
      answer(h.id, reply::failure(errc::membership_refused,
                                  "node " + std::to_string(c.leader().value) + " leads now, not node " + who));
    } else if (now >= h.deadline) {
      answer(h.id, reply::failure(errc::timeout, "no leader yet after handing over to node " + who));
    } else {
      return false;
    }
    return true;
  });
}

// --- Snapshot on request -----------------------------------------------------------

void replica::request_snapshot(waiting_request w) {
  if (applied_ <= snapshot_.index && !snapshotting_) {
    reply r;
    r.index = snapshot_.index;  // nothing applied since the one in force
    answer(w.id, std::move(r));
    return;
  }
  snapshot_requests_.push_back(snapshot_wanted{w.id, applied_, w.req.deadline});
  snapshot_asked_ = true;
  maybe_snapshot();
}

/// Snapshots not in force by their requests' deadlines: answered `timeout`
/// (the snapshot under way goes on).
void replica::expire_snapshot_requests(time_point now) {
  std::erase_if(snapshot_requests_, [&](const snapshot_wanted& s) {
    if (now < s.deadline) return false;
    answer(s.id, reply::failure(errc::timeout, "no snapshot in force before the deadline; one may still be"));
    return true;
  });
  snapshot_asked_ = snapshot_asked_ && !snapshot_requests_.empty();
}

/// A snapshot of this member's went in force (error: nothing), or taking one
/// failed: the requests it covers are answered; the others ask for the next.
void replica::answer_snapshot_requests(const std::optional<errc>& error, const std::string& why) {
  std::erase_if(snapshot_requests_, [&](const snapshot_wanted& s) {
    if (error) {
      answer(s.id, reply::failure(*error, why));
      return true;
    }
    if (s.applied > snapshot_.index) return false;
    reply r;
    r.index = snapshot_.index;
    answer(s.id, std::move(r));
    return true;
  });
  snapshot_asked_ = !snapshot_requests_.empty();
}

}  // namespace actraft::driver
