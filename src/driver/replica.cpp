// The replica's ready cycle, its peers and its phases. Requests are in
// requests.cpp, snapshots in snapshots.cpp.
#include "actraft/driver/replica.hpp"

#include <algorithm>
#include <limits>
#include <utility>

#include "actraft/core/invariant.hpp"
#include "actraft/core/membership.hpp"

namespace actraft::driver {

std::string_view to_string(phase p) {
  switch (p) {
    case phase::joining: return "joining";
    case phase::running: return "running";
    case phase::installing: return "installing";
    case phase::removed: return "removed";
    case phase::stopped: return "stopped";
  }
  return "unknown";
}

replica::replica(const options& opts, core::options core_opts, ports io)
    : opts_(opts), core_opts_(core_opts), io_(io) {
  ACTRAFT_INVARIANT(io_.clock != nullptr && io_.network != nullptr && io_.storage != nullptr &&
                        io_.machine != nullptr && io_.requesters != nullptr && io_.log_to != nullptr &&
                        io_.events != nullptr,
                    "a replica is given every port");
}

bool replica::planted([[maybe_unused]] core::planted_bug b) const {
#ifdef ACTRAFT_PLANTED_BUGS
  return core_opts_.bug == b;
#else
  return false;
#endif
}

void replica::log(severity level, const std::string& text) const { io_.log_to->log(level, text); }

// --- Phases ------------------------------------------------------------------------

void replica::start(start_state s) {
  if (phase_ != phase::joining) return;
  core_opts_.id = s.id;
  address_ = std::move(s.address);
  seeds_ = std::move(s.seeds);
  seeds_.erase(s.id);
  snapshot_ = s.persisted.snapshot;
  snapshot_location_ = std::move(s.snapshot_location);
  ACTRAFT_INVARIANT(s.applied == core::log_index{} ||
                        store_state_usable(s.applied, s.persisted.snapshot.index,
                                           s.persisted.entries.empty() ? s.persisted.snapshot.index
                                                                       : s.persisted.entries.back().index),
                    "a state machine starts from its own state only where the log allows");
  // The store starts from the snapshot in force, or from its own state.
  applied_ = std::max(snapshot_.index, s.applied);
  handed_ = applied_;
  core_.emplace(core_opts_, std::move(s.persisted), s.applied);
  // Committed entries are applied again from the snapshot on: removal is
  // judged by the configurations as they come, starting from the snapshot's
  // (the latest one would make an old configuration without us look like a
  // removal). Those a store holds already come now, unapplied.
  was_member_ = core_->log().snapshot().config.find(s.id) != nullptr;
  phase_ = phase::running;
  last_role_ = core_->current_role();
  last_term_ = core_->term();
  if (applied_ > snapshot_.index) {
    watch_membership(core_->log().slice(snapshot_.index + 1, applied_, std::numeric_limits<std::size_t>::max()));
    // Its removal among them: removed before it acts on anything.
    if (removal_index_ && applied_ >= *removal_index_) {
      enter_removed();
      drive();
      return;
    }
  }
  // A lone voter need not wait an election timeout to lead itself.
  const auto& config = core_->config();
  if (config.voter_count() == 1 && config.is_voter(s.id)) core_->campaign();
  retry_waiting();  // what arrived while joining
  drive();
}

bool store_state_usable(core::log_index own, core::log_index snapshot, core::log_index last) {
  return own >= snapshot && own <= last;
}

void replica::stop() {
  if (phase_ == phase::stopped) return;
  phase_ = phase::stopped;
  answer_everything(errc::shutting_down, "node is shutting down");
  // The transport goes down with the node: forwarded requests end here too.
  auto forwarded = std::move(forwarded_);
  forwarded_.clear();
  for (auto& [id, r] : forwarded) answer(id, reply::failure(errc::shutting_down, "node is shutting down"));
}

void replica::enter_removed() {
  if (phase_ == phase::removed || phase_ == phase::stopped) return;
  log(severity::info, "removed from the cluster; stopping");
  phase_ = phase::removed;
  installing_.reset();
  // Recorded durably, so a restart from this directory refuses to bring the
  // member back; status says "removed" once it is.
  io_.storage->record_removal();
  answer_everything(errc::removed, "this node was removed from the cluster");
  auto e = event_of(event_kind::removed);
  e.role = node_role::removed;
  notify(std::move(e));
  wanted_.clear();
  connected_.clear();
  io_.network->connect(wanted_);
}

void replica::on_removal_recorded() { removal_recorded_ = true; }

void replica::fail(const std::string& why) {
  log(severity::error, why + "; stopping");
  auto e = event_of(event_kind::storage_error);
  e.detail = why;
  notify(std::move(e));
  answer_everything(errc::storage_failure, why);
  stop();
}

// --- Inputs ------------------------------------------------------------------------

void replica::tick() {
  if (phase_ == phase::removed || phase_ == phase::stopped) return;
  const auto now = io_.clock->now();
  ++ticks_;
  check_tick_clock();
  last_tick_at_ = now;
  // While a leader's snapshot is put in force the core's clock stands still:
  // nothing else could change its term then (no message is stepped), and an
  // election started meanwhile would make it refuse the snapshot of the older
  // term, which the disk has in force already.
  if (core_ && phase_ != phase::installing) core_->tick();
  expire(now);
  retry_waiting();
  // A full disk or an I/O error: nothing is acknowledged before it is
  // durable, so the same batch is written again; proposals wait (and time
  // out) meanwhile.
  if (writing_ && write_retry_at_ && now >= *write_retry_at_) {
    write_retry_at_.reset();
    io_.storage->write(batch_to_write());
  }
  drive();
}

void replica::step(const std::string& from_address, const std::vector<core::message>& messages) {
  if (phase_ != phase::running) return;
  core::node_id from = core::no_node;
  for (const auto& m : messages) {
    ++stats_.received[static_cast<std::size_t>(m.type) % stats_.received.size()];
    // A snapshot message tells the core that the snapshot's data is durable
    // here: only on_installed steps it, once the data is in force.
    if (m.type == core::message_type::snapshot) continue;
    core_->step(m);
    from = m.from;
  }
  if (from != core::no_node) heard_at_[from] = io_.clock->now();
  // Whoever writes to this member is answered, listed in its configuration
  // or not: a leader that joined after this member's log ends (or it could
  // never catch up from it), a member whose removal this member holds but
  // which still leads others in an older term (or it would never hear of the
  // newer one). Raft's answers are how peers learn terms and logs.
  if (from != core::no_node && !from_address.empty() && core_->config().find(from) == nullptr)
    learned_[from] = learned_peer{from_address, ticks_};
  drive();
}

void replica::campaign() {
  if (phase_ != phase::running) return;
  core_->campaign();
  drive();
}

bool replica::transfer_leadership(core::node_id to) {
  if (phase_ != phase::running) return false;
  const bool ok = core_->transfer_leadership(to);
  drive();
  return ok;
}

// --- The ready cycle ---------------------------------------------------------------

void replica::drive() {
  do {
    if (phase_ != phase::running) return;
    while (!writing_ && core_->has_ready()) {
      core::ready rd = core_->take_ready();
      send_now(rd.messages);
      const bool must_write =
          planted(core::planted_bug::skip_vote_sync) ? !rd.entries.empty() : rd.must_sync;
      if (must_write) {
        // Group commit: while this write runs, new proposals collect in the
        // core and leave together in the next ready.
        begin_write(std::move(rd));
        break;
      }
      // Only the commit index moved (Raft's commitIndex is volatile): the
      // core carries it into the next write instead of costing one now.
      count_sent(rd.persisted_messages);
      io_.network->send(std::move(rd.persisted_messages));
      finish(rd);
    }
    sync_peers();
  } while (notice_changes());
}

void replica::count_sent(const std::vector<core::message>& messages) {
  for (const auto& m : messages) ++stats_.sent[static_cast<std::size_t>(m.type) % stats_.sent.size()];
}

void replica::send_now(std::vector<core::message>& messages) {
  if (messages.empty()) return;
  count_sent(messages);
  std::vector<core::message> rest;
  rest.reserve(messages.size());
  for (auto& m : messages) {
    // The core sends a snapshot's metadata; its data goes by a transfer.
    if (m.type == core::message_type::snapshot)
      start_transfer(std::move(m));
    else
      rest.push_back(std::move(m));
  }
  messages.clear();
  if (!rest.empty()) io_.network->send(std::move(rest));
}

void replica::begin_write(core::ready rd) {
  writing_ = std::move(rd);
  count_sent(writing_->persisted_messages);
  write_failures_ = 0;
  write_retry_at_.reset();
  io_.storage->write(batch_to_write());
}

write_batch replica::batch_to_write() const {
  return write_batch{writing_->state, writing_->entries, writing_->persisted_messages};
}

void replica::on_written() {
  ACTRAFT_INVARIANT(writing_.has_value(), "a write completes only while one is under way");
  core::ready rd = std::move(*writing_);
  writing_.reset();
  write_retry_at_.reset();
  if (phase_ == phase::stopped) return;
  finish(rd);
  // A leader's snapshot that arrived during the write goes in force now.
  if (phase_ == phase::installing && installing_)
    io_.storage->install(installing_->snapshot, installing_location_);
  drive();
}

void replica::on_write_failed(const std::string& why) {
  ACTRAFT_INVARIANT(writing_.has_value(), "a write fails only while one is under way");
  ++stats_.storage_errors;
  if (write_failures_ % 50 == 0) {
    log(severity::error, "cannot persist the log (" + why + "); retrying");
    auto e = event_of(event_kind::storage_error);
    e.detail = "cannot persist the log (" + why + "); retrying";
    notify(std::move(e));
  }
  ++write_failures_;
  write_retry_at_ = io_.clock->now() + opts_.heartbeat_interval * 2;
}

/// The rest of a ready, once what it had to make durable is.
void replica::finish(core::ready& rd) {
  if (rd.snapshot) {
    // The snapshot is durable and in force already (installed before the
    // core heard of it): the state machine becomes it before any later
    // entry is applied (the port carries its calls out in order).
    io_.machine->restore(*rd.snapshot, snapshot_location_);
    handed_ = std::max(handed_, rd.snapshot->index);
    restoring_ = true;
    bytes_since_snapshot_ = 0;
    // Proposals it covers were applied (or overwritten) elsewhere; their
    // results will never be known here.
    for (auto it = pending_.begin(); it != pending_.end() && it->first <= rd.snapshot->index;) {
      answer(it->second.id,
             reply::failure(errc::timeout, "applied through a snapshot; its result is unknown"));
      it = pending_.erase(it);
    }
    // Membership: the snapshot's configuration is the one in force there.
    if (rd.snapshot->config.find(core_->id()) != nullptr)
      was_member_ = true;
    else if (was_member_)
      removal_index_ = rd.snapshot->index;
  }
  if (!rd.committed.empty()) {
    stats_.entries_committed += rd.committed.size();
    watch_membership(rd.committed);
    for (const auto& e : rd.committed) bytes_since_snapshot_ += e.data.size();
    auto slots = take_answers(rd.committed);
    handed_ = std::max(handed_, rd.committed.back().index);
    io_.machine->apply(std::move(rd.committed), std::move(slots));
  }
  // Reads settled by this ready go to the state machine after what it was
  // just handed (a leader's read index is at most its commit index).
  on_reads(rd.reads);
  core_->advance();
}

/// Notices committed membership changes that concern this node.
void replica::watch_membership(const std::vector<core::entry>& committed) {
  for (const auto& e : committed) {
    if (e.kind != core::entry_kind::configuration) continue;
    auto c = core::decode_configuration(e.data);
    if (!c) continue;
    if (c->find(core_->id()) != nullptr)
      was_member_ = true;
    else if (was_member_)
      removal_index_ = e.index;  // leave once it is applied (answers first)
    auto changed = event_of(event_kind::membership_changed);
    changed.index = e.index.value;
    changed.members = members_of(c->members);
    notify(std::move(changed));
  }
}

void replica::on_applied(core::log_index last) {
  applied_ = std::max(applied_, last);
  answer_applied();
  if (removal_index_ && applied_ >= *removal_index_) enter_removed();
  maybe_snapshot();
}

void replica::on_restored(core::log_index index) {
  // Applied once the store holds it (status must not run ahead of what the
  // store can answer).
  restoring_ = false;
  applied_ = std::max(applied_, index);
  if (removal_index_ && applied_ >= *removal_index_) enter_removed();
}

void replica::on_restore_failed(const std::string& why) {
  fail("cannot restore the store from the snapshot (" + why + ")");
}

// --- Peers -------------------------------------------------------------------------

void replica::sync_peers() {
  if (!core_ || (phase_ != phase::running && phase_ != phase::installing)) return;
  const auto me = core_->id();
  std::map<core::node_id, std::string> wanted;
  for (const auto& m : core_->config().members)
    if (m.id != me) wanted[m.id] = m.address;
  // A joiner knows the members from the cluster's answer until its log does.
  if (core_->config().find(me) == nullptr)
    for (const auto& [id, addr] : seeds_) wanted.emplace(id, addr);
  // A peer outside the configuration is kept while it keeps writing (two
  // election timeouts at their longest).
  const auto quiet = static_cast<std::uint64_t>(4 * core_opts_.election_ticks);
  std::erase_if(learned_, [&](const auto& kv) {
    return ticks_ - kv.second.heard > quiet || kv.first == me;
  });
  for (const auto& [id, peer] : learned_) wanted.emplace(id, peer.address);
  if (wanted == wanted_) return;
  wanted_ = std::move(wanted);
  std::erase_if(connected_, [&](core::node_id id) { return wanted_.count(id) == 0; });
  io_.network->connect(wanted_);
}

void replica::on_peer(core::node_id id, bool connected) {
  if (connected && wanted_.count(id) != 0)
    connected_.insert(id);
  else
    connected_.erase(id);
}

/// Logs role, term and leader changes. True if a leader appeared while
/// requests were waiting for one: they were routed again, and there may be
/// new work for the ready cycle.
bool replica::notice_changes() {
  if (!core_) return false;
  const auto& c = *core_;
  check_handovers(io_.clock->now());
  if (c.current_role() == last_role_ && c.term() == last_term_ && c.leader() == last_leader_)
    return false;
  const auto term = std::to_string(c.term().value);
  if (c.current_role() == core::role::leader && last_role_ != core::role::leader)
    log(severity::info, "became leader in term " + term);
  else if (c.current_role() == core::role::candidate && last_role_ != core::role::candidate)
    log(severity::info, "started an election in term " + term);
  else if (c.leader() != last_leader_ && c.leader() != core::no_node && c.leader() != c.id())
    log(severity::info,
        "following leader " + std::to_string(c.leader().value) + " in term " + term);
  else if (last_role_ == core::role::leader && c.current_role() != core::role::leader)
    log(severity::info, "stepped down in term " + term);
  if (c.current_role() != last_role_) {
    if (c.current_role() == core::role::candidate) ++stats_.elections_started;
    if (c.current_role() == core::role::leader) ++stats_.elections_won;
    notify(event_of(event_kind::role_changed));
  }
  const bool leader_appeared = c.leader() != core::no_node && c.leader() != last_leader_;
  if (c.leader() != last_leader_) {
    if (leader_appeared) ++stats_.leader_changes;
    notify(event_of(event_kind::leader_changed));
  }
  last_role_ = c.current_role();
  last_term_ = c.term();
  last_leader_ = c.leader();
  if (!leader_appeared || waiting_.empty()) return false;
  // Requests waiting for a leader need not wait for the next tick.
  retry_waiting();
  return true;
}

}  // namespace actraft::driver
