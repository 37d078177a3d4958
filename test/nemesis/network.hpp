// The nemesis's network: every node in its own network namespace, attached
// to a bridge in the root namespace (where the clients run), and partitions
// made by dropping packets on each node's way out.
//
//   root namespace: bridge nem<pid>b 10.77.X.254/24  <- clients
//     veth nem<pid>v<i>  <->  eth0 10.77.X.<i> in namespace nem<pid>n<i>  <- node i
//
// Dropping needs no packet filter (iptables/nft) and no tc action module:
// each node's eth0 gets an HTB root with a default class and a "drop" class
// whose leaf is a pfifo of limit 0; a u32 filter per blocked destination
// sends that destination's packets to the drop class. They vanish silently,
// as in a real partition (no reset, no ICMP).
#pragma once

#include <string>
#include <vector>

namespace actraft::nemesis {

/// Runs a command (no shell), stdout and stderr appended to `log` (or thrown
/// away if empty); its exit status (-1 if it could not run).
int run_command(const std::vector<std::string>& args, const std::string& log = {});
/// Runs a command and returns its stdout (empty if it failed).
std::string command_output(const std::vector<std::string>& args);

/// blocked[i][j]: packets from node i to node j are dropped.
using link_matrix = std::vector<std::vector<bool>>;
link_matrix no_partition(int nodes);

class network {
 public:
  network() = default;
  network(const network&) = delete;
  network& operator=(const network&) = delete;
  ~network() { teardown(); }

  /// Creates the bridge and one namespace per node. False (with `why`, and
  /// nothing left behind) if this machine does not allow it.
  bool setup(int nodes, const std::string& log, std::string& why);
  /// Removes everything setup created. Idempotent.
  void teardown();
  [[nodiscard]] bool active() const { return active_; }

  /// The first address of node i (0-based) and the path of its namespace.
  [[nodiscard]] std::string ip(int i) const;
  /// Gives node i one more address on its eth0 (a machine that moved);
  /// partitions cut every address a node has. Empty if ip failed.
  std::string add_address(int i);
  [[nodiscard]] std::string netns_path(int i) const;
  [[nodiscard]] std::string netns_name(int i) const;

  /// Makes the drops on every node's egress exactly `blocked`, and, where
  /// `dialed[i][j]`, only i's packets to j's Raft port (`raft_port`): what
  /// i sends on the connections it dialed, so j still gets i's TCP
  /// acknowledgements of j's own connections and i keeps hearing j. False
  /// if a tc command failed (the details are in the log).
  bool apply(const link_matrix& blocked, const link_matrix& dialed = {}, int raft_port = 7000);

  /// Removes the namespaces, bridges, veths and disks (tmpfs mounts) of
  /// nemesis drivers that are no longer running (one that was killed could
  /// not clean up).
  static void remove_stale(const std::string& log);

 private:
  std::string prefix_;  // nem<pid>
  std::string subnet_;  // 10.77.X.
  std::string log_;
  int nodes_ = 0;
  bool active_ = false;
  std::vector<std::vector<std::string>> more_ips_;  // per node, from add_address
  int next_host_ = 101;
};

}  // namespace actraft::nemesis
