#include "support/simulation.hpp"

#include <algorithm>
#include <limits>
#include <sstream>
#include <vector>

#include "support/prng.hpp"

namespace actraft::sim {

namespace {

using core::node_id;

/// What a seed chooses before the run starts.
struct profile {
  core::options opts;
  std::uint64_t fault_gap = 60;    // mean time units between faults
  std::uint64_t propose_gap = 15;  // mean time units between proposals
  int max_down = 1;                // crashed at once, at most
  int spares = 0;                  // slots for members added during the run
  std::size_t min_members = 3;     // removals stop at this many members
  std::uint32_t membership_pm = 0; // extra chance per fault of a membership change
  std::uint64_t snapshot_every = 0;  // a node snapshots after this many applied entries (0: never)
  std::uint64_t keep_entries = 0;    // entries a snapshot leaves in the log behind it
  double snapshot_ratio = 0;         // options::snapshot_log_ratio
  std::uint64_t request_ticks = 0;   // a client request's deadline, in ticks
  std::uint32_t read_pm = 0;         // client operations that are reads, per mille
  bool durable_store = false;        // state machines keep their own state across crashes
  network_profile network;
  disk_profile disk;

  [[nodiscard]] std::string describe() const {
    std::ostringstream os;
    os << "election_ticks=" << opts.election_ticks << " heartbeat_ticks=" << opts.heartbeat_ticks
       << " pre_vote=" << opts.pre_vote << " check_quorum=" << opts.check_quorum
       << " max_batch_bytes=" << opts.max_batch_bytes << " max_inflight=" << opts.max_inflight
       << " bug=" << to_string(opts.bug) << "; fault every ~" << fault_gap
       << " units, proposal every ~" << propose_gap << " units, max_down=" << max_down
       << ", spare slots=" << spares << " (down to " << min_members << " members, "
       << membership_pm << "/1000 extra changes), snapshot every " << snapshot_every << " entries keeping "
       << keep_entries << " (log ratio " << snapshot_ratio << "), request deadline " << request_ticks << " ticks, reads "
       << read_pm << "/1000" << (opts.reads == core::read_mode::lease ? " (lease)" : "")
       << (durable_store ? ", durable state machines" : "")
       << "; network drop/dup/slow=" << network.drop_pm << "/" << network.duplicate_pm << "/"
       << network.slow_pm << " per mille; disk slow=" << disk.slow_pm << " per mille";
    return os.str();
  }
};

network_profile random_network(prng& r) {
  network_profile n;
  static const std::vector<std::uint32_t> drops{0, 0, 20, 80, 200};
  static const std::vector<std::uint32_t> dups{0, 20, 60};
  static const std::vector<std::uint32_t> slows{0, 30, 100};
  n.drop_pm = r.pick(drops);
  n.duplicate_pm = r.pick(dups);
  n.slow_pm = r.pick(slows);
  return n;
}

disk_profile random_disk(prng& r) {
  disk_profile d;
  static const std::vector<std::uint32_t> slows{0, 100, 300};
  d.slow_pm = r.pick(slows);
  return d;
}

profile choose_profile(std::uint64_t seed, int nodes, core::planted_bug bug,
                       std::optional<bool> reads, std::optional<bool> durable_store) {
  prng r(derive_seed(seed, 0xF0));
  profile p;
  p.opts.election_ticks = static_cast<int>(r.between(5, 10));
  p.opts.heartbeat_ticks = (p.opts.election_ticks >= 8 && r.chance(300)) ? 2 : 1;
  p.opts.pre_vote = r.chance(750);
  p.opts.check_quorum = r.chance(750);
  static const std::vector<std::size_t> batches{1, 100, 1024 * 1024};
  static const std::vector<std::size_t> inflights{1, 4, 256};
  p.opts.max_batch_bytes = r.pick(batches);
  p.opts.max_inflight = r.pick(inflights);
  p.opts.bug = bug;
  static const std::vector<std::uint64_t> fault_gaps{20, 50, 120};
  static const std::vector<std::uint64_t> propose_gaps{5, 15, 40};
  p.fault_gap = r.pick(fault_gaps);
  p.propose_gap = r.pick(propose_gaps);
  p.max_down = nodes / 2;
  // Half the seeds change the membership: add members (learners, promoted
  // once caught up) into spare slots and remove members again.
  if (r.chance(500)) p.spares = nodes <= 3 ? 2 : 1;
  // A quarter of the seeds shrink and grow the configuration much more,
  // through every size from 1 member up (§4.1's single-server changes, and
  // two of them asked for at once).
  if (r.chance(250)) {
    p.spares = nodes <= 3 ? 4 : 3;
    p.min_members = 1;
    p.membership_pm = 300;
  }
  // Half the seeds snapshot and compact: lagging followers then catch up by
  // InstallSnapshot, and restarts begin from a snapshot.
  static const std::vector<std::uint64_t> snapshot_every{0, 0, 0, 4, 10, 30};
  p.snapshot_every = r.pick(snapshot_every);
  static const std::vector<std::uint64_t> keep{0, 0, 2, 8};
  p.keep_entries = r.pick(keep);
  // Clients wait 20 election timeouts (the library's default ratio), or 4.
  p.request_ticks = static_cast<std::uint64_t>(p.opts.election_ticks) * (r.chance(200) ? 4 : 20);
  p.network = random_network(r);
  p.disk = random_disk(r);
  // Reads are drawn apart, so the choices above stay what they were.
  prng rr(derive_seed(seed, 0xF3));
  static const std::vector<std::uint32_t> read_pms{0, 300, 600};
  p.read_pm = reads.value_or(true) ? rr.pick(read_pms) : 0;
  if (reads == true && p.read_pm == 0) p.read_pm = 300;
  if (p.read_pm != 0 && p.opts.check_quorum && rr.chance(333)) {
    // §6.4.1. A node's ticks come tick_units +- tick_jitter apart: over a
    // few ticks, clocks whose rates differ by up to 25%.
    p.opts.reads = core::read_mode::lease;
    p.opts.lease_margin_ticks = core::lease_margin_ticks(p.opts.election_ticks, 0.25);
  }
  // So are durable state machines (store::last_applied_index).
  p.durable_store = durable_store.value_or(prng(derive_seed(seed, 0xF5)).chance(250));
  // And snapshots held back until the log outgrows them (snapshot_log_ratio).
  static const std::vector<double> ratios{0, 0, 0.5, 2};
  p.snapshot_ratio = prng(derive_seed(seed, 0xF7)).pick(ratios);
  return p;
}

enum class fault : std::uint8_t {
  crash_any,
  crash_leader,
  crash_in_window,       // a node whose write is not durable yet
  crash_leader_on_commit,  // arm: crash the leader right after its commit index moves
  stale_leader_writes,   // isolate the leader, then propose to it: entries only it holds
  isolate_next_leader,   // arm: cut off the next newly elected leader at once
  figure8,               // episode: leader changes with uncommitted entries of old terms
  ack_window,            // arm: when the leader commits, crash a follower whose write is
                         // not durable yet and cut the leader off
  reconnect_one,         // undo the partitions of one node
  add_member,            // a spare asks to join; it starts with an empty disk once answered
  remove_member,         // remove a member (retired once the removal is answered)
  leave,                 // a member (the leader, often) asks to leave
  membership_burst,      // a join and a removal asked for at once
  fill_disk,             // a member's writes fail for a while (no space left)
  restart,
  isolate_any,
  isolate_leader,
  split,
  one_way,
  heal,
  network,
  campaign,
  dueling_campaigns,
  transfer_leader,       // hand leadership to another member (§3.10)
  disk,
};

struct weighted {
  fault f;
  std::uint64_t weight;
};

const std::vector<weighted>& fault_menu() {
  static const std::vector<weighted> menu{
      {fault::crash_any, 2},      {fault::crash_leader, 3},      {fault::crash_in_window, 3},
      {fault::crash_leader_on_commit, 3}, {fault::restart, 8},   {fault::isolate_any, 2},
      {fault::stale_leader_writes, 2}, {fault::isolate_next_leader, 2},
      {fault::figure8, 3},        {fault::ack_window, 2},        {fault::reconnect_one, 2},
      {fault::add_member, 3},     {fault::remove_member, 2},     {fault::leave, 1},
      {fault::fill_disk, 1},
      {fault::isolate_leader, 3}, {fault::split, 1},             {fault::one_way, 2},
      {fault::heal, 4},           {fault::network, 2},           {fault::campaign, 2},
      {fault::dueling_campaigns, 1}, {fault::disk, 1},    {fault::transfer_leader, 3},
  };
  return menu;
}

class fault_schedule {
 public:
  fault_schedule(const sim_config& cfg, const profile& p, cluster& c)
      : cfg_(cfg), p_(p), c_(c), r_(derive_seed(cfg.seed, 0xD1)), rr_(derive_seed(cfg.seed, 0xD2)),
        ra_(derive_seed(cfg.seed, 0xD3)) {}

