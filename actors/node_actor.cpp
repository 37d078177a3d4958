#include "node_actor.hpp"

#include <cstdlib>
#include <utility>

#include "actraft/core/invariant.hpp"
#include "node_ports.hpp"

namespace actraft::actors {

node_state::node_state() = default;
node_state::~node_state() = default;

namespace {

using self_ptr = node_actor::stateful_pointer<node_state>;

/// Hands a client request to the replica, with the node's deadline; the
/// ports keep its promise until the replica answers it.
template <class Promise>
void submit(self_ptr self, Promise rp, driver::request r, bool forwarded = false) {
  auto& st = self->state;
  r.deadline = driver::clock::now() + st.opts.request_timeout;
  r.forwarded = forwarded;
  const auto id = st.ports->remember(std::move(rp), r.kind);
  st.replica->submit(id, std::move(r));
  st.ports->settle();
}

/// A request that carries bytes and is answered with bytes (propose, query).
caf::result<bytes> submit_bytes(self_ptr self, driver::request_kind kind, bytes& payload,
                                bool forwarded = false) {
  auto rp = self->make_response_promise<bytes>();
  driver::request r;
  r.kind = kind;
  r.command = core::payload(std::move(payload));
  submit(self, rp, std::move(r), forwarded);
  return rp;
}

/// A request answered with a member id (or an index), about `member`.
caf::result<std::uint64_t> submit_member(self_ptr self, driver::request_kind kind, std::uint64_t member,
                                         bool forwarded = false) {
  auto rp = self->make_response_promise<std::uint64_t>();
  driver::request r;
  r.kind = kind;
  r.member = core::node_id{member};
  submit(self, rp, std::move(r), forwarded);
  return rp;
}

/// The member knows its id: at once for a resumed or bootstrapped member,
/// once the cluster answered for a joiner.
void start(self_ptr self, std::uint64_t id, std::vector<member_status>& members) {
  auto& st = self->state;
  if (!st.setup) return;
  auto setup = std::move(st.setup);
  driver::start_state s;
  s.id = core::node_id{id};
  s.address = setup->address;
  s.persisted = std::move(setup->state);
  for (const auto& m : members) s.seeds[core::node_id{m.id}] = m.address;
  s.snapshot_location = setup->snapshot_path;
  // (The store restored the snapshot, or holds more of its own.)
  if (setup->applied > s.persisted.snapshot.index) s.applied = setup->applied;
  st.ports->start(s.id, s.address);
  st.replica->start(std::move(s));
  st.ports->settle();
}

void stop(self_ptr self) {
  auto& st = self->state;
  if (st.stopping) return;
  st.stopping = true;
  st.replica->stop();  // answers every open request: shutting_down
  st.ports->stop_all();
  self->quit();
}

}  // namespace

node_actor::behavior_type node_actor_impl(node_actor::stateful_pointer<node_state> self,
                                          std::shared_ptr<node_setup> setup) {
  auto& st = self->state;
  st.opts = setup->opts;
  st.ports = std::make_unique<node_ports>(self, *setup);
  st.replica.emplace(setup->opts, setup->core_opts, st.ports->all());
  // Only what the spawner set before spawning is read here; the address and
  // the persisted state are read on start_signal, sent once they are known.
  st.setup = std::move(setup);
  self->monitor(st.setup->log);
  self->monitor(st.setup->store);
  self->monitor(st.setup->snapshot_io);
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& s = self->state;
    if (s.ports->subscriber_down(dm.source)) return;
    auto which = s.ports->storage_actor_name(dm.source);
    if (!which || s.stopping) return;
    s.ports->log().error("{} actor stopped unexpectedly ({}); stopping the node", *which,
                         caf::to_string(dm.reason));
    s.replica->fail("storage stopped");
    s.ports->settle();
  });
  // A broken internal invariant: the node's own state cannot be trusted.
  self->set_exception_handler([self](caf::scheduled_actor*, std::exception_ptr& eptr) -> caf::error {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(eptr);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    auto& s = self->state;
    s.ports->log().critical("{}; stopping the node", what);
#ifndef NDEBUG
    std::abort();
#endif
    s.stopping = true;
    s.ports->fail_all(errc::shutting_down, "node stopped: " + what);
    s.ports->stop_all();
    return caf::exit_reason::unhandled_exception;
  });
  self->send(self, tick_signal{st.tick_epoch});
  return {
      // --- the mailbox ---
      [self](propose_atom, bytes& command) {
        return submit_bytes(self, driver::request_kind::propose, command);
      },
      [self](query_atom, bytes& q) { return submit_bytes(self, driver::request_kind::query, q); },
      [self](stale_query_atom, bytes& q) {
        return submit_bytes(self, driver::request_kind::query_local, q);
      },
      [self](leave_atom) -> caf::result<std::uint64_t> {
        const auto* core = self->state.replica->core();
        if (core == nullptr) return make_error(errc::not_started, "this node has not joined a cluster yet");
        return submit_member(self, driver::request_kind::remove, core->id().value);
      },
      [self](status_atom) { return self->state.ports->status(); },
      [self](transfer_atom, std::uint64_t to) {
        return submit_member(self, driver::request_kind::transfer, to);
      },
      [self](remove_member_atom, std::uint64_t member) {
        return submit_member(self, driver::request_kind::remove, member);
      },
      [self](snapshot_atom) { return submit_member(self, driver::request_kind::snapshot, 0); },
      [self](metrics_atom) { return self->state.ports->metrics(); },
      [self](subscribe_atom, const caf::actor& listener) { self->state.ports->subscribe(listener); },
      [self](unsubscribe_atom, const caf::actor& listener) {
        self->state.ports->unsubscribe(listener.address());
      },
      // --- the peer protocol ---
      [self](raft_atom, const std::string& from, const std::vector<core::message>& msgs) {
        self->state.replica->step(from, msgs);
        self->state.ports->settle();
      },
      [self](fwd_atom, bytes& command) {
        return submit_bytes(self, driver::request_kind::propose, command, true);
      },
      [self](join_atom, std::string& address) -> caf::result<std::uint64_t, std::vector<member_status>> {
        auto rp = self->make_response_promise<std::uint64_t, std::vector<member_status>>();
        driver::request r;
        r.kind = driver::request_kind::join;
        r.address = std::move(address);
        submit(self, rp, std::move(r));
        return rp;
      },
      [self](remove_atom, std::uint64_t member) {
        return submit_member(self, driver::request_kind::remove, member);
      },
      [self](handover_atom, std::uint64_t to) {
        return submit_member(self, driver::request_kind::transfer, to, true);
      },
      [self](chunk_atom, core::message& header, std::uint64_t offset, bytes& data,
             bool last) -> caf::result<std::uint64_t> {
        return self->state.ports->receive_chunk(std::move(header), offset, std::move(data), last);
      },
      // --- local signals ---
      [self](tick_signal t) {
        auto& s = self->state;
        if (t.epoch != s.tick_epoch || s.stopping) return;
        s.replica->tick();
        s.ports->settle();
        self->delayed_send(self, s.opts.heartbeat_interval, t);
      },
      [self](peer_up_signal& p) { self->state.ports->peer_up(p.id, std::move(p.remote)); },
      [self](peer_down_signal p) { self->state.ports->peer_down(p.id); },
      [self](start_signal& s) { start(self, s.id, s.members); },
      [self](sent_signal s) {
        self->state.ports->snapshot_sent(s.to);
        self->state.replica->on_snapshot_sent(core::node_id{s.to}, s.ok);
        self->state.ports->settle();
      },
      [self](stop_signal) { stop(self); },
  };
}

}  // namespace actraft::actors
