#include "support/cluster.hpp"

#include <algorithm>
#include <stdexcept>

namespace actraft::sim {

cluster::cluster(cluster_config cfg)
    : cfg_(std::move(cfg)),
      rng_(derive_seed(cfg_.seed, 0xC1u)),
      checker_(cfg_.nodes + cfg_.spares),
      trace_(cfg_.trace_capacity) {
  if (cfg_.nodes < 1 || cfg_.spares < 0 || cfg_.nodes + cfg_.spares > 250)
    throw std::invalid_argument("cluster: bad node count");
  for (int k = 1; k <= cfg_.nodes; ++k) {
    const core::node_id id{static_cast<std::uint64_t>(k)};
    bootstrap_config_.members.push_back(core::member{id, "sim:" + std::to_string(k), true});
  }
  bootstrap_config_.max_assigned_id = core::node_id{static_cast<std::uint64_t>(cfg_.nodes)};
  slots_.resize(static_cast<std::size_t>(cfg_.nodes + cfg_.spares));
  views_.assign(slots_.size(), nullptr);
  for (std::size_t k = 0; k < slots_.size(); ++k) {
    slot& s = slots_[k];
    s.id = core::node_id{k + 1};
    // A spare joins with no configuration: it learns it from the leader's log.
    if (k < static_cast<std::size_t>(cfg_.nodes)) {
      s.disk.snapshot.config = bootstrap_config_;
      start(s);
    }
  }
  for (std::size_t k = 0; k < slots_.size(); ++k) views_[k] = slots_[k].node.get();
}

cluster::~cluster() = default;

std::vector<core::node_id> cluster::ids() const {
  std::vector<core::node_id> out;
  for (const auto& s : slots_) out.push_back(s.id);
  return out;
}

core::options cluster::options_for(const slot& s) const {
  core::options o = cfg_.base;
  o.id = s.id;
  o.seed = derive_seed(cfg_.seed, s.id.value * 1000 + s.incarnation);
  if (auto err = o.validate(); !err.empty())
    throw std::invalid_argument("cluster: invalid options: " + err);
  return o;
}

core::persisted_state cluster::load(const slot& s) const {
  core::persisted_state p;
  p.state = s.disk.state;
  p.snapshot = s.disk.snapshot;
  p.entries = s.disk.entries;
  return p;
}

void cluster::start(slot& s) {
  s.started = true;
  ++s.incarnation;
  s.node = std::make_unique<core::node>(options_for(s), load(s));
  s.pending.reset();
  s.applied = s.disk.snapshot_data;  // the state machine restarts from the snapshot
  s.last_role = s.node->current_role();
  s.last_term = s.node->term();
  event e;
  e.kind = event_kind::tick;
  e.node = static_cast<int>(s.id.value - 1);
  e.incarnation = s.incarnation;
  schedule(now_ + 1 + rng_.below(cfg_.tick_units), std::move(e));
}

void cluster::schedule(std::uint64_t at, event e) {
  queue_.emplace(std::make_pair(at, seq_++), std::move(e));
}

std::optional<std::uint64_t> cluster::next_event_time() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.begin()->first.first;
}

void cluster::advance_to(std::uint64_t t) {
  if (auto next = next_event_time()) t = std::min(t, *next);
  now_ = std::max(now_, t);
}

// --- the step cycle ---------------------------------------------------------

void cluster::begin_step() {
  ++steps_;
  touched_.clear();
}

void cluster::touch(const slot& s) {
  const int k = static_cast<int>(s.id.value - 1);
  if (std::find(touched_.begin(), touched_.end(), k) == touched_.end()) touched_.push_back(k);
}

void cluster::end_step() {
  // Lost snapshot messages: the sender's transport reports the failure.
  while (!failed_snapshots_.empty()) {
    const auto [from, to] = failed_snapshots_.back();
    failed_snapshots_.pop_back();
    slot& s = slot_of(from);
    if (!s.node) continue;
    s.node->report_snapshot_failure(to);
    touch(s);
    after_input(s);
  }
  if (touched_.empty()) return;
  for (int k : touched_) views_[static_cast<std::size_t>(k)] = slots_[static_cast<std::size_t>(k)].node.get();
  if (auto v = checker_.after_step(touched_, views_); v && !failure_) {
    failure_ = std::move(v);
    note("VIOLATION " + failure_->invariant + ": " + failure_->description);
  }
}

