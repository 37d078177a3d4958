// kv_store: a replicated key-value service over HTTP, built on actraft.
//
//   kv_store --raft-addr=127.0.0.1:9001 --http-addr=127.0.0.1:8001 --data-dir=/tmp/n1
//   kv_store --raft-addr=127.0.0.1:9002 --http-addr=127.0.0.1:8002 --data-dir=/tmp/n2
//            --peer-addr=127.0.0.1:9001 --join-token-file=/tmp/n1/join-token
//
// --raft-addr and --http-addr are where the member listens; --raft-advertise
// and --http-advertise (default: the same) where others reach it, e.g.
//   kv_store --raft-addr=0.0.0.0:9001 --raft-advertise=10.0.0.1:9001 ...
// IPv6 hosts go in brackets: --raft-addr=[2001:db8::1]:9001.
//
// Members talk over mutual TLS: the first member creates the cluster's CA
// and writes the join token to <data-dir>/join-token (owner-only); a new
// member presents it. --tls-ca/--tls-cert/--tls-key use the operator's own
// certificates instead; --insecure turns security off (trusted networks only).
//
// The HTTP API is in http_api.hpp; it runs inside the actor system (see
// ../common/http_server.hpp), so a request costs no thread and no blocking.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <fstream>
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
  std::string raft_advertise;
  std::string peer_addr;
  std::string http_addr = "127.0.0.1:8001";
  std::string http_advertise;
  std::string data_dir = "kv-data";
  int heartbeat_ms = 50;
  int election_ms = 250;
  int request_timeout_ms = 5000;
  // Defaults as in actraft::options.
  std::uint64_t snapshot_entries = 8192;
  std::uint64_t snapshot_bytes = 64ull * 1024 * 1024;
  double snapshot_log_ratio = 2.0;
  std::uint64_t snapshot_keep = 1024;
  std::uint64_t segment_bytes = 64ull * 1024 * 1024;
  std::string join_token;
  std::string join_token_file;
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool insecure = false;
  int http_header_timeout_ms = 10'000;
  int http_body_timeout_ms = 60'000;
  int http_idle_timeout_ms = 60'000;
  std::size_t http_max_connections = 4096;
  std::size_t max_pending_requests = 65536;
  std::size_t max_command_bytes = 16 * 1024 * 1024;
  bool lease_reads = false;

  config() {
    actraft::add_types(*this);
    // One scheduler thread with the sharing policy, and messages from the
    // network deserialized on the I/O thread itself (no BASP worker): the
    // fewest thread hand-offs per request. On this project's 2-core machine
    // that gave +10 % throughput at 64 clients and -6 % latency at 1 client
    // over two threads and one worker (docs/benchmarks.md). One read per
    // readiness event: CAF would read again until the socket is empty, an
    // extra recv per request (epoll is level-triggered, so nothing is left
    // behind).
    set("scheduler.policy", caf::atom("sharing"));
    set("scheduler.max-threads", 1);
    set("middleman.workers", 0);
    set("middleman.max-consecutive-reads", 1);
    opt_group{custom_options_, "global"}
        .add(raft_addr, "raft-addr", "address to listen on for the other members (host:port; [v6]:port)")
        .add(raft_advertise, "raft-advertise", "address the other members dial (default: --raft-addr)")
        .add(peer_addr, "peer-addr", "join the cluster through this member (absent: lead)")
        .add(http_addr, "http-addr", "address to listen on for HTTP (host:port)")
        .add(http_advertise, "http-advertise", "HTTP address shown to others (default: --http-addr)")
        .add(data_dir, "data-dir", "directory for the log, snapshots and identity")
        .add(heartbeat_ms, "heartbeat-ms", "leader heartbeat interval")
        .add(election_ms, "election-ms", "minimum election timeout")
        .add(request_timeout_ms, "request-timeout-ms", "deadline of every request")
        .add(snapshot_entries, "snapshot-entries", "snapshot after this many entries (0: never by count)")
        .add(snapshot_bytes, "snapshot-bytes", "snapshot after this many command bytes (0: never by size)")
        .add(snapshot_log_ratio, "snapshot-log-ratio",
             "wait until the commands since the last snapshot are this many times its size (0: no wait)")
        .add(snapshot_keep, "snapshot-keep", "entries kept in the log behind a snapshot")
        .add(segment_bytes, "segment-bytes", "bytes per WAL segment file (at least 64 KiB)")
        .add(join_token, "join-token", "the cluster's join token (prefer --join-token-file)")
        .add(join_token_file, "join-token-file", "file holding the join token (<first member's data-dir>/join-token)")
        .add(tls_ca, "tls-ca", "the operator's CA certificate (PEM), instead of the cluster's own CA")
        .add(tls_cert, "tls-cert", "this member's certificate (PEM; serverAuth and clientAuth)")
        .add(tls_key, "tls-key", "this member's private key (PEM, unencrypted)")
        .add(insecure, "insecure", "no TLS, no authentication: anyone reaching the port is a member")
        .add(http_header_timeout_ms, "http-header-timeout-ms", "a request's header must arrive within this (408)")
        .add(http_body_timeout_ms, "http-body-timeout-ms", "and its body within this after the header (408)")
        .add(http_idle_timeout_ms, "http-idle-timeout-ms", "an idle connection is closed after this")
        .add(http_max_connections, "http-max-connections", "HTTP connections at once (kept below the open-file limit)")
        .add(max_pending_requests, "max-pending-requests", "requests open at once; beyond: 503 overloaded")
        .add(max_command_bytes, "max-command-bytes", "largest command a proposal may carry")
        .add(lease_reads, "lease-reads", "serve linearizable GETs from the leader's lease (needs sane clocks)");
  }
};

