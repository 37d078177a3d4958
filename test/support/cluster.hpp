// A simulated Raft cluster in one process, running the same replica
// (src/driver) the node actor runs: each member is a driver::replica whose
// ports are simulated here (member.hpp) -- a network that holds messages in
// flight, a disk with a durability window, a state machine, clients -- under a
// virtual clock and one event queue. Every step processes one event (a tick,
// a message, a write or an apply completing...) or one control action
// (request, crash, restart, partition...), and the invariant checker runs
// after each.
//
// Every port call completes later, as an event of its own: a crash between a
// write and its completion loses the write, exactly like a power cut before
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
#include "actraft/driver/replica.hpp"
#include "support/clients.hpp"
#include "support/invariants.hpp"
#include "support/memory_storage.hpp"
#include "support/prng.hpp"
#include "support/store_under_test.hpp"
#include "support/trace.hpp"

namespace actraft::sim {

/// How the network treats a message. Probabilities are per mille.
struct network_profile {
  std::uint32_t drop_pm = 0;       ///< lost
  std::uint32_t duplicate_pm = 0;  ///< delivered twice (independent delays; Raft messages only)
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
  /// Extra slots (ids nodes+1..nodes+spares) for members added later: they
  /// start once the cluster answers their join, with an empty disk.
  int spares = 0;
  /// Template for every node's core options (id and seed are set per node).
  core::options base;
  /// The replicas' settings: request timeout, snapshots (heartbeat_interval
  /// is set to the tick).
  options replica;
  /// Virtual time units per tick (a unit is a millisecond of the replicas'
  /// clock). Each tick of each node comes tick_units +- tick_jitter after the
  /// previous one: the clocks wander against each other but keep the rate.
  std::uint64_t tick_units = 10;
  std::uint64_t tick_jitter = 2;
  network_profile network;
  disk_profile disk;
  std::size_t trace_capacity = 512;
  /// If set, every trace event is also printed here as it happens.
  std::ostream* live_trace = nullptr;
  /// If set, every member also runs this user's store (actraft/testing.hpp).
  std::shared_ptr<store_under_test> user;
  /// The state machines keep their own state across crashes, saved after
  /// some applies and restores (store::last_applied_index): a restarted
  /// member starts from it where its log allows, else from its snapshot.
  bool durable_store = false;
};

/// A snapshot file: the state machine (the entries applied up to
/// meta.index, in order) and its metadata.
struct snapshot_file {
  core::snapshot_meta meta;
  std::vector<core::entry> data;
  actraft::bytes user_state;  ///< the user's store at meta.index (cluster_config::user)
};

/// What a member has made durable.
/// A member's disk: the log (hard state, the snapshot in force — index 0 is
/// the bootstrap configuration — and the entries after it), plus files.
struct disk_state : test::memory_storage {
  /// The file that holds the snapshot in force ("" for the bootstrap one).
  std::string snapshot_location;
  /// Snapshot files, by location: the one in force, and any written (taken,
  /// or received from a leader) but not in force yet.
  std::map<std::string, snapshot_file> files;
  /// The identity file: the members it knew when it joined, and whether its
  /// removal was recorded (then it never starts again).
  std::map<core::node_id, std::string> seeds;
  bool removed = false;
  /// The state machine's own files (cluster_config::durable_store): the
  /// entries applied, as of the last time it saved them.
  std::vector<core::entry> store_files;

  /// The state machine the snapshot in force captures.
  [[nodiscard]] const std::vector<core::entry>& snapshot_data() const;
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

  // --- clients (each submission is one step, checked) ---------------------------
  /// A proposal sent to node `n`'s mailbox; answered through clients().
  driver::request_id propose(core::node_id n, const std::string& command,
                             std::uint64_t timeout_units);
  /// A read (linearizable, or `stale`) sent to node `n`'s mailbox.
  driver::request_id query(core::node_id n, bool stale, std::uint64_t timeout_units);
  /// Spare `joiner` asks to join through node `through`; it starts once
  /// the answer comes (with the id it asked for).
  driver::request_id join(core::node_id joiner, core::node_id through, std::uint64_t timeout_units);
  /// Removal of `member` asked of node `n` (a leave when they are the same);
  /// the removed member is shut down once the answer comes.
  driver::request_id remove(core::node_id n, core::node_id whom, std::uint64_t timeout_units);
  /// Leadership to `to` (no_node: the most caught-up voter), asked of node `n`.
  driver::request_id hand_over(core::node_id n, core::node_id to, std::uint64_t timeout_units);
  /// A snapshot of node `n`'s state machine, asked of it.
  driver::request_id snapshot_now(core::node_id n, std::uint64_t timeout_units);

