// The replica: everything a member does around the Raft core that is not
// message plumbing. It takes the core's ready batches and carries them out in
// the order Raft requires (persist what must be durable before what depends on
// it is sent, apply in order, install a snapshot before the entries after it),
// answers every client request exactly once by the (index, term) of its entry,
// forwards requests from followers to the leader, takes, sends and installs
// snapshots, and notices its own removal.
//
// The node actor runs it (actors/node_actor.cpp) and so does the simulator
// (test/support/cluster.cpp): the simulator's seeds test the code that ships.
// It talks to the world only through the ports (ports.hpp) and is driven by
// one thread: calls, ticks, messages and the ports' completions, in any order.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "actraft/core/node.hpp"
#include "actraft/driver/ports.hpp"
#include "actraft/options.hpp"

namespace actraft::driver {

/// Where a replica is in its life. Each phase accepts a different set of
/// inputs; the transitions are in replica.cpp, one function each.
enum class phase : std::uint8_t {
  joining,     ///< no id yet (a joiner waiting for the cluster's answer): requests wait
  running,
  installing,  ///< a leader's snapshot is being put in force: no Raft message is
               ///< stepped and no ready taken, so nothing reaches the log below it
  removed,     ///< this member's removal was applied: every request is answered `removed`
  stopped,     ///< shut down, or failed: every request is answered `shutting_down`
};
std::string_view to_string(phase p);

/// What a replica counts (node_metrics' share that the driver sees).
struct counters {
  std::uint64_t entries_committed = 0;
  std::uint64_t elections_started = 0;
  std::uint64_t elections_won = 0;
  std::uint64_t leader_changes = 0;
  std::uint64_t snapshots_taken = 0;
  std::uint64_t snapshots_installed = 0;
  std::uint64_t reads_ok = 0;
  std::uint64_t reads_failed = 0;
  std::uint64_t storage_errors = 0;  ///< log writes that failed (each retry counts)
  /// Raft messages by type, sent and received.
  std::array<std::uint64_t, 16> sent{};
  std::array<std::uint64_t, 16> received{};
};

/// What a replica starts from, once it knows its id.
struct start_state {
  core::node_id id;
  std::string address;  ///< this member's own, as the others reach it
  core::persisted_state persisted;  ///< what the data directory holds
  /// Members known before the log says (a joiner's answer from the cluster).
  std::map<core::node_id, std::string> seeds;
  /// Where the snapshot in `persisted` is stored (empty: none).
  std::string snapshot_location;
  /// The last index the state machine already holds, for one that keeps its
  /// own state (store::last_applied_index); 0: it starts from the snapshot.
  /// Only an index store_state_usable accepts.
  core::log_index applied;
};

/// Whether a state machine that kept its own state up to `own` can start
/// from it with a log that holds the snapshot at `snapshot` and entries up
/// to `last`: at or after the snapshot and within the log. Past the log, the
/// state machine applied entries whose write a crash lost before it was
/// durable; before the snapshot, the log it needs is compacted. Either way
/// it must restore the snapshot instead.
bool store_state_usable(core::log_index own, core::log_index snapshot, core::log_index last);

std::vector<member_status> members_of(const std::vector<core::member>& ms);

class replica {
 public:
  /// `opts` gives the snapshot and retry settings; `core_opts` the core's
  /// (its id is set by start()).
  replica(const options& opts, core::options core_opts, ports io);

  // --- inputs ---------------------------------------------------------------
  /// Starts the core (phase joining -> running).
  void start(start_state s);
  /// One heartbeat interval passed: the core's clock, deadlines, retries.
  void tick();
  /// Raft messages from a peer that advertises `from_address` (used to answer
  /// a peer this member's configuration does not list).
  void step(const std::string& from_address, const std::vector<core::message>& messages);
  /// A client request; answered exactly once through the clients port.
  void submit(request_id id, request r);
  /// Starts an election now, as if the election timeout had passed.
  void campaign();
  /// Leader: hands leadership to voter `to` (§3.10). False if it cannot.
  bool transfer_leadership(core::node_id to);
  /// Shuts down: every request still open is answered `shutting_down`.
  void stop();
  /// The node cannot go on (its storage failed): every request still open
  /// is answered `storage_failure`, then it stops.
  void fail(const std::string& why);

