// The kv_store example as users run it: three real processes on loopback,
// HTTP against every member, kill -9 of the leader, restart from disk.
#define BOOST_TEST_MODULE actraft_e2e
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include <fcntl.h>

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <regex>

#include <httplib.h>

#include "process.hpp"

using namespace std::chrono_literals;
using actraft::test::free_port;
using actraft::test::process;

namespace {

struct kv_node {
  std::uint16_t raft_port = free_port();
  std::uint16_t http_port = free_port();
  std::string dir;
  std::string log;
  process proc;

  [[nodiscard]] std::string raft_addr() const { return "127.0.0.1:" + std::to_string(raft_port); }

  void start(const std::string& peer = {}) {
    std::vector<std::string> args{KV_STORE_BINARY, "--raft-addr=" + raft_addr(),
                                  "--http-addr=127.0.0.1:" + std::to_string(http_port),
                                  "--data-dir=" + dir, "--heartbeat-ms=20", "--election-ms=150",
                                  "--request-timeout-ms=3000"};
    if (!peer.empty()) args.push_back("--peer-addr=" + peer);
    proc.start(args, log);
  }
  [[nodiscard]] httplib::Client client() const {
    httplib::Client c("127.0.0.1", http_port);
    c.set_connection_timeout(1, 0);
    c.set_read_timeout(6, 0);
    return c;
  }
  /// GET /status, or empty if the node does not answer.
  [[nodiscard]] std::string status() const {
    auto c = client();
    auto r = c.Get("/status");
    return r && r->status == 200 ? r->body : std::string{};
  }
};

std::uint64_t json_number(const std::string& json, const std::string& field) {
  std::smatch m;
  if (std::regex_search(json, m, std::regex("\"" + field + "\":([0-9]+)")))
    return std::stoull(m[1]);
  return 0;
}

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 20s) {
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
bool put_acknowledged(const kv_node& n, const std::string& key, const std::string& value) {
  return eventually([&] {
    auto c = n.client();
    auto r = c.Put("/kv/" + key, value, "text/plain");
    return r && r->status == 204;
  }, 15s);
}

/// GET through the log (linearizable), retried while there is no leader.
std::optional<httplib::Result> get_answered(const kv_node& n, const std::string& key) {
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
    root = std::filesystem::temp_directory_path() / ("actraft-e2e-" + std::to_string(::getpid()));
    std::filesystem::remove_all(root);
    std::filesystem::create_directories(root);
    for (int i = 1; i <= 3; ++i) {
      auto n = std::make_unique<kv_node>();
      n->dir = (root / ("n" + std::to_string(i))).string();
      n->log = (root / ("n" + std::to_string(i) + ".log")).string();
      nodes.push_back(std::move(n));
    }
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

}  // namespace

BOOST_FIXTURE_TEST_CASE(three_processes_survive_kill_9_of_the_leader, cluster_fixture) {
  auto& n1 = *nodes[0];
  auto& n2 = *nodes[1];
  auto& n3 = *nodes[2];
  n1.start();
  BOOST_REQUIRE(eventually([&] { return !n1.status().empty(); }));
  n2.start(n1.raft_addr());
  BOOST_REQUIRE(eventually([&] { return !n2.status().empty(); }));
  n3.start(n2.raft_addr());  // joins through a follower
  BOOST_REQUIRE(eventually([&] {
    auto s = n1.status();
    return s.find("\"voter\":false") == std::string::npos &&
           std::count(s.begin(), s.end(), '{') == 4;  // the status and three members
  }));

  // Writes through every member; reads (linearizable) through others.
  std::map<std::string, std::string> acknowledged;
  for (int i = 0; i < 30; ++i) {
    auto& writer = *nodes[static_cast<std::size_t>(i) % 3];
    const std::string key = "k" + std::to_string(i), value = "v" + std::to_string(i);
    BOOST_REQUIRE_MESSAGE(put_acknowledged(writer, key, value), "PUT " << key << " failed");
    acknowledged[key] = value;
    auto g = get_answered(*nodes[static_cast<std::size_t>(i + 1) % 3], key);
    BOOST_REQUIRE(g);
    BOOST_TEST((*g)->status == 200);
    BOOST_TEST((*g)->body == value);
  }
  auto missing = get_answered(n2, "never-written");
  BOOST_REQUIRE(missing);
  BOOST_TEST((*missing)->status == 404);

  // kill -9 the leader: a new leader is elected and writes resume.
  kv_node& old_leader = leader();
  old_leader.proc.kill(SIGKILL);
  std::vector<kv_node*> survivors;
  for (auto& n : nodes)
    if (n.get() != &old_leader) survivors.push_back(n.get());
  BOOST_REQUIRE(eventually([&] { return has_leader(survivors); }));
  for (int i = 30; i < 40; ++i) {
    const std::string key = "k" + std::to_string(i), value = "v" + std::to_string(i);
    BOOST_REQUIRE_MESSAGE(put_acknowledged(*survivors[static_cast<std::size_t>(i) % 2], key, value),
                          "PUT " << key << " after failover failed");
    acknowledged[key] = value;
  }
  // Nothing acknowledged was lost.
  for (const auto& [key, value] : acknowledged) {
    auto g = get_answered(*survivors[0], key);
    BOOST_REQUIRE(g);
    BOOST_TEST((*g)->status == 200);
    BOOST_TEST((*g)->body == value);
  }

  // The old leader restarts from its data directory and catches up.
  old_leader.start();
  BOOST_REQUIRE(eventually([&] {
    auto g = old_leader.client().Get("/kv/k39?stale=true");
    return g && g->status == 200 && g->body == "v39";
  }));
  for (const auto& [key, value] : acknowledged) {
    auto g = old_leader.client().Get("/kv/" + key + "?stale=true");
    BOOST_REQUIRE(g);
    BOOST_TEST(g->body == value);
  }
  BOOST_TEST(json_number(old_leader.status(), "id") >= 1u);

  // A clean shutdown on SIGTERM: every process exits 0.
  for (auto& n : nodes) n->proc.kill(SIGTERM);
  for (auto& n : nodes) BOOST_TEST(n->proc.wait() == 0);
}

BOOST_FIXTURE_TEST_CASE(bad_configuration_gets_a_clear_error, cluster_fixture) {
  auto& n1 = *nodes[0];
  n1.start();
  BOOST_REQUIRE(eventually([&] { return !n1.status().empty(); }));
  // The same data directory again: the lock refuses, exit code 1.
  process twin;
  twin.start({KV_STORE_BINARY, "--raft-addr=127.0.0.1:" + std::to_string(free_port()),
              "--http-addr=127.0.0.1:" + std::to_string(free_port()), "--data-dir=" + n1.dir},
             n1.log + ".twin");
  BOOST_TEST(twin.wait() == 1);
  // An unknown option: exit code 2.
  process bad;
  bad.start({KV_STORE_BINARY, "--no-such-option=1"}, n1.log + ".bad");
  BOOST_TEST(bad.wait() == 2);
}

BOOST_FIXTURE_TEST_CASE(a_paused_leader_is_replaced_and_steps_down_when_it_resumes, cluster_fixture) {
  auto& n1 = *nodes[0];
  n1.start();
  BOOST_REQUIRE(eventually([&] { return !n1.status().empty(); }));
  nodes[1]->start(n1.raft_addr());
  nodes[2]->start(n1.raft_addr());
  BOOST_REQUIRE(eventually([&] {
    auto s = n1.status();
    return s.find("\"voter\":false") == std::string::npos &&
           std::count(s.begin(), s.end(), '{') == 4;
  }));
  BOOST_REQUIRE(put_acknowledged(n1, "a", "1"));

  // SIGSTOP: the process is silent but its connections stay open, the
  // classic stale-leader case. The others must elect a new leader.
  kv_node& old_leader = leader();
  old_leader.proc.kill(SIGSTOP);
  std::vector<kv_node*> others;
  for (auto& n : nodes)
    if (n.get() != &old_leader) others.push_back(n.get());
  BOOST_REQUIRE(eventually([&] { return has_leader(others); }));
  BOOST_REQUIRE(put_acknowledged(*others[0], "a", "2"));

  // SIGCONT: the old leader learns the new term, steps down and catches up;
  // a linearizable read through it sees the new value.
  old_leader.proc.kill(SIGCONT);
  BOOST_REQUIRE(eventually([&] {
    return old_leader.status().find("\"role\":\"follower\"") != std::string::npos;
  }));
  BOOST_REQUIRE(eventually([&] {
    auto g = old_leader.client().Get("/kv/a");
    return g && g->status == 200 && g->body == "2";
  }));
}
