// nemesis: fault injection on a cluster of real kv_store processes, with every
// client operation recorded and the history checked for linearizability.
//
//   nemesis [--nodes=3|5] [--seed=N] [--cycles=1 | --seconds=S] [--faults=a,b,...]
//           [--clients=N] [--keys=N] [--out=DIR] [--keep] [--require-partitions]
//           [--no-netns] [--kv-store=PATH] [--request-timeout-ms=2000] [--slack-ms=1500]
//           [--plant-stale-reads]
//
// It starts the nodes (each in its own network namespace when it can), runs
// clients that put, get, delete and compare-and-set random keys through random
// members, and injects faults from a schedule drawn from the seed: kill -9 and
// restart (a random node, the leader, the whole cluster), SIGSTOP/SIGCONT (a
// random node, the leader), partitions (isolate the leader, a minority/majority
// split, a bridge). Then it heals everything and checks:
//
//   1. the history is linearizable (test/lincheck), with a final read of every
//      key after healing, so no acknowledged write may be lost;
//   2. every member converges to the same state (its applied state equals the
//      final reads), with every member a voter;
//   3. no process exited that was not killed on purpose, and each one shuts
//      down cleanly (exit 0 on SIGTERM) at the end;
//   4. every request to a member that was not paused got its answer within the
//      server's request timeout plus a slack.
//
// Exit status: 0 all checks passed; 1 a check failed (history, schedule and
// node logs are kept in the run directory, which is printed with a command
// that reruns the same schedule); 2 bad usage or the cluster could not start;
// 3 partitions required (--require-partitions) but unavailable here.
// docs/testing.md, "Fault injection on real processes", has the details.
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "actraft/core/splitmix.hpp"
#include "e2e/process.hpp"
#include "kv_client.hpp"
#include "lincheck/checker.hpp"
#include "lincheck/history.hpp"
#include "network.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using actraft::lincheck::history_recorder;
using actraft::lincheck::outcome;

