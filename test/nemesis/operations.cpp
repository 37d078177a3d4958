#include "operations.hpp"

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

#include "e2e/process.hpp"
#include "events.hpp"

using namespace std::chrono_literals;

namespace actraft::nemesis {

namespace {

std::string name(int i) { return "n" + std::to_string(i + 1); }

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

/// Waits up to 60 s for node `via` to list `n` members, all of them voters.
bool all_voters(cluster& c, int via, int n) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (std::chrono::steady_clock::now() < deadline && !interrupted()) {
    if (auto st = c.get_status(via); st && st->members == n && st->voters == n) return true;
    wait_for(c, 100ms);
  }
  return false;
}

/// The first member in `order` that is not the leader.
int a_follower(const operation_context& x) {
  for (int i : x.order)
    if (i != x.leader) return i;
  return x.order.front();
}

int member_count(cluster& c) { return static_cast<int>(c.members().size()); }

/// The id in a {"removed":ID} or {"leader":ID} answer, 0 if none.
std::uint64_t id_in(const std::string& answer) {
  const auto colon = answer.find(':');
  return colon == std::string::npos ? 0 : std::strtoull(answer.c_str() + colon + 1, nullptr, 10);
}

/// Removes member `id` through `via`; false (with a failure) if refused.
bool remove_through(operation_context& x, int via, std::uint64_t id, const std::string& what) {
  std::string error;
  if (x.c.admin(via, "/admin/remove?id=" + std::to_string(id), error)) return true;
  x.failures.push_back(what + ": removing node " + std::to_string(id) + ": " + error);
  return false;
}

/// An operation that takes a member out needs `n` members to begin with
/// (three: with fewer, one member down stops the quorum): the spare slot
/// joins first if there are fewer. False if there are still fewer.
bool at_least(operation_context& x, int n) {
  if (member_count(x.c) >= n) return true;
  say("    only " + std::to_string(member_count(x.c)) + " members: one joins first");
  join_member(x);
  x.order = x.c.members();
  x.r.shuffle(x.order);
  if (auto l = x.c.leader(std::chrono::seconds(4))) x.leader = *l;
  if (member_count(x.c) >= n) return true;
  say("    still only " + std::to_string(member_count(x.c)) + " members: skipped");
  return false;
}

}  // namespace

void rolling_restart(operation_context& x) {
  auto& c = x.c;
  if (!at_least(x, 3)) return;
  for (int v : x.order) {
    if (!c.running(v)) continue;
    auto before = c.get_status(v);
    // A handover the transferee did not complete within an election
    // timeout answers 504: the procedure tries again (operations.md).
    for (int attempt = 1; before && before->role == "leader"; ++attempt) {
      std::string error;
      if (auto answer = c.admin(v, "/admin/transfer-leader", error)) {
        say("    " + name(v) + " handed leadership over: " + answer->substr(0, answer->find('\n')));
        break;
      }
      if (error.find(": 504 ") == std::string::npos || attempt == 3) {
        x.failures.push_back("rolling-restart: " + error);
        break;
      }
      say("    " + name(v) + " did not hand leadership over (attempt " + std::to_string(attempt) + "): " + error);
      wait_for(c, std::chrono::milliseconds(c.election_ms()));
      before = c.get_status(v);
    }
    if (auto problem = c.stop(v); !problem.empty()) x.failures.push_back("rolling-restart: " + problem);
    c.start(v, false);
    if (!caught_up(c, v, before ? before->applied : 0))
      x.failures.push_back("rolling-restart: " + name(v) + " did not catch up within 60 s of its restart");
    else
      say("    " + name(v) + " restarted and caught up");
  }
}

void readdress(operation_context& x) {
  auto& c = x.c;
  if (!at_least(x, 3)) return;
  const int v = a_follower(x), via = x.leader;
  auto st = c.get_status(v, 2s);
  if (!st) {
    say("    " + name(v) + " does not answer; nothing moved");
    return;
  }
  c.kill(v);
  if (!remove_through(x, via, st->id, "readdress")) {
    c.start(v, false);
    return;
  }
  std::string host = x.net.active() ? x.net.add_address(v) : std::string("127.0.0.1");
  if (host.empty()) {
    x.failures.push_back("readdress: ip could not add an address to " + name(v));
    host = x.net.ip(v);
  }
  // It listens on the new address only: a member still dialing the old one
  // (which stays, for HTTP) would find nobody there.
  const std::string port = std::to_string(x.net.active() ? 7000 : actraft::test::free_port());
  c.move(v, host + ":" + port, host + ":" + port);
  say("    removed node " + std::to_string(st->id) + "; " + name(v) + " joins anew at " + c.at(v).raft_addr);
  c.start(v, true, via);
  if (!all_voters(c, via, member_count(c)))
    x.failures.push_back("readdress: " + name(v) + " at " + c.at(v).raft_addr +
                         " was not a voter within 60 s of joining");
}

void join_member(operation_context& x) {
  auto& c = x.c;
  int v = -1;
  for (int i = 0; i < c.size() && v < 0; ++i)
    if (!c.at(i).member && !c.running(i)) v = i;
  if (v < 0 || member_count(c) >= x.max_members) {
    say("    no free slot: nobody joins");
    return;
  }
  std::error_code ec;
  if (std::filesystem::exists(c.at(v).dir, ec)) c.set_aside(v);
  say("    " + name(v) + " joins through " + name(x.leader) + " at " + c.at(v).raft_addr);
  c.start(v, true, x.leader);
  if (all_voters(c, x.leader, member_count(c) + 1)) {
    c.at(v).member = true;
  } else {
    x.failures.push_back("join: " + name(v) + " was not a voter within 60 s of joining");
    c.kill(v);
  }
}

