// What a replica (replica.hpp) needs from the world, as small interfaces:
// the node actor implements them with CAF actors and sockets, the simulator
// with a simulated network, disk and store. A replica calls a port and is told
// of the outcome later, through the replica's on_... methods; a port never
// calls back into the replica from inside one of its own calls.
//
// No CAF here: the driver builds and runs without it.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "actraft/core/message.hpp"
#include "actraft/core/types.hpp"
#include "actraft/error.hpp"
#include "actraft/status.hpp"

namespace actraft::driver {

using clock = std::chrono::steady_clock;
using time_point = clock::time_point;
using bytes = core::bytes;

/// Names one client request from submit() to its answer.
using request_id = std::uint64_t;

enum class request_kind : std::uint8_t {
  propose,  ///< a command for the store
  join,     ///< add a member (as a learner)
  remove,   ///< remove a member (leave: the one that receives it)
  /// A linearizable read (§6.4): the store's query, once this member has
  /// applied everything committed before the request arrived. No log write.
  query,
  /// A read of this member's state as it is now: may be stale (a follower
  /// behind, a leader deposed without knowing it), never ahead of a commit.
  query_local,
  /// Hand leadership to `member` (no_node: the most caught-up voter);
  /// answered once this member sees it lead.
  transfer,
  /// Take a snapshot of this member's store now; answered once it is in
  /// force (with its index), never forwarded.
  snapshot,
};
std::string_view to_string(request_kind k);

/// A client's request, as the replica that receives it sees it.
struct request {
  request_kind kind = request_kind::propose;
  core::payload command;  ///< propose: the command; query, query_local: the query
  std::string address;    ///< join: where the new member listens
  /// join: the id wanted (no_node: the leader assigns a fresh one);
  /// remove: the member to remove; transfer: the one to hand over to.
  core::node_id member;
  /// Answered by then, whatever happens (with `timeout` or `not_leader`).
  time_point deadline;
  /// Forwarded by a follower: a replica that does not lead answers
  /// not_leader (the follower tries the next leader) instead of forwarding
  /// it again.
  bool forwarded = false;
};

/// How a request ends. Every request gets exactly one.
struct reply {
  std::optional<errc> error;          ///< nothing: success
  std::string reason;                 ///< with an error: what happened, in words
  bytes value;                        ///< propose: what store::apply returned; query: store::query's answer
  core::node_id member;               ///< join: the id given; remove: the id removed; transfer: the new leader
  core::log_index index;              ///< snapshot: the index of the snapshot in force
  std::vector<core::member> members;  ///< join: the members, the new one included

  [[nodiscard]] bool ok() const { return !error.has_value(); }
  static reply failure(errc code, std::string why) {
    reply r;
    r.error = code;
    r.reason = std::move(why);
    return r;
  }
};

/// One durable write: the hard state and entries of a ready that must be
/// synced, and the messages that may leave only once they are durable.
struct write_batch {
  std::optional<core::hard_state> state;
  std::vector<core::entry> entries;
  std::vector<core::message> after_sync;
};

/// A proposal whose entry goes to the store: the state machine answers it
/// with what applying that entry returned.
struct answer_slot {
  core::log_index index;
  request_id id = 0;
};

class clock_port {
 public:
  virtual ~clock_port() = default;
  [[nodiscard]] virtual time_point now() const = 0;
};

class transport {
 public:
  virtual ~transport() = default;
  /// The members to keep connections to (id -> address), each time the set
  /// changes; the transport reports each connection's state through
  /// replica::on_peer. A peer left out of the set is forgotten (the replica
  /// forgets it too): if it is wanted again, its connection is reported anew.
  virtual void connect(const std::map<core::node_id, std::string>& peers) = 0;
  /// Raft messages (several destinations). Messages to a peer that is not
  /// connected are lost; Raft retransmits what matters.
  virtual void send(std::vector<core::message> messages) = 0;
  /// Hands a request to the leader. The outcome comes back through
  /// replica::on_forwarded exactly once, by the request's deadline (a lost
  /// connection or a late answer ends as `timeout`).
  virtual void forward(request_id id, const request& r, core::node_id leader) = 0;
  /// Streams the snapshot stored at `location` to `header.to`; the end of
  /// the transfer comes back through replica::on_snapshot_sent.
  virtual void send_snapshot(const core::message& header, const std::string& location) = 0;
};

class disk {
 public:
  virtual ~disk() = default;
  /// Writes and syncs; once durable, sends `after_sync` (through the
  /// transport's connections) and reports replica::on_written, or
  /// on_write_failed (nothing was sent; the replica retries the same batch).
  virtual void write(const write_batch& batch) = 0;
  /// Puts the durable snapshot file at `location` in force and compacts the
  /// log behind it (§7: the log after it is kept if it holds the snapshot's
  /// last entry with the same term); reports replica::on_installed with the
  /// index of the snapshot in force afterwards (a newer one may have won),
  /// or on_install_failed; both name the meta and location they are about.
  virtual void install(const core::snapshot_meta& meta, const std::string& location) = 0;
  /// Records durably that this member was removed, so its data directory
  /// never brings it back; reports replica::on_removal_recorded.
  virtual void record_removal() = 0;
};

class state_machine {
 public:
  virtual ~state_machine() = default;
  /// Applies committed entries in order (only `normal` entries reach the
  /// user's store) and answers each slot with its entry's result: the value,
  /// `apply_failed`, or `timeout` if a snapshot already held the entry.
  /// Reports replica::on_applied with the last index applied.
  virtual void apply(std::vector<core::entry> entries, std::vector<answer_slot> answers) = 0;
  /// Replaces the state by the snapshot at `location` before any later
  /// apply (calls are carried out in order); reports replica::on_restored,
  /// or on_restore_failed.
  virtual void restore(const core::snapshot_meta& meta, const std::string& location) = 0;
  /// Answers request `id` through the clients port with the store's answer
  /// to `query` (or not_supported, query_failed), on the state left by every
  /// apply and restore asked before it (calls are carried out in order).
  virtual void query(request_id id, core::payload query) = 0;
  /// Captures the state between two applies, asks replica::describe_snapshot
  /// for the metadata at the index it reflects, and writes it durably (not
  /// yet in force); reports replica::on_snapshot_written, or
  /// on_snapshot_failed (an empty reason: nothing worth writing).
  virtual void take_snapshot() = 0;
};

class clients {
 public:
  virtual ~clients() = default;
  /// The one answer to request `id`.
  virtual void answer(request_id id, reply r) = 0;
};

enum class severity : std::uint8_t { debug, info, warning, error };

class logger {
 public:
  virtual ~logger() = default;
  virtual void log(severity level, const std::string& text) = 0;
};

/// Hears what happens to the member, in order (the mailbox's subscribers).
class observer {
 public:
  virtual ~observer() = default;
  virtual void notify(const event& e) = 0;
};

/// Every port a replica talks through; none may be null.
struct ports {
  clock_port* clock = nullptr;
  transport* network = nullptr;
  disk* storage = nullptr;
  state_machine* machine = nullptr;
  clients* requesters = nullptr;
  logger* log_to = nullptr;
  observer* events = nullptr;
};

}  // namespace actraft::driver
