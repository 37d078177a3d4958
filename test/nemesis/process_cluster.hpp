// The cluster under test as processes: one kv_store per member, each with its
// data directory and log in the run directory and, when the network is set
// up, inside its own network namespace. Starts, kills (-9), pauses (SIGSTOP)
// and resumes them on the schedule's behalf, notices those that exit by
// themselves, asks them for /status, and shuts them down at the end.
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
  std::string raft_addr, raft_listen, http_host, http_listen, log, dir;
  int http_port = 0;
  pid_t pid = -1;
  bool paused = false;
  int starts = 0;
};

struct status {
  std::string role;
  std::uint64_t id = 0, term = 0, leader_id = 0, commit = 0, applied = 0;
  int voters = 0, members = 0;
};

class cluster {
 public:
  cluster(const options& o, network& net, const std::filesystem::path& root,
          lincheck::history_recorder& rec);
  ~cluster() {
    for (auto& n : nodes_) hard_kill(n);
  }

  [[nodiscard]] int size() const { return static_cast<int>(nodes_.size()); }
  node& at(int i) { return nodes_[static_cast<std::size_t>(i)]; }
  [[nodiscard]] std::vector<endpoint> endpoints() const;

  /// Bootstrap: n1 leads, the others join through it one by one. False if
  /// not every node was a voter within 60 s, or one crashed.
  bool form();

  /// Starts node i from its directory, or (join) with an empty one through
  /// node `through`.
  void start(int i, bool join, int through = 0);
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

  /// The span of a membership or restart operation: what the clients see
  /// meanwhile is held to the retryable errors only (checks.hpp).
  void begin_operation();
  void end_operation();
  bool operation_during(std::int64_t from, std::int64_t to);

  /// GET /status of node i, with a short timeout (a paused node never answers).
  std::optional<status> get_status(
      int i, std::chrono::milliseconds timeout = std::chrono::milliseconds(500));

  /// The node that leads in the highest term, waiting up to `limit` for one.
  std::optional<int> leader(std::chrono::milliseconds limit = std::chrono::seconds(5));

 private:
  void hard_kill(node& n);

  const options& opts_;
  network& net_;
  lincheck::history_recorder& rec_;
  std::vector<node> nodes_;
  std::mutex mu_;
  std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> pause_intervals_;
  std::vector<std::pair<std::int64_t, std::int64_t>> operations_;
  int moves_ = 0;
  std::vector<std::string> crashes_;
};

/// Sleeps, noticing crashed nodes meanwhile.
void wait_for(cluster& c, std::chrono::milliseconds d);

}  // namespace actraft::nemesis
