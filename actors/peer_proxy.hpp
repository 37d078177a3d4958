// A peer proxy owns the connection to one remote member: it connects
// asynchronously through the transport (never blocking a scheduler thread),
// monitors the peer, reconnects with exponential backoff after a restart or
// a partition, and tells the node when the peer is up (with its handle) or
// down. The node sends Raft messages itself and drops them while the peer is
// unreachable (Raft retransmits what matters).
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include <spdlog/logger.h>

#include "actraft/options.hpp"
#include "protocol.hpp"

namespace actraft::actors {

/// Where peer proxies find a member's node when not through CAF's
/// middleman: tests that run whole clusters in one actor system hand out
/// local handles (test/actors/deterministic_test.cpp).
class peer_directory {
 public:
  virtual ~peer_directory() = default;
  /// The node at `address`; an invalid handle if there is none (yet).
  virtual peer_interface find(const std::string& address) = 0;
};

struct peer_state {
  static inline const char* name = "actraft.peer";

  std::uint64_t id = 0;
  std::string address;
  bool valid = false;  ///< the address can be dialed
  node_actor node;
  options opts;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<peer_directory> directory;  ///< null: the transport
  caf::actor transport;

  peer_interface remote;
  bool connecting = false;
  std::uint64_t generation = 0;  ///< tags connect attempts and retry timers
  std::chrono::milliseconds backoff{0};
  bool reported_unreachable = false;
};

peer_proxy_actor::behavior_type peer_proxy_impl(peer_proxy_actor::stateful_pointer<peer_state> self,
                                                std::uint64_t id, std::string address,
                                                node_actor node, options opts,
                                                std::shared_ptr<spdlog::logger> logger,
                                                std::shared_ptr<peer_directory> directory,
                                                caf::actor transport);

}  // namespace actraft::actors