namespace actraft::nemesis {
namespace {

// --- Options ------------------------------------------------------------------

enum class fault {
  kill,            // kill -9 a random node, restart it later
  kill_leader,     // kill -9 the leader, restart it later
  kill_all,        // kill -9 every node, restart them all
  pause,           // SIGSTOP a random node, SIGCONT later
  pause_leader,    // SIGSTOP the leader: it comes back as a stale leader
  isolate_leader,  // partition the leader from every other node
  split,           // a random minority / majority split
  bridge,          // two sides that cannot talk, one node that sees both
};
constexpr fault all_faults[] = {fault::kill,         fault::kill_leader,    fault::kill_all,
                                fault::pause,        fault::pause_leader,   fault::isolate_leader,
                                fault::split,        fault::bridge};

const char* name_of(fault f) {
  switch (f) {
    case fault::kill: return "kill";
    case fault::kill_leader: return "kill-leader";
    case fault::kill_all: return "kill-all";
    case fault::pause: return "pause";
    case fault::pause_leader: return "pause-leader";
    case fault::isolate_leader: return "isolate-leader";
    case fault::split: return "split";
    case fault::bridge: return "bridge";
  }
  return "?";
}
bool is_partition(fault f) {
  return f == fault::isolate_leader || f == fault::split || f == fault::bridge;
}

struct options {
  std::string kv_store = KV_STORE_BINARY;
  int nodes = 3;
  std::uint64_t seed = 0;
  bool seed_given = false;
  int cycles = 1;        // every enabled fault once per cycle, in a seeded order
  double seconds = 0;    // > 0: random faults for this long instead of cycles
  std::vector<fault> faults{std::begin(all_faults), std::end(all_faults)};
  bool faults_given = false;
  int clients = 0;       // 0: 2 per node
  int keys = 0;          // 0: 3 per client
  std::string out;
  bool keep = false;
  bool require_partitions = false;
  bool no_netns = false;
  bool stale_reads = false;  // planted client bug: the checks must fail
  int heartbeat_ms = 50;
  int election_ms = 300;
  int request_timeout_ms = 2000;
  int slack_ms = 1500;
  // Members snapshot this often, so faults also hit compaction and
  // snapshots sent to members that come back (kv_store's default: 8192).
  int snapshot_entries = 500;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "nemesis: " << why << "\n"
            << "usage: nemesis [--nodes=3|5] [--seed=N] [--cycles=N | --seconds=S] [--faults=LIST]\n"
               "               [--clients=N] [--keys=N] [--out=DIR] [--keep] [--require-partitions]\n"
               "               [--no-netns] [--kv-store=PATH] [--request-timeout-ms=MS] [--slack-ms=MS]\n"
               "               [--snapshot-entries=N]\n"
               "  faults: kill kill-leader kill-all pause pause-leader isolate-leader split bridge\n"
               "  --plant-stale-reads: clients read with ?stale=true (not linearizable): the checks must fail\n"
               "exit: 0 every check passed, 1 a check failed, 2 usage / no cluster, 3 no partitions but required\n";
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    const std::string name = a.substr(0, eq), value = eq == std::string::npos ? "" : a.substr(eq + 1);
    try {
      if (name == "--nodes") o.nodes = std::stoi(value);
      else if (name == "--seed") o.seed = std::stoull(value), o.seed_given = true;
      else if (name == "--cycles") o.cycles = std::stoi(value);
      else if (name == "--seconds") o.seconds = std::stod(value);
      else if (name == "--clients") o.clients = std::stoi(value);
      else if (name == "--keys") o.keys = std::stoi(value);
      else if (name == "--out") o.out = value;
      else if (name == "--keep") o.keep = true;
      else if (name == "--require-partitions") o.require_partitions = true;
      else if (name == "--no-netns") o.no_netns = true;
      else if (name == "--plant-stale-reads") o.stale_reads = true;
      else if (name == "--kv-store") o.kv_store = value;
      else if (name == "--heartbeat-ms") o.heartbeat_ms = std::stoi(value);
      else if (name == "--election-ms") o.election_ms = std::stoi(value);
      else if (name == "--request-timeout-ms") o.request_timeout_ms = std::stoi(value);
      else if (name == "--slack-ms") o.slack_ms = std::stoi(value);
      else if (name == "--snapshot-entries") o.snapshot_entries = std::stoi(value);
      else if (name == "--faults") {
        o.faults.clear();
        o.faults_given = true;
        std::stringstream ss(value);
        for (std::string f; std::getline(ss, f, ',');) {
          auto it = std::find_if(std::begin(all_faults), std::end(all_faults),
                                 [&](fault k) { return f == name_of(k); });
          if (it == std::end(all_faults)) usage("unknown fault '" + f + "'");
          o.faults.push_back(*it);
        }
      } else if (name == "--help" || name == "-h") usage("fault injection on real kv_store processes");
      else usage("unknown option " + a);
    } catch (const std::logic_error&) {
      usage("bad value in " + a);
    }
  }
  if (o.nodes < 3 || o.nodes > 9) usage("--nodes must be 3..9");
  if (o.cycles < 1 || o.seconds < 0 || o.faults.empty()) usage("nothing to inject");
  if (o.clients == 0) o.clients = 2 * o.nodes;
  if (o.keys == 0) o.keys = 3 * o.clients;
  if (!o.seed_given) o.seed = std::random_device{}() % 1000000 + 1;
  return o;
}

// --- Randomness: the schedule is a function of the seed -------------------------

struct prng {  // splitmix64: specified, so a seed means the same schedule everywhere
  std::uint64_t s;
  std::uint64_t next() { return actraft::core::splitmix64(s); }
  int between(int lo, int hi) { return lo + static_cast<int>(next() % static_cast<std::uint64_t>(hi - lo + 1)); }
  template <class T>
  void shuffle(std::vector<T>& v) {
    for (std::size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[next() % i]);
  }
};

struct step {
  fault kind;
  std::uint64_t pick;  // chooses the random node / the sides
  int hold_ms;         // how long the fault lasts
  int quiet_ms;        // time without faults afterwards
};

step draw_step(prng& r, fault kind) {
  step s{kind, r.next(), 0, r.between(1000, 2500)};
  // Long enough for an election (and, for partitions and pauses, for CAF's
  // 2 s connection timeout to notice a silent peer); kill-all is a restart.
  s.hold_ms = kind == fault::kill_all ? r.between(200, 1500) : r.between(1500, 5000);
  return s;
}

// --- Logging --------------------------------------------------------------------

std::mutex log_mu;
std::ofstream event_log;  // the run directory's events.log
history_recorder* clock_source = nullptr;

void say(const std::string& line) {
  std::lock_guard lock(log_mu);
  const double t = clock_source != nullptr ? static_cast<double>(clock_source->now()) / 1e9 : 0.0;
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "[%8.3f] ", t);
  std::cout << prefix << line << std::endl;
  if (event_log.is_open()) event_log << prefix << line << " (t=" << (clock_source ? clock_source->now() : 0) << ")" << std::endl;
}

std::atomic<bool> interrupted{false};
void on_signal(int) { interrupted = true; }

// --- Nodes ----------------------------------------------------------------------

using actraft::test::free_port;

struct node {
  int index = 0;
  std::string raft_addr, http_host, log, dir;
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
  cluster(const options& o, network& net, const fs::path& root, history_recorder& rec)
      : opts_(o), net_(net), rec_(rec) {
    for (int i = 0; i < o.nodes; ++i) {
      node n;
      n.index = i;
      const std::string host = net.active() ? net.ip(i) : "127.0.0.1";
      // Own addresses in namespaces; on loopback, ports nobody uses right now.
      const int raft_port = net.active() ? 7000 : free_port();
      n.http_port = net.active() ? 8000 : free_port();
      n.raft_addr = host + ":" + std::to_string(raft_port);
      n.http_host = host;
      n.dir = (root / ("n" + std::to_string(i + 1))).string();
      n.log = (root / ("n" + std::to_string(i + 1) + ".log")).string();
      nodes_.push_back(n);
    }
    pause_intervals_.resize(nodes_.size());
  }
  ~cluster() {
    for (auto& n : nodes_) hard_kill(n);
  }

  [[nodiscard]] int size() const { return static_cast<int>(nodes_.size()); }
  node& at(int i) { return nodes_[static_cast<std::size_t>(i)]; }
  [[nodiscard]] std::vector<endpoint> endpoints() const {
    std::vector<endpoint> out;
    for (const auto& n : nodes_) out.push_back({n.http_host, n.http_port});
    return out;
  }