  void fault_phase(std::uint64_t budget) {
    std::uint64_t next_fault = c_.now() + gap(p_.fault_gap);
    std::uint64_t next_propose = c_.now() + gap(p_.propose_gap);
    while (c_.steps() < budget && !c_.failure()) {
      const std::uint64_t next =
          c_.next_event_time().value_or(std::numeric_limits<std::uint64_t>::max());
      if (next_fault <= next) {
        c_.advance_to(next_fault);
        if (episode_ == episode::none) inject();
        next_fault = c_.now() + gap(p_.fault_gap);
      } else if (next_propose <= next) {
        c_.advance_to(next_propose);
        if (p_.read_pm != 0 && rr_.below(1000) < p_.read_pm)
          read();
        else
          propose();
        next_propose = c_.now() + gap(p_.propose_gap);
      } else {
        c_.step();
      }
      watch_armed_leader();
    }
  }

  /// All faults stop; the cluster must elect a leader and commit a proposal
  /// on every node within the bounds, and keep every acknowledged proposal.
  void heal_phase() {
    if (c_.failure()) return;
    c_.note("heal: all nodes up, partitions removed, network reliable");
    c_.heal_partitions();
    c_.set_network(network_profile::reliable());
    c_.set_disk(disk_profile{});
    for (auto id : c_.ids())
      if (c_.disk_full(id)) c_.fill_disk(id, 0);
    for (auto id : down_nodes()) c_.restart(id);
    const std::uint64_t unit = c_.tick_units();
    const auto e = static_cast<std::uint64_t>(p_.opts.election_ticks);
    for (int attempt = 0; attempt < 3 && !c_.failure(); ++attempt) {
      // Ten election timeouts at their longest (a timeout is drawn from
      // [e, 2e) ticks). Without pre-vote, a node with a stale log that keeps
      // campaigning resets everybody's timer with each new term, so a leader
      // can take several rounds; 10 rounds of e ticks failed ~1 seed in 20,000.
      const std::uint64_t leader_bound = 20 * e;  // ticks
      const std::uint64_t start = c_.now();
      if (!c_.run_until([&] { return c_.stable_leader() != core::no_node; },
                        start + leader_bound * unit)) {
        if (!c_.failure())
          c_.fail(invariant::liveness, "no leader followed by all nodes within " +
                                           std::to_string(leader_bound) +
                                           " ticks (10 longest election timeouts) after the faults healed");
        return;
      }
      const node_id l = c_.stable_leader();
      // A handover started before the heal ends within an election timeout.
      c_.run_until([&] { return c_.get(l)->transferee() == core::no_node; },
                   c_.now() + 2 * e * unit);
      // A spare whose addition was lost (or a removed member not yet shut
      // down) is not part of the cluster: shut it down, as an operator would.
      const core::configuration config = c_.get(l)->config();
      for (auto id : up_nodes())
        if (id != l && config.find(id) == nullptr) c_.retire(id);
      const std::string cmd = "heal-" + std::to_string(cfg_.seed) + "-" + std::to_string(attempt);
      std::uint64_t longest = 0;
      for (auto id : up_nodes()) longest = std::max(longest, c_.get(id)->log().last_index().value);
      // 10 longest election timeouts, plus a tick per entry a follower may
      // have to catch up on.
      const std::uint64_t commit_bound = 20 * e + longest;
      const auto request = c_.propose(l, cmd, commit_bound * unit);
      auto answered = [&] {
        const auto* rec = c_.clients().find(request);
        return rec != nullptr && (rec->answered || rec->lost);
      };
      if (!c_.run_until(answered, c_.now() + (commit_bound + 2 * e) * unit)) {
        if (!c_.failure())
          c_.fail(invariant::liveness, "proposal \"" + cmd + "\" to n" + std::to_string(l.value) +
                                           " not answered within " + std::to_string(commit_bound) +
                                           " ticks of a stable leader");
        return;
      }
      const auto* rec = c_.clients().find(request);
      if (rec->lost || !rec->answer.ok()) continue;  // the leader changed first; try again
      const std::string value(rec->answer.value.begin(), rec->answer.value.end());
      std::size_t idx = static_cast<std::size_t>(std::stoull(value.substr(0, value.find(':'))));
      // Proposals answered meanwhile may sit above it: they must be applied
      // everywhere too.
      for (const auto& a : c_.clients().acknowledged())
        idx = std::max(idx, static_cast<std::size_t>(a.index.value));
      auto everywhere = [&] {
        for (auto id : members())
          if (c_.applied(id).size() < idx) return false;
        return true;
      };
      if (!c_.run_until(everywhere, c_.now() + commit_bound * unit)) {
        if (!c_.failure())
          c_.fail(invariant::liveness,
                  "proposal \"" + cmd + "\" at index " + std::to_string(idx) +
                      " not applied on every node within " + std::to_string(commit_bound) +
                      " ticks of a stable leader" + progress_of(l));
        return;
      }
      check_acknowledged(idx);
      return;
    }
    if (!c_.failure()) c_.fail(invariant::liveness, "three proposals after heal were all lost");
  }