bool cluster::step() {
  while (!queue_.empty()) {
    auto handle = queue_.extract(queue_.begin());
    now_ = std::max(now_, handle.key().first);
    event& e = handle.mapped();
    slot& s = slots_[static_cast<std::size_t>(e.node)];
    switch (e.kind) {
      case event_kind::tick: {
        if (!s.node || s.incarnation != e.incarnation) continue;  // died meanwhile
        begin_step();
        s.node->tick();
        if (s.node->has_ready() || s.node->current_role() != s.last_role) {
          trace_event t;
          t.kind = trace_kind::tick;
          t.node = static_cast<std::uint8_t>(s.id.value);
          t.role = s.node->current_role();
          t.term = s.node->term().value;
          record(std::move(t));
        }
        touch(s);
        after_input(s);
        const std::uint64_t j = std::min(cfg_.tick_jitter, cfg_.tick_units - 1);
        const std::uint64_t at = handle.key().first + cfg_.tick_units - j + rng_.below(2 * j + 1);
        schedule(at, std::move(e));
        end_step();
        return true;
      }
      case event_kind::deliver: {
        --in_flight_;
        begin_step();
        if (!s.node) {
          ++stats_.lost_down;
          record_message(trace_kind::lost_down, e.msg);
          snapshot_lost(e.msg);
        } else if (blocked(e.msg.from, e.msg.to)) {
          ++stats_.cut;
          record_message(trace_kind::cut, e.msg);
          snapshot_lost(e.msg);
        } else {
          ++stats_.delivered;
          record_message(trace_kind::deliver, e.msg);
          // The snapshot's data is saved before the message is stepped in.
          if (e.msg.type == core::message_type::snapshot && e.data)
            s.disk.incoming[e.msg.snapshot.index.value] = {e.msg.snapshot, *e.data};
          s.node->step(e.msg);
          touch(s);
          after_input(s);
        }
        end_step();
        return true;
      }
      case event_kind::write_done: {
        if (!s.node || s.incarnation != e.incarnation || !s.pending) continue;
        begin_step();
        complete_write(s);
        touch(s);
        after_input(s);
        end_step();
        return true;
      }
    }
  }
  return false;
}

bool cluster::run_until(const std::function<bool()>& done, std::uint64_t max_time) {
  while (!done()) {
    if (failure_) return false;
    auto t = next_event_time();
    if (!t || *t > max_time) {
      now_ = std::max(now_, max_time);
      return false;
    }
    step();
  }
  return true;
}

void cluster::after_input(slot& s) {
  if (!s.node) return;
  if (s.node->current_role() != s.last_role || s.node->term() != s.last_term) {
    s.last_role = s.node->current_role();
    s.last_term = s.node->term();
    trace_event t;
    t.kind = trace_kind::role;
    t.node = static_cast<std::uint8_t>(s.id.value);
    t.role = s.last_role;
    t.term = s.last_term.value;
    t.index = s.node->log().last_index().value;
    t.commit = s.node->log().commit().value;
    record(std::move(t));
  }
  int rounds = 0;
  while (!s.pending && s.node->has_ready()) {
    if (++rounds > 64) {
      contract("n" + std::to_string(s.id.value) + ": has_ready() still true after 64 ready cycles");
      return;
    }
    core::ready rd = s.node->take_ready();
    for (const auto& m : rd.messages) send(s, m);
    rd.messages.clear();
    for (std::size_t k = 1; k < rd.entries.size(); ++k)
      if (rd.entries[k].index != rd.entries[k - 1].index + 1)
        contract("n" + std::to_string(s.id.value) + ": ready entries are not consecutive");
    const bool must_write = rd.state.has_value() || !rd.entries.empty();
    if (must_write) {
      trace_event t;
      t.kind = trace_kind::take_ready;
      t.node = static_cast<std::uint8_t>(s.id.value);
      t.n = static_cast<std::uint32_t>(rd.entries.size());
      t.index = rd.entries.empty() ? 0 : rd.entries.front().index.value;
      t.extra = rd.state ? 1 : 0;
      t.term = rd.state ? rd.state->term.value : 0;
      t.commit = rd.state ? rd.state->commit.value : 0;
      record(std::move(t));
    }
    s.pending = std::move(rd);
    if (!must_write) {
      complete_write(s);  // nothing to make durable: no window to model
      continue;
    }
    const auto& d = cfg_.disk;
    std::uint64_t delay = rng_.chance(d.slow_pm) ? rng_.between(d.max_latency + 1, d.slow_max)
                                                 : rng_.between(d.min_latency, d.max_latency);
    event e;
    e.kind = event_kind::write_done;
    e.node = static_cast<int>(s.id.value - 1);
    e.incarnation = s.incarnation;
    schedule(now_ + delay, std::move(e));
  }
}

