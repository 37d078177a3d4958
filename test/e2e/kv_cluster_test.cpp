// The kv_store example as users run it: three real processes on loopback,
// HTTP against every member, kill -9 of the leader, restart from disk.
#define BOOST_TEST_MODULE actraft_e2e
#include <boost/test/results_collector.hpp>
#include <boost/test/unit_test.hpp>

#include "kv_cluster.hpp"

using namespace actraft::test;

BOOST_FIXTURE_TEST_CASE(three_processes_survive_kill_9_of_the_leader, cluster_fixture) {
  auto& n1 = *nodes[0];
  auto& n2 = *nodes[1];
  auto& n3 = *nodes[2];
  n1.start();
  BOOST_REQUIRE(eventually([&] { return !n1.status().empty(); }));
  n2.start(n1);
  BOOST_REQUIRE(eventually([&] { return !n2.status().empty(); }));
  n3.start(n2);  // joins through a follower
  BOOST_REQUIRE(eventually([&] {
    auto s = n1.status();
    return s.find("\"voter\":false") == std::string::npos &&
           member_count(s) == 3;
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
  nodes[1]->start(n1);
  nodes[2]->start(n1);
  BOOST_REQUIRE(eventually([&] {
    auto s = n1.status();
    return s.find("\"voter\":false") == std::string::npos &&
           member_count(s) == 3;
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
