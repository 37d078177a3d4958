// The messages Raft peers exchange. One plain struct for all kinds (only the
// fields a kind uses are meaningful): it crosses the network in CAF's binary
// format (actors/protocol.hpp inspects it) and the simulator can copy, drop,
// duplicate and reorder it freely.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "actraft/core/types.hpp"

namespace actraft::core {

enum class message_type : std::uint8_t {
  pre_vote = 0,           ///< §9.6: "would you vote for me?" without bumping terms
  pre_vote_response = 1,
  vote = 2,               ///< RequestVote
  vote_response = 3,
  append = 4,             ///< AppendEntries carrying entries
  append_response = 5,
  heartbeat = 6,          ///< AppendEntries without entries: keeps authority, carries commit
  heartbeat_response = 7,
  timeout_now = 8,        ///< leadership transfer: campaign immediately
  /// InstallSnapshot (§7): the follower needs entries the leader has
  /// compacted away. The core sends only the snapshot's metadata; the
  /// caller moves the data, and steps this message into the follower's core
  /// once the data is durable there.
  snapshot = 9,
  /// §6.4: a follower asks the leader for a read index (`context` names
  /// the read); the leader answers once a heartbeat round confirmed it leads.
  read_index = 10,
  /// The leader's answer: `index` (its commit index when the read arrived),
  /// or `reject` (it does not lead: ask again, maybe elsewhere).
  read_index_response = 11,
};

std::string_view to_string(message_type t);

struct message {
  message_type type = message_type::heartbeat;
  node_id from;
  node_id to;
  /// Sender's current term; for pre_vote the term it *would* campaign in.
  raft_term term;

  /// append: prevLogIndex / prevLogTerm. vote, pre_vote: lastLogIndex /
  /// lastLogTerm of the candidate. append_response: on success the highest
  /// index now known to match; on reject the rejected prevLogIndex.
  log_index index;
  raft_term log_term;

  std::vector<entry> entries;  ///< append only
  snapshot_meta snapshot;      ///< snapshot only: what it covers (index, term, members)
  log_index commit;            ///< append, heartbeat: leaderCommit

  bool reject = false;  ///< responses: vote denied / append rejected
  /// append_response with reject: the follower's hint for fast backtracking.
  /// The leader retries at the last index it holds of `hint_term` or below,
  /// skipping a whole conflicting term per round trip instead of one entry.
  log_index hint_index;
  raft_term hint_term;
  /// vote: the candidate campaigns because its leader asked it to
  /// (timeout_now), so voters that still hear from that leader vote anyway:
  /// the leader lease protects against disruptive nodes, not the leader's
  /// own handover.
  bool transfer = false;
  /// heartbeat: the leader's round number in this term; heartbeat_response
  /// echoes it (an answer to round r confirms the leader for every read
  /// waiting on a round up to r). read_index, read_index_response: the
  /// follower's name for the read.
  std::uint64_t context = 0;

  friend bool operator==(const message& a, const message& b) {
    return a.type == b.type && a.from == b.from && a.to == b.to && a.term == b.term &&
           a.index == b.index && a.log_term == b.log_term && a.entries == b.entries &&
           a.commit == b.commit && a.reject == b.reject && a.hint_index == b.hint_index &&
           a.hint_term == b.hint_term && a.snapshot == b.snapshot && a.transfer == b.transfer &&
           a.context == b.context;
  }
};

/// True for the kinds that answer another message.
bool is_response(message_type t);

}  // namespace actraft::core