void cluster::complete_write(slot& s) {
  core::ready rd = std::move(*s.pending);
  s.pending.reset();
  const std::string who = "n" + std::to_string(s.id.value);
  if (rd.snapshot) {
    // Install: the saved snapshot becomes the disk's, replacing the whole
    // stored log, and the state machine is restored from its data.
    auto in = s.disk.incoming.find(rd.snapshot->index.value);
    if (in == s.disk.incoming.end() || in->second.first != *rd.snapshot) {
      contract(who + ": installs a snapshot at " + std::to_string(rd.snapshot->index.value) +
               " that it never received");
    } else {
      s.disk.snapshot = in->second.first;
      s.disk.snapshot_data = std::move(in->second.second);
      s.disk.incoming.erase(s.disk.incoming.begin(), std::next(in));
      s.disk.entries.clear();
      if (auto v = checker_.on_restore(s.id, s.disk.snapshot_data); v && !failure_) {
        failure_ = std::move(v);
        note("VIOLATION " + failure_->invariant + ": " + failure_->description);
      }
      s.applied = s.disk.snapshot_data;
      ++stats_.snapshots_installed;
    }
  }
  if (rd.state) s.disk.state = *rd.state;
  if (!rd.entries.empty()) {
    const std::uint64_t first = rd.entries.front().index.value;
    const std::uint64_t base = s.disk.snapshot.index.value;
    const std::uint64_t stored = s.disk.last_index();
    if (first <= base || first > stored + 1) {
      contract(who + ": ready entries start at " + std::to_string(first) + " but the disk holds " +
               std::to_string(base + 1) + ".." + std::to_string(stored));
    } else {
      s.disk.entries.resize(first - 1 - base);
      s.disk.entries.insert(s.disk.entries.end(), rd.entries.begin(), rd.entries.end());
    }
  }
  if (rd.state || !rd.entries.empty()) ++stats_.writes;
  for (const auto& m : rd.persisted_messages) send(s, m);
  const std::size_t applied_before = s.applied.size();
  for (const auto& e : rd.committed) {
    const std::uint64_t last = s.applied.empty() ? 0 : s.applied.back().index.value;
    if (auto v = checker_.on_apply(s.id, last, e); v && !failure_) {
      failure_ = std::move(v);
      note("VIOLATION " + failure_->invariant + ": " + failure_->description);
    }
    s.applied.push_back(e);
    ++stats_.applied;
  }
  s.node->advance();
  if (rd.state || !rd.entries.empty() || !rd.committed.empty() || rd.snapshot) {
    trace_event t;
    t.kind = trace_kind::persist;
    t.node = static_cast<std::uint8_t>(s.id.value);
    t.index = s.disk.last_index();
    t.term = s.disk.state.term.value;
    t.log_term = s.disk.state.vote.value;
    t.commit = s.disk.state.commit.value;
    t.n = static_cast<std::uint32_t>(applied_before);
    t.extra = s.applied.size();
    record(std::move(t));
  }
}