  void start(int i, bool join) {
    auto& n = at(i);
    std::vector<std::string> args{opts_.kv_store,
                                  "--raft-addr=" + n.raft_addr,
                                  "--http-addr=" + n.http_host + ":" + std::to_string(n.http_port),
                                  "--data-dir=" + n.dir,
                                  "--heartbeat-ms=" + std::to_string(opts_.heartbeat_ms),
                                  "--election-ms=" + std::to_string(opts_.election_ms),
                                  "--request-timeout-ms=" + std::to_string(opts_.request_timeout_ms),
                                  "--snapshot-entries=" + std::to_string(opts_.snapshot_entries),
                                  "--snapshot-keep=50"};
    if (join) args.push_back("--peer-addr=" + at(0).raft_addr);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    const std::string ns = net_.active() ? net_.netns_path(i) : std::string{};
    {
      std::ofstream(n.log, std::ios::app) << "=== nemesis: start " << ++n.starts << " (t=" << rec_.now() << ")\n";
    }
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      // Only async-signal-safe calls from here on.
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      // Its own process group: a Ctrl-C or hangup meant for the driver must
      // not reach the nodes (the driver cleans up, and reports, itself).
      ::setpgid(0, 0);
      if (!ns.empty()) {
        const int fd = ::open(ns.c_str(), O_RDONLY | O_CLOEXEC);
        if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(120);
      }
      const int log = ::open(n.log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      const int null = ::open("/dev/null", O_RDWR);
      if (log < 0 || null < 0) ::_exit(121);
      ::dup2(null, 0);
      ::dup2(null, 1);
      ::dup2(log, 2);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::execv(argv[0], argv.data());
      ::_exit(127);
    }
    n.pid = pid;
    n.paused = false;
  }

  /// kill -9; the node was meant to die.
  void kill(int i) {
    auto& n = at(i);
    if (n.pid <= 0) return;
    if (n.paused) resume(i);  // a stopped process dies all the same; keep the books straight
    ::kill(n.pid, SIGKILL);
    int st = 0;
    ::waitpid(n.pid, &st, 0);
    n.pid = -1;
  }
  void pause(int i) {
    auto& n = at(i);
    if (n.pid <= 0 || n.paused) return;
    std::lock_guard lock(mu_);
    pause_intervals_[static_cast<std::size_t>(i)].push_back({rec_.now(), INT64_MAX});
    ::kill(n.pid, SIGSTOP);
    n.paused = true;
  }
  void resume(int i) {
    auto& n = at(i);
    if (n.pid <= 0 || !n.paused) return;
    ::kill(n.pid, SIGCONT);
    n.paused = false;
    std::lock_guard lock(mu_);
    pause_intervals_[static_cast<std::size_t>(i)].back().second = rec_.now();
  }
  /// Whether node i was stopped at any time in [from, to].
  bool paused_during(std::size_t i, std::int64_t from, std::int64_t to) {
    std::lock_guard lock(mu_);
    for (const auto& [a, b] : pause_intervals_[i])
      if (a <= to && b >= from) return true;
    return false;
  }

  /// Notices processes that exited although nobody killed them. Called often
  /// from the driver's thread (the only one that forks and waits).
  void reap() {
    for (auto& n : nodes_) {
      if (n.pid <= 0) continue;
      int st = 0;
      const pid_t r = ::waitpid(n.pid, &st, WNOHANG);
      if (r != n.pid) continue;
      const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      crashes_.push_back("node " + std::to_string(n.index + 1) + " exited by itself with status " +
                         std::to_string(code) + " at t=" + std::to_string(rec_.now()) + " (log " + n.log + ")");
      say("!!! " + crashes_.back());
      n.pid = -1;
      n.paused = false;
    }
  }
  [[nodiscard]] const std::vector<std::string>& crashes() const { return crashes_; }
  [[nodiscard]] bool running(int i) { return at(i).pid > 0; }

  /// Appends every thread's stack to the node's log, if gdb is there: what
  /// a hung node was waiting for.
  void dump_stacks(const node& n) {
    if (!std::filesystem::exists("/usr/bin/gdb")) return;
    std::ofstream(n.log, std::ios::app) << "=== nemesis: stacks of the hung process\n";
    const auto cmd = "/usr/bin/gdb -p " + std::to_string(n.pid) +
                     " -batch -ex 'thread apply all bt' >> '" + n.log + "' 2>&1";
    if (std::system(cmd.c_str()) != 0) say("gdb could not read the stacks of pid " + std::to_string(n.pid));
  }

