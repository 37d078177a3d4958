// The node actor: the CAF adapter around a member's replica (src/driver).
// CAF messages in (the mailbox, the peer protocol, local signals), replica
// calls, CAF messages out through the replica's ports (node_ports.hpp).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "actraft/core/node.hpp"
#include "actraft/driver/replica.hpp"
#include "actraft/options.hpp"
#include "metrics_registry.hpp"
#include "peer_proxy.hpp"
#include "protocol.hpp"

namespace actraft::actors {

class node_ports;

/// Everything the node actor starts from.
struct node_setup {
  options opts;
  core::options core_opts;
  std::string address;                              ///< our own host:port
  core::persisted_state state;                      ///< what the log holds
  log_actor log;
  store_actor store;
  snapshot_io_actor snapshot_io;
  std::string snapshot_path;  ///< the file of state.snapshot, if any
  /// Where the store starts: the snapshot's index, or its own state's.
  core::log_index applied;
  /// Null: peers are reached through the transport.
  std::shared_ptr<peer_directory> directory;
  caf::actor transport;  ///< the member transport (transport.hpp)
  std::shared_ptr<metrics_registry> metrics;  ///< shared with the storage actors, transport
};

struct node_state {
  static inline const char* name = "actraft.node";

  options opts;
  std::unique_ptr<node_ports> ports;
  std::optional<driver::replica> replica;
  /// Kept until start_signal: the address and persisted state are read then.
  std::shared_ptr<node_setup> setup;
  std::uint64_t tick_epoch = 0;
  bool stopping = false;

  node_state();
  ~node_state();
};

node_actor::behavior_type node_actor_impl(node_actor::stateful_pointer<node_state> self,
                                          std::shared_ptr<node_setup> setup);

}  // namespace actraft::actors
