// A narrated tour of a 3-node actraft cluster, run in the deterministic
// simulator: election, commits, a leader crash, a new leader, the old leader
// restarting from its disk and catching up, and identical logs at the end.
// Every step is checked against Raft's safety properties while it runs.
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include "support/cluster.hpp"

using namespace actraft;
using core::node_id;

namespace {

std::string name(node_id n) { return "n" + std::to_string(n.value); }

std::string text(const core::entry& e) {
  if (e.kind == core::entry_kind::empty) return "(no-op)";
  const auto& b = e.data.get();
  return std::string(b.begin(), b.end());
}

class demo {
 public:
  demo() : c_(config()) {
    c_.set_observer([this](const sim::trace_event& e) { narrate(e); });
  }

  int run() {
    std::cout
        << "actraft: a 3-node Raft cluster in the deterministic simulator\n"
        << "==============================================================\n"
        << "Nodes n1, n2 and n3 run in this process. Messages take 1-4 ms, disk\n"
        << "writes 0-3 ms; a tick is 10 ms and a follower that hears no leader for\n"
        << "10-20 ticks starts an election. Time below is simulated time.\n"
        << "After every step the simulator checks Election Safety, Leader\n"
        << "Append-Only, Log Matching, Leader Completeness and State Machine Safety.\n";

    section("1. Election");
    say("all nodes start as followers of term 0, with empty logs");
    if (!wait_for_leader()) return fail("no leader was elected");
    const node_id first = c_.stable_leader();
    say(name(first) + " leads term " + std::to_string(c_.get(first)->term().value) +
        "; the other nodes follow it");

    section("2. Commands are committed");
    const auto last = propose(first, {"x=1", "y=2", "z=3"});
    if (!wait_applied(last, {})) return fail("the commands were not applied everywhere");
    say("every node applied the three commands, in the same order");

    section("3. The leader crashes");
    c_.crash(first);
    say(name(first) + " crashes (its disk keeps term " +
        std::to_string(c_.disk(first).state.term.value) + ", " +
        std::to_string(c_.disk(first).entries.size()) + " log entries, commit index " +
        std::to_string(c_.disk(first).state.commit.value) + ")");
    say("the others stop hearing heartbeats; one of them times out and runs");
    if (!wait_for_leader()) return fail("no new leader after the crash");
    const node_id second = c_.stable_leader();
    say(name(second) + " leads term " + std::to_string(c_.get(second)->term().value) +
        " with the votes of a majority (2 of 3)");

    section("4. The cluster keeps working with 2 of 3 nodes");
    const auto last2 = propose(second, {"x=10", "w=4"});
    if (!wait_applied(last2, {first})) return fail("no commit with two nodes");
    say("committed by a majority: both live nodes applied them");

    section("5. The old leader restarts and catches up");
    say(name(first) + " restarts from its disk as a follower; its state machine starts empty,");
    say("re-applies the entries it knows are committed, and the leader sends what it missed");
    c_.restart(first);
    if (!wait_applied(last2, {})) return fail(name(first) + " did not catch up");
    if (!wait_for_leader()) return fail("no stable leader after the restart");
    say(name(first) + " has caught up and follows " + name(c_.stable_leader()));

    section("6. Every log is identical");
    return compare_logs();
  }

 private:
  static sim::cluster_config config() {
    sim::cluster_config cfg;
    cfg.seed = 2024;
    cfg.nodes = 3;
    cfg.base.election_ticks = 10;
    cfg.base.heartbeat_ticks = 1;
    cfg.tick_units = 10;  // 1 time unit = 1 ms
    cfg.network = sim::network_profile::reliable();
    return cfg;
  }

  void section(const std::string& title) { std::cout << "\n== " << title << " ==\n"; }

