// What a replica tells about itself: its status (the mailbox's status and the
// events' fields), and the names of the public enums.
#include <chrono>

#include "actraft/driver/replica.hpp"

namespace actraft {

std::string_view to_string(node_role r) {
  switch (r) {
    case node_role::joining: return "joining";
    case node_role::follower: return "follower";
    case node_role::pre_candidate: return "pre_candidate";
    case node_role::candidate: return "candidate";
    case node_role::leader: return "leader";
    case node_role::removed: return "removed";
    case node_role::stopped: return "stopped";
  }
  return "unknown";
}

std::string_view to_string(replication_state s) {
  switch (s) {
    case replication_state::probe: return "probe";
    case replication_state::replicate: return "replicate";
    case replication_state::snapshot: return "snapshot";
  }
  return "unknown";
}

std::string_view to_string(event_kind k) {
  switch (k) {
    case event_kind::subscribed: return "subscribed";
    case event_kind::role_changed: return "role_changed";
    case event_kind::leader_changed: return "leader_changed";
    case event_kind::membership_changed: return "membership_changed";
    case event_kind::snapshot_taken: return "snapshot_taken";
    case event_kind::snapshot_installed: return "snapshot_installed";
    case event_kind::removed: return "removed";
    case event_kind::storage_error: return "storage_error";
  }
  return "unknown";
}

}  // namespace actraft

namespace actraft::driver {

std::string_view to_string(request_kind k) {
  switch (k) {
    case request_kind::propose: return "propose";
    case request_kind::join: return "join";
    case request_kind::remove: return "remove";
    case request_kind::query: return "query";
    case request_kind::query_local: return "stale_query";
    case request_kind::transfer: return "transfer";
    case request_kind::snapshot: return "snapshot";
  }
  return "unknown";
}

node_role replica::current_role() const {
  if (!core_) return phase_ == phase::stopped ? node_role::stopped : node_role::joining;
  if (phase_ == phase::removed && removal_recorded_) return node_role::removed;
  if (phase_ == phase::stopped) return node_role::stopped;
  switch (core_->current_role()) {
    case core::role::follower: return node_role::follower;
    case core::role::pre_candidate: return node_role::pre_candidate;
    case core::role::candidate: return node_role::candidate;
    case core::role::leader: return node_role::leader;
  }
  return node_role::follower;
}

node_status replica::current_status() const {
  node_status s;
  s.applied_index = applied_.value;
  s.role = current_role();
  s.pending_requests = open_requests();
  if (!core_) return s;
  const auto& c = *core_;
  s.id = c.id().value;
  s.term = c.term().value;
  s.leader_id = c.leader().value;
  if (const auto* m = c.config().find(c.leader())) s.leader_address = m->address;
  s.commit_index = c.log().commit().value;
  s.last_index = c.log().last_index().value;
  s.snapshot_index = snapshot_.index.value;
  s.snapshot_term = snapshot_.term.value;
  s.members = members_of(c.config().members);
  if (c.current_role() != core::role::leader) return s;
  const auto now = io_.clock->now();
  for (const auto& [id, pr] : c.followers()) {
    follower_status f;
    f.id = id.value;
    if (const auto* m = c.config().find(id)) f.address = m->address;
    f.match_index = pr.match.value;
    f.next_index = pr.next.value;
    switch (pr.state) {
      case core::replication_state::probe: f.state = replication_state::probe; break;
      case core::replication_state::replicate: f.state = replication_state::replicate; break;
      case core::replication_state::snapshot: f.state = replication_state::snapshot; break;
    }
    f.inflight = pr.state == core::replication_state::replicate ? pr.inflight.size() : (pr.probe_sent ? 1 : 0);
    if (auto h = heard_at_.find(id); h != heard_at_.end())
      f.last_contact_ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - h->second).count();
    f.connected = connected_.count(id) != 0;
    s.followers.push_back(std::move(f));
  }
  return s;
}

std::vector<member_status> members_of(const std::vector<core::member>& ms) {
  std::vector<member_status> out;
  out.reserve(ms.size());
  for (const auto& m : ms) out.push_back(member_status{m.id.value, m.address, m.voter});
  return out;
}


event replica::event_of(event_kind k) const {
  event e;
  e.kind = k;
  e.role = current_role();
  if (!core_) return e;
  const auto& c = *core_;
  e.id = c.id().value;
  e.term = c.term().value;
  e.leader_id = c.leader().value;
  if (const auto* m = c.config().find(c.leader())) e.leader_address = m->address;
  return e;
}

void replica::notify(event e) const { io_.events->notify(e); }

}  // namespace actraft::driver
