// What actraft's actors say to each other, over the network (the peer
// protocol, published with the mailbox) and within one node (local-only
// types no network message can be made of), and how the core's value types
// are inspected by CAF.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <caf/all.hpp>

#include "actraft/core/message.hpp"
#include "actraft/core/types.hpp"
#include "actraft/driver/ports.hpp"
#include "actraft/mailbox.hpp"
#include "actraft/store.hpp"

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
           x.transfer, x.context,
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

// Atoms of the peer protocol (CAF 0.17 atoms hold at most 10 characters).
using raft_atom = caf::atom_constant<caf::atom("raft")>;         // Raft messages
using fwd_atom = caf::atom_constant<caf::atom("fwd")>;           // forwarded proposal
using join_atom = caf::atom_constant<caf::atom("join")>;         // add me as a learner
using remove_atom = caf::atom_constant<caf::atom("remove")>;     // remove a member
using chunk_atom = caf::atom_constant<caf::atom("chunk")>;       // snapshot data, leader -> follower
using handover_atom = caf::atom_constant<caf::atom("handover")>; // forwarded leadership transfer

/// What peers may send a node: the peer protocol. Published on the node's
/// address together with the mailbox, and nothing else.
using peer_interface = caf::typed_actor<
    // Raft messages from one member, with the address it listens on (so a
    // member can answer a leader its configuration does not list yet).
    caf::reacts_to<raft_atom, std::string, std::vector<core::message>>,
    // A proposal forwarded by a follower; never forwarded again.
    caf::replies_to<fwd_atom, bytes>::with<bytes>,
    // A new member asks to be added; answers its id and the members.
    caf::replies_to<join_atom, std::string>::with<std::uint64_t, std::vector<member_status>>,
    // Remove a member (sent to the leader); answers the removed id.
    caf::replies_to<remove_atom, std::uint64_t>::with<std::uint64_t>,
    // A leadership transfer forwarded by a follower (0: the most caught-up
    // voter); never forwarded again. Answers the new leader's id.
    caf::replies_to<handover_atom, std::uint64_t>::with<std::uint64_t>,
    // One chunk of the leader's snapshot file: the InstallSnapshot message
    // it belongs to, the chunk's offset in the data, the data, and whether it
    // is the last. Answers the offset expected next, once the chunk is
    // written (the last one: once the snapshot is durable and in force).
    caf::replies_to<chunk_atom, core::message, std::uint64_t, bytes, bool>::with<std::uint64_t>>;

/// What a node publishes: the mailbox and the peer protocol.
using published_node = mailbox::extend_with<peer_interface>;

// --- Local-only messages -----------------------------------------------------------
// Everything the actors of one node say to each other. These types are not
// registered with CAF's type system (CAF_ALLOW_UNSAFE_MESSAGE_TYPE below): a
// message made of them cannot be deserialized from the network, so no peer
// and no stranger can send one, whatever actor handle it got hold of.

/// The core's clock; `epoch` tags the timer chain of one start.
struct tick_signal {
  std::uint64_t epoch = 0;
};
/// A peer proxy connected to member `id` (its node's handle), or lost it.
struct peer_up_signal {
  std::uint64_t id = 0;
  peer_interface remote;
};
struct peer_down_signal {
  std::uint64_t id = 0;
};
/// The node knows its id (a joiner once the cluster answered) and starts.
struct start_signal {
  std::uint64_t id = 0;
  std::vector<member_status> members;
};
/// A snapshot transfer to a follower ended (ok: every chunk was taken).
struct sent_signal {
  std::uint64_t to = 0;
  bool ok = false;
};
struct stop_signal {};
/// A peer proxy's reconnect timer.
struct retry_signal {
  std::uint64_t generation = 0;
};

/// Raft messages for one peer, ready to go.
struct peer_batch {
  peer_interface to;
  std::vector<core::message> messages;
};

