// The member transport: one CAF broker per node owns every connection to and
// from the other members, on CAF's network layer but not through BASP. Each
// connection is TLS (src/net/tls.hpp) over the broker's bytes, then a
// `hello` in each direction (cluster id, member id, address), then frames of
// the peer protocol (src/net/wire.hpp). What this buys over publishing the
// node with CAF's middleman:
//  - nobody without a certificate of the cluster's CA gets past the
//    handshake, but a joiner holding the join token, which may only ask to
//    join;
//  - every Raft message and snapshot chunk is checked to come from the
//    member the connection authenticated (its `from`), and only the peer
//    protocol's four requests reach the node: no local handler is reachable;
//  - a connection that does not finish its handshake and hello in time is
//    closed, and costs nothing while it waits; frames are bounded.
// Towards the node nothing changes: a connection to a member looks like the
// member's node (a local stub actor of type peer_interface); what arrives is
// the same peer protocol messages, sent by the broker.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <caf/io/broker.hpp>
#include <spdlog/logger.h>

#include "cluster_ca.hpp"
#include "metrics_registry.hpp"
#include "protocol.hpp"
#include "tls.hpp"
#include "wire.hpp"

namespace actraft::actors {

/// Who this node is on the wire; what it admits.
struct transport_identity {
  std::uint64_t member = 0;  ///< 0 while joining
  std::string cluster_id;    ///< empty while joining
  std::string address;       ///< advertised
  /// Null: plaintext (the explicit insecure option).
  std::shared_ptr<net::tls_context> tls;
  /// The cluster CA's secrets: this member can admit joiners holding the token.
  std::optional<net::cluster_secrets> secrets;
};

struct transport_limits {
  std::chrono::milliseconds handshake_timeout{5000};
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds stall_timeout{3000};
  std::size_t max_frame_bytes = 0;
  /// Largest entry accepted in an append (max_command_bytes: every member
  /// of a cluster should have the same).
  std::size_t max_entry_bytes = 0;
  std::size_t max_connections = 512;
};

// --- local-only messages to and from the broker --------------------------------------

/// From the node handle: serve peers as `node` (once the member knows who it is).
struct serve_signal {
  peer_interface node;
  transport_identity identity;
};
/// From the node, whenever a configuration commits: who the members are.
/// An id the cluster assigned (up to `max_assigned`) that is not among
/// them was removed for good: its certificate no longer admits it.
struct roster_signal {
  std::vector<std::uint64_t> members;
  std::uint64_t max_assigned = 0;
};
/// From a peer proxy: a connection to the member `member` at `address`;
/// answered with a stub for it once the connection is authenticated.
struct dial_request {
  std::string address;
  std::uint64_t member = 0;
};
/// From a joiner: ask the cluster, through `address`, to admit this node,
/// over a connection whose TLS is set up by `tls` (pinned to the token's CA).
struct guest_join_request {
  std::string address;
  std::shared_ptr<net::tls_context> tls;
  std::string cluster_id;
  net::join_body body;
};
/// From a stub: a whole frame for its connection; or close it.
struct frame_out {
  std::uint64_t connection = 0;
  std::vector<char> frame;
};
struct close_request {
  std::uint64_t connection = 0;
  std::string why;  ///< empty: closed by this member's own choice
};
/// To a stub: a response frame's body, or the end of its connection.
struct response_in {
  std::vector<char> body;
};
struct connection_lost {
  std::string why;
};

/// Spawns the broker listening on host:port (0: any free port). Answers the
/// port in `port`. The broker serves nothing but joins' answers until it
/// gets a serve_signal.
caf::expected<caf::actor> spawn_transport(caf::actor_system& sys, const std::string& host,
                                          std::uint16_t& port, transport_identity identity,
                                          transport_limits limits,
                                          std::shared_ptr<spdlog::logger> logger,
                                          std::shared_ptr<metrics_registry> metrics);

/// The stub standing for one authenticated outbound connection.
peer_interface spawn_stub(caf::actor_system& sys, caf::actor broker, std::uint64_t connection,
                          std::shared_ptr<spdlog::logger> logger);

}  // namespace actraft::actors

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::serve_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::dial_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::roster_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::guest_join_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::frame_out)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::close_request)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::response_in)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::connection_lost)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::net::join_answer)
