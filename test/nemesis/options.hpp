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
  // Operations rather than faults: run to their end, never nested.
  rolling_restart,  // SIGTERM and restart every node in turn, leadership handed over first
  readdress,        // a node is lost, removed, and joins anew at another Raft address
};
inline constexpr fault all_faults[] = {fault::kill,           fault::kill_leader, fault::kill_all,
                                       fault::pause,          fault::pause_leader,
                                       fault::isolate_leader, fault::split,       fault::bridge,
                                       fault::rolling_restart, fault::readdress};

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
    case fault::rolling_restart: return "rolling-restart";
    case fault::readdress: return "readdress";
  }
  return "?";
}
inline bool is_partition(fault f) {
  return f == fault::isolate_leader || f == fault::split || f == fault::bridge;
}
inline bool is_operation(fault f) { return f == fault::rolling_restart || f == fault::readdress; }

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
};

}  // namespace actraft::nemesis