 private:
  std::uint64_t gap(std::uint64_t mean) { return r_.between(mean / 2 + 1, mean + mean / 2); }

  /// The leader's view of each follower, for a liveness report.
  std::string progress_of(node_id l) const {
    const core::node* n = c_.get(l);
    if (n == nullptr) return {};
    std::string out = "; n" + std::to_string(l.value) + " sees";
    for (const auto& [id, pr] : n->followers()) {
      static const char* states[] = {"probe", "replicate", "snapshot"};
      out += " n" + std::to_string(id.value) + ":" + states[static_cast<int>(pr.state)] +
             " match=" + std::to_string(pr.match.value) + " next=" + std::to_string(pr.next.value) +
             (pr.probe_sent ? " probe_sent" : "") + " inflight=" + std::to_string(pr.inflight.size());
      const auto* rep = c_.replica_of(id);
      if (rep != nullptr && rep->core() != nullptr)
        out += " (its last=" + std::to_string(rep->core()->log().last_index().value) + ")";
    }
    return out;
  }

  std::vector<node_id> up_nodes() const {
    std::vector<node_id> v;
    for (auto id : c_.ids())
      if (c_.is_up(id)) v.push_back(id);
    return v;
  }
  /// Crashed and not retired (spares that never joined are not down).
  std::vector<node_id> down_nodes() const {
    std::vector<node_id> v;
    for (auto id : c_.ids())
      if (c_.started(id) && !c_.retired(id) && !c_.is_up(id)) v.push_back(id);
    return v;
  }
  /// The live members of the current leader's configuration.
  std::vector<node_id> members() const {
    std::vector<node_id> v;
    const node_id l = c_.leader();
    if (l == core::no_node) return up_nodes();
    for (const auto& m : c_.get(l)->config().members)
      if (m.id.value <= static_cast<std::uint64_t>(c_.size()) && c_.is_up(m.id)) v.push_back(m.id);
    return v;
  }
  bool may_crash() const {
    return static_cast<int>(down_nodes().size()) < p_.max_down;
  }