  // --- control (each is one step, checked) --------------------------------------
  void campaign(core::node_id n);
  /// Tells leader `n` to hand leadership to `to` (§3.10). False if refused.
  bool transfer_leadership(core::node_id n, core::node_id to);
  void crash(core::node_id n);
  /// Restarts a crashed node from its disk (not a retired one).
  void restart(core::node_id n);
  /// Crashes `n` for good (a removed member shutting down).
  void retire(core::node_id n);
  /// Writes to `n`'s disk fail (no space left) until `until`.
  void fill_disk(core::node_id n, std::uint64_t until);
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
  [[nodiscard]] bool is_up(core::node_id n) const { return slot_of(n).m != nullptr; }
  /// The node's core; nullptr while the node is down.
  [[nodiscard]] const core::node* get(core::node_id n) const;
  [[nodiscard]] const driver::replica* replica_of(core::node_id n) const;
  [[nodiscard]] const disk_state& disk(core::node_id n) const { return slot_of(n).disk; }
  [[nodiscard]] bool disk_full(core::node_id n) const { return now_ < slot_of(n).disk_full_until; }
  /// A write handed over and not yet durable (the durability window is open).
  [[nodiscard]] bool write_pending(core::node_id n) const;
  [[nodiscard]] std::size_t pending_entries(core::node_id n) const;
  /// The node's state machine: the entries it applied (from its snapshot on).
  [[nodiscard]] const std::vector<core::entry>& applied(core::node_id n) const;
  /// With a user's store: every live member's state equals the state other
  /// members had at the same index (a violation otherwise).
  void check_user_stores();
  /// The live leader with the highest term (no_node if none).
  [[nodiscard]] core::node_id leader() const;
  /// A leader whose every live member follows it in its term, while no live
  /// node holds an entry of a newer term (no_node if none).
  [[nodiscard]] core::node_id stable_leader() const;
  [[nodiscard]] bool partitioned() const { return !blocked_.empty(); }
  [[nodiscard]] bool blocked(core::node_id from, core::node_id to) const;

  /// The first invariant violation, if any (the cluster keeps running).
  [[nodiscard]] const std::optional<violation>& failure() const { return failure_; }
  /// Reports a violation found by a driver (liveness, acknowledged writes).
  void fail(const std::string& invariant, const std::string& description);
  [[nodiscard]] const invariant_checker& checker() const { return checker_; }
  [[nodiscard]] const client_log& clients() const { return clients_; }
  [[nodiscard]] const trace_ring& trace() const { return trace_; }
  [[nodiscard]] const cluster_config& config() const { return cfg_; }

  struct counters {
    std::uint64_t delivered = 0, dropped = 0, duplicated = 0, cut = 0, lost_down = 0;
    std::uint64_t unreachable = 0;
    std::uint64_t writes = 0, write_failures = 0, crashes = 0, restarts = 0,
                  crashes_with_pending_write = 0;
    std::uint64_t requests = 0, forwarded = 0, answered_ok = 0, applied = 0;
    std::uint64_t joins = 0, removals = 0, retired = 0;
    std::uint64_t snapshots_taken = 0, snapshots_sent = 0, snapshots_installed = 0;
  };
  [[nodiscard]] const counters& stats() const { return stats_; }