/// A secret for the operator: readable by the owner only, from the start.
void write_private(const std::string& path, const std::string& text) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return;
  const auto line = text + "\n";
  if (::write(fd, line.data(), line.size()) < 0) std::cerr << "kv_store: cannot write " << path << "\n";
  ::close(fd);
}

/// Writes this member's HTTP address under `_actraft/http/<id>`, so the
/// live page of any member finds every member's /status (the cluster knows
/// only Raft addresses). Skipped if it is there already (a restart).
void publish_http_address(actraft::raft& node, const std::string& http_addr) {
  const auto key = "_actraft/http/" + std::to_string(node.id());
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto known = node.query_stale(actraft::encode(kv::get{key}));
    if (known) {
      auto v = actraft::decode<std::optional<std::string>>(*known);
      if (v && *v == http_addr) return;
    }
    if (node.propose(actraft::encode(kv::command{kv::put{key, http_addr}}))) return;
  }
  std::cerr << "kv_store: could not publish this member's HTTP address for the live page\n";
}

}  // namespace

int main(int argc, char** argv) {
  config cfg;
  if (auto err = cfg.parse(actraft::examples::normalize_args(argc, argv))) {
    std::cerr << "kv_store: " << caf::to_string(err) << "\n";
    return 2;
  }
  if (cfg.cli_helptext_printed) return 0;
  if (!cfg.join_token_file.empty()) {
    std::ifstream in(cfg.join_token_file);
    if (!(in >> cfg.join_token)) {
      std::cerr << "kv_store: cannot read a join token from '" << cfg.join_token_file << "'\n";
      return 2;
    }
  }
  auto http = actraft::parse_address(cfg.http_addr, true);
  if (!http) {
    std::cerr << "kv_store: invalid --http-addr '" << cfg.http_addr
              << "' (expected host:port, an IPv6 host in brackets)\n";
    return 2;
  }
  // The HTTP address the live page of every member links to.
  auto http_public = cfg.http_advertise.empty() ? http : actraft::parse_address(cfg.http_advertise, true);
  if (!http_public) {
    std::cerr << "kv_store: invalid --http-advertise '" << cfg.http_advertise
              << "' (expected host:port, an IPv6 host in brackets)\n";
    return 2;
  }
  if (actraft::is_wildcard(http_public->host)) {
    std::cerr << "kv_store: " << (cfg.http_advertise.empty() ? "--http-addr" : "--http-advertise") << "="
              << (cfg.http_advertise.empty() ? cfg.http_addr : cfg.http_advertise)
              << " is a wildcard: give --http-advertise, the address others reach this member's HTTP API at\n";
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
  opts.advertise_address = cfg.raft_advertise;
  opts.heartbeat_interval = std::chrono::milliseconds(cfg.heartbeat_ms);
  opts.election_timeout = std::chrono::milliseconds(cfg.election_ms);
  opts.request_timeout = std::chrono::milliseconds(cfg.request_timeout_ms);
  opts.snapshot_entries = cfg.snapshot_entries;
  opts.snapshot_bytes = cfg.snapshot_bytes;
  opts.snapshot_log_ratio = cfg.snapshot_log_ratio;
  opts.snapshot_keep_entries = cfg.snapshot_keep;
  opts.segment_bytes = static_cast<std::size_t>(cfg.segment_bytes);
  opts.join_token = cfg.join_token;
  opts.tls_ca_file = cfg.tls_ca;
  opts.tls_cert_file = cfg.tls_cert;
  opts.tls_key_file = cfg.tls_key;
  opts.insecure = cfg.insecure;
  opts.max_pending_requests = cfg.max_pending_requests;
  opts.max_command_bytes = cfg.max_command_bytes;
  opts.lease_reads = cfg.lease_reads;
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
  if (http_public->port == 0) http_public->port = (*http_port)->port();
  const auto http_shown = http_public->to_string();
  actraft::raft node{sys, cfg.raft_addr, std::make_unique<kv::store>(), opts};
  try {
    if (cfg.peer_addr.empty())
      node.lead();
    else
      node.join(cfg.peer_addr);
  } catch (const actraft::startup_error& e) {
    std::cerr << "kv_store: " << e.what() << "\n";
    return 1;
  }

  // Where a script (or the operator) finds the token for the next member.
  if (auto token = node.join_token(); !token.empty()) {
    const auto path = cfg.data_dir + "/join-token";
    write_private(path, token);
    std::cerr << "kv_store: cluster " << node.cluster_id() << "; a new member joins with --join-token-file="
              << path << "\n";
  }

  // The admin routes' bearer token: made once, kept in the data directory.
  std::string admin_token;
  {
    const auto path = cfg.data_dir + "/admin-token";
    std::ifstream in(path);
    if (!(in >> admin_token)) {
      std::ifstream random("/dev/urandom", std::ios::binary);
      unsigned char raw[32];
      random.read(reinterpret_cast<char*>(raw), sizeof raw);
      static constexpr char digits[] = "0123456789abcdef";
      for (unsigned char b : raw) {
        admin_token.push_back(digits[b >> 4]);
        admin_token.push_back(digits[b & 15]);
      }
      write_private(path, admin_token);
    }
  }

  actraft::examples::http::server_options http_opts;
  http_opts.answer_timeout = opts.request_timeout + 2s;
  http_opts.header_timeout = std::chrono::milliseconds(cfg.http_header_timeout_ms);
  http_opts.body_timeout = std::chrono::milliseconds(cfg.http_body_timeout_ms);
  http_opts.idle_timeout = std::chrono::milliseconds(cfg.http_idle_timeout_ms);
  http_opts.max_connections = cfg.http_max_connections;
  auto server = actraft::examples::http::serve(sys, std::move(*http_port),
                                               kv::http_api(node.mailbox(), admin_token, http_shown),
                                               http_opts);
  std::cerr << "kv_store: node " << node.id() << " raft " << node.address() << " http "
            << http_shown << "\n";
  publish_http_address(node, http_shown);
  int sig = 0;
  sigwait(&signals, &sig);
  // HTTP first, so no request arrives at a node that is going away.
  caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
  node.shutdown();
  return 0;
}