  /// A client's next command: unique, so an answer shows whose it is; one in
  /// thirty makes the store's apply fail (on every member).
  std::string next_command() {
    std::string cmd = "s" + std::to_string(cfg_.seed) + "." + std::to_string(++proposals_);
    if (r_.chance(33)) cmd += "-fail";
    return cmd;
  }

  std::uint64_t request_timeout() const { return p_.request_ticks * c_.tick_units(); }

  void propose() {
    node_id target = c_.leader();
    auto up = up_nodes();
    if (up.empty()) return;
    // Mostly to the leader; often enough to a follower, which forwards it.
    if (target == core::no_node || r_.chance(250)) target = r_.pick(up);
    c_.propose(target, next_command(), request_timeout());
  }

  /// A read on any member (linearizable, or one in eight stale).
  void read() {
    auto up = up_nodes();
    if (up.empty()) return;
    c_.query(rr_.pick(up), rr_.chance(125), request_timeout());
  }

  fault choose() {
    std::uint64_t total = 0;
    for (const auto& w : fault_menu()) total += w.weight;
    std::uint64_t x = r_.below(total);
    for (const auto& w : fault_menu()) {
      if (x < w.weight) return w.f;
      x -= w.weight;
    }
    return fault::heal;
  }

  fault choose_with_membership() {
    if (!r_.chance(p_.membership_pm)) return choose();
    static const std::vector<fault> changes{fault::add_member, fault::remove_member, fault::leave,
                                            fault::membership_burst};
    return r_.pick(changes);
  }

