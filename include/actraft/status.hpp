// What a member tells about itself and the cluster: its status (the mailbox's
// status), and the events a subscriber receives (the mailbox's subscribe).
// Plain values, no CAF: mailbox.hpp makes them CAF messages.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

namespace actraft {

/// Where a member stands.
enum class node_role : std::uint8_t {
  joining,        ///< started with join(): no id yet, waiting for the cluster's answer
  follower,
  pre_candidate,  ///< asking whether it could win an election (pre-vote), term unchanged
  candidate,
  leader,
  removed,        ///< its removal is durably recorded: it answers every request `removed`
  stopped,        ///< shut down, or failed (storage stopped)
};
std::string_view to_string(node_role r);
inline std::ostream& operator<<(std::ostream& os, node_role r) { return os << to_string(r); }

/// How the leader replicates to one follower.
enum class replication_state : std::uint8_t {
  probe,      ///< finding where the follower's log matches: one append at a time
  replicate,  ///< appends pipelined, up to options::max_inflight
  snapshot,   ///< the follower needs compacted entries: a snapshot is on its way
};
std::string_view to_string(replication_state s);
inline std::ostream& operator<<(std::ostream& os, replication_state s) { return os << to_string(s); }

struct member_status {
  std::uint64_t id = 0;
  std::string address;
  bool voter = false;
};

/// The leader's view of one follower (learners included).
struct follower_status {
  std::uint64_t id = 0;
  std::string address;
  std::uint64_t match_index = 0;  ///< highest index known to be on the follower
  std::uint64_t next_index = 0;   ///< the next index the leader sends it
  replication_state state = replication_state::probe;
  std::uint64_t inflight = 0;     ///< append messages not answered yet
  std::int64_t last_contact_ms = -1;  ///< since the leader last heard from it (-1: never)
  bool connected = false;
  /// A snapshot transfer to it: bytes sent so far and the file's size (0, 0: none).
  std::uint64_t snapshot_sent_bytes = 0;
  std::uint64_t snapshot_total_bytes = 0;
};

/// A member's view of itself and the cluster.
struct node_status {
  std::uint64_t id = 0;  ///< 0 while joining (no id assigned yet)
  node_role role = node_role::joining;
  std::uint64_t term = 0;
  std::uint64_t leader_id = 0;  ///< 0: no leader known
  std::string leader_address;
  std::uint64_t commit_index = 0;
  std::uint64_t applied_index = 0;
  std::uint64_t last_index = 0;  ///< the last entry in this member's log
  std::uint64_t snapshot_index = 0;  ///< of the snapshot in force (0: none)
  std::uint64_t snapshot_term = 0;
  std::vector<member_status> members;
  std::vector<follower_status> followers;  ///< leader only
  std::uint64_t pending_requests = 0;  ///< open on this member (see max_pending_requests)
  std::uint64_t data_dir_bytes = 0;    ///< the data directory's files
};

/// What a subscriber hears (mailbox: subscribe). Events reach it in the order
/// they happened on the member; the first one, `subscribed`, carries the
/// state at the time of subscribing. Every event carries the member's id,
/// role, term and leader at the time; the comments say what else.
enum class event_kind : std::uint8_t {
  subscribed,          ///< role, term, leader and members as they are now
  role_changed,        ///< role, term
  leader_changed,      ///< term, leader_id, leader_address (0: the leader was lost)
  membership_changed,  ///< members, index: a configuration was applied
  snapshot_taken,      ///< index: this member's own snapshot is in force
  snapshot_installed,  ///< index: a leader's snapshot replaced the state
  removed,             ///< this member was removed from the cluster
  storage_error,       ///< detail: the log could not be written (retried)
};
std::string_view to_string(event_kind k);
inline std::ostream& operator<<(std::ostream& os, event_kind k) { return os << to_string(k); }

struct event {
  event_kind kind = event_kind::subscribed;
  std::uint64_t id = 0;  ///< the member that reports it
  node_role role = node_role::joining;
  std::uint64_t term = 0;
  std::uint64_t leader_id = 0;
  std::string leader_address;
  std::uint64_t index = 0;
  std::vector<member_status> members;
  std::string detail;
};

}  // namespace actraft