  /// SIGTERM to every running node; each must exit with status 0.
  std::vector<std::string> shutdown() {
    std::vector<std::string> problems;
    for (auto& n : nodes_) {
      if (n.pid <= 0) continue;
      if (n.paused) resume(n.index);
      ::kill(n.pid, SIGTERM);
    }
    for (auto& n : nodes_) {
      if (n.pid <= 0) continue;
      const auto deadline = std::chrono::steady_clock::now() + 20s;
      int st = 0;
      pid_t r = 0;
      while ((r = ::waitpid(n.pid, &st, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(20ms);
      if (r == 0) {
        problems.push_back("node " + std::to_string(n.index + 1) + " did not exit within 20 s of SIGTERM");
        dump_stacks(n);
        hard_kill(n);
        continue;
      }
      const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      if (code != 0)
        problems.push_back("node " + std::to_string(n.index + 1) + " exited with status " +
                           std::to_string(code) + " on SIGTERM (log " + n.log + ")");
      n.pid = -1;
    }
    return problems;
  }

  /// GET /status of node i, with a short timeout (a paused node never answers).
  std::optional<status> get_status(int i, std::chrono::milliseconds timeout = 500ms) {
    auto& n = at(i);
    if (n.pid <= 0 || n.paused) return std::nullopt;
    httplib::Client c(n.http_host, n.http_port);
    c.set_connection_timeout(timeout);
    c.set_read_timeout(timeout);
    auto r = c.Get("/status");
    if (!r || r->status != 200) return std::nullopt;
    try {
      auto j = nlohmann::json::parse(r->body);
      status s;
      s.role = j.at("role").get<std::string>();
      s.id = j.at("id").get<std::uint64_t>();
      s.term = j.at("term").get<std::uint64_t>();
      s.leader_id = j.at("leader_id").get<std::uint64_t>();
      s.commit = j.at("commit_index").get<std::uint64_t>();
      s.applied = j.at("applied_index").get<std::uint64_t>();
      for (const auto& m : j.at("members")) {
        ++s.members;
        if (m.at("voter").get<bool>()) ++s.voters;
      }
      return s;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }

  /// The node that leads in the highest term, waiting up to `limit` for one.
  std::optional<int> leader(std::chrono::milliseconds limit = 5s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    do {
      std::optional<int> best;
      std::uint64_t best_term = 0;
      for (int i = 0; i < size(); ++i)
        if (auto s = get_status(i); s && s->role == "leader" && s->term >= best_term) {
          best = i;
          best_term = s->term;
        }
      if (best) return best;
      reap();
      std::this_thread::sleep_for(100ms);
    } while (std::chrono::steady_clock::now() < deadline && !interrupted);
    return std::nullopt;
  }

 private:
  void hard_kill(node& n) {
    if (n.pid <= 0) return;
    ::kill(n.pid, SIGKILL);
    ::kill(n.pid, SIGCONT);
    int st = 0;
    ::waitpid(n.pid, &st, 0);
    n.pid = -1;
  }

  const options& opts_;
  network& net_;
  history_recorder& rec_;
  std::vector<node> nodes_;
  std::mutex mu_;
  std::vector<std::vector<std::pair<std::int64_t, std::int64_t>>> pause_intervals_;
  std::vector<std::string> crashes_;
};

/// Sleeps, noticing crashed nodes meanwhile.
void wait_for(cluster& c, std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until && !interrupted) {
    c.reap();
    std::this_thread::sleep_for(std::min<std::chrono::nanoseconds>(50ms, until - std::chrono::steady_clock::now()));
  }
}

// --- Machine stalls ------------------------------------------------------------------

/// Notices when this machine stops running processes: a 20 ms sleep that
/// takes far longer. On a loaded machine (a shared CI runner) nothing can
/// answer in time then, so late answers during a stall are not the nodes'
/// fault; they are counted apart instead of failing the run.
class stall_detector {
 public:
  explicit stall_detector(history_recorder& rec) : rec_(rec), thread_([this] { run(); }) {}
  ~stall_detector() {
    stop_ = true;
    thread_.join();
  }
  /// Whether a stall overlapped [from - margin, to].
  bool stalled_during(std::int64_t from, std::int64_t to) {
    std::lock_guard lock(mu_);
    for (const auto& [a, b] : stalls_)
      if (a <= to && b >= from - margin_ns) return true;
    return false;
  }
  std::vector<std::pair<std::int64_t, std::int64_t>> stalls() {
    std::lock_guard lock(mu_);
    return stalls_;
  }
  static constexpr std::int64_t threshold_ns = 400'000'000;
  static constexpr std::int64_t margin_ns = 2'000'000'000;

 private:
  void run() {
    while (!stop_) {
      const auto t0 = rec_.now();
      std::this_thread::sleep_for(20ms);
      const auto t1 = rec_.now();
      if (t1 - t0 > threshold_ns) {
        std::lock_guard lock(mu_);
        stalls_.emplace_back(t0, t1);
      }
    }
  }
  history_recorder& rec_;
  std::mutex mu_;
  std::vector<std::pair<std::int64_t, std::int64_t>> stalls_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// --- Clients --------------------------------------------------------------------

struct client_stats {
  std::uint64_t ops = 0, ok = 0, failed = 0, unknown = 0;
  std::map<std::string, std::uint64_t> errors;
  std::vector<std::string> late;  // answers past the deadline from a node that was not paused
  std::uint64_t late_in_stall = 0;  // ...while the machine itself stalled
};

void run_client(int id, const options& o, cluster& c, history_recorder& rec, stall_detector& stalls,
                const std::vector<endpoint>& eps, std::atomic<bool>& stop, client_stats& out) {
  const auto client_timeout = std::chrono::milliseconds(o.request_timeout_ms + 2 * o.slack_ms + 2000);
  kv_client kv(rec, static_cast<std::uint64_t>(id), eps, client_timeout);
  kv.reads_from_local_state(o.stale_reads);
  prng r{o.seed * 1000003 + static_cast<std::uint64_t>(id)};
  std::map<std::string, std::optional<std::string>> last_seen;
  std::uint64_t seq = 0;
  const std::int64_t deadline_ns = static_cast<std::int64_t>(o.request_timeout_ms + o.slack_ms) * 1'000'000;
  while (!stop) {
    const std::size_t n = r.next() % eps.size();
    const std::string key = "k" + std::to_string(r.next() % static_cast<std::uint64_t>(o.keys));
    const std::string value = "c" + std::to_string(id) + "-" + std::to_string(++seq);
    const int dice = static_cast<int>(r.next() % 100);
    answer a;
    const char* op = "";
    if (dice < 30) {
      op = "put";
      a = kv.put(n, key, value);
      if (a.outcome == outcome::ok) last_seen[key] = value;
    } else if (dice < 70) {
      op = "get";
      a = kv.get(n, key);
      if (a.outcome == outcome::ok) last_seen[key] = a.value;
    } else if (dice < 80) {
      op = "delete";
      a = kv.del(n, key);
      if (a.outcome == outcome::ok) last_seen[key] = std::nullopt;
    } else {
      op = "cas";
      // Mostly what this client saw last (often still there), sometimes "absent".
      std::optional<std::string> expected;
      if (auto it = last_seen.find(key); it != last_seen.end() && r.next() % 4 != 0) expected = it->second;
      a = kv.cas(n, key, expected, value);
      if (a.outcome == outcome::ok && a.swapped) last_seen[key] = value;
    }
    ++out.ops;
    switch (a.outcome) {
      case outcome::ok: ++out.ok; break;
      case outcome::failed: ++out.failed; break;
      case outcome::unknown: ++out.unknown; break;
    }
    if (!a.error.empty()) ++out.errors[a.error];
    if (a.complete - a.invoke > deadline_ns && !c.paused_during(n, a.invoke, a.complete)) {
      if (stalls.stalled_during(a.invoke, a.complete)) {
        ++out.late_in_stall;
      } else {
        out.late.push_back(std::string(op) + " " + key + " on node " + std::to_string(n + 1) + " by client " +
                         std::to_string(id) + ": " + std::to_string((a.complete - a.invoke) / 1'000'000) +
                         " ms (" + (a.error.empty() ? "answered" : a.error) + "), invoked at t=" +
                         std::to_string(a.invoke));
      }
    }
    // A refused connection or a leaderless cluster answers at once: do not spin.
    if (a.outcome != outcome::ok) std::this_thread::sleep_for(std::chrono::milliseconds(20 + r.next() % 30));
  }
}

// --- The run --------------------------------------------------------------------

struct run_result {
  std::vector<std::string> failures;
  std::map<std::string, int> faults_done;
};

std::string rerun_command(const options& o, const char* argv0) {
  std::string cmd = std::string(argv0) + " --nodes=" + std::to_string(o.nodes) + " --seed=" + std::to_string(o.seed);
  if (o.seconds > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", o.seconds);
    cmd += std::string(" --seconds=") + buf;
  } else {
    cmd += " --cycles=" + std::to_string(o.cycles);
  }
  if (o.faults_given) {
    cmd += " --faults=";
    for (std::size_t i = 0; i < o.faults.size(); ++i) cmd += (i ? "," : "") + std::string(name_of(o.faults[i]));
  }
  cmd += " --clients=" + std::to_string(o.clients) + " --keys=" + std::to_string(o.keys);
  if (o.request_timeout_ms != 2000) cmd += " --request-timeout-ms=" + std::to_string(o.request_timeout_ms);
  if (o.snapshot_entries != 500) cmd += " --snapshot-entries=" + std::to_string(o.snapshot_entries);
  if (o.no_netns) cmd += " --no-netns";
  if (o.stale_reads) cmd += " --plant-stale-reads";
  return cmd;
}

/// The sides of a partition as the blocked links between them.
link_matrix cut(int n, const std::vector<std::vector<int>>& sides_that_cannot_talk) {
  link_matrix m = no_partition(n);
  for (std::size_t a = 0; a < sides_that_cannot_talk.size(); ++a)
    for (std::size_t b = 0; b < sides_that_cannot_talk.size(); ++b)
      if (a != b)
        for (int i : sides_that_cannot_talk[a])
          for (int j : sides_that_cannot_talk[b]) m[static_cast<std::size_t>(i)][static_cast<std::size_t>(j)] = true;
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

/// Starts one fault; returns what heals it. Faults may overlap (a node killed
/// twice is restarted once, a dead node is not paused, cuts add up).
std::function<void()> begin_fault(const step& s, cluster& c, partitions& parts, run_result& res) {
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
  ++res.faults_done[name_of(s.kind)];
  const std::string hold = " for " + std::to_string(s.hold_ms) + " ms";
  switch (s.kind) {
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
        const auto minority = static_cast<std::ptrdiff_t>(1 + r.next() % static_cast<std::uint64_t>((n - 1) / 2));
        sides = {std::vector<int>(order.begin(), order.begin() + minority), std::vector<int>(order.begin() + minority, order.end())};
        what = "split: " + list(sides[0]) + " | " + list(sides[1]);
      } else {
        // order[0] sees everyone; the others are halved and the halves cut apart.
        const auto half = static_cast<std::ptrdiff_t>(1 + (n - 1) / 2);
        sides = {std::vector<int>(order.begin() + 1, order.begin() + half), std::vector<int>(order.begin() + half, order.end())};
        what = "bridge: " + list(sides[0]) + " | " + list(sides[1]) + ", n" + std::to_string(order[0] + 1) + " sees both";
      }
      say(what + hold);
      const int id = parts.next++;
      parts.layers[id] = cut(n, sides);
      if (!parts.apply()) res.failures.push_back("tc could not install a partition (" + what + ")");
      return [&parts, &res, id, what] {
        parts.layers.erase(id);
        if (!parts.apply()) res.failures.push_back("tc could not heal a partition (" + what + ")");
        say("    healed " + what.substr(0, what.find(':')));
      };
    }
  }
  return [] {};
}

int main_impl(int argc, char** argv) {
  options o = parse(argc, argv);
  const auto t_start = std::chrono::steady_clock::now();
  fs::path root = o.out.empty() ? fs::temp_directory_path() / ("actraft-nemesis-" + std::to_string(::getpid())) : fs::path(o.out);
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::create_directories(root);
  event_log.open(root / "events.log");
  history_recorder rec;
  clock_source = &rec;

  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

  // The network: namespaces if this machine allows them.
  const std::string net_log = (root / "network.log").string();
  network::remove_stale(net_log);
  network net;
  std::string why = "disabled with --no-netns";
  const bool have_net = !o.no_netns && net.setup(o.nodes, net_log, why);
  if (!have_net) {
    say("!!! ==========================================================================");
    say("!!! NO NETWORK PARTITIONS: " + why);
    say("!!! running on 127.0.0.1 with process faults only (kill, pause)");
    say("!!! ==========================================================================");
    if (o.require_partitions) {
      say("nemesis: partitions are required (--require-partitions): giving up");
      return 3;
    }
    std::erase_if(o.faults, is_partition);
    if (o.faults.empty()) {
      say("nemesis: no fault left to inject");
      return 2;
    }
  }

  // The schedule, from the seed alone.
  prng sched{o.seed};
  std::vector<step> plan;
  if (o.seconds <= 0) {
    for (int cyc = 0; cyc < o.cycles; ++cyc) {
      auto kinds = o.faults;
      sched.shuffle(kinds);
      for (auto k : kinds) plan.push_back(draw_step(sched, k));
    }
  }
  const std::string rerun = rerun_command(o, argv[0]);
  say("nemesis: seed " + std::to_string(o.seed) + ", " + std::to_string(o.nodes) + " nodes, " +
      std::to_string(o.clients) + " clients, " + std::to_string(o.keys) + " keys, " +
      (have_net ? "network namespaces (subnet " + net.ip(0) + "/24)" : std::string("loopback")) + ", run directory " +
      root.string());
  say("rerun: " + rerun);
  if (!plan.empty()) {
    std::string p;
    for (const auto& s : plan) p += std::string(p.empty() ? "" : " ") + name_of(s.kind) + "/" + std::to_string(s.hold_ms);
    say("schedule (fault/hold ms): " + p);
  }

  cluster c(o, net, root, rec);
  run_result res;
  stall_detector stalls(rec);
  // Bootstrap: n1 leads, the others join through it one by one.
  c.start(0, false);
  for (int i = 1; i < o.nodes && !interrupted; ++i) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!c.get_status(i - 1) && std::chrono::steady_clock::now() < deadline) wait_for(c, 100ms);
    c.start(i, true);
  }
  {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    bool formed = false;
    while (!formed && !interrupted && std::chrono::steady_clock::now() < deadline) {
      auto s = c.get_status(0);
      formed = s && s->voters == o.nodes && s->members == o.nodes;
      if (!formed) wait_for(c, 100ms);
    }
    if (!formed || !c.crashes().empty()) {
      say("nemesis: the cluster did not form within 60 s; node logs in " + root.string());
      return 2;
    }
  }
  say("cluster formed: " + std::to_string(o.nodes) + " voters");

  // Clients.
  const auto eps = c.endpoints();
  std::atomic<bool> stop_clients{false};
  std::vector<client_stats> stats(static_cast<std::size_t>(o.clients));
  std::vector<std::thread> clients;
  for (int i = 0; i < o.clients; ++i)
    clients.emplace_back(run_client, i, std::cref(o), std::ref(c), std::ref(rec), std::ref(stalls), std::cref(eps),
                         std::ref(stop_clients), std::ref(stats[static_cast<std::size_t>(i)]));

  partitions parts{net, o.nodes, {}, 0};
  wait_for(c, 1500ms);  // some history before the first fault
  const auto fault_start = std::chrono::steady_clock::now();
  for (std::size_t k = 0; !interrupted; ++k) {
    step s{};
    if (o.seconds > 0) {
      if (std::chrono::steady_clock::now() - fault_start > std::chrono::duration<double>(o.seconds)) break;
      s = draw_step(sched, o.faults[sched.next() % o.faults.size()]);
    } else {
      if (k >= plan.size()) break;
      s = plan[k];
    }
    auto heal = begin_fault(s, c, parts, res);
    // In a random schedule, a third of the faults get a second one nested
    // inside: a pause during a partition, a kill while the leader is cut off...
    if (o.seconds > 0 && sched.next() % 3 == 0) {
      step inner = draw_step(sched, o.faults[sched.next() % o.faults.size()]);
      inner.hold_ms = std::min(inner.hold_ms, s.hold_ms);
      wait_for(c, std::chrono::milliseconds(s.hold_ms / 3));
      auto heal_inner = begin_fault(inner, c, parts, res);
      wait_for(c, std::chrono::milliseconds(inner.hold_ms));
      heal_inner();
      ++res.faults_done["(nested)"];
      wait_for(c, std::chrono::milliseconds(s.hold_ms - s.hold_ms / 3));
    } else {
      wait_for(c, std::chrono::milliseconds(s.hold_ms));
    }
    heal();
    wait_for(c, std::chrono::milliseconds(s.quiet_ms));
  }

  // Heal: everything runs, nothing is cut.
  for (int i = 0; i < o.nodes; ++i) {
    c.resume(i);
    if (!c.running(i) && c.crashes().empty()) c.start(i, false);
  }
  if (have_net) net.apply(no_partition(o.nodes));
  wait_for(c, 1000ms);  // clients run on across the healing
  stop_clients = true;
  for (auto& t : clients) t.join();
  say("faults over; clients stopped");

  // Liveness: a leader every running member follows.
  {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    bool agreed = false;
    while (!agreed && !interrupted && std::chrono::steady_clock::now() < deadline) {
      std::set<std::uint64_t> leaders;
      int answered = 0;
      for (int i = 0; i < o.nodes; ++i)
        if (auto s = c.get_status(i)) {
          ++answered;
          leaders.insert(s->leader_id);
        }
      agreed = answered == o.nodes && leaders.size() == 1 && *leaders.begin() != 0;
      if (!agreed) wait_for(c, 200ms);
    }
    if (!agreed) res.failures.push_back("no leader followed by every member within 30 s of healing");
  }

  // Final reads: one linearizable read of every key, recorded in the history.
  std::map<std::string, std::optional<std::string>> final_values;
  {
    kv_client reader(rec, static_cast<std::uint64_t>(o.clients), eps, std::chrono::milliseconds(o.request_timeout_ms + 5000));
    prng r{o.seed ^ 0xF17A1ull};
    for (int k = 0; k < o.keys && !interrupted; ++k) {
      const std::string key = "k" + std::to_string(k);
      const auto deadline = std::chrono::steady_clock::now() + 30s;
      bool done = false;
      while (!done && !interrupted && std::chrono::steady_clock::now() < deadline) {
        auto a = reader.get(r.next() % eps.size(), key);
        if (a.outcome == outcome::ok) {
          final_values[key] = a.value;
          done = true;
        } else {
          wait_for(c, 100ms);
        }
      }
      if (!done) {
        res.failures.push_back("the final read of " + key + " got no answer within 30 s");
        break;
      }
    }
  }

  // Convergence: every member applied the same entries and holds the same
  // state as the final reads (which nothing wrote after).
  if (res.failures.empty() && !interrupted) {
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    std::string problem = "members did not converge";
    while (!interrupted) {
      std::vector<std::optional<status>> st;
      for (int i = 0; i < o.nodes; ++i) st.push_back(c.get_status(i));
      problem.clear();
      for (int i = 0; i < o.nodes && problem.empty(); ++i) {
        const auto& s = st[static_cast<std::size_t>(i)];
        if (!s) problem = "n" + std::to_string(i + 1) + " does not answer /status";
        else if (s->applied != st[0]->applied || s->applied != s->commit)
          problem = "applied indexes differ (n1 " + std::to_string(st[0]->applied) + ", n" + std::to_string(i + 1) +
                    " " + std::to_string(s->applied) + " of " + std::to_string(s->commit) + " committed)";
        else if (s->voters != o.nodes || s->members != o.nodes)
          problem = "n" + std::to_string(i + 1) + " lists " + std::to_string(s->voters) + " voters of " +
                    std::to_string(s->members) + " members";
      }
      if (problem.empty()) {
        // Same applied index everywhere: compare the applied state itself.
        for (int i = 0; i < o.nodes && problem.empty(); ++i) {
          httplib::Client h(eps[static_cast<std::size_t>(i)].host, eps[static_cast<std::size_t>(i)].port);
          h.set_read_timeout(2s);
          for (const auto& [key, value] : final_values) {
            auto g = h.Get(("/kv/" + key + "?stale=true").c_str());
            std::optional<std::string> got;
            if (!g || (g->status != 200 && g->status != 404)) {
              problem = "n" + std::to_string(i + 1) + " did not answer a stale read of " + key;
              break;
            }
            if (g->status == 200) got = g->body;
            if (got != value) {
              problem = "n" + std::to_string(i + 1) + " holds " + key + "=" + (got ? "\"" + *got + "\"" : "absent") +
                        " but the final linearizable read returned " + (value ? "\"" + *value + "\"" : "absent");
              break;
            }
          }
        }
        // Nothing may have moved while we compared.
        auto again = c.get_status(0);
        if (problem.empty() && (!again || again->applied != st[0]->applied)) problem = "applied index moved during the comparison";
      }
      if (problem.empty() || std::chrono::steady_clock::now() > deadline) break;
      wait_for(c, 300ms);
    }
    if (!problem.empty()) res.failures.push_back("convergence: " + problem);
    else say("members converged: identical state on every member");
  }

  // Processes: none died by itself; each shuts down cleanly.
  c.reap();
  for (const auto& crash : c.crashes()) res.failures.push_back("crash: " + crash);
  for (const auto& p : c.shutdown()) res.failures.push_back("shutdown: " + p);
  net.teardown();

  // Deadlines.
  client_stats total;
  for (const auto& s : stats) {
    total.ops += s.ops;
    total.ok += s.ok;
    total.failed += s.failed;
    total.unknown += s.unknown;
    for (const auto& [k, v] : s.errors) total.errors[k] += v;
    total.late.insert(total.late.end(), s.late.begin(), s.late.end());
    total.late_in_stall += s.late_in_stall;
  }
  {
    const auto st = stalls.stalls();
    std::int64_t longest = 0;
    for (const auto& [a, b] : st) longest = std::max(longest, b - a);
    if (!st.empty())
      say("machine stalls (a 20 ms sleep took over " + std::to_string(stall_detector::threshold_ns / 1'000'000) +
          " ms): " + std::to_string(st.size()) + ", longest " + std::to_string(longest / 1'000'000) + " ms; " +
          std::to_string(total.late_in_stall) + " late answer(s) during them not counted");
  }
  if (!total.late.empty()) {
    std::sort(total.late.begin(), total.late.end(), [](const std::string& a, const std::string& b) {
      return std::stoll(a.substr(a.rfind("t=") + 2)) < std::stoll(b.substr(b.rfind("t=") + 2));
    });
    for (std::size_t i = 0; i < total.late.size() && i < 20; ++i) say("late answer: " + total.late[i]);
    res.failures.push_back(std::to_string(total.late.size()) + " answer(s) later than the request timeout + " +
                           std::to_string(o.slack_ms) + " ms from members that were not paused; first: " +
                           total.late.front());
  }
  if (total.ok == 0) res.failures.push_back("no operation succeeded");

  // The history.
  const auto history = rec.history();
  const std::string history_file = (root / "history.jsonl").string();
  rec.write_jsonl(history_file);
  std::vector<std::size_t> lines(history.size());  // history.jsonl has them in this order
  for (std::size_t i = 0; i < lines.size(); ++i) lines[i] = i + 1;
  const auto t_check = std::chrono::steady_clock::now();
  auto verdict = lincheck::check(history);
  const double check_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_check).count();
  if (verdict.result == lincheck::verdict::not_linearizable) {
    res.failures.push_back("history is NOT linearizable:\n" + lincheck::format_result(verdict, history, &lines));
  } else if (verdict.result == lincheck::verdict::undecided) {
    res.failures.push_back("history undecided: the checker's budget ran out\n" + lincheck::format_result(verdict, history, &lines));
  }

