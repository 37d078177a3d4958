// The cluster under test as processes: one kv_store per slot, each with its
// data directory and log in the run directory and, when the network is set
// up, inside its own network namespace and with its data directory on a small
// tmpfs of its own (a disk that can fill up). Starts, kills (-9), pauses
// (SIGSTOP) and resumes them on the schedule's behalf, notices those that exit
// by themselves, asks them for /status, and shuts them down at the end.
//
// There is one slot more than the cluster starts with: members join and
// leave, so a slot is a member (expected in the configuration) or out.
//
// Only the driver's main thread forks and waits; the clients only ask
// paused_during().
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kv_client.hpp"
#include "lincheck/history.hpp"
#include "network.hpp"
#include "options.hpp"

namespace actraft::nemesis {

struct node {
  int index = 0;
  /// raft_addr and http_host are what the node advertises; in namespaces it
  /// listens on the wildcard, as on a machine with several interfaces.
  std::string raft_addr, raft_listen, http_host, http_listen, log;
  std::string disk;     // holds the data directories: a tmpfs mount, or a plain directory
  std::string dir;      // the data directory in use
  std::string old_dir;  // the one set aside last (a removed member's), or empty
  int generation = 1;
  int http_port = 0;
  pid_t pid = -1;
  bool paused = false;
  int starts = 0;
  bool member = false;    // expected in the cluster's configuration
  bool may_exit = false;  // an exit by itself is expected (a removed member's directory)
  int exit_status = -1;   // of the last exit reap() saw
};

struct status {
  std::string role;
  std::uint64_t id = 0, term = 0, leader_id = 0, commit = 0, applied = 0;
  int voters = 0, members = 0;
  std::vector<std::uint64_t> member_ids;  // in the order /status lists them (by id)
};

class cluster {
 public:
  cluster(const options& o, network& net, const std::filesystem::path& root,
          lincheck::history_recorder& rec);
  ~cluster();

  /// Slots, members or not.
  [[nodiscard]] int size() const { return static_cast<int>(nodes_.size()); }
  /// The slots that are members, in order.
  [[nodiscard]] std::vector<int> members() const;
  [[nodiscard]] int election_ms() const { return opts_.election_ms; }
  /// Whether each slot's data directories are on a tmpfs of their own.
  [[nodiscard]] bool own_disks() const { return own_disks_; }
  node& at(int i) { return nodes_[static_cast<std::size_t>(i)]; }
  [[nodiscard]] std::vector<endpoint> endpoints() const;

  /// Bootstrap: n1 leads, the others join through it one by one. False if
  /// not every node was a voter within 60 s, or one crashed.
  bool form();

  /// Starts node i from its directory, or (join) with an empty one through
  /// node `through`.
  void start(int i, bool join, int through = 0);
  /// Starts node i from the directory it set aside last (a removed member's).
  void start_old(int i);
  /// Sets node i's data directory aside (it becomes old_dir; the previous
  /// one is deleted) and gives it a fresh, empty one.
  void set_aside(int i);
  /// SIGTERM, and the exit that must follow: "" if it exited with status 0
  /// within 20 s, else what went wrong.
  std::string stop(int i);
  /// kill -9; the node was meant to die.
  void kill(int i);
  void pause(int i);
  void resume(int i);
  /// Whether node i was stopped at any time in [from, to].
  bool paused_during(std::size_t i, std::int64_t from, std::int64_t to);

  /// Notices processes that exited although nobody killed them. Called often
  /// from the driver's thread (the only one that forks and waits).
  void reap();
  [[nodiscard]] const std::vector<std::string>& crashes() const { return crashes_; }
  [[nodiscard]] bool running(int i) { return at(i).pid > 0; }

  /// Appends every thread's stack to the node's log, if gdb is there: what
  /// a hung node was waiting for.
  void dump_stacks(const node& n);

  /// SIGTERM to every running node; each must exit with status 0.
  std::vector<std::string> shutdown();

  /// POST `path` (an admin route) to node i with its admin token: the body
  /// of a 200 answer, or nothing (`error` says why).
  std::optional<std::string> admin(int i, const std::string& path, std::string& error);
  /// Node i is gone for good: its directory is set aside, and it will join
  /// anew with an empty one at `raft_addr` (listening on `raft_listen`).
  void move(int i, const std::string& raft_addr, const std::string& raft_listen);

  /// Fills node i's disk up (a file taking all the space left); false if
  /// it has no disk of its own or the file could not be made.
  bool fill_disk(int i);
  void free_disk(int i);

  /// The span of a membership or restart operation: what the clients ask
  /// meanwhile is held to the retryable errors only (checks.hpp).
  void begin_operation();
  void end_operation();
  /// Whether a request invoked at `at` was asked during an operation.
  bool in_operation(std::int64_t at);

  /// Unmounts the slots' disks (their data goes with them); also done at
  /// destruction. Before the run directory is removed: a mount point
  /// cannot be.
  void release_disks();

  /// GET /status of node i, with a short timeout (a paused node never answers).
  std::optional<status> get_status(
      int i, std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

  /// The node that leads in the highest term, waiting up to `limit` for one.
  std::optional<int> leader(std::chrono::milliseconds limit = std::chrono::seconds(5));

 private:
  void hard_kill(node& n);
  void launch(int i, std::vector<std::string> args);

  const options& opts_;
  network& net_;
  lincheck::history_recorder& rec_;
  std::vector<node> nodes_;
  std::mutex mu_;
  std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> pause_intervals_;
  std::vector<std::pair<std::int64_t, std::int64_t>> operations_;
  bool own_disks_ = false;
  std::vector<std::string> crashes_;
};

/// Sleeps, noticing crashed nodes meanwhile.
void wait_for(cluster& c, std::chrono::milliseconds d);

}  // namespace actraft::nemesis