void leave_member(operation_context& x) {
  auto& c = x.c;
  if (!at_least(x, x.min_members + 1)) return;
  const bool the_leader = x.r.next() % 2 == 0;
  const int v = the_leader ? x.leader : a_follower(x);
  say("    " + name(v) + (the_leader ? " (the leader)" : "") + " leaves");
  std::string error;
  auto answer = c.admin(v, "/leave", error);
  if (!answer) {
    x.failures.push_back("leave: " + error);
    return;
  }
  c.at(v).member = false;
  int other = -1;
  for (int i : c.members())
    if (c.running(i)) other = i;
  if (other >= 0 && !all_voters(c, other, member_count(c)))
    x.failures.push_back("leave: the others did not list " + std::to_string(member_count(c)) +
                         " voters within 60 s of " + name(v) + " leaving");
  if (auto problem = c.stop(v); !problem.empty()) x.failures.push_back("leave: " + problem);
  c.set_aside(v);
  say("    node " + std::to_string(id_in(*answer)) + " left and stopped");
}

void remove_down(operation_context& x) {
  auto& c = x.c;
  if (!at_least(x, std::max(3, x.min_members + 1))) return;
  const int v = a_follower(x);
  auto st = c.get_status(v, 2s);
  if (!st) {
    say("    " + name(v) + " does not answer; nobody is removed");
    return;
  }
  c.kill(v);
  say("    killed " + name(v) + "; removing node " + std::to_string(st->id) + " through " + name(x.leader));
  if (!remove_through(x, x.leader, st->id, "remove-down")) {
    c.start(v, false);
    return;
  }
  c.at(v).member = false;
  c.set_aside(v);
  if (!all_voters(c, x.leader, member_count(c)))
    x.failures.push_back("remove-down: " + name(x.leader) + " did not list " +
                         std::to_string(member_count(c)) + " voters within 60 s");
}

void restart_removed(operation_context& x) {
  auto& c = x.c;
  int v = -1;
  for (int i = 0; i < c.size() && v < 0; ++i)
    if (!c.at(i).member && !c.running(i) && !c.at(i).old_dir.empty()) v = i;
  if (v < 0) {
    say("    no removed member's directory to start");
    return;
  }
  auto& n = c.at(v);
  say("    starting " + name(v) + " from " + n.old_dir);
  n.may_exit = true;
  std::streamoff log_from = 0;
  {
    std::ifstream log(n.log, std::ios::ate);
    if (log) log_from = log.tellg();
  }
  c.start_old(v);
  // Time to campaign and to be refused; then until it answers or exits.
  wait_for(c, std::chrono::milliseconds(std::max(2000, 6 * c.election_ms())));
  std::optional<status> own;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (c.running(v) && !(own = c.get_status(v)) && std::chrono::steady_clock::now() < deadline)
    wait_for(c, 100ms);
  if (c.running(v) && !own) c.dump_stacks(n);
  if (!c.running(v)) {
    std::ifstream log(n.log);
    log.seekg(log_from);
    std::stringstream text;
    text << log.rdbuf();
    if (text.str().find("was removed from its cluster") == std::string::npos)
      x.failures.push_back("restart-removed: " + name(v) + " exited with status " +
                           std::to_string(n.exit_status) + " without saying it was removed (log " +
                           n.log + ")");
    else
      say("    it refused to start: it knows it was removed");
  } else {
    // It did not see its removal: it runs, and nobody lets it in.
    const std::uint64_t id = own ? own->id : 0;
    bool let_in = false;
    for (int m : c.members())
      if (auto st = c.get_status(m))
        let_in |= std::find(st->member_ids.begin(), st->member_ids.end(), id) != st->member_ids.end() ||
                  st->members != member_count(c);
    if (id == 0 || let_in)
      x.failures.push_back("restart-removed: " + name(v) + " (node " + std::to_string(id) +
                           ") started from its old directory and " +
                           (id == 0 ? "does not answer /status within 10 s (stacks in its log)"
                                    : "is in a member's configuration"));
    else
      say("    it runs as node " + std::to_string(id) + ", role " + own->role + ", kept out");
    c.kill(v);
  }
  n.may_exit = false;
}

void transfer(operation_context& x) {
  auto& c = x.c;
  std::uint64_t to = 0;
  if (x.r.next() % 3 != 0)
    if (auto st = c.get_status(a_follower(x))) to = st->id;
  std::string path = "/admin/transfer-leader" + (to != 0 ? "?to=" + std::to_string(to) : std::string());
  std::string error;
  if (auto answer = c.admin(x.leader, path, error)) {
    say("    " + name(x.leader) + " handed leadership to node " + std::to_string(id_in(*answer)));
    if (to != 0 && id_in(*answer) != to)
      x.failures.push_back("transfer: asked for node " + std::to_string(to) + ", got " + *answer);
  } else if (error.find(": 504 ") != std::string::npos) {
    // A transferee that does not take over in time: the handover is dropped.
    say("    not handed over in time: " + error);
  } else {
    x.failures.push_back("transfer: " + error);
  }
}

}  // namespace actraft::nemesis
