// A simulated Raft cluster in one process: core::node instances, their disks
// and state machines, a network that holds messages in flight, a virtual
// clock and an event queue. Every step processes one event (a tick, a message
// delivery, a disk write completing) or one control action (proposal, crash,
// restart, partition...), and the invariant checker runs after each.
//
// The ready cycle is split in two, to model the durability window:
//   step A (right after the input that produced it): take_ready(), send
//     rd.messages, schedule the disk write for a later time;
//   step B (when the write completes): persist rd.state / rd.entries to the
//     node's disk, send rd.persisted_messages, apply rd.committed, advance().
// A crash between A and B loses the write, exactly like a power cut before
// fdatasync returns.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "actraft/core/node.hpp"
#include "support/invariants.hpp"
#include "support/prng.hpp"
#include "support/trace.hpp"

namespace actraft::sim {

/// How the network treats a message. Probabilities are per mille.
struct network_profile {
  std::uint32_t drop_pm = 0;       ///< lost
  std::uint32_t duplicate_pm = 0;  ///< delivered twice (independent delays)
  std::uint32_t slow_pm = 0;       ///< delayed by up to slow_max (stale, reordered)
  std::uint64_t min_latency = 1;   ///< in time units (a tick is tick_units)
  std::uint64_t max_latency = 4;
  std::uint64_t slow_max = 60;
  static network_profile reliable() { return {}; }
};

/// How long a write takes to become durable (time units).
struct disk_profile {
  std::uint64_t min_latency = 0;
  std::uint64_t max_latency = 3;
  std::uint32_t slow_pm = 0;
  std::uint64_t slow_max = 25;
};

struct cluster_config {
  std::uint64_t seed = 1;
  /// The members of the bootstrap configuration (ids 1..nodes).
  int nodes = 3;
  /// Extra slots (ids nodes+1..nodes+spares) for members added later: not
  /// started until join(), they begin with an empty disk and configuration.
  int spares = 0;
  /// Template for every node's options (id and seed are set per node).
  core::options base;
  /// Virtual time units per tick. Each tick of each node comes tick_units
  /// +- tick_jitter after the previous one (scheduling jitter: the clocks
  /// wander against each other but run at the same average rate).
  std::uint64_t tick_units = 10;
  std::uint64_t tick_jitter = 2;
  network_profile network;
  disk_profile disk;
  std::size_t trace_capacity = 512;
  /// If set, every trace event is also printed here as it happens.
  std::ostream* live_trace = nullptr;
};

/// What a node has made durable.
struct disk_state {
  core::hard_state state;
  /// The latest snapshot: index 0 is the bootstrap configuration.
  core::snapshot_meta snapshot;
  /// The state machine the snapshot captures: the entries applied up to
  /// snapshot.index (the simulated state machine is its applied entries).
  std::vector<core::entry> snapshot_data;
  /// The entries after snapshot.index, in order.
  std::vector<core::entry> entries;
  /// Snapshots received from leaders and saved, not installed yet (by index).
  std::map<std::uint64_t, std::pair<core::snapshot_meta, std::vector<core::entry>>> incoming;

  [[nodiscard]] std::uint64_t last_index() const { return snapshot.index.value + entries.size(); }
};

class cluster {
 public:
  explicit cluster(cluster_config cfg);
  ~cluster();
  cluster(const cluster&) = delete;
  cluster& operator=(const cluster&) = delete;

  // --- time -----------------------------------------------------------------
  [[nodiscard]] std::uint64_t now() const { return now_; }
  [[nodiscard]] std::uint64_t steps() const { return steps_; }
  [[nodiscard]] std::uint64_t tick_units() const { return cfg_.tick_units; }
  /// Time of the next queued event, if any.
  [[nodiscard]] std::optional<std::uint64_t> next_event_time() const;
  /// Moves the clock forward to `t` (never past the next queued event).
  void advance_to(std::uint64_t t);
  /// Processes the next event. False if nothing is queued.
  bool step();
  /// Steps until `done()` holds, a violation, or `max_time` passes.
  bool run_until(const std::function<bool()>& done, std::uint64_t max_time);

  // --- control (each is one step, checked) --------------------------------------
  core::propose_result propose(core::node_id n, const std::string& command);
  void campaign(core::node_id n);
  /// Tells leader `n` to hand leadership to `to` (§3.10). False if refused.
  bool transfer_leadership(core::node_id n, core::node_id to);
  void crash(core::node_id n);
  /// Restarts a crashed node from its disk (not a retired one).
  void restart(core::node_id n);
  /// Starts a spare slot: a new server with an empty disk that knows no
  /// configuration until the leader's log reaches it.
  void join(core::node_id n);
  /// Crashes `n` for good (a removed member shutting down).
  void retire(core::node_id n);
  /// Saves a snapshot of `n`'s state machine up to `index` (at most its
  /// applied index) on its disk, then lets its core compact the log. False
  /// if the core refuses (the disk is left as it was).
  bool compact(core::node_id n, core::log_index index);
  /// A membership change proposed to `n` (leader only, one at a time).
  core::propose_result propose_membership(core::node_id n, const core::membership_change& c);
  /// Blocks messages from -> to (one way).
  void block(core::node_id from, core::node_id to);
  /// Cuts every link between `n` and the others, both ways.
  void isolate(core::node_id n);
  /// Cuts every link between the two sides, both ways.
  void split(const std::vector<core::node_id>& side);
  /// Removes every block to or from `n`.
  void reconnect(core::node_id n);
  void heal_partitions();
  void set_network(const network_profile& p);
  void set_disk(const disk_profile& p);
  /// A free-text line in the trace (not a step).
  void note(const std::string& text);
  /// Called for every trace event (e.g. to narrate).
  void set_observer(std::function<void(const trace_event&)> f) { observer_ = std::move(f); }

