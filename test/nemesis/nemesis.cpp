// nemesis: fault injection on a cluster of real kv_store processes, with every
// client operation recorded and the history checked for linearizability.
//
//   nemesis [--nodes=3|5] [--seed=N] [--cycles=1 | --seconds=S] [--faults=a,b,...]
//           [--clients=N] [--keys=N] [--out=DIR] [--keep] [--require-partitions]
//           [--no-netns] [--kv-store=PATH] [--request-timeout-ms=2000] [--slack-ms=1500]
//           [--snapshot-entries=N] [--segment-kib=N] [--disk-mb=N] [--plant-stale-reads] [--lease-reads]
//
// It starts the nodes (each in its own network namespace when it can), runs
// clients that put, get, delete and compare-and-set random keys through random
// members, and injects faults from a schedule drawn from the seed: kill -9 and
// restart (a random node, the leader, the whole cluster), SIGSTOP/SIGCONT (a
// random node, the leader), partitions (isolate the leader, a minority/majority
// split, a bridge), and operations: a rolling restart, a member replaced by a
// new one at another address. In namespaces every member listens on the
// wildcard and advertises its own address, as on separate machines. Then it
// heals everything and checks:
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
//
// This file reads the options and wires the run together; the parts are
//   schedule.*         the fault schedule: drawing, injecting, nesting, healing
//   process_cluster.*  the kv_store processes, their data directories and logs
//   clients.*          the load (kv_client.hpp records each operation)
//   checks.*           the checks above, after the faults
//   network.*          network namespaces and partitions
//   stall_detector.*, events.*, options.hpp, prng.hpp: what they all share.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "checks.hpp"
#include "clients.hpp"
#include "events.hpp"
#include "lincheck/history.hpp"
#include "network.hpp"
#include "options.hpp"
#include "process_cluster.hpp"
#include "schedule.hpp"
#include "stall_detector.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using actraft::lincheck::history_recorder;

namespace actraft::nemesis {
namespace {

[[noreturn]] void usage(const std::string& why) {
  std::cerr
      << "nemesis: " << why << "\n"
      << "usage: nemesis [--nodes=3|5] [--seed=N] [--cycles=N | --seconds=S] [--faults=LIST]\n"
         "               [--clients=N] [--keys=N] [--out=DIR] [--keep] [--require-partitions]\n"
         "               [--no-netns] [--kv-store=PATH] [--request-timeout-ms=MS] [--slack-ms=MS]\n"
         "               [--snapshot-entries=N] [--segment-kib=N] [--disk-mb=N] [--lease-reads]\n"
         "  faults: kill kill-leader kill-all pause pause-leader isolate-leader split bridge\n"
         "          one-way fill-disk\n"
         "  operations (drawn as faults, never nested): rolling-restart readdress join leave\n"
         "          remove-down restart-removed transfer\n"
         "  --plant-stale-reads: clients read with ?stale=true (not linearizable): "
         "the checks must fail\n"
         "exit: 0 every check passed, 1 a check failed, 2 usage / no cluster, "
         "3 no partitions but required\n";
  std::exit(2);
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    const auto eq = a.find('=');
    const std::string name = a.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : a.substr(eq + 1);
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
      else if (name == "--lease-reads") o.lease_reads = true;
      else if (name == "--kv-store") o.kv_store = value;
      else if (name == "--heartbeat-ms") o.heartbeat_ms = std::stoi(value);
      else if (name == "--election-ms") o.election_ms = std::stoi(value);
      else if (name == "--request-timeout-ms") o.request_timeout_ms = std::stoi(value);
      else if (name == "--slack-ms") o.slack_ms = std::stoi(value);
      else if (name == "--snapshot-entries") o.snapshot_entries = std::stoi(value);
      else if (name == "--segment-kib") o.segment_kib = std::stoi(value);
      else if (name == "--disk-mb") o.disk_mb = std::stoi(value);
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
      } else if (name == "--help" || name == "-h")
        usage("fault injection on real kv_store processes");
      else usage("unknown option " + a);
    } catch (const std::logic_error&) {
      usage("bad value in " + a);
    }
  }
  if (o.nodes < 3 || o.nodes > 9) usage("--nodes must be 3..9");
  if (o.cycles < 1 || o.seconds < 0 || o.faults.empty()) usage("nothing to inject");
  if (o.segment_kib < 64 || o.disk_mb < 8) usage("--segment-kib must be at least 64, --disk-mb at least 8");
  if (o.clients == 0) o.clients = 2 * o.nodes;
  if (o.keys == 0) o.keys = 3 * o.clients;
  if (!o.seed_given) o.seed = std::random_device{}() % 1000000 + 1;
  return o;
}

/// The command line that reruns this run's schedule.
std::string rerun_command(const options& o, const char* argv0) {
  std::string cmd = std::string(argv0) + " --nodes=" + std::to_string(o.nodes) +
                    " --seed=" + std::to_string(o.seed);
  if (o.seconds > 0) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", o.seconds);
    cmd += std::string(" --seconds=") + buf;
  } else {
    cmd += " --cycles=" + std::to_string(o.cycles);
  }
  if (o.faults_given) {
    cmd += " --faults=";
    for (std::size_t i = 0; i < o.faults.size(); ++i)
      cmd += (i ? "," : "") + std::string(name_of(o.faults[i]));
  }
  cmd += " --clients=" + std::to_string(o.clients) + " --keys=" + std::to_string(o.keys);
  if (o.request_timeout_ms != 2000)
    cmd += " --request-timeout-ms=" + std::to_string(o.request_timeout_ms);
  if (o.snapshot_entries != 500)
    cmd += " --snapshot-entries=" + std::to_string(o.snapshot_entries);
  if (o.segment_kib != 1024) cmd += " --segment-kib=" + std::to_string(o.segment_kib);
  if (o.disk_mb != 64) cmd += " --disk-mb=" + std::to_string(o.disk_mb);
  if (o.no_netns) cmd += " --no-netns";
  if (o.stale_reads) cmd += " --plant-stale-reads";
  if (o.lease_reads) cmd += " --lease-reads";
  return cmd;
}

