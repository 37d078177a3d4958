// The node actor: owns the Raft core, ticks it, and carries out its ready
// batches: Raft messages to peer proxies, entries and hard state to the log
// actor, committed entries to the store actor. It keeps every client
// request until it can answer it exactly once.
#pragma once

#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <spdlog/logger.h>

#include "actraft/core/node.hpp"
#include "actraft/options.hpp"
#include "protocol.hpp"

namespace actraft::actors {

using clock = std::chrono::steady_clock;

using bytes_promise = caf::typed_response_promise<bytes>;
using join_promise = caf::typed_response_promise<std::uint64_t, std::vector<member_status>>;
using id_promise = caf::typed_response_promise<std::uint64_t>;
using any_promise = std::variant<bytes_promise, join_promise, id_promise>;

enum class request_kind : std::uint8_t { propose, join, remove };

/// A client request that is not in the log yet (no leader known, or waiting
/// for the previous membership change to commit).
struct client_request {
  request_kind kind = request_kind::propose;
  bytes command;         ///< propose
  std::string address;   ///< join
  std::uint64_t member = 0;  ///< remove
  any_promise promise;
  clock::time_point deadline;
  bool forwarded = false;  ///< came from a follower: answer not_leader, never forward
  bool handover_tried = false;  ///< leave of the leader: leadership transfer started once
};

/// A request whose entry is in the leader's log at (index, term).
struct pending_entry {
  core::raft_term term;
  request_kind kind = request_kind::propose;
  std::uint64_t member = 0;
  any_promise promise;
  clock::time_point deadline;
};

struct peer_link {
  std::string address;
  peer_proxy_actor proxy;
  peer_interface remote;  ///< the peer's node actor, while connected
};

enum class node_mode : std::uint8_t { running, removed, stopped };

/// Finds a member's node actor by address without the network (tests that
/// run whole clusters in one actor system under CAF's test coordinator).
using peer_resolver = std::function<peer_interface(const std::string& address)>;

/// Everything the node actor starts from.
struct node_setup {
  options opts;
  core::options core_opts;
  std::string address;                              ///< our own host:port
  core::persisted_state state;                      ///< what the log holds
  std::map<core::node_id, std::string> seed_peers;  ///< addresses known before the log says
  log_actor log;
  store_actor store;
  snapshot_io_actor snapshot_io;
  std::string snapshot_path;  ///< the file of state.snapshot, if any
  peer_resolver resolver;  ///< empty: connect through CAF's middleman
};

struct node_state {
  static inline const char* name = "actraft.node";

  options opts;
  std::string address;
  std::optional<core::node> core;
  log_actor log;
  store_actor store;
  snapshot_io_actor snapshot_io;
  std::map<core::node_id, std::string> seed_peers;
  std::map<core::node_id, peer_link> peers;
  std::map<std::uint64_t, pending_entry> pending;  ///< by log index
  std::deque<client_request> waiting;
  node_mode mode = node_mode::running;
  bool persisting = false;
  bool was_member = false;
  std::optional<std::uint64_t> removal_index;  ///< our removal, once applied
  bool removal_recorded = false;  ///< ... and written to the identity file
  std::uint64_t tick_epoch = 0;
  std::uint64_t applied_index = 0;
  // Snapshots. The one in force on disk (what a leader sends), whether one
  // is being taken, how much was applied since, an install from the leader
  // under way, and the transfers this leader is sending.
  core::snapshot_meta snapshot;
  std::string snapshot_path;
  bool snapshotting = false;
  clock::time_point snapshot_retry_after;  ///< after a failed attempt
  std::uint64_t bytes_since_snapshot = 0;
  bool installing = false;
  std::map<core::node_id, snapshot_sender_actor> transfers;
  std::uint64_t persist_attempt = 0;
  std::shared_ptr<core::ready> unpersisted;  ///< the ready whose write is under way
  std::vector<peer_batch> after_sync;  ///< its persisted_messages, sent by the log actor
  core::hard_state synced;                   ///< term and vote last made durable
  /// The newest hard state whose only change is the commit index, waiting
  /// to be recorded with the next write.
  std::optional<core::hard_state> unsynced_commit;
  // What was last logged, to report changes only.
  core::role last_role = core::role::follower;
  core::raft_term last_term;
  core::node_id last_leader;
  std::shared_ptr<spdlog::logger> log_;
  std::shared_ptr<node_setup> setup;  ///< kept while joining, until the core starts
  peer_resolver resolver;
};

node_actor::behavior_type node_actor_impl(node_actor::stateful_pointer<node_state> self,
                                          std::shared_ptr<node_setup> setup);

}  // namespace actraft::actors
