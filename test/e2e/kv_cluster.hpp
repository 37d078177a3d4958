// Helpers for end-to-end tests against real kv_store processes: a node
// (ports, data directory, log file, process), HTTP helpers that retry while
// leadership moves, and a fixture that keeps node logs of failed tests.
#pragma once

#include <fcntl.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <regex>

#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>
#include <httplib.h>

#include "process.hpp"

using namespace std::chrono_literals;

using namespace std::chrono_literals;
namespace actraft::test {

struct kv_node {
  std::uint16_t raft_port = free_port();
  std::uint16_t http_port = free_port();
  std::string dir;
  std::string log;
  std::vector<std::string> extra_args;  ///< e.g. snapshot thresholds
  process proc;

  [[nodiscard]] std::string raft_addr() const { return "127.0.0.1:" + std::to_string(raft_port); }

  /// Joins through `through`, with the join token every member writes.
  void start(const kv_node& through) { start(through.raft_addr(), through.dir + "/join-token"); }
  void start(const std::string& peer = {}, const std::string& token_file = {}) {
    std::vector<std::string> args{KV_STORE_BINARY, "--raft-addr=" + raft_addr(),
                                  "--http-addr=127.0.0.1:" + std::to_string(http_port),
                                  "--data-dir=" + dir, "--heartbeat-ms=20", "--election-ms=150",
                                  "--request-timeout-ms=3000"};
    if (!peer.empty()) args.push_back("--peer-addr=" + peer);
    if (!token_file.empty()) args.push_back("--join-token-file=" + token_file);
    args.insert(args.end(), extra_args.begin(), extra_args.end());
    proc.start(args, log);
  }
  [[nodiscard]] httplib::Client client() const {
    httplib::Client c("127.0.0.1", http_port);
    c.set_connection_timeout(1, 0);
    c.set_read_timeout(6, 0);
    return c;
  }
  /// POST /leave with the member's admin token; the response.
  httplib::Result leave() const { return admin("/leave"); }
  /// POST to an admin route with the member's admin token; the response.
  httplib::Result admin(const std::string& path) const {
    std::ifstream in(dir + "/admin-token");
    std::string token;
    in >> token;
    auto c = client();
    c.set_read_timeout(15, 0);
    return c.Post(path, httplib::Headers{{"Authorization", "Bearer " + token}}, "", "text/plain");
  }
  /// GET /status, or empty if the node does not answer.
  [[nodiscard]] std::string status() const {
    auto c = client();
    auto r = c.Get("/status");
    return r && r->status == 200 ? r->body : std::string{};
  }
};

inline std::uint64_t json_number(const std::string& json, const std::string& field) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + field + "\":([0-9]+)")))
    return std::stoull(m[1]);
  return 0;
}

inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 20s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return pred();
}

/// PUT until acknowledged. 503 (no leader) and 504 (timeout) are correct
/// answers while leadership moves, which a loaded machine can cause at any
/// time; a retried PUT of the same value is harmless.
inline bool put_acknowledged(const kv_node& n, const std::string& key, const std::string& value) {
  return eventually([&] {
    auto c = n.client();
    auto r = c.Put("/kv/" + key, value, "text/plain");
    return r && r->status == 204;
  }, 15s);
}

/// GET through the log (linearizable), retried while there is no leader.
inline std::optional<httplib::Result> get_answered(const kv_node& n, const std::string& key) {
  std::optional<httplib::Result> out;
  eventually([&] {
    auto c = n.client();
    auto r = c.Get("/kv/" + key);
    if (!r || r->status == 503 || r->status == 504) return false;
    out.emplace(std::move(r));
    return true;
  }, 15s);
  return out;
}

struct cluster_fixture {
  std::filesystem::path root;
  std::vector<std::unique_ptr<kv_node>> nodes;

  cluster_fixture() {
    // One directory per test case: a later case must not wipe the logs an
    // earlier failed one kept.
    static int cases = 0;
    root = std::filesystem::temp_directory_path() /
           ("actraft-e2e-" + std::to_string(::getpid()) + "-" + std::to_string(++cases));
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    for (int i = 1; i <= 3; ++i) add_node();
  }
  /// One more node (not started): n4, n5, ...
  kv_node& add_node() {
    auto n = std::make_unique<kv_node>();
    const auto name = "n" + std::to_string(nodes.size() + 1);
    n->dir = (root / name).string();
    n->log = (root / (name + ".log")).string();
    nodes.push_back(std::move(n));
    return *nodes.back();
  }
  ~cluster_fixture() {
    for (auto& n : nodes) n->proc.kill(SIGKILL);
    const auto id = boost::unit_test::framework::current_test_case().p_id;
    if (boost::unit_test::results_collector.results(id).passed()) {
      std::error_code ec;
      std::filesystem::remove_all(root, ec);
    } else {
      BOOST_TEST_MESSAGE("node logs kept in " << root);
    }
  }
  /// The leader; waits through an election that may be under way.
  kv_node& leader() {
    kv_node* found = nullptr;
    eventually([&] {
      for (auto& n : nodes)
        if (n->status().find("\"role\":\"leader\"") != std::string::npos) found = n.get();
      return found != nullptr;
    });
    if (found == nullptr) throw std::runtime_error("no leader within the deadline");
    return *found;
  }
  bool has_leader(const std::vector<kv_node*>& among) {
    for (auto* n : among)
      if (n->status().find("\"role\":\"leader\"") != std::string::npos) return true;
    return false;
  }
};

}  // namespace actraft::test

namespace actraft::test {

/// Members listed in a /status answer, and how many of them vote.
inline std::size_t member_count(const std::string& status) {
  std::size_t n = 0;
  for (auto p = status.find("\"voter\":"); p != std::string::npos; p = status.find("\"voter\":", p + 1)) ++n;
  return n;
}
inline std::size_t voter_count(const std::string& status) {
  std::size_t n = 0;
  for (auto p = status.find("\"voter\":true"); p != std::string::npos; p = status.find("\"voter\":true", p + 1)) ++n;
  return n;
}

}  // namespace actraft::test
