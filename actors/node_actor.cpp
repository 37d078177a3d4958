#include "node_actor.hpp"

#include <algorithm>
#include <utility>

#include "actraft/core/membership.hpp"
#include "logging.hpp"
#include "peer_proxy.hpp"
#include "node_parts.hpp"

namespace actraft::actors {

namespace node_impl {

// --- Answering requests --------------------------------------------------------

void fail(any_promise& p, const caf::error& err) {
  std::visit([&](auto& rp) { rp.deliver(err); }, p);
}

std::vector<member_status> members_of(const core::configuration& c) {
  std::vector<member_status> out;
  for (const auto& m : c.members) out.push_back(member_status{m.id.value, m.address, m.voter});
  return out;
}

caf::error leader_error(const node_state& st) {
  std::string hint = "no leader known";
  if (st.core && st.core->leader() != core::no_node) {
    hint = "leader is node " + std::to_string(st.core->leader().value);
    if (const auto* m = st.core->config().find(st.core->leader())) hint += " at " + m->address;
  }
  return make_error(errc::not_leader, std::move(hint));
}

/// Anything that is not an actraft error (a broken connection, a CAF
/// timeout) leaves the outcome unknown to us: report it as a timeout.
caf::error as_outcome_error(const caf::error& e) {
  if (code_of(e)) return e;
  return make_error(errc::timeout, "forwarded request failed: " + caf::to_string(e));
}

void fail_everything(self_ptr self, errc code, const std::string& why) {
  auto& st = self->state;
  for (auto& [index, p] : st.pending) fail(p.promise, make_error(code, why));
  st.pending.clear();
  for (auto& r : st.waiting) fail(r.promise, make_error(code, why));
  st.waiting.clear();
}

void route(self_ptr self, client_request req);

// --- Peers ---------------------------------------------------------------------

void sync_peers(self_ptr self) {
  auto& st = self->state;
  if (!st.core || st.mode != node_mode::running) return;
  const auto me = st.core->id();
  std::map<core::node_id, std::string> wanted;
  for (const auto& m : st.core->config().members)
    if (m.id != me) wanted[m.id] = m.address;
  // A joiner knows the members from the join reply until its log does.
  if (st.core->config().find(me) == nullptr)
    for (const auto& [id, addr] : st.seed_peers)
      if (id != me) wanted.emplace(id, addr);
  for (auto it = st.peers.begin(); it != st.peers.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || w->second != it->second.address) {
      self->send(it->second.proxy, stop_atom::value);
      it = st.peers.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [id, addr] : wanted) {
    if (st.peers.count(id) != 0) continue;
    auto proxy = self->spawn(peer_proxy_impl, id.value, addr,
                             caf::actor_cast<node_actor>(self), st.opts, st.log_, st.resolver);
    st.peers.emplace(id, peer_link{addr, proxy, {}});
  }
}

/// Groups messages by connected peer: one send per destination, a ready's
/// messages to a peer travel together. Snapshots start a transfer instead
/// (their data goes in chunks). Messages to peers that are not members (any
/// more) or not connected are left out: Raft tolerates the loss and
/// retransmits what matters. Connected: straight to the peer's node, no hop
/// through the proxy (which only owns the connection).
std::vector<peer_batch> batch_for_peers(self_ptr self, std::vector<core::message>& msgs) {
  std::vector<peer_batch> out;
  if (msgs.empty()) return out;
  auto& st = self->state;
  std::map<core::node_id, std::vector<core::message>> by_peer;
  for (auto& m : msgs) {
    if (m.type == core::message_type::snapshot) {
      start_transfer(self, std::move(m));
      continue;
    }
    by_peer[m.to].push_back(std::move(m));
  }
  msgs.clear();  // consumed
  for (auto& [to, batch] : by_peer) {
    auto it = st.peers.find(to);
    if (it == st.peers.end() || !it->second.remote) continue;
    out.push_back(peer_batch{it->second.remote, std::move(batch)});
  }
  return out;
}

void dispatch(self_ptr self, std::vector<core::message>& msgs) {
  for (auto& b : batch_for_peers(self, msgs)) self->send(b.to, raft_atom::value, std::move(b.messages));
}

// --- Applying ------------------------------------------------------------------

void enter_removed(self_ptr self) {
  auto& st = self->state;
  if (st.mode != node_mode::running) return;
  st.log_->info("removed from the cluster; stopping");
  st.mode = node_mode::removed;
  // Recorded durably, so a restart from this directory refuses to bring the
  // member back; status says "removed" once it is.
  self->request(st.log, caf::infinite, removed_atom::value)
      .then([self](bool) { self->state.removal_recorded = true; }, [](const caf::error&) {});
  fail_everything(self, errc::removed, "this node was removed from the cluster");
  for (auto& [id, p] : st.peers) self->send(p.proxy, stop_atom::value);
  st.peers.clear();
}

/// Takes the proposals among `committed` out of the pending ones, for the
/// store actor to answer once it has applied them. A proposal whose index
/// another leader's entry took is answered now: it will never be applied.
std::vector<apply_answer> take_answers(node_state& st, const std::vector<core::entry>& committed) {
  std::vector<apply_answer> answers;
  if (st.pending.empty()) return answers;
  for (const auto& e : committed) {
    auto it = st.pending.find(e.index.value);
    if (it == st.pending.end()) continue;
    if (it->second.term != e.term) {
      fail(it->second.promise, make_error(errc::dropped, "entry overwritten by a new leader"));
      st.pending.erase(it);
      continue;
    }
    if (it->second.kind != request_kind::propose) continue;  // the node answers those
    answers.push_back({e.index.value, std::move(std::get<bytes_promise>(it->second.promise))});
    st.pending.erase(it);
  }
  return answers;
}

void on_applied(self_ptr self, std::vector<apply_result>& results) {
  auto& st = self->state;
  for (auto& r : results) {
    st.applied_index = std::max(st.applied_index, r.index);
    auto it = st.pending.find(r.index);
    if (it == st.pending.end()) continue;
    pending_entry p = std::move(it->second);
    st.pending.erase(it);
    if (p.term.value != r.term) {
      // Another leader's entry took this index: ours will never be applied.
      fail(p.promise, make_error(errc::dropped, "entry overwritten by a new leader"));
      continue;
    }
    switch (p.kind) {
      case request_kind::propose:  // (normally answered by the store actor: take_answers)
        if (r.ok)
          std::get<bytes_promise>(p.promise).deliver(std::move(r.value));
        else
          fail(p.promise,
               make_error(errc::apply_failed, std::string(r.value.begin(), r.value.end())));
        break;
      case request_kind::join:
        std::get<join_promise>(p.promise).deliver(p.member, members_of(st.core->config()));
        break;
      case request_kind::remove:
        std::get<id_promise>(p.promise).deliver(p.member);
        break;
    }
  }
  if (st.removal_index && st.applied_index >= *st.removal_index) enter_removed(self);
  maybe_snapshot(self);
}

/// Notices committed membership changes that concern this node.
void watch_membership(self_ptr self, const std::vector<core::entry>& committed) {
  auto& st = self->state;
  for (const auto& e : committed) {
    if (e.kind != core::entry_kind::configuration) continue;
    auto c = core::decode_configuration(e.data);
    if (!c) continue;
    if (c->find(st.core->id()) != nullptr)
      st.was_member = true;
    else if (st.was_member)
      st.removal_index = e.index.value;  // leave once it is applied (answers first)
  }
}

// --- The ready cycle ---------------------------------------------------------------

/// The rest of a ready, once its writes are durable.
void finish_ready(self_ptr self, core::ready& rd) {
  auto& st = self->state;
  dispatch(self, rd.persisted_messages);
  if (rd.snapshot) restore_store(self, *rd.snapshot);
  if (!rd.committed.empty()) {
    watch_membership(self, rd.committed);
    for (const auto& e : rd.committed) st.bytes_since_snapshot += e.data.size();
    auto answers = take_answers(st, rd.committed);
    self->request(st.store, caf::infinite, apply_atom::value, std::move(rd.committed),
                  std::move(answers))
        .then([self](std::vector<apply_result>& results) { on_applied(self, results); });
  }
  if (st.core) st.core->advance();
}

void persist(self_ptr self) {
  auto& st = self->state;
  auto rd = st.unpersisted;
  const auto attempt = ++st.persist_attempt;
  // The log actor sends what must wait for the write as soon as it is
  // durable. Routed now, at the first attempt (a retry resends the same).
  if (attempt == 1) st.after_sync = batch_for_peers(self, rd->persisted_messages);
  self->request(st.log, caf::infinite, persist_atom::value, rd->state.has_value(),
                rd->state.value_or(core::hard_state{}), rd->entries, st.after_sync)
      .then(
          [self, rd](std::uint64_t) {
            auto& s = self->state;
            s.persisting = false;
            if (rd->state) s.synced = *rd->state;
            s.unpersisted.reset();
            s.after_sync.clear();
            if (s.mode == node_mode::stopped) return;
            finish_ready(self, *rd);
            drive(self);
          },
          [self, attempt](const caf::error& err) {
            auto& s = self->state;
            // A full disk or an I/O error: nothing is acknowledged before it
            // is durable, so keep the batch and try again; proposals wait
            // (and time out) meanwhile.
            if (attempt == 1 || attempt % 50 == 0)
              s.log_->error("cannot persist the log ({}); retrying", caf::to_string(err));
            self->delayed_send(self, std::chrono::milliseconds(100), retry_atom::value,
                               std::uint64_t{attempt});
          });
}

void log_changes(self_ptr self) {
  auto& st = self->state;
  if (!st.core) return;
  const auto& c = *st.core;
  if (c.current_role() == st.last_role && c.term() == st.last_term && c.leader() == st.last_leader)
    return;
  if (c.current_role() == core::role::leader && st.last_role != core::role::leader)
    st.log_->info("became leader in term {}", c.term().value);
  else if (c.current_role() == core::role::candidate && st.last_role != core::role::candidate)
    st.log_->info("started an election in term {}", c.term().value);
  else if (c.leader() != st.last_leader && c.leader() != core::no_node &&
           c.leader() != c.id())
    st.log_->info("following leader {} in term {}", c.leader().value, c.term().value);
  else if (st.last_role == core::role::leader && c.current_role() != core::role::leader)
    st.log_->info("stepped down in term {}", c.term().value);
  const bool leader_appeared = c.leader() != core::no_node && c.leader() != st.last_leader;
  st.last_role = c.current_role();
  st.last_term = c.term();
  st.last_leader = c.leader();
  if (leader_appeared && !st.waiting.empty()) {
    // Requests waiting for a leader need not wait for the next tick.
    auto waiting = std::move(st.waiting);
    st.waiting.clear();
    for (auto& r : waiting) route(self, std::move(r));
  }
}

void drive(self_ptr self) {
  auto& st = self->state;
  if (st.mode == node_mode::stopped || !st.core) return;
  // Nothing may reach the log while a received snapshot is being put in
  // force: the core does not know of it yet, and its entries would land
  // below the snapshot.
  if (st.installing) return;
  while (!st.persisting && st.core->has_ready()) {
    auto rd = std::make_shared<core::ready>(st.core->take_ready());
    dispatch(self, rd->messages);
    // Entries, a term or a vote must be durable before anything that depends
    // on them is sent (Figure 2); a new commit index alone need not be.
    const bool must_sync = !rd->entries.empty() ||
                           (rd->state && (rd->state->term != st.synced.term ||
                                          rd->state->vote != st.synced.vote));
    if (must_sync) {
      // Group commit: while this write runs, new proposals collect in the
      // core and leave together in the next ready. A commit index kept back
      // (below) goes with it; a state in this ready is newer.
      if (!rd->state) rd->state = st.unsynced_commit;
      st.unsynced_commit.reset();
      st.persisting = true;
      st.unpersisted = rd;
      st.persist_attempt = 0;
      persist(self);
    } else {
      // Only the commit index moved: Raft's commitIndex is volatile, so it
      // is recorded with the next write rather than costing the log actor
      // a wake-up of its own for every commit.
      if (rd->state) st.unsynced_commit = rd->state;
      finish_ready(self, *rd);
    }
  }
  sync_peers(self);
  log_changes(self);
}

// --- Requests ------------------------------------------------------------------------

void track(self_ptr self, const core::propose_result& r, client_request& req) {
  auto& st = self->state;
  auto old = st.pending.find(r.index.value);
  if (old != st.pending.end()) {
    // An entry we proposed in an earlier term sat at this index; the new
    // leader (us, again) has overwritten it.
    fail(old->second.promise, make_error(errc::dropped, "entry overwritten by a new leader"));
    st.pending.erase(old);
  }
  st.pending.emplace(r.index.value, pending_entry{r.term, req.kind, r.member.value,
                                                  std::move(req.promise), req.deadline});
}

void forward(self_ptr self, client_request req, const peer_interface& leader) {
  const auto now = clock::now();
  if (now >= req.deadline) {
    fail(req.promise, make_error(errc::timeout, "request deadline passed"));
    return;
  }
  const auto remaining =
      std::chrono::duration_cast<std::chrono::milliseconds>(req.deadline - now);
  auto shared = std::make_shared<client_request>(std::move(req));
  auto on_error = [self, shared](const caf::error& err) {
    // not_leader means the entry was not appended: safe to try again with
    // whoever leads next. Anything else leaves the outcome unknown.
    if (is(err, errc::not_leader) && clock::now() < shared->deadline)
      self->state.waiting.push_back(std::move(*shared));
    else
      fail(shared->promise, as_outcome_error(err));
  };
  switch (shared->kind) {
    case request_kind::propose:
      self->request(leader, remaining, fwd_atom::value, shared->command)
          .then([shared](bytes& result) { std::get<bytes_promise>(shared->promise).deliver(std::move(result)); },
                on_error);
      break;
    case request_kind::join:
      self->request(leader, remaining, join_atom::value, shared->address)
          .then(
              [shared](std::uint64_t id, std::vector<member_status>& ms) {
                std::get<join_promise>(shared->promise).deliver(id, std::move(ms));
              },
              on_error);
      break;
    case request_kind::remove:
      self->request(leader, remaining, remove_atom::value, shared->member)
          .then(
              [self, shared](std::uint64_t id) {
                std::get<id_promise>(shared->promise).deliver(id);
                // The leader stops replicating to a removed member, so we
                // may never see our own removal committed: learn it here.
                if (self->state.core && id == self->state.core->id().value) enter_removed(self);
              },
              on_error);
      break;
  }
}

/// The voter best placed to take over from this leader: the most up to date
/// among those connected.
core::node_id successor(const node_state& st) {
  core::node_id best = core::no_node;
  core::log_index best_match;
  for (const auto& [id, pr] : st.core->followers()) {
    auto link = st.peers.find(id);
    if (!st.core->config().is_voter(id) || link == st.peers.end() || !link->second.remote) continue;
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
bool hand_over_before_leaving(self_ptr self, client_request& req) {
  auto& st = self->state;
  auto& c = *st.core;
  if (req.kind != request_kind::remove || req.member != c.id().value || req.handover_tried)
    return false;
  req.handover_tried = true;
  const auto to = successor(st);
  if (to == core::no_node || !c.transfer_leadership(to)) return false;
  st.log_->info("leaving: handing leadership to node {} first", to.value);
  st.waiting.push_back(std::move(req));
  drive(self);
  return true;
}

void route(self_ptr self, client_request req) {
  auto& st = self->state;
  if (st.mode == node_mode::removed) {
    fail(req.promise, make_error(errc::removed, "this node was removed from the cluster"));
    return;
  }
  if (st.mode == node_mode::stopped) {
    fail(req.promise, make_error(errc::shutting_down, "node is shutting down"));
    return;
  }
  if (!st.core) {
    st.waiting.push_back(std::move(req));  // still joining
    return;
  }
  auto& c = *st.core;
  if (c.current_role() == core::role::leader) {
    if (hand_over_before_leaving(self, req)) return;
    core::propose_result r;
    switch (req.kind) {
      case request_kind::propose:
        r = c.propose(core::payload(std::move(req.command)));
        break;
      case request_kind::join:
        r = c.propose_membership({core::membership_op::add_learner, core::no_node, req.address});
        break;
      case request_kind::remove:
        r = c.propose_membership({core::membership_op::remove, core::node_id{req.member}, {}});
        break;
    }
    switch (r.error) {
      case core::propose_error::none:
        track(self, r, req);
        drive(self);
        return;
      case core::propose_error::change_in_progress:
      case core::propose_error::transferring:
        st.waiting.push_back(std::move(req));  // retried on the next tick
        return;
      case core::propose_error::invalid_change:
        fail(req.promise, make_error(errc::membership_refused, r.reason));
        return;
      case core::propose_error::not_leader:
        break;  // cannot happen for a leader
    }
  }
  if (req.forwarded) {
    fail(req.promise, leader_error(st));  // the follower that forwarded it retries
    return;
  }
  auto it = st.peers.find(c.leader());
  if (c.leader() != core::no_node && it != st.peers.end() && it->second.remote) {
    forward(self, std::move(req), it->second.remote);
    return;
  }
  st.waiting.push_back(std::move(req));  // until a leader is known
}

void on_tick(self_ptr self) {
  auto& st = self->state;
  if (st.core) st.core->tick();
  const auto now = clock::now();
  // Every request is answered by its deadline, whatever else happens.
  for (auto it = st.pending.begin(); it != st.pending.end();) {
    if (now >= it->second.deadline) {
      fail(it->second.promise,
           make_error(errc::timeout, "not committed before the deadline; it may still be applied"));
      it = st.pending.erase(it);
    } else {
      ++it;
    }
  }
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& r : waiting) {
    if (now >= r.deadline)
      fail(r.promise, leader_error(st));
    else
      route(self, std::move(r));
  }
  drive(self);
}

template <class Promise>
client_request make_request(self_ptr self, request_kind kind, Promise rp, bool forwarded) {
  client_request req;
  req.kind = kind;
  req.promise = std::move(rp);
  req.deadline = clock::now() + self->state.opts.request_timeout;
  req.forwarded = forwarded;
  return req;
}

node_status make_status(const node_state& st) {
  node_status s;
  s.applied_index = st.applied_index;
  if (!st.core) return s;
  const auto& c = *st.core;
  s.id = c.id().value;
  s.role = st.mode == node_mode::removed && st.removal_recorded ? "removed"
           : st.mode == node_mode::stopped                    ? "stopped"
                                                              : std::string(core::to_string(c.current_role()));
  s.term = c.term().value;
  s.leader_id = c.leader().value;
  if (const auto* m = c.config().find(c.leader())) s.leader_address = m->address;
  s.commit_index = c.log().commit().value;
  s.members = members_of(c.config());
  return s;
}

void start_core(self_ptr self, node_setup& setup) {
  auto& st = self->state;
  st.address = setup.address;
  st.log_ = make_logger("node " + std::to_string(setup.core_opts.id.value));
  st.synced = setup.state.state;
  st.snapshot = setup.state.snapshot;
  st.snapshot_path = setup.snapshot_path;
  st.core.emplace(setup.core_opts, std::move(setup.state));
  // Committed entries are applied again from the snapshot on: judge removal
  // by the configurations as they come, starting from the snapshot's (the
  // latest configuration would make an old one without us look like a removal).
  st.was_member = st.core->log().snapshot().config.find(st.core->id()) != nullptr;
  st.applied_index = st.core->log().snapshot().index.value;
  // A lone voter need not wait an election timeout to lead itself.
  if (st.core->config().voter_count() == 1 && st.core->config().is_voter(st.core->id()))
    st.core->campaign();
}

/// Internal messages (timers, peer state, start, stop) are published along
/// with the rest of the node's interface; only actors of this process may
/// send them, or any peer could stop or confuse the node.
bool from_this_process(self_ptr self) {
  // Anonymous messages may come from anywhere: refused too.
  const auto& sender = self->current_sender();
  return sender != nullptr && sender->node() == self->node();
}

void stop(self_ptr self) {
  auto& st = self->state;
  if (st.mode == node_mode::stopped) return;
  st.mode = node_mode::stopped;
  fail_everything(self, errc::shutting_down, "node is shutting down");
  for (auto& [id, p] : st.peers) self->send(p.proxy, stop_atom::value);
  st.peers.clear();
  for (auto& [id, sender] : st.transfers) self->send(sender, stop_atom::value);
  st.transfers.clear();
  self->send(st.log, stop_atom::value);
  self->send(st.store, stop_atom::value);
  self->send(st.snapshot_io, stop_atom::value);
  self->quit();
}

}  // namespace node_impl

using namespace node_impl;

node_actor::behavior_type node_actor_impl(node_actor::stateful_pointer<node_state> self,
                                          std::shared_ptr<node_setup> setup) {
  auto& st = self->state;
  // Only what the spawner set before spawning is read here; the address and
  // the persisted state are read on start_atom, which the spawner sends
  // after filling them in.
  st.opts = setup->opts;
  st.log = setup->log;
  st.store = setup->store;
  st.snapshot_io = setup->snapshot_io;
  st.resolver = setup->resolver;
  // The core starts with start_atom, once the node knows its id: at once
  // for a resumed or bootstrapped member, after the handshake for a joiner.
  st.log_ = make_logger("starting");
  st.setup = std::move(setup);
  self->monitor(st.log);
  self->monitor(st.store);
  self->monitor(st.snapshot_io);
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& s = self->state;
    if (dm.source == s.log.address() || dm.source == s.store.address() ||
        dm.source == s.snapshot_io.address()) {
      if (s.mode == node_mode::stopped) return;
      s.log_->error("{} actor stopped unexpectedly ({}); stopping the node",
                    dm.source == s.log.address()     ? "log"
                    : dm.source == s.store.address() ? "store"
                                                     : "snapshot io",
                    caf::to_string(dm.reason));
      fail_everything(self, errc::storage_failure, "storage stopped");
      stop(self);
    }
  });
  self->send(self, tick_atom::value, st.tick_epoch);
  return {
      // --- mailbox ---
      [self](propose_atom, bytes& command) -> caf::result<bytes> {
        auto rp = self->make_response_promise<bytes>();
        auto req = make_request(self, request_kind::propose, rp, false);
        req.command = std::move(command);
        route(self, std::move(req));
        return rp;
      },
      [self](leave_atom) -> caf::result<std::uint64_t> {
        if (!self->state.core)
          return make_error(errc::not_leader, "this node has not joined a cluster yet");
        auto rp = self->make_response_promise<std::uint64_t>();
        auto req = make_request(self, request_kind::remove, rp, false);
        req.member = self->state.core->id().value;
        route(self, std::move(req));
        return rp;
      },
      [self](status_atom) { return make_status(self->state); },
      // --- peers ---
      [self](raft_atom, std::vector<core::message>& msgs) {
        auto& s = self->state;
        if (s.mode != node_mode::running || !s.core || s.installing) return;
        for (const auto& m : msgs) {
          // A snapshot message tells the core that the snapshot's data is
          // durable here; only the chunk handler may step it, after the
          // last chunk.
          if (m.type == core::message_type::snapshot) continue;
          s.core->step(m);
        }
        drive(self);
      },
      [self](fwd_atom, bytes& command) -> caf::result<bytes> {
        auto rp = self->make_response_promise<bytes>();
        auto req = make_request(self, request_kind::propose, rp, true);
        req.command = std::move(command);
        route(self, std::move(req));
        return rp;
      },
      [self](join_atom, std::string& address)
          -> caf::result<std::uint64_t, std::vector<member_status>> {
        auto rp = self->make_response_promise<std::uint64_t, std::vector<member_status>>();
        auto req = make_request(self, request_kind::join, rp, false);
        req.address = std::move(address);
        route(self, std::move(req));
        return rp;
      },
      [self](remove_atom, std::uint64_t member) -> caf::result<std::uint64_t> {
        auto rp = self->make_response_promise<std::uint64_t>();
        auto req = make_request(self, request_kind::remove, rp, false);
        req.member = member;
        route(self, std::move(req));
        return rp;
      },
      [self](chunk_atom, core::message& header, std::uint64_t offset, bytes& data,
             bool last) -> caf::result<std::uint64_t> {
        return on_chunk(self, std::move(header), offset, std::move(data), last);
      },
      // --- internal ---
      [self](tick_atom, std::uint64_t epoch) {
        if (!from_this_process(self)) return;
        auto& s = self->state;
        if (epoch != s.tick_epoch || s.mode != node_mode::running) return;
        on_tick(self);
        self->delayed_send(self, s.opts.heartbeat_interval, tick_atom::value, epoch);
      },
      [self](peer_up_atom, std::uint64_t id, peer_interface& remote) {
        if (!from_this_process(self)) return;
        auto& s = self->state;
        auto it = s.peers.find(core::node_id{id});
        if (it == s.peers.end()) return;
        it->second.remote = std::move(remote);
        s.log_->debug("connected to node {} at {}", id, it->second.address);
      },
      [self](peer_down_atom, std::uint64_t id) {
        if (!from_this_process(self)) return;
        auto it = self->state.peers.find(core::node_id{id});
        if (it != self->state.peers.end()) it->second.remote = nullptr;
      },
      [self](retry_atom, std::uint64_t attempt) {
        if (!from_this_process(self)) return;
        auto& s = self->state;
        if (s.persisting && attempt == s.persist_attempt && s.mode != node_mode::stopped)
          persist(self);
      },
      [self](start_atom, std::uint64_t id, std::vector<member_status>& members) {
        if (!from_this_process(self)) return;
        auto& s = self->state;
        if (s.core || !s.setup) return;
        s.setup->core_opts.id = core::node_id{id};
        for (const auto& m : members) s.seed_peers[core::node_id{m.id}] = m.address;
        start_core(self, *s.setup);
        s.setup.reset();
        drive(self);
      },
      [self](sent_atom, std::uint64_t to, bool ok) {
        if (from_this_process(self)) on_sent(self, core::node_id{to}, ok);
      },
      [self](stop_atom) {
        if (from_this_process(self)) stop(self);
      },
  };
}

}  // namespace actraft::actors
