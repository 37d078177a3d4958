#include "schedule.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>

#include "e2e/process.hpp"
#include "events.hpp"
#include "operations.hpp"

using namespace std::chrono_literals;

namespace actraft::nemesis {

namespace {

/// The sides of a partition as the blocked links between them.
link_matrix cut(int n, const std::vector<std::vector<int>>& sides_that_cannot_talk) {
  link_matrix m = no_partition(n);
  for (std::size_t a = 0; a < sides_that_cannot_talk.size(); ++a)
    for (std::size_t b = 0; b < sides_that_cannot_talk.size(); ++b)
      if (a != b)
        for (int i : sides_that_cannot_talk[a])
          for (int j : sides_that_cannot_talk[b])
            m[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] = true;
  return m;
}

std::string list(const std::vector<int>& v) {
  std::string s;
  for (int i : v) s += (s.empty() ? "n" : ",n") + std::to_string(i + 1);
  return "{" + s + "}";
}

/// The partitions in force: the union of every active partition fault's
/// cuts, whole links and links cut on the Raft port only (one-way).
struct partitions {
  network& net;
  int n;
  std::map<int, link_matrix> layers, dialed_layers;
  int next = 0;
  bool apply() {
    auto unite = [this](const std::map<int, link_matrix>& ls) {
      link_matrix m = no_partition(n);
      for (const auto& [id, l] : ls)
        for (std::size_t i = 0; i < m.size(); ++i)
          for (std::size_t j = 0; j < m.size(); ++j) m[i][j] = m[i][j] || l[i][j];
      return m;
    };
    return net.apply(unite(layers), unite(dialed_layers));
  }
};

/// Starts one fault; returns what heals it. Faults may overlap (a node killed
/// twice is restarted once, a dead node is not paused, cuts add up).
std::function<void()> begin_fault(const step& s, const options& o, cluster& c, partitions& parts,
                                  std::map<std::string, int>& done,
                                  std::vector<std::string>& failures) {
  prng r{s.pick};
  const int n = c.size();  // slots: the partitions' matrix
  // Faults hit members only: an out slot has nothing running.
  std::vector<int> order = c.members();
  r.shuffle(order);
  const int random_node = order[0];
  auto the_leader = [&]() -> int {
    if (auto l = c.leader(4s)) return *l;
    say("    no leader found; taking n" + std::to_string(random_node + 1) + " instead");
    return random_node;
  };
  ++done[name_of(s.kind)];
  const std::string hold = " for " + std::to_string(s.hold_ms) + " ms";
  switch (s.kind) {
    case fault::rolling_restart:
    case fault::readdress:
    case fault::join:
    case fault::leave:
    case fault::remove_down:
    case fault::restart_removed:
    case fault::transfer: {
      // Between two members fewer than it started with (at least two) and
      // one more (the spare slot).
      operation_context x{c, parts.net, r, failures, the_leader(), order, std::max(2, o.nodes - 2), o.nodes + 1};
      say(std::string(name_of(s.kind)) + ": members " + list(order) + ", n" + std::to_string(x.leader + 1) +
          " leads");
      c.begin_operation();
      switch (s.kind) {
        case fault::rolling_restart: rolling_restart(x); break;
        case fault::readdress: readdress(x); break;
        case fault::join: join_member(x); break;
        case fault::leave: leave_member(x); break;
        case fault::remove_down: remove_down(x); break;
        case fault::restart_removed: restart_removed(x); break;
        default: transfer(x); break;
      }
      c.end_operation();
      return [] {};
    }
    case fault::fill_disk: {
      const int v = r.next() % 2 == 0 ? the_leader() : random_node;
      if (!c.fill_disk(v)) {
        say("fill-disk: n" + std::to_string(v + 1) + "'s disk could not be filled (no disk of its own?)");
        return [] {};
      }
      say("fill-disk: n" + std::to_string(v + 1) + "'s disk is full" + hold);
      return [&c, v] {
        c.free_disk(v);
        say("    freed n" + std::to_string(v + 1) + "'s disk");
      };
    }
    case fault::kill:
    case fault::kill_leader:
    case fault::kill_all: {
      std::vector<int> victims;
      if (s.kind == fault::kill_all) victims = order;
      else victims = {s.kind == fault::kill ? random_node : the_leader()};
      say(std::string(name_of(s.kind)) + ": kill -9 " + list(victims) + hold);
      for (int v : victims) c.kill(v);
      return [&c, victims] {
        for (int v : victims)
          if (!c.running(v)) c.start(v, false);
        say("    restarted " + list(victims));
      };
    }
    case fault::pause:
    case fault::pause_leader: {
      const int v = s.kind == fault::pause ? random_node : the_leader();
      say(std::string(name_of(s.kind)) + ": SIGSTOP n" + std::to_string(v + 1) + hold);
      c.pause(v);
      return [&c, v] {
        c.resume(v);
        say("    continued n" + std::to_string(v + 1));
      };
    }
    case fault::isolate_leader:
    case fault::split:
    case fault::bridge:
    case fault::one_way: {
      std::vector<std::vector<int>> sides;
      std::string what;
      link_matrix cuts = no_partition(n);
      if (s.kind == fault::one_way) {
        // It hears everyone; nobody hears it. Members send their Raft
        // messages on the connections they dial, so dropping only what v
        // sends to the others' Raft port silences v while their messages,
        // and v's TCP acknowledgements of them, still pass.
        const int v = r.next() % 2 == 0 ? the_leader() : random_node;
        for (int j = 0; j < n; ++j)
          cuts[static_cast<std::size_t>(v)][static_cast<std::size_t>(j)] = j != v;
        what = "one-way: n" + std::to_string(v + 1) + " hears the others, they do not hear it";
      } else if ((s.kind == fault::split || s.kind == fault::bridge) && order.size() < 3) {
        say(std::string(name_of(s.kind)) + ": only " + std::to_string(order.size()) +
            " members, nothing to split");
        return [] {};
      } else if (s.kind == fault::isolate_leader) {
        const int l = the_leader();
        std::vector<int> rest;
        for (int i : order)
          if (i != l) rest.push_back(i);
        sides = {{l}, rest};
        what = "isolate-leader: " + list(sides[0]) + " | " + list(sides[1]);
      } else if (s.kind == fault::split) {
        // (Of two members, one is cut off from the other.)
        const auto minority = static_cast<std::ptrdiff_t>(
            1 + r.next() % std::max<std::uint64_t>(1, (order.size() - 1) / 2));
        sides = {std::vector<int>(order.begin(), order.begin() + minority),
                 std::vector<int>(order.begin() + minority, order.end())};
        what = "split: " + list(sides[0]) + " | " + list(sides[1]);
      } else {
        // order[0] sees everyone; the others are halved and the halves cut apart.
        const auto half = static_cast<std::ptrdiff_t>(1 + (order.size() - 1) / 2);
        sides = {std::vector<int>(order.begin() + 1, order.begin() + half),
                 std::vector<int>(order.begin() + half, order.end())};
        what = "bridge: " + list(sides[0]) + " | " + list(sides[1]) + ", n" +
               std::to_string(order[0] + 1) + " sees both";
      }
      say(what + hold);
      const int id = parts.next++;
      if (s.kind == fault::one_way) parts.dialed_layers[id] = cuts;
      else parts.layers[id] = cut(n, sides);
      if (!parts.apply()) failures.push_back("tc could not install a partition (" + what + ")");
      return [&parts, &failures, id, what] {
        parts.layers.erase(id);
        parts.dialed_layers.erase(id);
        if (!parts.apply()) failures.push_back("tc could not heal a partition (" + what + ")");
        say("    healed " + what.substr(0, what.find(':')));
      };
    }
  }
  return [] {};
}

}  // namespace

step draw_step(prng& r, fault kind) {
  step s{kind, r.next(), 0, r.between(1000, 2500)};
  // Long enough for an election (and, for partitions and pauses, for CAF's
  // 2 s connection timeout to notice a silent peer); kill-all is a restart;
  // an operation takes its own time.
  s.hold_ms = kind == fault::kill_all ? r.between(200, 1500) : r.between(1500, 5000);
  if (is_operation(kind)) s.hold_ms = 0;
  return s;
}

schedule::schedule(const options& o) : opts_(o), sched_{o.seed} {
  if (o.seconds <= 0) {
    for (int cyc = 0; cyc < o.cycles; ++cyc) {
      auto kinds = o.faults;
      sched_.shuffle(kinds);
      for (auto k : kinds) plan_.push_back(draw_step(sched_, k));
    }
  }
}

std::string schedule::plan_text() const {
  std::string p;
  for (const auto& s : plan_)
    p += std::string(p.empty() ? "" : " ") + name_of(s.kind) + "/" + std::to_string(s.hold_ms);
  return p;
}

void schedule::run(cluster& c, network& net, std::vector<std::string>& failures) {
  const auto& o = opts_;
  partitions parts{net, c.size(), {}, {}, 0};
  wait_for(c, 1500ms);  // some history before the first fault
  const auto fault_start = std::chrono::steady_clock::now();
  for (std::size_t k = 0; !interrupted(); ++k) {
    step s{};
    if (o.seconds > 0) {
      if (std::chrono::steady_clock::now() - fault_start > std::chrono::duration<double>(o.seconds))
        break;
      s = draw_step(sched_, o.faults[sched_.next() % o.faults.size()]);
    } else {
      if (k >= plan_.size()) break;
      s = plan_[k];
    }
    auto heal = begin_fault(s, o, c, parts, done_, failures);
    // In a random schedule, a third of the faults get a second one nested
    // inside: a pause during a partition, a kill while the leader is cut off...
    // (An operation is never nested, nor has a fault nested in it.)
    std::optional<step> nested;
    if (o.seconds > 0 && sched_.next() % 3 == 0) {
      step inner = draw_step(sched_, o.faults[sched_.next() % o.faults.size()]);
      if (!is_operation(s.kind) && !is_operation(inner.kind)) nested = inner;
    }
    if (nested) {
      step inner = *nested;
      inner.hold_ms = std::min(inner.hold_ms, s.hold_ms);
      wait_for(c, std::chrono::milliseconds(s.hold_ms / 3));
      auto heal_inner = begin_fault(inner, o, c, parts, done_, failures);
      wait_for(c, std::chrono::milliseconds(inner.hold_ms));
      heal_inner();
      ++done_["(nested)"];
      wait_for(c, std::chrono::milliseconds(s.hold_ms - s.hold_ms / 3));
    } else {
      wait_for(c, std::chrono::milliseconds(s.hold_ms));
    }
    heal();
    wait_for(c, std::chrono::milliseconds(s.quiet_ms));
  }
}

void schedule::heal_all(cluster& c, network& net) {
  for (int i = 0; i < c.size(); ++i) {
    c.resume(i);
    c.free_disk(i);
    if (c.at(i).member && !c.running(i) && c.crashes().empty()) c.start(i, false);
  }
  if (net.active()) net.apply(no_partition(c.size()));
}

}  // namespace actraft::nemesis