void cluster::send(const slot& from, const core::message& m) {
  const std::string who = "n" + std::to_string(from.id.value);
  if (m.from != from.id) {
    contract(who + " sent a message claiming to be from n" + std::to_string(m.from.value));
    return;
  }
  if (!valid_id(m.to) || m.to == from.id) {
    contract(who + " sent a message to n" + std::to_string(m.to.value));
    return;
  }
  const auto& net = cfg_.network;
  auto latency = [&] {
    return rng_.chance(net.slow_pm) ? rng_.between(net.max_latency + 1, net.slow_max)
                                    : rng_.between(net.min_latency, net.max_latency);
  };
  snapshot_data data;
  if (m.type == core::message_type::snapshot) {
    // The core sends the metadata; the caller moves the data with it.
    if (from.disk.snapshot != m.snapshot) {
      contract(who + " sent a snapshot at " + std::to_string(m.snapshot.index.value) +
               " but its saved snapshot is at " + std::to_string(from.disk.snapshot.index.value));
      return;
    }
    ++stats_.snapshots_sent;
    data = std::make_shared<const std::vector<core::entry>>(from.disk.snapshot_data);
  }
  if (rng_.chance(net.drop_pm)) {
    ++stats_.dropped;
    record_message(trace_kind::drop, m);
    snapshot_lost(m);
    return;
  }
  enqueue_message(m, latency(), data);
  if (rng_.chance(net.duplicate_pm)) {
    ++stats_.duplicated;
    record_message(trace_kind::duplicate, m);
    enqueue_message(m, latency(), data);
  }
}

void cluster::snapshot_lost(const core::message& m) {
  if (m.type == core::message_type::snapshot) failed_snapshots_.emplace_back(m.from, m.to);
}

void cluster::enqueue_message(const core::message& m, std::uint64_t delay,
                              const snapshot_data& data) {
  event e;
  e.kind = event_kind::deliver;
  e.node = static_cast<int>(m.to.value - 1);
  e.msg = m;
  e.data = data;
  ++in_flight_;
  schedule(now_ + delay, std::move(e));
}

// --- control ----------------------------------------------------------------

core::propose_result cluster::propose(core::node_id n, const std::string& command) {
  begin_step();
  slot& s = slot_of(n);
  core::propose_result r;
  r.error = core::propose_error::not_leader;
  ++stats_.proposals;
  core::payload data(command);
  if (s.node) {
    r = s.node->propose(data);
    checker_.on_propose(data, r);
    touch(s);
  }
  if (r.ok()) ++stats_.proposals_accepted;
  trace_event t;
  t.kind = trace_kind::propose;
  t.node = static_cast<std::uint8_t>(n.value);
  t.n = r.ok() ? 1 : 0;
  t.index = r.index.value;
  t.term = r.term.value;
  t.text = '"' + command + '"';
  record(std::move(t));
  after_input(s);
  end_step();
  return r;
}

void cluster::campaign(core::node_id n) {
  slot& s = slot_of(n);
  if (!s.node) return;
  begin_step();
  trace_event t;
  t.kind = trace_kind::campaign;
  t.node = static_cast<std::uint8_t>(n.value);
  record(std::move(t));
  s.node->campaign();
  touch(s);
  after_input(s);
  end_step();
}

bool cluster::transfer_leadership(core::node_id n, core::node_id to) {
  slot& s = slot_of(n);
  if (!s.node) return false;
  begin_step();
  const bool ok = s.node->transfer_leadership(to);
  trace_event t;
  t.kind = trace_kind::transfer;
  t.node = static_cast<std::uint8_t>(n.value);
  t.peer = static_cast<std::uint8_t>(to.value);
  t.n = ok ? 1 : 0;
  record(std::move(t));
  touch(s);
  after_input(s);
  end_step();
  return ok;
}

void cluster::crash(core::node_id n) {
  slot& s = slot_of(n);
  if (!s.node) return;
  begin_step();
  ++stats_.crashes;
  const std::size_t lost = s.pending ? s.pending->entries.size() : 0;
  if (s.pending) ++stats_.crashes_with_pending_write;
  s.node.reset();
  s.pending.reset();
  s.applied.clear();  // the state machine is volatile; it restarts from the snapshot
  ++s.incarnation;    // its queued ticks and writes die with it
  checker_.on_crash(n);
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
  if (s.node || s.retired || !s.started) return;
  begin_step();
  ++stats_.restarts;
  start(s);
  trace_event t;
  t.kind = trace_kind::restart;
  t.node = static_cast<std::uint8_t>(n.value);
  t.term = s.disk.state.term.value;
  t.index = s.disk.last_index();
  t.commit = s.disk.state.commit.value;
  record(std::move(t));
  touch(s);
  after_input(s);
  end_step();
}