  // --- completions of the ports ---------------------------------------------
  void on_written();
  void on_write_failed(const std::string& why);
  void on_applied(core::log_index last);
  void on_restored(core::log_index index);
  void on_restore_failed(const std::string& why);
  /// `size`: the snapshot's bytes (what snapshot_log_ratio weighs).
  void on_snapshot_written(const core::snapshot_meta& meta, const std::string& location,
                           std::uint64_t size);
  void on_snapshot_failed(const std::string& why);
  void on_installed(const core::snapshot_meta& meta, const std::string& location,
                    core::log_index in_force);
  void on_install_failed(const core::snapshot_meta& meta, const std::string& location,
                         const std::string& why);
  void on_removal_recorded();
  void on_forwarded(request_id id, reply r);
  void on_snapshot_sent(core::node_id to, bool ok);
  void on_peer(core::node_id id, bool connected);

  // --- receiving a leader's snapshot ------------------------------------------
  /// Before a chunk of a leader's snapshot is written: empty if it may be,
  /// else why not. Nothing is allocated or written for a refused chunk. A
  /// snapshot this member does not need (it committed its index already) is
  /// answered as Raft answers an append, so the leader learns where it is.
  [[nodiscard]] std::string check_snapshot(const core::message& header, std::size_t chunk_bytes);
  /// The whole snapshot is durable at `location`: put it in force, then step
  /// the header into the core. False (and nothing done) if it is no longer
  /// wanted. Once in force, on_installed has stepped it.
  bool on_snapshot_received(const core::message& header, const std::string& location);

  // --- queries ------------------------------------------------------------------
  /// The metadata of a snapshot of the state at `applied` (for the state
  /// machine port); nothing if it would not be newer than the one in force.
  [[nodiscard]] std::optional<core::snapshot_meta> describe_snapshot(core::log_index applied) const;
  /// The last index handed to the state machine (applies and restores):
  /// the state it holds once it has carried out every call so far.
  [[nodiscard]] core::log_index handed() const { return handed_; }
  /// This member's view; `followers` and `pending_requests` included, not
  /// what the node's actors know (the data directory's size, transfers).
  [[nodiscard]] node_status current_status() const;
  [[nodiscard]] node_role current_role() const;
  /// Requests open on this member (what max_pending_requests bounds).
  [[nodiscard]] std::size_t open_requests() const;
  [[nodiscard]] const counters& stats() const { return stats_; }
  [[nodiscard]] phase current_phase() const { return phase_; }
  /// The core, once started (nullptr before).
  [[nodiscard]] const core::node* core() const { return core_ ? &*core_ : nullptr; }
  [[nodiscard]] const std::string& address() const { return address_; }
  /// A write is under way (its entries are not durable yet).
  [[nodiscard]] bool writing() const { return writing_.has_value(); }
  [[nodiscard]] const std::optional<core::ready>& write_in_flight() const { return writing_; }

 private:
  struct pending_entry {
    core::raft_term term;
    request_kind kind = request_kind::propose;
    core::node_id member;
    request_id id = 0;
    time_point deadline;
  };
  struct waiting_request {
    request_id id = 0;
    request req;
    bool handover_tried = false;  ///< leave of the leader: handover started once
  };

  // replica.cpp: the ready cycle, peers, phases.
  void drive();
  void send_now(std::vector<core::message>& messages);
  void count_sent(const std::vector<core::message>& messages);
  void begin_write(core::ready rd);
  [[nodiscard]] write_batch batch_to_write() const;
  void finish(core::ready& rd);
  void watch_membership(const std::vector<core::entry>& committed);
  void sync_peers();
  bool notice_changes();
  void enter_removed();
  [[nodiscard]] bool planted(core::planted_bug b) const;
  void log(severity level, const std::string& text) const;

  // reads.cpp: reads without a log write (§6.4).
  void route_query(waiting_request w);
  void on_reads(const std::vector<core::read_state>& reads);
  void serve_reads();
  void expire_reads(time_point now);
  void answer_reads(errc code, const std::string& why);
  void check_tick_clock();

  // admin.cpp: leadership transfers, snapshots on request, events.
  void route_transfer(waiting_request w);
  void check_handovers(time_point now);
  void request_snapshot(waiting_request w);
  void expire_snapshot_requests(time_point now);
  void answer_snapshot_requests(const std::optional<errc>& error, const std::string& why);
  void notify(event e) const;
  [[nodiscard]] event event_of(event_kind k) const;

