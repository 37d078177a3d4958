// What actraft's actors say to each other, locally and over the network:
// the internal atoms, the typed interfaces of node, peer proxy, log and
// store actors, and how the core's value types are inspected by CAF.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actraft/core/message.hpp"
#include "actraft/core/types.hpp"
#include "actraft/mailbox.hpp"

namespace actraft::core {

// CAF inspection of the core's values, so Raft messages cross the network in
// CAF's own binary format, without a second encoding. Enums travel as their
// underlying integer; the core validates every value it receives.

template <class Inspector, class Tag>
typename Inspector::result_type inspect(Inspector& f, strong_int<Tag>& x) {
  return f(x.value);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, payload& x) {
  if constexpr (Inspector::reads_state) {
    // Serializing (or printing) only reads: hand CAF the shared buffer
    // itself instead of a copy; every append message goes through here.
    return f(caf::meta::type_name("actraft::payload"), const_cast<bytes&>(x.get()));
  } else {
    bytes buf;
    return f(caf::meta::type_name("actraft::payload"), buf,
             caf::meta::load_callback([&]() -> caf::error {
               x = payload(std::move(buf));
               return caf::none;
             }));
  }
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, entry& x) {
  auto kind = static_cast<std::uint8_t>(x.kind);
  return f(caf::meta::type_name("actraft::entry"), x.term, x.index, kind, x.data,
           caf::meta::load_callback([&]() -> caf::error {
             x.kind = static_cast<entry_kind>(kind);
             return caf::none;
           }));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member& x) {
  return f(caf::meta::type_name("actraft::member"), x.id, x.address, x.voter);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, configuration& x) {
  return f(caf::meta::type_name("actraft::configuration"), x.members, x.max_assigned_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, snapshot_meta& x) {
  return f(caf::meta::type_name("actraft::snapshot_meta"), x.index, x.term, x.config);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, message& x) {
  auto type = static_cast<std::uint8_t>(x.type);
  return f(caf::meta::type_name("actraft::message"), type, x.from, x.to, x.term, x.index,
           x.log_term, x.entries, x.commit, x.reject, x.hint_index, x.hint_term, x.snapshot,
           x.transfer,
           caf::meta::load_callback([&]() -> caf::error {
             x.type = static_cast<message_type>(type);
             return caf::none;
           }));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, hard_state& x) {
  return f(caf::meta::type_name("actraft::hard_state"), x.term, x.vote, x.commit);
}

}  // namespace actraft::core

namespace actraft::actors {

// Internal atoms (CAF 0.17 atoms hold at most 10 characters).
using raft_atom = caf::atom_constant<caf::atom("raft")>;         // Raft messages
using fwd_atom = caf::atom_constant<caf::atom("fwd")>;           // forwarded proposal
using join_atom = caf::atom_constant<caf::atom("join")>;         // add me as a learner
using remove_atom = caf::atom_constant<caf::atom("remove")>;     // remove a member
using tick_atom = caf::atom_constant<caf::atom("tick")>;         // the core's clock
using peer_up_atom = caf::atom_constant<caf::atom("peer_up")>;
using peer_down_atom = caf::atom_constant<caf::atom("peer_down")>;
using persist_atom = caf::atom_constant<caf::atom("persist")>;   // node -> log
using apply_atom = caf::atom_constant<caf::atom("apply")>;       // node -> store
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using retry_atom = caf::atom_constant<caf::atom("retry")>;
using start_atom = caf::atom_constant<caf::atom("start")>;       // joiner got its id
using snap_atom = caf::atom_constant<caf::atom("snapshot")>;     // node -> store: take one
using restore_atom = caf::atom_constant<caf::atom("restore")>;   // node -> store: install one
using write_atom = caf::atom_constant<caf::atom("write")>;       // node -> snapshot io
using install_atom = caf::atom_constant<caf::atom("install")>;   // node -> log: put in force
using chunk_atom = caf::atom_constant<caf::atom("chunk")>;       // snapshot data, leader -> follower
using sent_atom = caf::atom_constant<caf::atom("sent")>;         // sender -> node: transfer over
using removed_atom = caf::atom_constant<caf::atom("removed")>;   // node -> log: retire the member

/// The outcome of applying one committed entry.
struct apply_result {
  std::uint64_t index = 0;
  std::uint64_t term = 0;
  bool ok = true;         ///< false: store::apply threw
  bytes value;            ///< apply's result, or the exception's text
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, apply_result& x) {
  return f(caf::meta::type_name("actraft::apply_result"), x.index, x.term, x.ok, x.value);
}

/// The answer to a proposal, sent along with its committed entry: the store
/// actor answers the proposer as soon as it has applied the entry, instead
/// of handing the result back to the node first (one thread hand-off fewer
/// on every proposal's way back).
struct apply_answer {
  std::uint64_t index = 0;
  caf::typed_response_promise<bytes> promise;
};

/// What peers may send a node (the published part of its interface).
using peer_interface = caf::typed_actor<
    caf::reacts_to<raft_atom, std::vector<core::message>>,
    // A proposal forwarded by a follower; never forwarded again.
    caf::replies_to<fwd_atom, bytes>::with<bytes>,
    // A new member asks to be added; answers its id and the members.
    caf::replies_to<join_atom, std::string>::with<std::uint64_t, std::vector<member_status>>,
    // Remove a member (sent to the leader); answers the removed id.
    caf::replies_to<remove_atom, std::uint64_t>::with<std::uint64_t>,
    // One chunk of the leader's snapshot file: the InstallSnapshot message
    // it belongs to, the chunk's offset in the data, the data, and whether it
    // is the last. Answers the offset expected next, once the chunk is
    // written (the last one: once the snapshot is durable and in force).
    caf::replies_to<chunk_atom, core::message, std::uint64_t, bytes, bool>::with<std::uint64_t>>;

/// Raft messages for one peer, ready to go.
struct peer_batch {
  peer_interface to;
  std::vector<core::message> messages;
};

/// The node actor: the mailbox, the peer interface and internal messages.
using node_actor = mailbox::extend_with<peer_interface>::extend<
    caf::reacts_to<tick_atom, std::uint64_t>,
    caf::reacts_to<peer_up_atom, std::uint64_t, peer_interface>,
    caf::reacts_to<peer_down_atom, std::uint64_t>,
    caf::reacts_to<retry_atom, std::uint64_t>,
    caf::reacts_to<start_atom, std::uint64_t, std::vector<member_status>>,
    // A snapshot transfer to a follower ended (true: every chunk was taken).
    caf::reacts_to<sent_atom, std::uint64_t, bool>,
    caf::reacts_to<stop_atom>>;

/// One per remote member: owns the connection to it (the node sends Raft
/// messages straight to the remote handle the proxy reports).
using peer_proxy_actor = caf::typed_actor<
    caf::reacts_to<retry_atom, std::uint64_t>,
    caf::reacts_to<stop_atom>>;

/// Owns the durable log: answers once the batch is durable.
using log_actor = caf::typed_actor<
    // Writes and syncs, then sends the messages that had to wait for it
    // (Figure 2: respond only once durable) straight to the peers, sparing
    // them a hop through the node; answers the last index written.
    caf::replies_to<persist_atom, bool, core::hard_state, std::vector<core::entry>,
                    std::vector<peer_batch>>::with<std::uint64_t>,
    // Puts a finished snapshot file in force and compacts the WAL behind it;
    // answers the snapshot's index.
    caf::replies_to<install_atom, core::snapshot_meta, std::string>::with<std::uint64_t>,
    // The member was removed: records it in the identity file for good
    // (answers once durable).
    caf::replies_to<removed_atom>::with<bool>,
    caf::reacts_to<stop_atom>>;

/// Owns the user's store: applies committed entries in order.
using store_actor = caf::typed_actor<
    // Applies the entries in order and answers the proposers among them
    // (ascending indexes); the results go back to the node for the rest.
    caf::replies_to<apply_atom, std::vector<core::entry>, std::vector<apply_answer>>::with<
        std::vector<apply_result>>,
    // Serializes the store: answers the last index applied and the data.
    caf::replies_to<snap_atom>::with<std::uint64_t, bytes>,
    // Replaces the store by the snapshot in the file at this path, taken at
    // this index; answers the index.
    caf::replies_to<restore_atom, std::string, std::uint64_t>::with<std::uint64_t>,
    caf::reacts_to<stop_atom>>;

/// Writes snapshot files off the log's thread: the member's own snapshots,
/// and the chunks of one arriving from the leader. Answers the path of a
/// finished (durable, renamed) file; the log actor then puts it in force.
using snapshot_io_actor = caf::typed_actor<
    caf::replies_to<write_atom, core::snapshot_meta, bytes>::with<std::string>,
    // Answers the offset expected next and, after the last chunk, the path.
    caf::replies_to<chunk_atom, core::message, std::uint64_t, bytes, bool>::with<std::uint64_t,
                                                                                  std::string>,
    caf::reacts_to<stop_atom>>;

/// Streams the leader's snapshot file to one follower, one chunk in flight.
using snapshot_sender_actor = caf::typed_actor<caf::reacts_to<stop_atom>>;

}  // namespace actraft::actors

// Local only, never over the network: promises go from a node to its store
// actor, peer batches from a node to its log actor.
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<actraft::actors::apply_answer>)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(std::vector<actraft::actors::peer_batch>)
