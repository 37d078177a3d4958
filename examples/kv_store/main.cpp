// kv_store: a replicated key-value service over HTTP, built on actraft.
//
//   kv_store --raft-addr=127.0.0.1:9001 --http-addr=127.0.0.1:8001 --data-dir=/tmp/n1
//   kv_store --raft-addr=127.0.0.1:9002 --http-addr=127.0.0.1:8002 --data-dir=/tmp/n2
//            --peer-addr=127.0.0.1:9001
//
// The HTTP API is in http_api.hpp; it runs inside the actor system (see
// ../common/http_server.hpp), so a request costs no thread and no blocking.
#include <csignal>
#include <iostream>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "../common/cli.hpp"
#include "../common/http_server.hpp"
#include "actraft/address.hpp"
#include "actraft/raft.hpp"
#include "http_api.hpp"
#include "kv.hpp"

namespace {

using namespace std::chrono_literals;

struct config : caf::actor_system_config {
  std::string raft_addr = "127.0.0.1:9001";
  std::string peer_addr;
  std::string http_addr = "127.0.0.1:8001";
  std::string data_dir = "kv-data";
  int heartbeat_ms = 50;
  int election_ms = 250;
  int request_timeout_ms = 5000;
  // Defaults as in actraft::options.
  std::uint64_t snapshot_entries = 8192;
  std::uint64_t snapshot_bytes = 64ull * 1024 * 1024;
  std::uint64_t snapshot_keep = 1024;

  config() {
    actraft::add_types(*this);
    // One scheduler thread with the sharing policy, and messages from the
    // network deserialized on the I/O thread itself (no BASP worker): the
    // fewest thread hand-offs per request. On this project's 2-core machine
    // that gave +10 % throughput at 64 clients and -6 % latency at 1 client
    // over two threads and one worker (docs/benchmarks.md).
    set("scheduler.policy", caf::atom("sharing"));
    set("scheduler.max-threads", 1);
    set("middleman.workers", 0);
    opt_group{custom_options_, "global"}
        .add(raft_addr, "raft-addr", "address other members reach this node at (host:port)")
        .add(peer_addr, "peer-addr", "join the cluster through this member (absent: lead)")
        .add(http_addr, "http-addr", "HTTP API address (host:port)")
        .add(data_dir, "data-dir", "directory for the log, snapshots and identity")
        .add(heartbeat_ms, "heartbeat-ms", "leader heartbeat interval")
        .add(election_ms, "election-ms", "minimum election timeout")
        .add(request_timeout_ms, "request-timeout-ms", "deadline of every request")
        .add(snapshot_entries, "snapshot-entries", "snapshot after this many entries (0: never by count)")
        .add(snapshot_bytes, "snapshot-bytes", "snapshot after this many command bytes (0: never by size)")
        .add(snapshot_keep, "snapshot-keep", "entries kept in the log behind a snapshot");
  }
};

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  if (auto err = cfg.parse(actraft::examples::normalize_args(argc, argv))) {
    std::cerr << "kv_store: " << caf::to_string(err) << "\n";
    return 2;
  }
  if (cfg.cli_helptext_printed) return 0;
  auto http = actraft::parse_address(cfg.http_addr);
  if (!http) {
    std::cerr << "kv_store: invalid --http-addr '" << cfg.http_addr << "' (expected host:port)\n";
    return 2;
  }

  // The main thread waits for the signals that stop us (blocked before the
  // actor system starts its threads, so they all inherit the mask).
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  caf::actor_system sys{cfg};
  actraft::options opts;
  opts.data_dir = cfg.data_dir;
  opts.heartbeat_interval = std::chrono::milliseconds(cfg.heartbeat_ms);
  opts.election_timeout = std::chrono::milliseconds(cfg.election_ms);
  opts.request_timeout = std::chrono::milliseconds(cfg.request_timeout_ms);
  opts.snapshot_entries = cfg.snapshot_entries;
  opts.snapshot_bytes = cfg.snapshot_bytes;
  opts.snapshot_keep_entries = cfg.snapshot_keep;
  // kv::store's apply is an in-memory map update under a lock: it may run
  // beside the node, sparing a thread hand-off per commit.
  opts.apply_on_own_thread = false;
  // The HTTP port is claimed first: failing on it after joining would leave
  // a member in the cluster that never serves.
  auto http_port = actraft::examples::http::bind(sys, http->host, http->port);
  if (!http_port) {
    std::cerr << "kv_store: cannot listen for HTTP on " << cfg.http_addr << ": "
              << sys.render(http_port.error()) << " (is the port in use?)\n";
    return 1;
  }
  auto owned = std::make_unique<kv::store>();
  kv::store* state = owned.get();
  actraft::raft node{sys, cfg.raft_addr, std::move(owned), opts};
  try {
    if (cfg.peer_addr.empty())
      node.lead();
    else
      node.join(cfg.peer_addr);
  } catch (const actraft::startup_error& e) {
    std::cerr << "kv_store: " << e.what() << "\n";
    return 1;
  }

  actraft::examples::http::server_options http_opts;
  http_opts.answer_timeout = opts.request_timeout + 2s;
  auto server = actraft::examples::http::serve(sys, std::move(*http_port),
                                               kv::http_api(node.mailbox(), state), http_opts);
  std::cerr << "kv_store: node " << node.id() << " raft " << node.address() << " http "
            << cfg.http_addr << "\n";
  int sig = 0;
  sigwait(&signals, &sig);
  // HTTP first, so no request arrives at a node that is going away.
  caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
  node.shutdown();
  return 0;
}
