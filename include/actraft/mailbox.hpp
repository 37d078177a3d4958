// The mailbox: the CAF typed actor handle through which any actor (or
// blocking code) talks to a node. Any member answers: followers forward
// proposals to the leader and relay its answer. Wait longer than
// options::request_timeout (5 s): the node answers by then, saying what
// happened.
//
//   self->request(mailbox, 6s, actraft::propose_atom_v, command)
//     .then([](const actraft::bytes& result) { ... },
//           [](const caf::error& err) { if (actraft::is(err, actraft::errc::timeout)) ... });
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/actor.hpp>
#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actraft/error.hpp"
#include "actraft/metrics.hpp"
#include "actraft/status.hpp"
#include "actraft/store.hpp"

namespace caf {
class actor_system_config;
}

namespace actraft {

using propose_atom = caf::atom_constant<caf::atom("propose")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using query_atom = caf::atom_constant<caf::atom("query")>;
using stale_query_atom = caf::atom_constant<caf::atom("stalequery")>;
constexpr propose_atom propose_atom_v{};
constexpr query_atom query_atom_v{};
constexpr stale_query_atom stale_query_atom_v{};
constexpr leave_atom leave_atom_v{};
constexpr status_atom status_atom_v{};
using transfer_atom = caf::atom_constant<caf::atom("transfer")>;
using remove_member_atom = caf::atom_constant<caf::atom("rmmember")>;
using snapshot_atom = caf::atom_constant<caf::atom("snapshot")>;
using metrics_atom = caf::atom_constant<caf::atom("metrics")>;
using subscribe_atom = caf::atom_constant<caf::atom("subscribe")>;
using unsubscribe_atom = caf::atom_constant<caf::atom("unsubscrib")>;
constexpr transfer_atom transfer_atom_v{};
constexpr remove_member_atom remove_member_atom_v{};
constexpr snapshot_atom snapshot_atom_v{};
constexpr metrics_atom metrics_atom_v{};
constexpr subscribe_atom subscribe_atom_v{};
constexpr unsubscribe_atom unsubscribe_atom_v{};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_status& x) {
  return f(caf::meta::type_name("actraft::member_status"), x.id, x.address, x.voter);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, follower_status& x) {
  return f(caf::meta::type_name("actraft::follower_status"), x.id, x.address, x.match_index,
           x.next_index, x.state, x.inflight, x.last_contact_ms, x.connected,
           x.snapshot_sent_bytes, x.snapshot_total_bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status& x) {
  return f(caf::meta::type_name("actraft::node_status"), x.id, x.role, x.term, x.leader_id,
           x.leader_address, x.commit_index, x.applied_index, x.last_index, x.snapshot_index,
           x.snapshot_term, x.members, x.followers, x.pending_requests, x.data_dir_bytes);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, event& x) {
  return f(caf::meta::type_name("actraft::event"), x.kind, x.id, x.role, x.term, x.leader_id,
           x.leader_address, x.index, x.members, x.detail);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, histogram& x) {
  return f(caf::meta::type_name("actraft::histogram"), x.bounds, x.counts, x.sum, x.count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, request_count& x) {
  return f(caf::meta::type_name("actraft::request_count"), x.kind, x.outcome, x.count);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message_count& x) {
  return f(caf::meta::type_name("actraft::message_count"), x.type, x.sent, x.received);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, traffic_count& x) {
  return f(caf::meta::type_name("actraft::traffic_count"), x.frame, x.bytes_sent, x.bytes_received);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_metrics& x) {
  return f(caf::meta::type_name("actraft::node_metrics"), x.id, x.role, x.term, x.leader_id,
           x.commit_index, x.applied_index, x.last_index, x.snapshot_index, x.members, x.voters,
           x.pending_requests, x.subscribers, x.requests, x.entries_committed, x.entries_applied,
           x.log_bytes_written, x.elections_started, x.elections_won, x.leader_changes, x.messages,
           x.traffic, x.snapshots_taken, x.snapshots_installed, x.snapshot_bytes_sent,
           x.snapshot_bytes_received, x.read_rounds, x.reads_ok, x.reads_failed, x.storage_errors, x.apply_seconds,
           x.fsync_seconds, x.fsync_entries);
}

/// propose: a command for store::apply; the answer is apply's result.
/// query: a linearizable read, store::query's answer once this member has
///   applied everything committed before the query arrived; no log write
///   (§6.4: the leader confirms it leads with a heartbeat round or its
///   lease; a follower asks the leader how far to apply, then answers itself).
/// stale_query: store::query at once, on what this member has applied: may
///   miss recent writes (a follower behind, a deposed leader), never more.
/// leave: removes the member that receives it; answers its id once removed.
/// status: this node's view.
///
/// Admin (any member answers, forwarding to the leader where it must; the
/// mailbox is local to the process: authorizing who may ask is the
/// application's job, as kv_store's admin token does):
/// transfer: hands leadership to member `to` (0: the most caught-up voter);
///   answers the new leader's id once this member sees it lead
///   (membership_refused: not a voter, none connected; timeout: it did not
///   take over within an election timeout, this member may still lead).
/// remove_member: removes member `id` (one gone for good); answers its id.
/// snapshot: this member snapshots its store now (each member keeps its
///   own); answers the index of the snapshot in force covering everything
///   applied when it was asked.
/// metrics: counters, gauges and histograms (metrics.hpp).
/// subscribe: `listener` receives actraft::event messages, in order, from a
///   `subscribed` event with the state at that time on, until unsubscribe
///   or until it goes down. Subscribing twice changes nothing.
using mailbox = caf::typed_actor<caf::replies_to<propose_atom, bytes>::with<bytes>,
                                 caf::replies_to<query_atom, bytes>::with<bytes>,
                                 caf::replies_to<stale_query_atom, bytes>::with<bytes>,
                                 caf::replies_to<leave_atom>::with<std::uint64_t>,
                                 caf::replies_to<status_atom>::with<node_status>,
                                 caf::replies_to<transfer_atom, std::uint64_t>::with<std::uint64_t>,
                                 caf::replies_to<remove_member_atom, std::uint64_t>::with<std::uint64_t>,
                                 caf::replies_to<snapshot_atom>::with<std::uint64_t>,
                                 caf::replies_to<metrics_atom>::with<node_metrics>,
                                 caf::reacts_to<subscribe_atom, caf::actor>,
                                 caf::reacts_to<unsubscribe_atom, caf::actor>>;

/// The CAF error category of actraft's errors.
constexpr caf::atom_value error_category = caf::atom("actraft");

/// Makes `errc` usable as a caf::error (found by CAF through ADL).
caf::error make_error(errc code);
caf::error make_error(errc code, std::string context);

/// The actraft error code in `err`, if it is one.
std::optional<errc> code_of(const caf::error& err);
inline bool is(const caf::error& err, errc code) { return code_of(err) == code; }

/// Registers every type actraft sends between actors and over the network,
/// loads the middleman and the error category. Call on the config of every
/// actor system that hosts a node or talks to one.
void add_types(caf::actor_system_config& cfg);

}  // namespace actraft