  // --- observation ----------------------------------------------------------
  [[nodiscard]] int size() const { return static_cast<int>(slots_.size()); }
  /// Every slot, spares included.
  [[nodiscard]] std::vector<core::node_id> ids() const;
  /// Started at some point (bootstrap members always; spares once joined).
  [[nodiscard]] bool started(core::node_id n) const { return slot_of(n).started; }
  [[nodiscard]] bool retired(core::node_id n) const { return slot_of(n).retired; }
  [[nodiscard]] bool is_up(core::node_id n) const { return slot_of(n).node != nullptr; }
  /// nullptr while the node is down.
  [[nodiscard]] const core::node* get(core::node_id n) const { return slot_of(n).node.get(); }
  [[nodiscard]] const disk_state& disk(core::node_id n) const { return slot_of(n).disk; }
  /// A write handed over and not yet durable (the durability window is open).
  [[nodiscard]] bool write_pending(core::node_id n) const { return slot_of(n).pending.has_value(); }
  [[nodiscard]] std::size_t pending_entries(core::node_id n) const;
  /// The node's state machine: the entries it applied since it last started.
  [[nodiscard]] const std::vector<core::entry>& applied(core::node_id n) const {
    return slot_of(n).applied;
  }
  /// The live leader with the highest term (no_node if none).
  [[nodiscard]] core::node_id leader() const;
  /// A leader whose every live member (of the configuration in its log)
  /// follows it in its term (no_node if none).
  [[nodiscard]] core::node_id stable_leader() const;
  [[nodiscard]] bool partitioned() const { return !blocked_.empty(); }
  [[nodiscard]] bool blocked(core::node_id from, core::node_id to) const;
  [[nodiscard]] std::size_t in_flight() const { return in_flight_; }

  /// The first invariant violation, if any (the cluster keeps running).
  [[nodiscard]] const std::optional<violation>& failure() const { return failure_; }
  /// Reports a violation found by a driver (liveness, acknowledged writes).
  void fail(const std::string& invariant, const std::string& description);
  [[nodiscard]] const invariant_checker& checker() const { return checker_; }
  [[nodiscard]] const trace_ring& trace() const { return trace_; }
  [[nodiscard]] const cluster_config& config() const { return cfg_; }

  struct counters {
    std::uint64_t delivered = 0, dropped = 0, duplicated = 0, cut = 0, lost_down = 0;
    std::uint64_t writes = 0, crashes = 0, restarts = 0, crashes_with_pending_write = 0;
    std::uint64_t proposals = 0, proposals_accepted = 0, applied = 0;
    std::uint64_t joins = 0, membership_changes = 0, retired = 0;
    std::uint64_t compactions = 0, snapshots_sent = 0, snapshots_installed = 0;
  };
  [[nodiscard]] const counters& stats() const { return stats_; }

 private:
  struct slot {
    core::node_id id;
    bool started = false;
    bool retired = false;
    std::unique_ptr<core::node> node;
    std::uint64_t incarnation = 0;
    disk_state disk;
    std::optional<core::ready> pending;
    std::vector<core::entry> applied;
    core::role last_role = core::role::follower;
    core::raft_term last_term;
  };
  enum class event_kind : std::uint8_t { tick, deliver, write_done };
  using snapshot_data = std::shared_ptr<const std::vector<core::entry>>;
  struct event {
    event_kind kind = event_kind::tick;
    int node = 0;  // slot index
    std::uint64_t incarnation = 0;
    core::message msg;
    snapshot_data data;  // a snapshot message carries the state machine
  };

  slot& slot_of(core::node_id n) { return slots_[static_cast<std::size_t>(n.value - 1)]; }
  [[nodiscard]] const slot& slot_of(core::node_id n) const {
    return slots_[static_cast<std::size_t>(n.value - 1)];
  }
  [[nodiscard]] bool valid_id(core::node_id n) const {
    return n.value >= 1 && n.value <= slots_.size();
  }
  core::options options_for(const slot& s) const;
  core::persisted_state load(const slot& s) const;
  void start(slot& s);
  void schedule(std::uint64_t at, event e);
  void send(const slot& from, const core::message& m);
  void enqueue_message(const core::message& m, std::uint64_t delay, const snapshot_data& data);
  /// A snapshot message was lost: its sender hears of it at the end of the step.
  void snapshot_lost(const core::message& m);
  void after_input(slot& s);
  void complete_write(slot& s);
  void begin_step();
  void touch(const slot& s);
  void end_step();
  void record(trace_event e);
  void record_message(trace_kind k, const core::message& m);
  void contract(const std::string& what);

  cluster_config cfg_;
  prng rng_;
  std::vector<slot> slots_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, event> queue_;  // (time, seq)
  std::uint64_t seq_ = 0;
  std::uint64_t now_ = 0;
  std::uint64_t steps_ = 0;
  std::size_t in_flight_ = 0;
  std::set<std::pair<std::uint64_t, std::uint64_t>> blocked_;  // (from, to)
  invariant_checker checker_;
  std::optional<violation> failure_;
  std::vector<int> touched_;
  std::vector<std::pair<core::node_id, core::node_id>> failed_snapshots_;  // (from, to)
  std::vector<const core::node*> views_;
  trace_ring trace_;
  std::function<void(const trace_event&)> observer_;
  counters stats_;
  core::configuration bootstrap_config_;
};

}  // namespace actraft::sim