  void inject() {
    const auto up = up_nodes();
    const auto down = down_nodes();
    const node_id l = c_.leader();
    // An operator asks a member for a snapshot now and then (drawn apart
    // from the faults, as the reads are).
    if (!up.empty() && ra_.chance(60)) c_.snapshot_now(ra_.pick(up), request_timeout());
    switch (choose_with_membership()) {
      case fault::crash_any:
        if (may_crash() && !up.empty()) c_.crash(r_.pick(up));
        break;
      case fault::crash_leader:
        if (may_crash() && l != core::no_node) c_.crash(l);
        break;
      case fault::crash_in_window: {
        std::vector<node_id> open;
        for (auto id : up)
          if (c_.pending_entries(id) > 0) open.push_back(id);
        if (open.empty())
          for (auto id : up)
            if (c_.write_pending(id)) open.push_back(id);
        if (may_crash() && !open.empty()) c_.crash(r_.pick(open));
        break;
      }
      case fault::crash_leader_on_commit:
        if (l != core::no_node) {
          armed_ = l;
          armed_commit_ = c_.get(l)->log().commit();
          armed_until_ = c_.now() + 5 * c_.tick_units();
          c_.note("armed: crash n" + std::to_string(l.value) + " when its commit index moves");
        }
        break;
      case fault::stale_leader_writes:
        if (l != core::no_node) {
          c_.isolate(l);
          const auto k = r_.between(1, 3);
          for (std::uint64_t j = 0; j < k; ++j) c_.propose(l, next_command(), request_timeout());
        }
        break;
      case fault::isolate_next_leader:
        isolate_next_ = true;
        isolate_after_term_ = max_term();
        c_.note("armed: isolate the next newly elected leader");
        break;
      case fault::figure8:
        // Paper, Figure 8. (a) the leader A gets entries only it holds; (b)
        // a new leader B of a later term appends its no-op and is cut off at
        // once; (c) A comes back and is elected again: a leader that counted
        // replicas of A's old-term entries would commit them, and is crashed
        // right when its commit index moves; (d) B comes back: its last term
        // is the highest, so it can win and overwrite anything not truly
        // committed.
        if (l != core::no_node && episode_ == episode::none) {
          // The episode is the only fault until it ends: everybody else up
          // and connected, so the other nodes can elect B.
          c_.note("figure 8 episode: leader n" + std::to_string(l.value));
          c_.heal_partitions();
          for (auto id : down) c_.restart(id);
          c_.isolate(l);
          const auto k = r_.between(2, 6);
          for (std::uint64_t j = 0; j < k; ++j) c_.propose(l, next_command(), request_timeout());
          episode_ = episode::figure8_new_leader;
          ep_a_ = l;
          ep_term_ = c_.get(l)->term();
          ep_deadline_ = c_.now() + episode_time();
        }
        break;
      case fault::ack_window:
        ack_window_ = true;
        c_.note("armed: when a leader commits, crash a follower inside its durability window");
        break;
      case fault::reconnect_one:
        if (c_.partitioned()) c_.reconnect(r_.pick(c_.ids()));
        break;
      case fault::add_member:
        // The next spare asks to join, through the leader or any member.
        if (!up.empty())
          for (auto id : c_.ids())
            if (!c_.started(id)) {
              c_.join(id, l != core::no_node && r_.chance(700) ? l : r_.pick(up), request_timeout());
              break;
            }
        break;
      case fault::remove_member:
        if (l != core::no_node && c_.get(l)->config().members.size() > p_.min_members && !up.empty()) {
          const auto& ms = c_.get(l)->config().members;
          const node_id x = ms[static_cast<std::size_t>(r_.below(ms.size()))].id;
          c_.remove(r_.chance(700) ? l : r_.pick(up), x, request_timeout());
        }
        break;
      case fault::leave:
        // A leader leaving hands leadership over first.
        if (l != core::no_node && c_.get(l)->config().members.size() > p_.min_members && !up.empty()) {
          const node_id x = r_.chance(500) ? l : r_.pick(up);
          if (c_.get(l)->config().find(x) != nullptr) c_.remove(x, x, request_timeout());
        }
        break;
      case fault::fill_disk:
        if (!up.empty()) c_.fill_disk(r_.pick(up), c_.now() + r_.between(5, 40) * c_.tick_units());
        break;
      case fault::membership_burst:
        // Two changes at once, through different members: one must wait
        // for the other to commit.
        if (l != core::no_node && up.size() >= 2) {
          for (auto id : c_.ids())
            if (!c_.started(id)) {
              c_.join(id, r_.pick(up), request_timeout());
              break;
            }
          const auto& ms = c_.get(l)->config().members;
          if (ms.size() > p_.min_members) {
            const node_id x = ms[static_cast<std::size_t>(r_.below(ms.size()))].id;
            c_.remove(r_.pick(up), x, request_timeout());
          }
        }
        break;
      case fault::restart:
        if (!down.empty()) c_.restart(r_.pick(down));
        break;
      case fault::isolate_any:
        if (!up.empty()) c_.isolate(r_.pick(up));
        break;
      case fault::isolate_leader:
        if (l != core::no_node) c_.isolate(l);
        break;
      case fault::split: {
        auto ids = c_.ids();
        std::vector<node_id> side;
        const auto k = r_.between(1, ids.size() / 2);
        while (side.size() < k) {
          node_id id = r_.pick(ids);
          if (std::find(side.begin(), side.end(), id) == side.end()) side.push_back(id);
        }
        c_.split(side);
        break;
      }
      case fault::one_way: {
        auto ids = c_.ids();
        const auto links = r_.between(1, 2);
        for (std::uint64_t k = 0; k < links; ++k) {
          node_id a = r_.pick(ids);
          node_id b = r_.pick(ids);
          if (a != b) c_.block(a, b);
        }
        break;
      }
      case fault::heal:
        c_.heal_partitions();
        break;
      case fault::network:
        c_.set_network(r_.chance(300) ? network_profile::reliable() : random_network(r_));
        break;
      case fault::campaign:
        if (!up.empty()) c_.campaign(r_.pick(up));
        break;
      case fault::dueling_campaigns:
        if (up.size() >= 2) {
          node_id a = r_.pick(up);
          node_id b = r_.pick(up);
          if (a != b) {
            c_.campaign(a);
            c_.campaign(b);
          }
        }
        break;
      case fault::disk:
        c_.set_disk(random_disk(r_));
        break;
      case fault::transfer_leader:
        // Any member, voter or not, up or down: the leader must refuse what
        // cannot work and give up on what does not happen.
        // Half the time as an operator's request to any member that is up
        // (0: the most caught-up voter), answered once the transferee leads.
        if (l != core::no_node) {
          const node_id to = r_.pick(c_.ids());
          if (!up.empty() && ra_.chance(500))
            c_.hand_over(ra_.pick(up), ra_.chance(250) ? core::no_node : to, request_timeout());
          else
            c_.transfer_leadership(l, to);
        }
        break;
    }
  }

