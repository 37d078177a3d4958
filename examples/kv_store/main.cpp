// kv_store: a replicated key-value service over HTTP, built on actraft.
//
//   kv_store --raft-addr=127.0.0.1:9001 --http-addr=127.0.0.1:8001 --data-dir=/tmp/n1
//   kv_store --raft-addr=127.0.0.1:9002 --http-addr=127.0.0.1:8002 --data-dir=/tmp/n2
//            --peer-addr=127.0.0.1:9001
//
//   PUT    /kv/{key}            body = value                 -> 204
//   GET    /kv/{key}            linearizable (through the log) -> 200 value | 404
//   GET    /kv/{key}?stale=true this member's applied state   -> 200 value | 404
//   DELETE /kv/{key}                                          -> 204 | 404
//   POST   /cas/{key}?expect=V  body = new value (no expect: key must be absent) -> 204 | 412
//   GET    /status              JSON: id, role, term, leader, commit/applied, members
//   POST   /leave               removes this member
// Errors: 400 bad request, 503 no leader (X-Raft-Leader: hint), 504 timeout,
// 500 apply failed.
#include <csignal>
#include <iostream>
#include <thread>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <httplib.h>

#include "../common/cli.hpp"
#include "actraft/address.hpp"
#include "actraft/raft.hpp"
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
  int http_threads = 64;
  // Defaults as in actraft::options.
  std::uint64_t snapshot_entries = 8192;
  std::uint64_t snapshot_bytes = 64ull * 1024 * 1024;
  std::uint64_t snapshot_keep = 1024;

  config() {
    actraft::add_types(*this);
    // One or two scheduler threads with the sharing policy cut request
    // latency about threefold on small machines (see docs/benchmarks.md).
    set("scheduler.policy", caf::atom("sharing"));
    set("scheduler.max-threads", 2);
    opt_group{custom_options_, "global"}
        .add(raft_addr, "raft-addr", "address other members reach this node at (host:port)")
        .add(peer_addr, "peer-addr", "join the cluster through this member (absent: lead)")
        .add(http_addr, "http-addr", "HTTP API address (host:port)")
        .add(data_dir, "data-dir", "directory for the log, snapshots and identity")
        .add(heartbeat_ms, "heartbeat-ms", "leader heartbeat interval")
        .add(election_ms, "election-ms", "minimum election timeout")
        .add(request_timeout_ms, "request-timeout-ms", "deadline of every request")
        .add(http_threads, "http-threads", "HTTP worker threads (concurrent clients)")
        .add(snapshot_entries, "snapshot-entries", "snapshot after this many entries (0: never by count)")
        .add(snapshot_bytes, "snapshot-bytes", "snapshot after this many command bytes (0: never by size)")
        .add(snapshot_keep, "snapshot-keep", "entries kept in the log behind a snapshot");
  }
};

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string status_json(const actraft::node_status& s) {
  std::string j = "{\"id\":" + std::to_string(s.id) + ",\"role\":\"" + json_escape(s.role) +
                  "\",\"term\":" + std::to_string(s.term) +
                  ",\"leader_id\":" + std::to_string(s.leader_id) + ",\"leader_address\":\"" +
                  json_escape(s.leader_address) + "\",\"commit_index\":" +
                  std::to_string(s.commit_index) +
                  ",\"applied_index\":" + std::to_string(s.applied_index) + ",\"members\":[";
  for (std::size_t i = 0; i < s.members.size(); ++i) {
    const auto& m = s.members[i];
    if (i > 0) j += ",";
    j += "{\"id\":" + std::to_string(m.id) + ",\"address\":\"" + json_escape(m.address) +
         "\",\"voter\":" + (m.voter ? "true" : "false") + "}";
  }
  return j + "]}";
}