/// One write: entries and hard state, made durable with one sync; then the
/// messages that had to wait for it (Figure 2: respond only once durable) go
/// straight to the peers, sparing them a hop through the node.
struct persist_request {
  std::optional<core::hard_state> state;
  std::vector<core::entry> entries;
  std::string from_address;  ///< the node's own, for the batches
  std::vector<peer_batch> after_sync;
};
/// Put a finished snapshot file in force and compact the WAL behind it.
struct install_request {
  core::snapshot_meta meta;
  std::string path;
};
/// Record in the identity file that this member was removed, for good.
struct removed_request {};

/// The outcome of one proposal, answered by the store actor as soon as its
/// entry is applied (one thread hand-off fewer on every proposal's way back).
struct apply_answer {
  std::uint64_t index = 0;
  caf::typed_response_promise<bytes> promise;
};
/// Apply committed entries in order; answers the last index applied.
struct apply_request {
  std::vector<core::entry> entries;
  std::vector<apply_answer> answers;  ///< ascending indexes
};
/// Run store::query on the state left by every apply before it; the store
/// actor answers the client's promise itself.
struct query_request {
  bytes query;
  caf::typed_response_promise<bytes> promise;
  driver::request_kind kind = driver::request_kind::query;  ///< for the metrics
};
/// Snapshot the store, whose state is the one `meta` describes, to a file;
/// answers the file's path (empty without `meta`: nothing new to write).
struct snapshot_request {
  std::optional<core::snapshot_meta> meta;
};
/// To the store's helper: write what the store captured at `meta` (while
/// the store goes on applying); answers the file's path.
struct capture_write_request {
  core::snapshot_meta meta;
  std::shared_ptr<snapshot_capture> capture;
};
/// Replace the store by the snapshot file at `path`, taken at `index`.
struct restore_request {
  std::string path;
  std::uint64_t index = 0;
};

/// The snapshot io actor's timer: time to check the transfer under way.
struct transfer_idle_signal {};

/// Write one chunk of a leader's snapshot; answers the offset expected next
/// and, after the last chunk, the path of the finished file.
struct chunk_request {
  core::message header;
  std::uint64_t offset = 0;
  bytes data;
  bool last = false;
};

/// The node actor: what it publishes, and the local signals.
using node_actor = published_node::extend<
    caf::reacts_to<tick_signal>, caf::reacts_to<peer_up_signal>, caf::reacts_to<peer_down_signal>,
    caf::reacts_to<start_signal>, caf::reacts_to<sent_signal>, caf::reacts_to<stop_signal>>;

/// One per remote member: owns the connection to it (the node sends Raft
/// messages straight to the remote handle the proxy reports).
using peer_proxy_actor =
    caf::typed_actor<caf::reacts_to<retry_signal>, caf::reacts_to<stop_signal>>;

/// Owns the durable log: answers once a write is durable.
using log_actor = caf::typed_actor<
    caf::replies_to<persist_request>::with<std::uint64_t>,
    // Answers the index of the snapshot in force afterwards.
    caf::replies_to<install_request>::with<std::uint64_t>,
    caf::replies_to<removed_request>::with<bool>, caf::reacts_to<stop_signal>>;

/// Owns the user's store: applies committed entries in order.
using store_actor = caf::typed_actor<
    caf::replies_to<apply_request>::with<std::uint64_t>,
    caf::replies_to<snapshot_request>::with<std::string>,
    caf::replies_to<restore_request>::with<std::uint64_t>, caf::reacts_to<query_request>,
    caf::reacts_to<stop_signal>>;

/// Writes the chunks of a snapshot arriving from the leader off the log's
/// thread. Answers the path of a finished (durable, renamed) file; the log
/// actor then puts it in force.
using snapshot_io_actor = caf::typed_actor<
    caf::replies_to<chunk_request>::with<std::uint64_t, std::string>,
    caf::reacts_to<transfer_idle_signal>, caf::reacts_to<stop_signal>>;

/// Streams the leader's snapshot file to one follower, a window of chunks in flight.
using snapshot_sender_actor = caf::typed_actor<caf::reacts_to<stop_signal>>;

}  // namespace actraft::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::tick_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::peer_up_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::peer_down_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::start_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::sent_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::stop_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::retry_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::persist_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::install_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::removed_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::apply_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::snapshot_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::query_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::capture_write_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::restore_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::chunk_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::transfer_idle_signal)