  // Report.
  std::string faults;
  for (const auto& [k, v] : res.faults_done) faults += " " + k + "=" + std::to_string(v);
  std::string errors;
  for (const auto& [k, v] : total.errors) errors += " [" + k + ": " + std::to_string(v) + "]";
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  char line[512];
  std::snprintf(line, sizeof line, "%zu operations in the history (%llu by clients: %llu ok, %llu failed, %llu unknown), %d keys, checked in %.2f s",
                history.size(), static_cast<unsigned long long>(total.ops), static_cast<unsigned long long>(total.ok),
                static_cast<unsigned long long>(total.failed), static_cast<unsigned long long>(total.unknown), o.keys, check_s);
  say(line);
  say("faults:" + faults);
  say("client errors:" + (errors.empty() ? std::string(" none") : errors));
  std::snprintf(line, sizeof line,
                "RESULT %s seed=%llu nodes=%d ops=%zu ok=%llu failed=%llu unknown=%llu faults=%d partitions=%s seconds=%.1f",
                res.failures.empty() && !interrupted ? "pass" : "FAIL", static_cast<unsigned long long>(o.seed), o.nodes,
                history.size(), static_cast<unsigned long long>(total.ok), static_cast<unsigned long long>(total.failed),
                static_cast<unsigned long long>(total.unknown),
                [&] { int n = 0; for (const auto& [k, v] : res.faults_done) n += k[0] == '(' ? 0 : v; return n; }(), have_net ? "yes" : "no", elapsed);
  if (interrupted) {
    say("nemesis: interrupted; files in " + root.string());
    return 130;
  }
  if (!res.failures.empty()) {
    for (const auto& f : res.failures) say("FAILED: " + f);
    say("history, events and node logs kept in " + root.string());
    say("rerun the same schedule: " + rerun);
    say(line);
    return 1;
  }
  say(line);
  if (!o.keep) fs::remove_all(root, ec);
  else say("files kept in " + root.string());
  return 0;
}

}  // namespace
}  // namespace actraft::nemesis

int main(int argc, char** argv) {
  try {
    return actraft::nemesis::main_impl(argc, argv);
  } catch (const std::exception& e) {
    std::cerr << "nemesis: " << e.what() << "\n";
    return 2;
  }
}
