// The simulated cluster's control actions (faults), observation and trace.
#include <algorithm>

#include "support/cluster.hpp"
#include "support/member.hpp"

namespace actraft::sim {

// --- control ----------------------------------------------------------------

void cluster::campaign(core::node_id n) {
  slot& s = slot_of(n);
  if (!s.m) return;
  begin_step();
  trace_event t;
  t.kind = trace_kind::campaign;
  t.node = static_cast<std::uint8_t>(n.value);
  record(std::move(t));
  guarded(s, [](driver::replica& r) { r.campaign(); });
  end_step();
}

bool cluster::transfer_leadership(core::node_id n, core::node_id to) {
  slot& s = slot_of(n);
  if (!s.m) return false;
  begin_step();
  bool ok = false;
  guarded(s, [&](driver::replica& r) { ok = r.transfer_leadership(to); });
  trace_event t;
  t.kind = trace_kind::transfer;
  t.node = static_cast<std::uint8_t>(n.value);
  t.peer = static_cast<std::uint8_t>(to.value);
  t.n = ok ? 1 : 0;
  record(std::move(t));
  end_step();
  return ok;
}

void cluster::crash(core::node_id n) {
  slot& s = slot_of(n);
  if (!s.m) return;
  begin_step();
  ++stats_.crashes;
  const std::size_t lost = pending_entries(n);
  if (write_pending(n)) ++stats_.crashes_with_pending_write;
  stop_member(s);
  trace_event t;
  t.kind = trace_kind::crash;
  t.node = static_cast<std::uint8_t>(n.value);
  t.n = static_cast<std::uint32_t>(lost);
  record(std::move(t));
  touch(s);
  end_step();
}

void cluster::restart(core::node_id n) {
  slot& s = slot_of(n);
  if (s.m || s.retired || !s.started || s.disk.removed) return;
  begin_step();
  ++stats_.restarts;
  trace_event t;
  t.kind = trace_kind::restart;
  t.node = static_cast<std::uint8_t>(n.value);
  t.term = s.disk.state.term.value;
  t.index = s.disk.last_index();
  t.commit = s.disk.state.commit.value;
  record(std::move(t));
  start(s);
  end_step();
}

void cluster::retire(core::node_id n) {
  slot& s = slot_of(n);
  if (s.retired) return;
  crash(n);
  s.retired = true;
  ++stats_.retired;
  note("n" + std::to_string(n.value) + " retired (removed from the cluster)");
}

void cluster::fill_disk(core::node_id n, std::uint64_t until) {
  slot_of(n).disk_full_until = until;
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "n" + std::to_string(n.value) + "'s disk is full until t=" + std::to_string(until);
  record(std::move(t));
}

void cluster::block(core::node_id from, core::node_id to) {
  begin_step();
  blocked_.insert({from.value, to.value});
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "one-way partition n" + std::to_string(from.value) + " -/-> n" + std::to_string(to.value);
  record(std::move(t));
  end_step();
}

void cluster::isolate(core::node_id n) {
  begin_step();
  for (const auto& s : slots_) {
    if (s.id == n) continue;
    blocked_.insert({n.value, s.id.value});
    blocked_.insert({s.id.value, n.value});
  }
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "isolate n" + std::to_string(n.value);
  record(std::move(t));
  end_step();
}

void cluster::split(const std::vector<core::node_id>& side) {
  begin_step();
  std::string a, b;
  for (const auto& s : slots_) {
    const bool in = std::find(side.begin(), side.end(), s.id) != side.end();
    (in ? a : b) += " n" + std::to_string(s.id.value);
    if (!in) continue;
    for (const auto& o : slots_) {
      if (std::find(side.begin(), side.end(), o.id) != side.end()) continue;
      blocked_.insert({s.id.value, o.id.value});
      blocked_.insert({o.id.value, s.id.value});
    }
  }
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "split {" + a + " } | {" + b + " }";
  record(std::move(t));
  end_step();
}

void cluster::reconnect(core::node_id n) {
  begin_step();
  std::erase_if(blocked_, [&](const auto& link) { return link.first == n.value || link.second == n.value; });
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "reconnect n" + std::to_string(n.value);
  record(std::move(t));
  end_step();
}

void cluster::heal_partitions() {
  begin_step();
  blocked_.clear();
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "partitions healed";
  record(std::move(t));
  end_step();
}

void cluster::set_network(const network_profile& p) {
  cfg_.network = p;
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "network: drop " + std::to_string(p.drop_pm) + "/1000 dup " + std::to_string(p.duplicate_pm) +
           "/1000 slow " + std::to_string(p.slow_pm) + "/1000";
  record(std::move(t));
}

void cluster::set_disk(const disk_profile& p) {
  cfg_.disk = p;
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "disk: latency " + std::to_string(p.min_latency) + ".." + std::to_string(p.max_latency) +
           ", slow " + std::to_string(p.slow_pm) + "/1000 up to " + std::to_string(p.slow_max);
  record(std::move(t));
}

void cluster::note(const std::string& text) {
  trace_event t;
  t.kind = trace_kind::note;
  t.text = text;
  record(std::move(t));
}

void cluster::fail(const std::string& invariant, const std::string& description) {
  check(violation{invariant, description});
}

void cluster::contract(const std::string& what) { fail(invariant::core_contract, what); }

// --- observation ------------------------------------------------------------

const core::node* cluster::get(core::node_id n) const {
  const auto& s = slot_of(n);
  return s.m ? s.m->replica.core() : nullptr;
}

const driver::replica* cluster::replica_of(core::node_id n) const {
  const auto& s = slot_of(n);
  return s.m ? &s.m->replica : nullptr;
}

bool cluster::write_pending(core::node_id n) const {
  const auto* r = replica_of(n);
  return r != nullptr && r->writing();
}

std::size_t cluster::pending_entries(core::node_id n) const {
  const auto* r = replica_of(n);
  return r != nullptr && r->writing() ? r->write_in_flight()->entries.size() : 0;
}

const std::vector<core::entry>& cluster::applied(core::node_id n) const {
  static const std::vector<core::entry> none;
  const auto& s = slot_of(n);
  return s.m ? s.m->applied : none;
}

core::node_id cluster::leader() const {
  core::node_id best = core::no_node;
  core::raft_term best_term;
  for (const auto& s : slots_) {
    const core::node* n = s.m ? s.m->replica.core() : nullptr;
    if (n == nullptr || n->current_role() != core::role::leader) continue;
    if (best == core::no_node || n->term() > best_term) {
      best = s.id;
      best_term = n->term();
    }
  }
  return best;
}

core::node_id cluster::stable_leader() const {
  const core::node_id l = leader();
  if (l == core::no_node) return l;
  const core::node& ln = *get(l);
  // A leader that a newer one followed is no leader of the cluster, even if
  // nobody it lists tells it so: its configuration, committed in its own
  // view or not, may leave out every member that moved on. Any live node
  // holding an entry of a newer term proves a newer leader existed. (A
  // removed member that keeps campaigning raises its term, not its log's:
  // it does not hold the heal back.)
  for (const auto& s : slots_) {
    const core::node* n = get(s.id);
    if (n != nullptr && n->log().last_term() > ln.term()) return core::no_node;
  }
  for (const auto& m : ln.config().members) {
    if (m.id == l || !valid_id(m.id)) continue;
    const core::node* n = get(m.id);
    if (n == nullptr) continue;
    if (n->term() != ln.term() || n->leader() != l) return core::no_node;
  }
  return l;
}

bool cluster::blocked(core::node_id from, core::node_id to) const {
  return !blocked_.empty() && blocked_.count({from.value, to.value}) != 0;
}

// --- trace ------------------------------------------------------------------

void cluster::record(trace_event e) {
  e.step = steps_;
  e.time = now_;
  if (cfg_.live_trace != nullptr) *cfg_.live_trace << format(e) << '\n';
  if (observer_) observer_(e);
  trace_.push(std::move(e));
}

void cluster::record_message(trace_kind k, const core::message& m) {
  trace_event t;
  t.kind = k;
  t.node = static_cast<std::uint8_t>(m.to.value);
  t.peer = static_cast<std::uint8_t>(m.from.value);
  t.mtype = m.type;
  t.reject = m.reject;
  t.n = static_cast<std::uint32_t>(m.entries.size());
  t.term = m.term.value;
  t.index = m.index.value;
  t.log_term = m.type == core::message_type::append_response ? m.hint_term.value : m.log_term.value;
  t.commit = m.commit.value;
  t.extra = m.hint_index.value;
  record(std::move(t));
}

}  // namespace actraft::sim