  // requests.cpp: routing, forwarding, answers.
  void route(waiting_request w);
  void forward(waiting_request w);
  bool hand_over_before_leaving(waiting_request& w);
  [[nodiscard]] core::node_id successor() const;
  void track(const core::propose_result& r, waiting_request& w);
  std::vector<answer_slot> take_answers(const std::vector<core::entry>& committed);
  void answer_applied();
  void expire(time_point now);
  void retry_waiting();
  void answer(request_id id, reply r);
  void answer_everything(errc code, const std::string& why);
  [[nodiscard]] reply leader_error() const;

  // snapshots.cpp: taking, sending, installing.
  void maybe_snapshot();
  void start_transfer(core::message m);
  void snapshot_in_force(const core::snapshot_meta& meta, const std::string& location);

  const options opts_;
  core::options core_opts_;
  std::string address_;
  ports io_;
  phase phase_ = phase::joining;
  std::optional<core::node> core_;

  // Requests: waiting for a leader (or a membership change, or a handover),
  // in the leader's log by index, and forwarded to the leader.
  std::deque<waiting_request> waiting_;
  std::map<core::log_index, pending_entry> pending_;
  std::map<request_id, request> forwarded_;

  // Reads: asked of the core (by request id), and settled, waiting until the
  // state machine has been handed every entry up to their index.
  std::map<request_id, request> reading_;
  struct settled_read {
    request_id id = 0;
    request req;
  };
  std::multimap<core::log_index, settled_read> reads_ready_;
  /// The last index handed to the state machine (applies and restores); a
  /// query asked after it sees at least that state.
  core::log_index handed_;
  /// When tick() last ran: a lease read trusts the core's ticks only while
  /// they keep up with the clock.
  std::optional<time_point> last_tick_at_;

  // The ready cycle: the ready whose write is under way, a retry after a
  // failed write, and what the state machine has applied.
  std::optional<core::ready> writing_;
  std::optional<time_point> write_retry_at_;
  std::uint64_t write_failures_ = 0;
  core::log_index applied_;

  // Membership: whether this node was ever in a configuration it applied,
  // and the index of the entry that removed it.
  bool was_member_ = false;
  std::optional<core::log_index> removal_index_;
  bool removal_recorded_ = false;

  // Peers: members known before the log says, the addresses of peers that
  // wrote to this member though its configuration does not list them (and
  // when they last did, in ticks), what the transport was asked to connect
  // to, and what is connected.
  struct learned_peer {
    std::string address;
    std::uint64_t heard = 0;
  };
  std::map<core::node_id, std::string> seeds_;
  std::map<core::node_id, learned_peer> learned_;
  std::uint64_t ticks_ = 0;
  std::map<core::node_id, std::string> wanted_;
  std::set<core::node_id> connected_;

  // Snapshots: the one in force on disk (what a leader sends), one being
  // taken, what was applied since, the leader's snapshot being installed,
  // and the transfers this leader has under way.
  core::snapshot_meta snapshot_;
  std::string snapshot_location_;
  bool snapshotting_ = false;
  time_point snapshot_retry_after_;
  std::uint64_t bytes_since_snapshot_ = 0;
  std::uint64_t last_snapshot_bytes_ = 0;  ///< of the last snapshot this member wrote
  bool own_cadence_ = false;  ///< the snapshot in force is one this member took (maybe_snapshot)
  std::optional<core::message> installing_;
  std::string installing_location_;
  bool restoring_ = false;  // the state machine is restoring the snapshot in force
  std::set<core::node_id> transfers_;

  // Admin requests: leadership handovers under way (answered once the
  // transferee leads) and snapshots asked for (answered once one is in force).
  struct handover {
    request_id id = 0;
    core::node_id to;
    time_point deadline;
  };
  std::vector<handover> handovers_;
  struct snapshot_wanted {
    request_id id = 0;
    core::log_index applied;  ///< applied when asked: the snapshot must cover it
    time_point deadline;
  };
  std::vector<snapshot_wanted> snapshot_requests_;
  bool snapshot_asked_ = false;

  // Metrics, and when each peer was last heard from.
  counters stats_;
  std::map<core::node_id, time_point> heard_at_;

  // What was last reported, to log changes only.
  core::role last_role_ = core::role::follower;
  core::raft_term last_term_;
  core::node_id last_leader_;
};

}  // namespace actraft::driver