 private:
  struct member;  // a running replica and its simulated ports (member.hpp)
  /// The leader each term's leader_changed events named (member.cpp).
  std::map<std::uint64_t, std::uint64_t> event_leaders_;
  struct slot {
    core::node_id id;
    std::string address;
    bool started = false;
    bool retired = false;
    std::unique_ptr<member> m;  // nullptr while down
    std::uint64_t incarnation = 0;
    disk_state disk;
    std::uint64_t disk_full_until = 0;
    core::role last_role = core::role::follower;
    core::raft_term last_term;
  };
  using action = std::function<void(slot&)>;
  struct event {
    int node = 0;  // slot index
    std::uint64_t incarnation = 0;
    action run;
  };
  /// A request forwarded between members, on its way or being served.
  struct forward_route {
    int origin = 0;
    std::uint64_t incarnation = 0;
    driver::request_id id = 0;  // the origin's id
  };
  /// A snapshot transfer under way, from the leader's side.
  struct transfer {
    int from = 0;
    std::uint64_t incarnation = 0;  // the sender's
    core::node_id to;
    std::string location;  // at the receiver, once written
  };

  slot& slot_of(core::node_id n) { return slots_[static_cast<std::size_t>(n.value - 1)]; }
  [[nodiscard]] const slot& slot_of(core::node_id n) const {
    return slots_[static_cast<std::size_t>(n.value - 1)];
  }
  [[nodiscard]] bool valid_id(core::node_id n) const {
    return n.value >= 1 && n.value <= slots_.size();
  }
  [[nodiscard]] int index_of(const slot& s) const { return static_cast<int>(s.id.value - 1); }
  core::options options_for(const slot& s) const;
  void start(slot& s);
  void stop_member(slot& s);
  /// Runs `run` on slot `s` at `at`, if it is still the same incarnation then.
  void schedule(std::uint64_t at, const slot& s, action run);
  /// Runs `run` on slot `s` at `at`, up or down (a message on its way).
  void schedule_any(std::uint64_t at, const slot& s, action run);
  static constexpr std::uint64_t any_incarnation = ~std::uint64_t{0};
  /// Marks the ids of forwarded requests (the leader's clients port answers them).
  static constexpr std::uint64_t forward_bit = std::uint64_t{1} << 62;
  void schedule_tick(slot& s, std::uint64_t at);
  std::uint64_t latency();
  std::uint64_t disk_latency();
  /// Calls into a replica, turning a broken internal invariant into a violation.
  void guarded(slot& s, const std::function<void(driver::replica&)>& f);
  // The network, as the members' transports use it.
  void send(slot& from, const std::vector<core::message>& messages);
  void deliver(slot& to, const core::message& m, const std::string& from_address);
  void forward(slot& from, driver::request_id id, const driver::request& r, core::node_id leader);
  void answer_forward(std::uint64_t route, driver::reply r);
  void send_snapshot(slot& from, const core::message& header, const std::string& location);
  void snapshot_installed(slot& to, const std::string& location, bool ok);
  void end_transfer(std::uint64_t key, bool ok);
  [[nodiscard]] bool reachable(const slot& from, const slot& to) const;
  void update_connections(slot& s);
  /// A client's answer (from a member's clients port).
  void on_answer(slot& s, driver::request_id id, driver::reply r);
  driver::request_id submit(slot& s, driver::request r, const std::string& what);
  driver::request_id ask(core::node_id n, driver::request r, std::uint64_t timeout_units,
                         const std::string& what);

  void begin_step();
  void touch(const slot& s);
  void end_step();
  void check(std::optional<violation> v);
  void record(trace_event e);
  void record_message(trace_kind k, const core::message& m);
  void contract(const std::string& what);

  cluster_config cfg_;
  prng rng_;
  prng store_rng_;  // when durable state machines save: drawn apart from the rest
  std::vector<slot> slots_;
  std::map<std::pair<std::uint64_t, std::uint64_t>, event> queue_;  // (time, seq)
  std::uint64_t seq_ = 0;
  std::uint64_t now_ = 0;
  std::uint64_t steps_ = 0;
  std::set<std::pair<std::uint64_t, std::uint64_t>> blocked_;  // (from, to)
  std::map<std::uint64_t, forward_route> forwards_;            // by the id the leader sees
  std::map<std::uint64_t, transfer> transfers_;                // by key
  std::uint64_t next_key_ = 1;
  invariant_checker checker_;
  client_log clients_;
  std::optional<violation> failure_;
  std::vector<int> touched_;
  std::vector<const core::node*> views_;
  trace_ring trace_;
  std::function<void(const trace_event&)> observer_;
  counters stats_;
  core::configuration bootstrap_config_;
};

}  // namespace actraft::sim
