// What an operator does to a live cluster, run by the schedule among the
// faults and under the same load: a rolling restart, replacing a lost member
// at a new address, a member joining, one leaving, removing a member that is
// down, starting a removed member's old directory again (it must stay out),
// handing leadership over. Each runs to its end (never nested), adds what
// went wrong to `failures`, and keeps the slots' `member` flags equal to
// the configuration that the operations that succeeded imply.
#pragma once

#include <string>
#include <vector>

#include "network.hpp"
#include "prng.hpp"
#include "process_cluster.hpp"

namespace actraft::nemesis {

struct operation_context {
  cluster& c;
  network& net;
  prng& r;
  std::vector<std::string>& failures;
  int leader;                  // the member leading when the operation began
  std::vector<int> order;      // the member slots, shuffled
  int min_members, max_members;
};

/// Every member in `order`, one at a time: transfer if it leads, SIGTERM,
/// restart from its directory, caught up within 60 s.
void rolling_restart(operation_context& x);
/// A follower's machine is lost: kill -9, removed through the leader, a new
/// member with an empty directory joins at a new Raft address (a new IP in
/// namespaces, a new port on loopback).
void readdress(operation_context& x);
/// An out slot joins with an empty directory through the leader.
void join_member(operation_context& x);
/// The leader or a follower leaves (POST /leave), then stops.
void leave_member(operation_context& x);
/// A follower is killed, then removed through the leader.
void remove_down(operation_context& x);
/// A removed member's old directory is started: it refuses to start (it
/// saw its removal) or runs without being let back in.
void restart_removed(operation_context& x);
/// The leader hands leadership to a random voter (or the most caught-up).
void transfer(operation_context& x);

}  // namespace actraft::nemesis