void cluster::join(core::node_id n) {
  slot& s = slot_of(n);
  if (s.started) return;
  begin_step();
  ++stats_.joins;
  start(s);
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "n" + std::to_string(n.value) + " starts with an empty disk, to join";
  record(std::move(t));
  touch(s);
  after_input(s);
  end_step();
}

void cluster::retire(core::node_id n) {
  slot& s = slot_of(n);
  if (s.retired) return;
  crash(n);
  s.retired = true;
  ++stats_.retired;
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "n" + std::to_string(n.value) + " retired (removed from the cluster)";
  record(std::move(t));
}

bool cluster::compact(core::node_id n, core::log_index index) {
  slot& s = slot_of(n);
  if (!s.node) return false;
  const std::uint64_t applied = s.applied.empty() ? 0 : s.applied.back().index.value;
  const std::uint64_t base = s.disk.snapshot.index.value;
  if (index.value > applied || index.value <= base || s.applied.size() != applied) return false;
  auto meta = s.node->snapshot_meta_at(index);
  if (!meta) return false;
  begin_step();
  // Durable first (snapshot and data, the entries it covers dropped), then
  // the core may forget its entries.
  const disk_state before = s.disk;
  s.disk.snapshot = *meta;
  s.disk.snapshot_data.assign(s.applied.begin(),
                              s.applied.begin() + static_cast<std::ptrdiff_t>(index.value));
  const std::uint64_t covered = std::min<std::uint64_t>(index.value - base, s.disk.entries.size());
  s.disk.entries.erase(s.disk.entries.begin(),
                       s.disk.entries.begin() + static_cast<std::ptrdiff_t>(covered));
  const bool ok = s.node->compact(index);
  if (!ok) s.disk = before;
  if (ok) ++stats_.compactions;
  trace_event t;
  t.kind = trace_kind::fault;
  t.text = "n" + std::to_string(n.value) + " snapshots its state machine and compacts its log up to " +
           std::to_string(index.value) + (ok ? "" : " (refused by the core)");
  record(std::move(t));
  touch(s);
  after_input(s);
  end_step();
  return ok;
}

core::propose_result cluster::propose_membership(core::node_id n,
                                                 const core::membership_change& c) {
  slot& s = slot_of(n);
  core::propose_result r;
  r.error = core::propose_error::not_leader;
  if (!s.node) return r;
  begin_step();
  ++stats_.membership_changes;
  r = s.node->propose_membership(c);
  static const char* ops[] = {"add learner", "promote", "remove"};
  trace_event t;
  t.kind = trace_kind::propose;
  t.node = static_cast<std::uint8_t>(n.value);
  t.n = r.ok() ? 1 : 0;
  t.index = r.index.value;
  t.term = r.term.value;
  t.text = std::string("membership: ") + ops[static_cast<int>(c.op) % 3] + " n" +
           std::to_string((c.op == core::membership_op::add_learner && r.ok() ? r.member : c.id).value);
  record(std::move(t));
  touch(s);
  after_input(s);
  end_step();
  return r;
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
  for (auto it = blocked_.begin(); it != blocked_.end();) {
    if (it->first == n.value || it->second == n.value)
      it = blocked_.erase(it);
    else
      ++it;
  }
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
  t.step = steps_;
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
  if (failure_) return;
  failure_ = violation{invariant, description};
  note("VIOLATION " + invariant + ": " + description);
}

void cluster::contract(const std::string& what) { fail(invariant::core_contract, what); }

// --- observation ------------------------------------------------------------

std::size_t cluster::pending_entries(core::node_id n) const {
  const auto& s = slot_of(n);
  return s.pending ? s.pending->entries.size() : 0;
}

core::node_id cluster::leader() const {
  core::node_id best = core::no_node;
  core::raft_term best_term;
  for (const auto& s : slots_) {
    if (!s.node || s.node->current_role() != core::role::leader) continue;
    if (best == core::no_node || s.node->term() > best_term) {
      best = s.id;
      best_term = s.node->term();
    }
  }
  return best;
}

core::node_id cluster::stable_leader() const {
  const core::node_id l = leader();
  if (l == core::no_node) return l;
  const core::node& ln = *slot_of(l).node;
  for (const auto& m : ln.config().members) {
    if (m.id == l || !valid_id(m.id)) continue;
    const core::node* n = slot_of(m.id).node.get();
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
