#include "support/member.hpp"

#include <algorithm>
#include <chrono>

namespace actraft::sim {

options replica_options(const cluster_config& cfg) {
  options o = cfg.replica;
  // A unit of simulated time is a millisecond of the replicas' clock.
  o.heartbeat_interval = std::chrono::milliseconds(cfg.tick_units);
  return o;
}

cluster::member::member(cluster& cl, slot& s)
    : c(cl),
      slot_index(cl.index_of(s)),
      replica(replica_options(cl.cfg_), cl.options_for(s),
              driver::ports{this, this, this, this, this, this, this}) {}

driver::time_point cluster::member::now() const {
  return driver::time_point(std::chrono::milliseconds(c.now_));
}

std::uint64_t cluster::member::disk_done_at() {
  disk_busy = std::max(disk_busy, c.now_) + c.disk_latency();
  return disk_busy;
}

std::uint64_t cluster::member::machine_done_at() {
  machine_busy = std::max(machine_busy, c.now_) + c.rng_.below(3);
  return machine_busy;
}

// --- transport ---------------------------------------------------------------------

void cluster::member::connect(const std::map<core::node_id, std::string>& peers) {
  wanted = peers;
  // A peer no longer wanted is forgotten at once (the replica forgot it
  // too), so one wanted again is reported again, as a new proxy does.
  std::erase_if(connected, [&](const auto& kv) { return peers.count(kv.first) == 0; });
  // Connecting takes a round trip; the replica hears of it then.
  c.schedule(c.now_ + c.latency(), me(), [this](slot& s) { c.update_connections(s); });
}

void cluster::member::send(std::vector<core::message> messages) { c.send(me(), messages); }

void cluster::member::forward(driver::request_id id, const driver::request& r, core::node_id leader) {
  c.forward(me(), id, r, leader);
}

void cluster::member::send_snapshot(const core::message& header, const std::string& location) {
  c.send_snapshot(me(), header, location);
}

// --- disk --------------------------------------------------------------------------

void cluster::member::write(const driver::write_batch& batch) {
  slot& s = me();
  trace_event t;
  t.kind = trace_kind::take_ready;
  t.node = static_cast<std::uint8_t>(s.id.value);
  t.n = static_cast<std::uint32_t>(batch.entries.size());
  t.index = batch.entries.empty() ? 0 : batch.entries.front().index.value;
  t.extra = batch.state ? 1 : 0;
  t.term = batch.state ? batch.state->term.value : 0;
  t.commit = batch.state ? batch.state->commit.value : 0;
  c.record(std::move(t));
  c.schedule(disk_done_at(), s, [this, batch](slot& sl) {
    if (c.now_ < sl.disk_full_until) {
      ++c.stats_.write_failures;
      c.guarded(sl, [](driver::replica& r) { r.on_write_failed("no space left on device"); });
      return;
    }
    store_write(sl, batch);
    // Durable: what had to wait for it may go now.
    c.send(sl, batch.after_sync);
    c.guarded(sl, [](driver::replica& r) { r.on_written(); });
  });
}

void cluster::member::store_write(slot& s, const driver::write_batch& batch) {
  const std::string who = "n" + std::to_string(s.id.value);
  if (batch.state) s.disk.state = *batch.state;
  if (!s.disk.append(batch.entries))
    c.contract(who + ": a write of entries " + std::to_string(batch.entries.front().index.value) +
               ".. (consecutive or not) but the disk holds " +
               std::to_string(s.disk.snapshot.index.value + 1) + ".." +
               std::to_string(s.disk.last_index()));
  ++c.stats_.writes;
  trace_event t;
  t.kind = trace_kind::persist;
  t.node = static_cast<std::uint8_t>(s.id.value);
  t.index = s.disk.last_index();
  t.term = s.disk.state.term.value;
  t.log_term = s.disk.state.vote.value;
  t.commit = s.disk.state.commit.value;
  c.record(std::move(t));
}

void cluster::member::install(const core::snapshot_meta& meta, const std::string& location) {
  c.schedule(disk_done_at(), me(), [this, meta, location](slot& s) {
    auto f = s.disk.files.find(location);
    if (f == s.disk.files.end() || f->second.meta != meta) {
      c.contract("n" + std::to_string(s.id.value) + ": installs the snapshot at " + location +
                 ", which holds no such snapshot");
      return;
    }
    auto& d = s.disk;
    const std::string before = d.snapshot_location;
    if (!d.install(meta)) {
      d.files.erase(f);  // a newer one is in force: this one is of no use
    } else {
      if (!before.empty() && before != location) d.files.erase(before);
      d.snapshot_location = location;
    }
    const core::log_index in_force = d.snapshot.index;
    c.guarded(s, [&](driver::replica& r) { r.on_installed(meta, location, in_force); });
    c.snapshot_installed(s, location, in_force == meta.index);
  });
}

void cluster::member::record_removal() {
  c.schedule(disk_done_at(), me(), [this](slot& s) {
    s.disk.removed = true;
    c.guarded(s, [](driver::replica& r) { r.on_removal_recorded(); });
  });
}

// --- state machine -------------------------------------------------------------------

void cluster::member::apply(std::vector<core::entry> entries, std::vector<driver::answer_slot> answers) {
  c.schedule(machine_done_at(), me(), [this, entries = std::move(entries),
                                       answers = std::move(answers)](slot& s) {
    auto answer_it = answers.begin();
    for (const auto& e : entries) {
      while (answer_it != answers.end() && answer_it->index < e.index) ++answer_it;
      const bool proposed_here = answer_it != answers.end() && answer_it->index == e.index;
      if (e.index.value <= applied.size()) {  // a snapshot already holds it
        if (proposed_here)
          answer(answer_it->id, driver::reply::failure(
                                    errc::timeout, "applied through a snapshot; its result is unknown"));
        continue;
      }
      c.check(c.checker_.on_apply(s.id, applied.size(), e));
      applied.push_back(e);
      if (e.kind == core::entry_kind::normal) known = e.index.value;
      if (user_store && e.kind == core::entry_kind::normal)
        user_problem(c.cfg_.user->apply(*user_store, s.id.value, e));
      ++c.stats_.applied;
      if (!proposed_here) continue;
      driver::reply r;
      if (e.kind == core::entry_kind::normal) {
        if (auto value = store_result(e))
          r.value.assign(value->begin(), value->end());
        else
          r = driver::reply::failure(errc::apply_failed, "the store refused the command");
      }
      answer(answer_it->id, std::move(r));
    }
    const core::log_index last{applied.size()};
    save_store_files(s, false);
    trace_event t;
    t.kind = trace_kind::apply;
    t.node = static_cast<std::uint8_t>(s.id.value);
    t.n = static_cast<std::uint32_t>(entries.size());
    t.index = last.value;
    c.record(std::move(t));
    c.guarded(s, [&](driver::replica& r) { r.on_applied(last); });
  });
}

void cluster::member::restore(const core::snapshot_meta& meta, const std::string& location) {
  c.schedule(machine_done_at(), me(), [this, meta, location](slot& s) {
    auto f = s.disk.files.find(location);
    if (f == s.disk.files.end() || f->second.meta != meta) {
      c.guarded(s, [&](driver::replica& r) { r.on_restore_failed("no snapshot file at " + location); });
      return;
    }
    c.check(c.checker_.on_restore(s.id, f->second.data));
    applied = f->second.data;
    known = meta.index.value;
    save_store_files(s, true);  // restoring replaces the files
    if (user_store)
      user_problem(c.cfg_.user->restore(*user_store, s.id.value, meta.index.value, f->second.user_state));
    ++c.stats_.snapshots_installed;
    c.guarded(s, [&](driver::replica& r) { r.on_restored(meta.index); });
  });
}

void cluster::member::query(driver::request_id id, core::payload) {
  // After the applies asked before it (events of one time run in order):
  // the state is the entries applied. A lookup takes no time of its own,
  // so reads never hold up the applies behind them.
  machine_busy = std::max(machine_busy, c.now_);
  c.schedule(machine_busy, me(), [this, id](slot&) {
    const std::string n = std::to_string(applied.size());
    driver::reply r;
    r.value.assign(n.begin(), n.end());
    answer(id, std::move(r));
  });
}

void cluster::member::take_snapshot() {
  c.schedule(machine_done_at(), me(), [this](slot& s) {
    // Between two applies: the state at the last applied index.
    auto meta = replica.describe_snapshot(core::log_index{applied.size()});
    if (!meta) {
      c.guarded(s, [](driver::replica& r) { r.on_snapshot_failed(""); });
      return;
    }
    snapshot_file file{*meta, applied, {}};
    known = meta->index.value;  // (write_snapshot is told the snapshot's index)
    save_store_files(s, false);
    if (user_store) user_problem(c.cfg_.user->capture(*user_store, s.id.value, meta->index.value, file.user_state));
    const std::string location = "n" + std::to_string(s.id.value) + "." +
                                 std::to_string(s.incarnation) + "-snap-" + std::to_string(++files_written);
    // Written on a thread of its own (not the log's): its own delay.
    c.schedule(c.now_ + c.disk_latency(), s, [this, file = std::move(file), location](slot& sl) {
      const core::snapshot_meta m = file.meta;
      sl.disk.files[location] = file;
      ++c.stats_.snapshots_taken;
      // Its size, as the replica weighs it against the commands since: the
      // commands it holds (the simulated state is their list).
      std::uint64_t size = 0;
      for (const auto& e : file.data) size += e.data.size();
      c.guarded(sl, [&](driver::replica& r) { r.on_snapshot_written(m, location, size); });
    });
  });
}

void cluster::member::user_problem(const std::optional<std::string>& problem) {
  if (problem) c.fail("Store Determinism", *problem);
}

void cluster::member::save_store_files(slot& s, bool always) {
  if (!c.cfg_.durable_store || (!always && !c.store_rng_.chance(500))) return;
  s.disk.store_files.assign(applied.begin(), applied.begin() + static_cast<std::ptrdiff_t>(known));
}

// --- clients and logging -----------------------------------------------------------------

void cluster::member::answer(driver::request_id id, driver::reply r) {
  c.on_answer(me(), id, std::move(r));
}

/// A member's events come in order (terms never go back), and no two
/// members report different leaders for one term (Election Safety, as the
/// subscribers see it).
void cluster::member::notify(const actraft::event& e) {
  const auto who = "n" + std::to_string(me().id.value);
  if (e.term < event_term)
    c.fail("Event Order", who + " reported " + std::string(to_string(e.kind)) + " in term " +
                              std::to_string(e.term) + " after an event of term " + std::to_string(event_term));
  event_term = std::max(event_term, e.term);
  if (e.kind != event_kind::leader_changed || e.leader_id == 0) return;
  auto [it, fresh] = c.event_leaders_.emplace(e.term, e.leader_id);
  if (!fresh && it->second != e.leader_id)
    c.fail("Event Election Safety", who + " reported leader " + std::to_string(e.leader_id) + " in term " +
                                        std::to_string(e.term) + ", another member reported " +
                                        std::to_string(it->second));
}

void cluster::member::log(driver::severity level, const std::string& text) {
  if (level < driver::severity::warning) return;  // the trace shows roles and terms
  c.note("n" + std::to_string(me().id.value) + ": " + text);
}

}  // namespace actraft::sim