  core::raft_term max_term() const {
    core::raft_term t;
    for (auto id : c_.ids())
      if (const core::node* n = c_.get(id)) t = std::max(t, n->term());
    return t;
  }

  std::uint64_t episode_time() const {
    return 4 * static_cast<std::uint64_t>(p_.opts.election_ticks) * c_.tick_units();
  }

  void watch_figure8() {
    if (episode_ == episode::none) return;
    if (c_.now() > ep_deadline_) {
      c_.note("figure 8 episode timed out");
      c_.heal_partitions();
      episode_ = episode::none;
      return;
    }
    const node_id l = c_.leader();
    const core::raft_term t = l != core::no_node ? c_.get(l)->term() : core::raft_term{};
    switch (episode_) {
      case episode::figure8_new_leader:
        if (l != core::no_node && l != ep_a_ && t > ep_term_) {
          c_.reconnect(ep_a_);
          c_.isolate(l);
          ep_b_ = l;
          ep_term_ = t;
          if (c_.is_up(ep_a_)) c_.campaign(ep_a_);
          episode_ = episode::figure8_old_leader_back;
          ep_deadline_ = c_.now() + episode_time();
        }
        break;
      case episode::figure8_old_leader_back:
        if (l != core::no_node && l != ep_b_ && t > ep_term_) {
          armed_ = l;
          armed_commit_ = c_.get(l)->log().commit();
          armed_until_ = c_.now() + 5 * c_.tick_units();
          episode_ = episode::figure8_release;
          ep_deadline_ = c_.now() + episode_time();
        }
        break;
      case episode::figure8_release:
        if (armed_ == core::no_node) {
          c_.reconnect(ep_b_);
          if (c_.is_up(ep_b_)) c_.campaign(ep_b_);
          episode_ = episode::none;
        }
        break;
      case episode::none:
        break;
    }
  }