int main_impl(int argc, char** argv) {
  options o = parse(argc, argv);
  const auto t_start = std::chrono::steady_clock::now();
  fs::path root =
      o.out.empty() ? fs::temp_directory_path() / ("actraft-nemesis-" + std::to_string(::getpid()))
                    : fs::path(o.out);
  std::error_code ec;
  fs::remove_all(root, ec);
  fs::create_directories(root);
  history_recorder rec;
  open_event_log((root / "events.log").string(), rec);
  catch_interrupts();

  // The network: namespaces if this machine allows them.
  const std::string net_log = (root / "network.log").string();
  network::remove_stale(net_log);
  network net;
  std::string why = "disabled with --no-netns";
  // One slot more than the members: for the one that joins.
  const bool have_net = !o.no_netns && net.setup(o.nodes + 1, net_log, why);
  if (!have_net) {
    say("!!! ==========================================================================");
    say("!!! NO NETWORK PARTITIONS: " + why);
    say("!!! running on 127.0.0.1 with process faults and operations only (no partitions, no full disks)");
    say("!!! ==========================================================================");
    if (o.require_partitions) {
      say("nemesis: partitions are required (--require-partitions): giving up");
      return 3;
    }
    std::erase_if(o.faults, needs_root);
    if (o.faults.empty()) {
      say("nemesis: no fault left to inject");
      return 2;
    }
  }

  // The schedule, from the seed alone.
  schedule sched(o);
  const std::string rerun = rerun_command(o, argv[0]);
  say("nemesis: seed " + std::to_string(o.seed) + ", " + std::to_string(o.nodes) + " nodes, " +
      std::to_string(o.clients) + " clients, " + std::to_string(o.keys) + " keys, " +
      (have_net ? "network namespaces (subnet " + net.ip(0) + "/24)" : std::string("loopback")) +
      ", run directory " + root.string());
  say("rerun: " + rerun);
  if (!sched.plan().empty()) say("schedule (fault/hold ms): " + sched.plan_text());

  cluster c(o, net, root, rec);
  std::vector<std::string> failures;
  stall_detector stalls(rec);
  if (!c.form()) {
    say("nemesis: the cluster did not form within 60 s; node logs in " + root.string());
    return 2;
  }
  say("cluster formed: " + std::to_string(o.nodes) + " voters");

  // Clients.
  const auto eps = c.endpoints();
  std::atomic<bool> stop_clients{false};
  std::vector<client_stats> stats(static_cast<std::size_t>(o.clients));
  std::vector<std::thread> clients;
  for (int i = 0; i < o.clients; ++i)
    clients.emplace_back(run_client, i, std::cref(o), std::ref(c), std::ref(rec), std::ref(stalls),
                         std::cref(eps), std::ref(stop_clients),
                         std::ref(stats[static_cast<std::size_t>(i)]));

  // Faults, then heal: everything runs, nothing is cut.
  sched.run(c, net, failures);
  sched.heal_all(c, net);
  wait_for(c, 1000ms);  // clients run on across the healing
  stop_clients = true;
  for (auto& t : clients) t.join();
  say("faults over; clients stopped");

  // The checks. The members' states are compared only if nothing failed so far.
  check_leader(c, failures);
  const auto final_values = final_reads(o, c, rec, eps, failures);
  if (failures.empty() && !interrupted())
    check_convergence(c, eps, final_values, failures);
  check_processes(c, failures);
  c.release_disks();
  net.teardown();
  client_stats total = add_up(stats);
  check_answers(o, total, stalls, failures);
  const auto checked = check_history(rec, (root / "history.jsonl").string(), failures);

  // Report.
  std::string faults;
  for (const auto& [k, v] : sched.faults_done()) faults += " " + k + "=" + std::to_string(v);
  std::string errors;
  for (const auto& [k, v] : total.errors) errors += " [" + k + ": " + std::to_string(v) + "]";
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  int faults_injected = 0;  // not counting "(nested)", which counts some of them again
  for (const auto& [k, v] : sched.faults_done()) faults_injected += k[0] == '(' ? 0 : v;
  char line[512];
  std::snprintf(line, sizeof line,
                "%zu operations in the history (%llu by clients: %llu ok, %llu failed, %llu "
                "unknown), %d keys, checked in %.2f s",
                checked.operations, static_cast<unsigned long long>(total.ops),
                static_cast<unsigned long long>(total.ok),
                static_cast<unsigned long long>(total.failed),
                static_cast<unsigned long long>(total.unknown), o.keys, checked.seconds);
  say(line);
  say("faults:" + faults);
  say("client errors:" + (errors.empty() ? std::string(" none") : errors));
  std::snprintf(line, sizeof line,
                "RESULT %s seed=%llu nodes=%d ops=%zu ok=%llu failed=%llu unknown=%llu faults=%d "
                "partitions=%s seconds=%.1f",
                failures.empty() && !interrupted() ? "pass" : "FAIL",
                static_cast<unsigned long long>(o.seed), o.nodes, checked.operations,
                static_cast<unsigned long long>(total.ok),
                static_cast<unsigned long long>(total.failed),
                static_cast<unsigned long long>(total.unknown), faults_injected,
                have_net ? "yes" : "no", elapsed);
  if (interrupted()) {
    say("nemesis: interrupted; files in " + root.string());
    return 130;
  }
  if (!failures.empty()) {
    for (const auto& f : failures) say("FAILED: " + f);
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