  void say(const std::string& line) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "  t=%5llu ms  ", static_cast<unsigned long long>(c_.now()));
    std::cout << buf << line << "\n";
  }

  int fail(const std::string& why) {
    std::cout << "\nDEMO FAILED: " << why << "\n";
    if (c_.failure()) std::cout << c_.failure()->invariant << ": " << c_.failure()->description << "\n";
    std::cout << c_.trace().dump();
    return 1;
  }

  void narrate(const sim::trace_event& e) {
    const node_id n{e.node};
    switch (e.kind) {
      case sim::trace_kind::role:
        switch (e.role) {
          case core::role::pre_candidate:
            say(name(n) + " heard from no leader in time: asks the others whether it could win "
                          "(pre-vote)");
            break;
          case core::role::candidate:
            say(name(n) + " becomes a candidate for term " + std::to_string(e.term) +
                ", votes for itself and requests votes");
            break;
          case core::role::leader:
            say(name(n) + " won a majority of votes: LEADER of term " + std::to_string(e.term) +
                "; appends a no-op entry to commit its term");
            break;
          case core::role::follower:
            if (was_leader_ == n) say(name(n) + " steps down to follower");
            break;
        }
        if (e.role == core::role::leader) was_leader_ = n;
        break;
      case sim::trace_kind::apply: {
        std::string applied;
        const auto& a = c_.applied(n);
        for (auto i = e.index - e.n; i < e.index && i < a.size(); ++i)
          applied += " #" + std::to_string(a[i].index.value) + " " + text(a[i]);
        say(name(n) + " applied" + applied);
        break;
      }
      case sim::trace_kind::restart:
        say(name(n) + " read its disk: term " + std::to_string(e.term) + ", " +
            std::to_string(e.index) + " entries, commit index " + std::to_string(e.commit));
        break;
      default:
        break;
    }
  }

  bool wait_for_leader() {
    return c_.run_until([&] { return c_.stable_leader() != core::no_node; }, c_.now() + 3000);
  }

  /// Sends the commands to `leader`'s mailbox one after the other, each once
  /// the previous one is answered; the index of the last (0 if one failed).
  core::log_index propose(node_id leader, const std::vector<std::string>& commands) {
    core::log_index last;
    for (const auto& cmd : commands) {
      say("client -> " + name(leader) + ": \"" + cmd + "\"");
      const auto id = c_.propose(leader, cmd, 1000);
      c_.run_until(
          [&] {
            const auto* r = c_.clients().find(id);
            return r != nullptr && (r->answered || r->lost);
          },
          c_.now() + 2000);
      const auto* r = c_.clients().find(id);
      if (r == nullptr || !r->answered || !r->answer.ok()) return core::log_index{};
      const std::string value(r->answer.value.begin(), r->answer.value.end());
      say(name(leader) + " -> client: applied at index " + value.substr(0, value.find(':')));
      last = core::log_index{std::stoull(value.substr(0, value.find(':')))};
    }
    return last;
  }

  /// Until every live node not in `except` applied up to `index`.
  bool wait_applied(core::log_index index, const std::vector<node_id>& except) {
    if (index == core::log_index{}) return false;
    return c_.run_until(
        [&] {
          for (auto id : c_.ids()) {
            bool skip = false;
            for (auto x : except) skip = skip || x == id;
            if (skip) continue;
            if (!c_.is_up(id) || c_.applied(id).size() < index.value) return false;
          }
          return true;
        },
        c_.now() + 3000);
  }

  int compare_logs() {
    const auto ids = c_.ids();
    std::cout << "  index  term  ";
    for (auto id : ids) {
      std::string h = name(id);
      h.resize(15, ' ');
      std::cout << h;
    }
    std::cout << "\n";
    const core::raft_log& ref = c_.get(ids[0])->log();
    bool identical = true;
    for (auto id : ids) {
      const core::raft_log& l = c_.get(id)->log();
      identical = identical && l.last_index() == ref.last_index() &&
                  c_.applied(id) == c_.applied(ids[0]);
      for (core::log_index i{1}; identical && i <= ref.last_index(); i = i + 1)
        identical = l.at(i) == ref.at(i);
    }
    for (core::log_index i{1}; i <= ref.last_index(); i = i + 1) {
      char buf[32];
      std::snprintf(buf, sizeof buf, "  %5llu  %4llu  ", static_cast<unsigned long long>(i.value),
                    static_cast<unsigned long long>(ref.at(i).term.value));
      std::cout << buf;
      for (auto id : ids) {
        const core::raft_log& l = c_.get(id)->log();
        std::string cell = i <= l.last_index() ? text(l.at(i)) : "-";
        cell.resize(15, ' ');
        std::cout << cell;
      }
      std::cout << "\n";
    }
    std::ostringstream summary;
    summary << c_.steps() << " simulated steps, " << c_.stats().delivered
            << " messages delivered, every invariant checked after each step: ";
    if (c_.failure()) return fail("invariant violated");
    if (!identical) return fail("the logs differ");
    std::cout << "\n  All three logs are identical, and so are the state machines.\n  "
              << summary.str() << "no violation.\n";
    return 0;
  }

  sim::cluster c_;
  node_id was_leader_ = core::no_node;
};

}  // namespace

int main() { return demo().run(); }
