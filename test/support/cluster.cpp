#include "support/cluster.hpp"

#include <algorithm>
#include <stdexcept>

#include "actraft/core/invariant.hpp"
#include "support/member.hpp"

namespace actraft::sim {

namespace {

const std::vector<core::entry> no_entries;

}  // namespace

const std::vector<core::entry>& disk_state::snapshot_data() const {
  auto it = files.find(snapshot_location);
  return it == files.end() ? no_entries : it->second.data;
}

cluster::cluster(cluster_config cfg)
    : cfg_(std::move(cfg)),
      rng_(derive_seed(cfg_.seed, 0xC1u)),
      store_rng_(derive_seed(cfg_.seed, 0xC5u)),
      checker_(cfg_.nodes + cfg_.spares),
      trace_(cfg_.trace_capacity) {
  if (cfg_.nodes < 1 || cfg_.spares < 0 || cfg_.nodes + cfg_.spares > 250)
    throw std::invalid_argument("cluster: bad node count");
  // A user's store restarts empty: it cannot run beside state machines
  // that start from their own files.
  if (cfg_.user && cfg_.durable_store)
    throw std::invalid_argument("cluster: a user's store runs without durable state machines");
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
    s.address = "sim:" + std::to_string(k + 1);
    // A spare starts with no configuration: it learns it from the leader.
    if (k < static_cast<std::size_t>(cfg_.nodes)) {
      s.disk.snapshot.config = bootstrap_config_;
      start(s);
    }
  }
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

void cluster::start(slot& s) {
  s.started = true;
  ++s.incarnation;
  s.m = std::make_unique<member>(*this, s);
  s.m->applied = s.disk.snapshot_data();  // the state machine restarts from the snapshot
  // ... or from its own files, where the log allows (as raft.cpp decides).
  core::log_index own{s.disk.store_files.size()};
  if (cfg_.durable_store && own.value > 0 &&
      driver::store_state_usable(own, s.disk.snapshot.index, core::log_index{s.disk.last_index()})) {
    check(checker_.on_restore(s.id, s.disk.store_files));
    s.m->applied = s.disk.store_files;
    note("n" + std::to_string(s.id.value) + " starts from its state machine's own state at " +
         std::to_string(own.value));
  } else {
    own = core::log_index{};
    // It restored the snapshot, which replaced its files. (Without one to
    // restore, a real member refuses to start; the disk here never loses a
    // write it called durable, so that does not happen.)
    if (cfg_.durable_store) s.disk.store_files = s.m->applied;
  }
  s.m->known = s.m->applied.size();
  if (cfg_.user) {
    s.m->user_store = cfg_.user->make();
    if (auto f = s.disk.files.find(s.disk.snapshot_location); f != s.disk.files.end())
      s.m->user_problem(
          cfg_.user->restore(*s.m->user_store, s.id.value, f->second.meta.index.value, f->second.user_state));
  }
  driver::start_state st;
  st.id = s.id;
  st.address = s.address;
  st.persisted = static_cast<const core::persisted_state&>(s.disk);
  st.seeds = s.disk.seeds;
  st.snapshot_location = s.disk.snapshot_location;
  st.applied = own;
  guarded(s, [&](driver::replica& r) { r.start(std::move(st)); });
  if (!s.m) return;
  views_[static_cast<std::size_t>(index_of(s))] = s.m->replica.core();
  s.last_role = s.m->replica.core()->current_role();
  s.last_term = s.m->replica.core()->term();
  schedule_tick(s, now_ + 1 + rng_.below(cfg_.tick_units));
}

void cluster::stop_member(slot& s) {
  s.m.reset();
  ++s.incarnation;  // its queued events die with it
  views_[static_cast<std::size_t>(index_of(s))] = nullptr;
  checker_.on_crash(s.id);
  clients_.on_crash(s.id, s.incarnation - 1, now_);
  // Transfers to it fail for their senders (their chunks time out).
  std::vector<std::uint64_t> failed;
  for (const auto& [key, tr] : transfers_)
    if (tr.to == s.id) failed.push_back(key);
  for (auto key : failed) end_transfer(key, false);
  std::erase_if(forwards_, [&](const auto& kv) { return kv.second.origin == index_of(s); });
}

void cluster::schedule(std::uint64_t at, const slot& s, action run) {
  queue_.emplace(std::make_pair(at, seq_++), event{index_of(s), s.incarnation, std::move(run)});
}

void cluster::schedule_any(std::uint64_t at, const slot& s, action run) {
  queue_.emplace(std::make_pair(at, seq_++), event{index_of(s), any_incarnation, std::move(run)});
}

void cluster::schedule_tick(slot& s, std::uint64_t at) {
  schedule(at, s, [this, at](slot& sl) {
    trace_event t;
    t.kind = trace_kind::tick;
    t.node = static_cast<std::uint8_t>(sl.id.value);
    update_connections(sl);
    guarded(sl, [](driver::replica& r) { r.tick(); });
    if (!sl.m) return;
    if (const core::node* n = sl.m->replica.core(); n != nullptr && n->current_role() != sl.last_role) {
      t.role = n->current_role();
      t.term = n->term().value;
      record(std::move(t));
    }
    // Every request is answered by its deadline (a tick and a message late at most).
    check(clients_.overdue(now_, 3 * cfg_.tick_units + cfg_.network.slow_max));
    const std::uint64_t j = std::min(cfg_.tick_jitter, cfg_.tick_units - 1);
    schedule_tick(sl, at + cfg_.tick_units - j + rng_.below(2 * j + 1));
  });
}

std::uint64_t cluster::latency() {
  const auto& net = cfg_.network;
  return rng_.chance(net.slow_pm) ? rng_.between(net.max_latency + 1, net.slow_max)
                                  : rng_.between(net.min_latency, net.max_latency);
}

std::uint64_t cluster::disk_latency() {
  const auto& d = cfg_.disk;
  return rng_.chance(d.slow_pm) ? rng_.between(d.max_latency + 1, d.slow_max)
                                : rng_.between(d.min_latency, d.max_latency);
}

void cluster::guarded(slot& s, const std::function<void(driver::replica&)>& f) {
  if (!s.m) return;
  try {
    f(s.m->replica);
  } catch (const core::invariant_error& e) {
    fail(invariant::internal_invariant, "n" + std::to_string(s.id.value) + ": " + e.what());
    stop_member(s);  // its state is not to be trusted any more
  }
  touch(s);
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
  const int k = index_of(s);
  if (std::find(touched_.begin(), touched_.end(), k) == touched_.end()) touched_.push_back(k);
}

void cluster::end_step() {
  for (int k : touched_) {
    slot& s = slots_[static_cast<std::size_t>(k)];
    const core::node* n = s.m ? s.m->replica.core() : nullptr;
    if (n == nullptr || (n->current_role() == s.last_role && n->term() == s.last_term)) continue;
    s.last_role = n->current_role();
    s.last_term = n->term();
    trace_event t;
    t.kind = trace_kind::role;
    t.node = static_cast<std::uint8_t>(s.id.value);
    t.role = s.last_role;
    t.term = s.last_term.value;
    t.index = n->log().last_index().value;
    t.commit = n->log().commit().value;
    record(std::move(t));
  }
  check(checker_.after_step(touched_, views_));
}

void cluster::check(std::optional<violation> v) {
  if (!v || failure_) return;
  failure_ = std::move(v);
  note("VIOLATION " + failure_->invariant + ": " + failure_->description);
}

bool cluster::step() {
  while (!queue_.empty()) {
    auto handle = queue_.extract(queue_.begin());
    event& e = handle.mapped();
    slot& s = slots_[static_cast<std::size_t>(e.node)];
    // For a life of the node that ended: lost with it.
    if (e.incarnation != any_incarnation && s.incarnation != e.incarnation) continue;
    now_ = std::max(now_, handle.key().first);
    begin_step();
    e.run(s);
    end_step();
    return true;
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

// --- the network ------------------------------------------------------------------

bool cluster::reachable(const slot& from, const slot& to) const {
  return to.m != nullptr && !blocked(from.id, to.id) && !blocked(to.id, from.id);
}

/// The transport's view of its connections, reported to the replica when
/// it changes: a connection stands while the peer is up and the link works
/// both ways (as TCP with CAF's heartbeat notices, a tick or so late).
void cluster::update_connections(slot& s) {
  if (!s.m) return;
  auto& m = *s.m;
  std::vector<std::pair<core::node_id, bool>> changes;
  for (auto it = m.connected.begin(); it != m.connected.end();) {
    if (m.wanted.count(it->first) == 0)
      it = m.connected.erase(it);
    else
      ++it;
  }
  for (const auto& [id, address] : m.wanted) {
    const bool up = valid_id(id) && slot_of(id).address == address && reachable(s, slot_of(id));
    auto it = m.connected.find(id);
    if (it != m.connected.end() && it->second == up) continue;
    m.connected[id] = up;
    changes.emplace_back(id, up);
  }
  for (const auto& [id, up] : changes)
    guarded(s, [&, id = id, up = up](driver::replica& r) { r.on_peer(id, up); });
}

void cluster::send(slot& from, const std::vector<core::message>& messages) {
  const std::string who = "n" + std::to_string(from.id.value);
  for (const auto& m : messages) {
    if (m.from != from.id) {
      contract(who + " sent a message claiming to be from n" + std::to_string(m.from.value));
      continue;
    }
    if (!valid_id(m.to) || m.to == from.id) {
      contract(who + " sent a message to n" + std::to_string(m.to.value));
      continue;
    }
    auto w = from.m ? from.m->wanted.find(m.to) : decltype(from.m->wanted.end()){};
    if (!from.m || w == from.m->wanted.end() || w->second != slot_of(m.to).address) {
      // No connection to it: the transport has nowhere to send it.
      ++stats_.unreachable;
      record_message(trace_kind::unreachable, m);
      continue;
    }
    if (rng_.chance(cfg_.network.drop_pm)) {
      ++stats_.dropped;
      record_message(trace_kind::drop, m);
      continue;
    }
    const int copies = rng_.chance(cfg_.network.duplicate_pm) ? 2 : 1;
    if (copies == 2) {
      ++stats_.duplicated;
      record_message(trace_kind::duplicate, m);
    }
    for (int k = 0; k < copies; ++k) {
      slot& to = slot_of(m.to);
      // Delivered to whatever incarnation is up then (a restart keeps the address).
      schedule_any(now_ + latency(), to,
                   [this, m, address = from.address](slot& t) { deliver(t, m, address); });
    }
  }
}

void cluster::deliver(slot& to, const core::message& m, const std::string& from_address) {
  if (!to.m) {
    ++stats_.lost_down;
    record_message(trace_kind::lost_down, m);
  } else if (blocked(m.from, m.to)) {
    ++stats_.cut;
    record_message(trace_kind::cut, m);
  } else {
    ++stats_.delivered;
    record_message(trace_kind::deliver, m);
    guarded(to, [&](driver::replica& r) { r.step(from_address, {m}); });
  }
}

// --- forwarded requests --------------------------------------------------------------

void cluster::forward(slot& from, driver::request_id id, const driver::request& r,
                      core::node_id leader) {
  ++stats_.forwarded;
  const std::uint64_t key = next_key_++ | forward_bit;
  forwards_[key] = forward_route{index_of(from), from.incarnation, id};
  // A CAF request with the time left as its timeout: a lost connection or a
  // late answer ends as `timeout` at the deadline.
  const auto deadline = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(r.deadline.time_since_epoch()).count());
  schedule(std::max(deadline, now_), from, [this, key](slot&) {
    answer_forward(key, driver::reply::failure(errc::timeout, "forwarded request timed out"));
  });
  if (!valid_id(leader) || rng_.chance(cfg_.network.drop_pm)) return;
  slot& l = slot_of(leader);
  const core::node_id origin = from.id;
  schedule_any(now_ + latency(), l, [this, key, r, origin](slot& ls) {
    if (!ls.m || blocked(origin, ls.id) || forwards_.count(key) == 0) return;
    trace_event t;
    t.kind = trace_kind::request;
    t.node = static_cast<std::uint8_t>(ls.id.value);
    t.text = "f" + std::to_string(key & ~forward_bit) + " forwarded by n" + std::to_string(origin.value);
    record(std::move(t));
    guarded(ls, [&](driver::replica& rep) { rep.submit(key, r); });
  });
}

void cluster::answer_forward(std::uint64_t key, driver::reply r) {
  auto it = forwards_.find(key);
  if (it == forwards_.end()) return;  // answered already
  const forward_route route = it->second;
  forwards_.erase(it);
  slot& o = slots_[static_cast<std::size_t>(route.origin)];
  if (!o.m || o.incarnation != route.incarnation) return;
  guarded(o, [&](driver::replica& rep) { rep.on_forwarded(route.id, std::move(r)); });
}

// --- snapshot transfers ----------------------------------------------------------------

void cluster::send_snapshot(slot& from, const core::message& header, const std::string& location) {
  ++stats_.snapshots_sent;
  const std::uint64_t key = next_key_++;
  transfers_[key] = transfer{index_of(from), from.incarnation, header.to, {}};
  auto f = from.disk.files.find(location);
  if (f == from.disk.files.end() || f->second.meta != header.snapshot || !valid_id(header.to)) {
    contract("n" + std::to_string(from.id.value) + " sends a snapshot it does not hold at " + location);
    end_transfer(key, false);
    return;
  }
  record_message(trace_kind::deliver, header);
  if (rng_.chance(cfg_.network.drop_pm)) {
    end_transfer(key, false);  // the connection broke on the way
    return;
  }
  slot& to = slot_of(header.to);
  const core::node_id sender = from.id;
  // The chunks take a while; the receiver checks the first before writing
  // anything and has the whole file durable after the last.
  schedule_any(now_ + latency() + latency(), to, [this, key, header, file = f->second, sender](slot& t) {
    if (transfers_.count(key) == 0) return;
    if (!t.m || blocked(sender, t.id)) {
      end_transfer(key, false);
      return;
    }
    std::string why;
    guarded(t, [&](driver::replica& r) { why = r.check_snapshot(header, 0); });
    if (!t.m) return;
    if (!why.empty()) {
      note("n" + std::to_string(t.id.value) + " refuses a snapshot: " + why);
      end_transfer(key, false);
      return;
    }
    const std::string received = "n" + std::to_string(t.id.value) + "-recv-" + std::to_string(key);
    t.disk.files[received] = file;
    transfers_[key].location = received;
    bool accepted = false;
    guarded(t, [&](driver::replica& r) { accepted = r.on_snapshot_received(header, received); });
    if (!accepted) {
      t.disk.files.erase(received);
      end_transfer(key, false);
    }
  });
}

void cluster::snapshot_installed(slot& to, const std::string& location, bool ok) {
  for (const auto& [key, tr] : transfers_) {
    if (tr.to != to.id || tr.location != location) continue;
    end_transfer(key, ok);
    return;
  }
}

/// The last chunk's answer travels back to the sender.
void cluster::end_transfer(std::uint64_t key, bool ok) {
  auto it = transfers_.find(key);
  if (it == transfers_.end()) return;
  const transfer tr = it->second;
  transfers_.erase(it);
  slot& from = slots_[static_cast<std::size_t>(tr.from)];
  if (from.incarnation != tr.incarnation) return;
  schedule(now_ + latency(), from, [this, tr, ok](slot& f) {
    const bool heard = ok && !blocked(tr.to, f.id);
    guarded(f, [&](driver::replica& r) { r.on_snapshot_sent(tr.to, heard); });
  });
}

}  // namespace actraft::sim
