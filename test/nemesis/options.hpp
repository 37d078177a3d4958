// The nemesis driver's options (parsed in nemesis.cpp, read by every part of
// the run) and the faults they choose from.
#pragma once

#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

namespace actraft::nemesis {

enum class fault {
  kill,            // kill -9 a random node, restart it later
  kill_leader,     // kill -9 the leader, restart it later
  kill_all,        // kill -9 every node, restart them all
  pause,           // SIGSTOP a random node, SIGCONT later
  pause_leader,    // SIGSTOP the leader: it comes back as a stale leader
  isolate_leader,  // partition the leader from every other node
  split,           // a random minority / majority split
  bridge,          // two sides that cannot talk, one node that sees both
  one_way,         // a node (or the leader) hears the others, they do not hear it
  fill_disk,       // a node's (or the leader's) disk is full, then freed
  // Operations rather than faults: run to their end, never nested.
  rolling_restart,  // SIGTERM and restart every node in turn, leadership handed over first
  readdress,        // a node is lost, removed, and joins anew at another Raft address
  join,             // a new member joins (into the spare slot)
  leave,            // a member (the leader or a follower) leaves and stops
  remove_down,      // a follower is killed, then removed through the leader
  restart_removed,  // a removed member's old directory is started again: it must stay out
  transfer,         // leadership handed to a random voter under load
};
inline constexpr fault all_faults[] = {fault::kill,           fault::kill_leader, fault::kill_all,
                                       fault::pause,          fault::pause_leader,
                                       fault::isolate_leader, fault::split,       fault::bridge,
                                       fault::one_way,        fault::fill_disk,
                                       fault::rolling_restart, fault::readdress,  fault::join,
                                       fault::leave,          fault::remove_down, fault::restart_removed,
                                       fault::transfer};

inline const char* name_of(fault f) {
  switch (f) {
    case fault::kill: return "kill";
    case fault::kill_leader: return "kill-leader";
    case fault::kill_all: return "kill-all";
    case fault::pause: return "pause";
    case fault::pause_leader: return "pause-leader";
    case fault::isolate_leader: return "isolate-leader";
    case fault::split: return "split";
    case fault::bridge: return "bridge";
    case fault::one_way: return "one-way";
    case fault::fill_disk: return "fill-disk";
    case fault::rolling_restart: return "rolling-restart";
    case fault::readdress: return "readdress";
    case fault::join: return "join";
    case fault::leave: return "leave";
    case fault::remove_down: return "remove-down";
    case fault::restart_removed: return "restart-removed";
    case fault::transfer: return "transfer";
  }
  return "?";
}
inline bool is_partition(fault f) {
  return f == fault::isolate_leader || f == fault::split || f == fault::bridge || f == fault::one_way;
}
/// What needs root: namespaces for partitions, a tmpfs for a full disk.
inline bool needs_root(fault f) { return is_partition(f) || f == fault::fill_disk; }
inline bool is_operation(fault f) { return f >= fault::rolling_restart; }

struct options {
  std::string kv_store = KV_STORE_BINARY;
  int nodes = 3;
  std::uint64_t seed = 0;
  bool seed_given = false;
  int cycles = 1;        // every enabled fault once per cycle, in a seeded order
  double seconds = 0;    // > 0: random faults for this long instead of cycles
  std::vector<fault> faults{std::begin(all_faults), std::end(all_faults)};
  bool faults_given = false;
  int clients = 0;       // 0: 2 per node
  int keys = 0;          // 0: 3 per client
  std::string out;
  bool keep = false;
  bool require_partitions = false;
  bool no_netns = false;
  bool stale_reads = false;  // planted client bug: the checks must fail
  bool lease_reads = false;  // the members serve GETs from the leader's lease
  int heartbeat_ms = 50;
  int election_ms = 300;
  int request_timeout_ms = 2000;
  int slack_ms = 1500;
  // Members snapshot this often, so faults also hit compaction and
  // snapshots sent to members that come back (kv_store's default: 8192).
  int snapshot_entries = 500;
  // Small WAL segments (rolled often) on a small disk of each member's own
  // (filled up by fill-disk).
  int segment_kib = 1024;
  int disk_mb = 64;
};

}  // namespace actraft::nemesis
