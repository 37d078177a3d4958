#include "schedule.hpp"

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>

#include "e2e/process.hpp"
#include "events.hpp"

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

/// The partitions in force: the union of every active partition fault's cuts.
struct partitions {
  network& net;
  int n;
  std::map<int, link_matrix> layers;
  int next = 0;
  bool apply() {
    link_matrix m = no_partition(n);
    for (const auto& [id, l] : layers)
      for (std::size_t i = 0; i < m.size(); ++i)
        for (std::size_t j = 0; j < m.size(); ++j) m[i][j] = m[i][j] || l[i][j];
    return net.apply(m);
  }
};

/// Waits up to 60 s for node v to answer /status as a member that follows
/// a leader and has applied at least `applied` entries.
bool caught_up(cluster& c, int v, std::uint64_t applied) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && !interrupted()) {
    if (auto st = c.get_status(v); st && st->leader_id != 0 && st->applied >= applied) return true;
    wait_for(c, 100ms);
  }
  return false;
}

/// Waits up to 60 s for node `via` to see `n` members, all of them voters.
bool all_voters(cluster& c, int via, int n) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && !interrupted()) {
    if (auto st = c.get_status(via); st && st->members == n && st->voters == n) return true;
    wait_for(c, 100ms);
  }
  return false;
}

/// Every running node in turn, as an operator would: hand leadership over
/// if it leads, SIGTERM, restart from its directory, wait until it caught up.
void rolling_restart(cluster& c, const std::vector<int>& order, std::vector<std::string>& failures) {
  for (int v : order) {
    if (!c.running(v)) continue;
    const std::string name = "n" + std::to_string(v + 1);
    auto before = c.get_status(v);
    if (before && before->role == "leader") {
      std::string error;
      if (auto answer = c.admin(v, "/admin/transfer-leader", error))
        say("    " + name + " handed leadership over: " + answer->substr(0, answer->find('\n')));
      else
        failures.push_back("rolling-restart: " + error);
    }
    if (auto problem = c.stop(v); !problem.empty()) failures.push_back("rolling-restart: " + problem);
    c.start(v, false);
    if (!caught_up(c, v, before ? before->applied : 0))
      failures.push_back("rolling-restart: " + name + " did not catch up within 60 s of its restart");
    else
      say("    " + name + " restarted and caught up");
  }
}

/// Node v's machine is lost and replaced: kill -9, removed through another
/// member, then a new member with an empty directory at a new Raft address
/// (a new IP in namespaces, a new port on loopback) joins through that one.
void readdress(cluster& c, network& net, int v, int via, std::vector<std::string>& failures) {
  const std::string name = "n" + std::to_string(v + 1);
  auto st = c.get_status(v, 2s);
  if (!st) {
    say("    " + name + " does not answer; nothing moved");
    return;
  }
  c.kill(v);
  std::string error;
  if (!c.admin(via, "/admin/remove?id=" + std::to_string(st->id), error)) {
    failures.push_back("readdress: removing node " + std::to_string(st->id) + ": " + error);
    c.start(v, false);
    return;
  }
  std::string host = net.active() ? net.add_address(v) : std::string("127.0.0.1");
  if (host.empty()) {
    failures.push_back("readdress: ip could not add an address to " + name);
    host = net.ip(v);
  }
  const std::string port = std::to_string(net.active() ? 7000 : actraft::test::free_port());
  c.move(v, host + ":" + port, (net.active() ? "0.0.0.0:" : host + ":") + port);
  say("    removed node " + std::to_string(st->id) + "; " + name + " joins anew at " + c.at(v).raft_addr);
  c.start(v, true, via);
  if (!all_voters(c, via, c.size()))
    failures.push_back("readdress: " + name + " at " + c.at(v).raft_addr +
                       " was not a voter within 60 s of joining");
}

/// Starts one fault; returns what heals it. Faults may overlap (a node killed
/// twice is restarted once, a dead node is not paused, cuts add up).
std::function<void()> begin_fault(const step& s, cluster& c, partitions& parts,
                                  std::map<std::string, int>& done,
                                  std::vector<std::string>& failures) {
  prng r{s.pick};
  const int n = c.size();
  std::vector<int> order(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) order[static_cast<std::size_t>(i)] = i;
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
    case fault::rolling_restart: {
      say("rolling-restart: " + list(order) + ", one at a time");
      c.begin_operation();
      rolling_restart(c, order, failures);
      c.end_operation();
      return [] {};
    }
    case fault::readdress: {
      const int l = the_leader();
      const int v = order[0] != l ? order[0] : order[1];
      const int via = l != v ? l : order[2];
      say("readdress: n" + std::to_string(v + 1) + " is replaced by a new member at a new address");
      c.begin_operation();
      readdress(c, parts.net, v, via, failures);
      c.end_operation();
      return [] {};
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
    case fault::bridge: {
      std::vector<std::vector<int>> sides;
      std::string what;
      if (s.kind == fault::isolate_leader) {
        const int l = the_leader();
        std::vector<int> rest;
        for (int i = 0; i < n; ++i)
          if (i != l) rest.push_back(i);
        sides = {{l}, rest};
        what = "isolate-leader: " + list(sides[0]) + " | " + list(sides[1]);
      } else if (s.kind == fault::split) {
        const auto minority =
            static_cast<std::ptrdiff_t>(1 + r.next() % static_cast<std::uint64_t>((n - 1) / 2));
        sides = {std::vector<int>(order.begin(), order.begin() + minority),
                 std::vector<int>(order.begin() + minority, order.end())};
        what = "split: " + list(sides[0]) + " | " + list(sides[1]);
      } else {
        // order[0] sees everyone; the others are halved and the halves cut apart.
        const auto half = static_cast<std::ptrdiff_t>(1 + (n - 1) / 2);
        sides = {std::vector<int>(order.begin() + 1, order.begin() + half),
                 std::vector<int>(order.begin() + half, order.end())};
        what = "bridge: " + list(sides[0]) + " | " + list(sides[1]) + ", n" +
               std::to_string(order[0] + 1) + " sees both";
      }
      say(what + hold);
      const int id = parts.next++;
      parts.layers[id] = cut(n, sides);
      if (!parts.apply()) failures.push_back("tc could not install a partition (" + what + ")");
      return [&parts, &failures, id, what] {
        parts.layers.erase(id);
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
  partitions parts{net, o.nodes, {}, 0};
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
    auto heal = begin_fault(s, c, parts, done_, failures);
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
      auto heal_inner = begin_fault(inner, c, parts, done_, failures);
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
  for (int i = 0; i < opts_.nodes; ++i) {
    c.resume(i);
    if (!c.running(i) && c.crashes().empty()) c.start(i, false);
  }
  if (net.active()) net.apply(no_partition(opts_.nodes));
}

}  // namespace actraft::nemesis