  void watch_ack_window() {
    if (!ack_window_) return;
    const node_id l = c_.leader();
    if (l == core::no_node) return;
    const core::log_index commit = c_.get(l)->log().commit();
    if (ack_leader_ != l) {
      ack_leader_ = l;
      ack_commit_ = commit;
      return;
    }
    if (commit <= ack_commit_) return;
    ack_commit_ = commit;
    for (auto id : c_.ids()) {
      if (id == l || !c_.is_up(id) || c_.pending_entries(id) == 0 || !may_crash()) continue;
      c_.crash(id);
      c_.isolate(l);
      ack_window_ = false;
      return;
    }
  }

  void watch_armed_leader() {
    watch_figure8();
    watch_ack_window();
    if (isolate_next_) {
      const node_id l = c_.leader();
      if (l != core::no_node && c_.get(l)->term() > isolate_after_term_) {
        c_.isolate(l);
        isolate_next_ = false;
      }
    }
    if (armed_ == core::no_node) return;
    const core::node* n = c_.get(armed_);
    if (n == nullptr || n->current_role() != core::role::leader || c_.now() > armed_until_) {
      armed_ = core::no_node;
      return;
    }
    if (n->log().commit() > armed_commit_) {
      // Cut it off first: what it sent and is still in flight is lost too.
      c_.isolate(armed_);
      if (may_crash()) c_.crash(armed_);
      armed_ = core::no_node;
    }
  }

  /// Every proposal a client was told was applied, up to `upto`, is applied
  /// on every live member, as the same entry.
  void check_acknowledged(std::size_t upto) {
    for (const auto& a : c_.clients().acknowledged()) {
      if (a.index.value > upto) continue;
      for (auto id : members()) {
        const auto& applied = c_.applied(id);
        const auto i = static_cast<std::size_t>(a.index.value);
        if (applied.size() < i || applied[i - 1].term != a.term || applied[i - 1].data != a.data) {
          c_.fail(invariant::acknowledged_durable,
                  "acknowledged " + describe(core::entry{a.term, a.index, core::entry_kind::normal, a.data}) +
                      " is not applied on n" + std::to_string(id.value) + " after heal");
          return;
        }
      }
    }
  }