/// Maps an actraft error to an HTTP answer.
void reply_error(caf::actor_system& sys, const caf::error& err, httplib::Response& res) {
  res.set_content(sys.render(err) + "\n", "text/plain");
  switch (actraft::code_of(err).value_or(actraft::errc::timeout)) {
    case actraft::errc::not_leader:
    case actraft::errc::shutting_down:
    case actraft::errc::removed:
    case actraft::errc::storage_failure:
      res.status = 503;
      break;
    case actraft::errc::timeout:
    case actraft::errc::dropped:
      res.status = 504;
      break;
    case actraft::errc::bad_request:
    case actraft::errc::membership_refused:
      res.status = 400;
      break;
    case actraft::errc::apply_failed:
      res.status = 500;
      break;
  }
}

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

  // Signals are handled by one thread that waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
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

  httplib::Server svr;
  svr.set_keep_alive_max_count(100000);
  svr.set_tcp_nodelay(true);
  svr.set_payload_max_length(16 * 1024 * 1024);
  const int threads = std::max(1, cfg.http_threads);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };

  auto run = [&](const kv::command& c, httplib::Response& res) -> std::optional<kv::result> {
    auto r = actraft::propose<kv::result>(node, c);
    if (!r) {
      reply_error(sys, r.error(), res);
      if (auto st = node.status(); st && !st->leader_address.empty())
        res.set_header("X-Raft-Leader", st->leader_address);
      return std::nullopt;
    }
    return *r;
  };

  svr.Put(R"(/kv/(.+))", [&](const httplib::Request& req, httplib::Response& res) {
    if (run(kv::put{req.matches[1], req.body}, res)) res.status = 204;
  });
  svr.Get(R"(/kv/(.+))", [&](const httplib::Request& req, httplib::Response& res) {
    const std::string key = req.matches[1];
    std::optional<std::string> value;
    if (req.get_param_value("stale") == "true") {
      value = state->read(key);
    } else {
      auto r = run(kv::get{key}, res);
      if (!r) return;
      value = r->value;
    }
    if (!value) {
      res.status = 404;
      res.set_content("no such key\n", "text/plain");
      return;
    }
    res.set_content(*value, "application/octet-stream");
  });
  svr.Delete(R"(/kv/(.+))", [&](const httplib::Request& req, httplib::Response& res) {
    if (auto r = run(kv::del{req.matches[1]}, res)) res.status = r->ok ? 204 : 404;
  });
  svr.Post(R"(/cas/(.+))", [&](const httplib::Request& req, httplib::Response& res) {
    kv::cas c{req.matches[1], std::nullopt, req.body};
    if (req.has_param("expect")) c.expected = req.get_param_value("expect");
    auto r = run(c, res);
    if (!r) return;
    res.status = r->ok ? 204 : 412;
    if (!r->ok) res.set_content(r->value.value_or(""), "application/octet-stream");
  });
  svr.Get("/status", [&](const httplib::Request&, httplib::Response& res) {
    auto st = node.status();
    if (!st) {
      reply_error(sys, st.error(), res);
      return;
    }
    res.set_content(status_json(*st) + "\n", "application/json");
  });
  svr.Post("/leave", [&](const httplib::Request&, httplib::Response& res) {
    auto r = node.leave();
    if (!r) {
      reply_error(sys, r.error(), res);
      return;
    }
    res.set_content("{\"removed\":" + std::to_string(*r) + "}\n", "application/json");
  });

  if (!svr.bind_to_port(http->host.c_str(), http->port)) {
    std::cerr << "kv_store: cannot listen for HTTP on " << cfg.http_addr
              << " (is the port in use?)\n";
    return 1;
  }
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    svr.stop();
  });
  std::cerr << "kv_store: node " << node.id() << " raft " << node.address() << " http "
            << cfg.http_addr << "\n";
  svr.listen_after_bind();
  node.shutdown();
  // The waiter thread ends with the process when the server stopped for
  // another reason; with a signal it has already returned.
  waiter.detach();
  return 0;
}