  const sim_config& cfg_;
  const profile& p_;
  cluster& c_;
  prng r_;
  prng rr_;  // reads: drawn apart from the faults
  prng ra_;  // admin requests: drawn apart from the faults
  std::uint64_t proposals_ = 0;
  node_id armed_ = core::no_node;
  core::log_index armed_commit_;
  std::uint64_t armed_until_ = 0;
  bool isolate_next_ = false;
  core::raft_term isolate_after_term_;
  enum class episode : std::uint8_t {
    none,
    figure8_new_leader,
    figure8_old_leader_back,
    figure8_release,
  };
  episode episode_ = episode::none;
  node_id ep_a_ = core::no_node;
  node_id ep_b_ = core::no_node;
  core::raft_term ep_term_;
  std::uint64_t ep_deadline_ = 0;
  bool ack_window_ = false;
  node_id ack_leader_ = core::no_node;
  core::log_index ack_commit_;
};

}  // namespace

const char* to_string(core::planted_bug b) {
  switch (b) {
    case core::planted_bug::none: return "none";
    case core::planted_bug::vote_twice: return "vote_twice";
    case core::planted_bug::commit_previous_term: return "commit_previous_term";
    case core::planted_bug::skip_truncate: return "skip_truncate";
    case core::planted_bug::ack_before_persist: return "ack_before_persist";
    case core::planted_bug::concurrent_changes: return "concurrent_changes";
    case core::planted_bug::learner_counts: return "learner_counts";
    case core::planted_bug::answer_before_apply: return "answer_before_apply";
    case core::planted_bug::skip_vote_sync: return "skip_vote_sync";
    case core::planted_bug::answer_by_index: return "answer_by_index";
    case core::planted_bug::read_without_round: return "read_without_round";
  }
  return "?";
}

int default_nodes(std::uint64_t seed) { return seed % 2 == 1 ? 3 : 5; }

std::uint64_t default_steps(int nodes) { return nodes <= 3 ? 1500 : 2000; }

std::string replay_command(const sim_config& cfg) {
  std::string s = "build/test/sim_replay --seed " + std::to_string(cfg.seed) + " --nodes " +
                  std::to_string(cfg.nodes) + " --steps " +
                  std::to_string(cfg.steps != 0 ? cfg.steps : default_steps(cfg.nodes)) + " --trace";
  if (cfg.reads) s += *cfg.reads ? " --reads on" : " --reads off";
  if (cfg.durable_store) s += *cfg.durable_store ? " --durable-store on" : " --durable-store off";
  if (cfg.bug != core::planted_bug::none)
    s += "   (planted bug " + std::string(to_string(cfg.bug)) +
         ": reproduce through test_planted, sim_replay links the correct core)";
  return s;
}

sim_result run_simulation(const sim_config& cfg) {
  const profile p = choose_profile(cfg.seed, cfg.nodes, cfg.bug, cfg.reads, cfg.durable_store);
  cluster_config cc;
  cc.seed = cfg.seed;
  cc.nodes = cfg.nodes;
  cc.spares = p.spares;
  cc.base = p.opts;
  cc.replica.snapshot_entries = p.snapshot_every;
  cc.replica.snapshot_bytes = 0;
  cc.replica.snapshot_log_ratio = p.snapshot_ratio;
  cc.replica.snapshot_keep_entries = p.keep_entries;
  cc.network = p.network;
  cc.disk = p.disk;
  cc.trace_capacity = cfg.trace_capacity;
  cc.live_trace = cfg.live_trace;
  cc.user = cfg.user;
  cc.durable_store = p.durable_store;
  cluster c(cc);
  const std::uint64_t budget = cfg.steps != 0 ? cfg.steps : default_steps(cfg.nodes);

  fault_schedule d(cfg, p, c);
  d.fault_phase(budget);
  d.heal_phase();
  c.check_user_stores();

  sim_result res;
  res.seed = cfg.seed;
  res.nodes = cfg.nodes;
  res.ok = !c.failure().has_value();
  res.failure = c.failure();
  res.steps = c.steps();
  res.ticks = c.now() / c.tick_units();
  res.profile = p.describe();
  res.replay = replay_command(cfg);
  res.stats = c.stats();
  res.terms_with_leader = c.checker().leaders().size();
  res.committed = c.checker().committed().last();
  res.acknowledged = c.clients().acknowledged().size();
  res.fingerprint = c.trace().fingerprint();
  if (!res.ok) {
    res.trace = c.trace().dump();
    // The step of the violation is the one of the VIOLATION note.
    c.trace().for_each([&](const trace_event& e) {
      if (res.failed_at_step == 0 && e.kind == trace_kind::note &&
          e.text.rfind("VIOLATION", 0) == 0)
        res.failed_at_step = e.step;
    });
  }
  return res;
}

std::string sim_result::summary() const {
  std::ostringstream os;
  os << "seed " << seed << " (" << nodes << " nodes): " << (ok ? "ok" : "FAILED") << ", " << steps
     << " steps, " << ticks << " ticks, " << terms_with_leader << " terms with a leader, "
     << committed << " committed, " << acknowledged << " acknowledged, " << stats.crashes
     << " crashes (" << stats.crashes_with_pending_write << " with a write in flight)";
  if (stats.joins + stats.retired != 0)
    os << ", " << stats.joins << " joined, " << stats.retired << " removed";
  if (failure) os << " -- " << failure->invariant << ": " << failure->description;
  return os.str();
}

std::string sim_result::report() const {
  std::ostringstream os;
  os << "\n=== simulation FAILED: " << (failure ? failure->invariant : "?") << " ===\n"
     << (failure ? failure->description : "") << "\n"
     << "seed " << seed << ", " << nodes << " nodes, violated at step " << failed_at_step
     << " of " << steps << " (t=" << ticks << " ticks)\n"
     << "replay: " << replay << "\n"
     << "profile: " << profile << "\n"
     << "--- last events ---\n"
     << trace << "=== end of report ===\n";
  return os.str();
}

}  // namespace actraft::sim
