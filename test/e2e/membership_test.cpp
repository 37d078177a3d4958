// Membership and snapshots on real kv_store processes: a cluster grows from
// one member to five and shrinks back to one while writes keep flowing, a
// removed member cannot come back under its old id, and a new member
// catches up with a large state through the leader's snapshot.
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>

#include "kv_cluster.hpp"

using namespace actraft::test;

namespace {

/// Small snapshot thresholds, so members compact often and joiners catch up
/// through snapshots as well as through the log.
const std::vector<std::string> snapshot_often{"--snapshot-entries=100", "--snapshot-keep=20"};

/// Writes w0, w1, ... through the current targets until stopped; records
/// what was acknowledged and whether any request went unanswered.
class writer {
 public:
  explicit writer(std::vector<kv_node*> targets) : targets_(std::move(targets)) {
    thread_ = std::thread([this] { run(); });
  }
  ~writer() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  void set_targets(std::vector<kv_node*> t) {
    std::lock_guard<std::mutex> g{mu_};
    targets_ = std::move(t);
  }
  /// Holds the writer between two requests (none in flight) while `f` runs.
  void paused(const std::function<void()>& f) {
    std::lock_guard<std::mutex> g{mu_};
    f();
  }
  std::map<std::string, std::string> acknowledged() {
    std::lock_guard<std::mutex> g{mu_};
    return acked_;
  }
  int unanswered() const { return unanswered_; }
  int answered() const { return answered_; }

 private:
  void run() {
    for (int i = 0; !stop_; ++i) {
      std::lock_guard<std::mutex> g{mu_};
      if (targets_.empty()) continue;
      auto* t = targets_[static_cast<std::size_t>(i) % targets_.size()];
      const std::string key = "w" + std::to_string(i), value = "v" + std::to_string(i);
      auto c = t->client();
      auto r = c.Put("/kv/" + key, value, "text/plain");
      if (!r) {
        ++unanswered_;  // no HTTP answer at all: the request was lost
        continue;
      }
      ++answered_;
      if (r->status == 204) acked_[key] = value;
      // 503 (no leader, removed) and 504 (outcome unknown) are answers too.
    }
  }

  std::mutex mu_;
  std::vector<kv_node*> targets_;
  std::map<std::string, std::string> acked_;
  std::atomic<bool> stop_{false};
  std::atomic<int> unanswered_{0};
  std::atomic<int> answered_{0};
  std::thread thread_;
};

bool leaves(kv_node& n) {
  auto r = n.leave();
  if (!r || r->status != 200) {
    BOOST_TEST_MESSAGE("leave of " << n.raft_addr() << " answered "
                                   << (r ? std::to_string(r->status) + " " + r->body : "nothing"));
    return false;
  }
  return true;
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(grow_to_five_and_shrink_to_one_while_writes_flow, cluster_fixture) {
  add_node();
  add_node();
  for (auto& n : nodes) n->extra_args = snapshot_often;
  auto& n1 = *nodes[0];
  n1.start();
  BOOST_REQUIRE(eventually([&] { return !n1.status().empty(); }));
  writer w{{&n1}};

  // Grow: 1 -> 3 -> 5, joining through the first member and through followers.
  nodes[1]->start(n1);
  nodes[2]->start(n1);
  BOOST_REQUIRE(eventually([&] { return voter_count(leader().status()) == 3; }));
  w.set_targets({nodes[0].get(), nodes[1].get(), nodes[2].get()});
  nodes[3]->start(*nodes[1]);
  nodes[4]->start(*nodes[2]);
  BOOST_REQUIRE(eventually([&] { return voter_count(leader().status()) == 5; }, 30s));
  std::vector<kv_node*> members;
  for (auto& n : nodes) members.push_back(n.get());
  w.set_targets(members);
  std::this_thread::sleep_for(1s);

  // All five hold the same state: with the writer held, every member
  // reaches the leader's commit index and answers every key alike.
  w.paused([&] {
    const auto commit = json_number(leader().status(), "commit_index");
    for (auto* n : members)
      BOOST_REQUIRE(eventually([&] { return json_number(n->status(), "applied_index") >= commit; }));
  });
  const auto acked_at_five = w.acknowledged();
  BOOST_REQUIRE(acked_at_five.size() > 10u);
  for (const auto& [key, value] : acked_at_five)
    for (auto* n : members) {
      auto g = n->client().Get("/kv/" + key + "?stale=true");
      BOOST_REQUIRE(g);
      BOOST_TEST(g->body == value, key << " on " << n->raft_addr());
    }

  // Shrink: 5 -> 1, the leader first (it hands leadership over), then the
  // others through themselves, until one member is left.
  while (members.size() > 1) {
    kv_node* going = &leader();
    if (members.size() % 2 == 0)  // alternate: a follower every other time
      for (auto* n : members)
        if (n != going) {
          going = n;
          break;
        }
    members.erase(std::find(members.begin(), members.end(), going));
    w.set_targets(members);
    BOOST_REQUIRE_MESSAGE(leaves(*going), "leave failed with " << members.size() + 1 << " members");
    BOOST_REQUIRE(eventually([&] {
      return going->status().find("\"role\":\"removed\"") != std::string::npos &&
             member_count(members.front()->status()) == members.size();
    }));
    std::this_thread::sleep_for(300ms);
  }
  kv_node& last = *members.front();
  BOOST_REQUIRE(eventually([&] { return last.status().find("\"role\":\"leader\"") != std::string::npos; }));
  std::this_thread::sleep_for(500ms);
  w.stop();

  // Every request was answered, and every acknowledged write survived all
  // nine membership changes.
  BOOST_TEST(w.unanswered() == 0);
  const auto acked = w.acknowledged();
  BOOST_TEST_MESSAGE(w.answered() << " writes answered, " << acked.size() << " acknowledged");
  BOOST_REQUIRE(acked.size() > acked_at_five.size());
  for (const auto& [key, value] : acked) {
    auto g = get_answered(last, key);
    BOOST_REQUIRE(g);
    BOOST_TEST((*g)->body == value, key);
  }
}

BOOST_FIXTURE_TEST_CASE(a_removed_member_cannot_come_back_under_its_old_id, cluster_fixture) {
  auto& n1 = *nodes[0];
  auto& n3 = *nodes[2];
  n1.start();
  BOOST_REQUIRE(eventually([&] { return !n1.status().empty(); }));
  nodes[1]->start(n1);
  n3.start(n1);
  BOOST_REQUIRE(eventually([&] { return voter_count(n1.status()) == 3; }));
  BOOST_REQUIRE(put_acknowledged(n1, "a", "1"));
  const auto old_id = json_number(n3.status(), "id");
  BOOST_REQUIRE(leaves(n3));
  BOOST_REQUIRE(eventually([&] { return member_count(n1.status()) == 2; }));

  // Its data directory cannot bring it back: it refuses to start, with a
  // clear message, and the cluster does not take it back.
  BOOST_REQUIRE(eventually([&] { return n3.status().find("\"role\":\"removed\"") != std::string::npos; }));
  auto r = n3.client().Put("/kv/b", "x", "text/plain");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 503);  // the removed member answers, with an error
  BOOST_TEST(r->get_header_value("X-Raft-Error") == "removed");
  n3.proc.kill(SIGKILL);
  n3.start();
  BOOST_TEST(n3.proc.wait() == 1);
  std::ifstream log_file(n3.log);
  const std::string n3_log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  BOOST_TEST(n3_log.find("was removed from its cluster") != std::string::npos);
  BOOST_TEST(member_count(leader().status()) == 2u);
  BOOST_REQUIRE(put_acknowledged(n1, "a", "2"));

  // A new member (a fresh directory) gets a new id, never the old one.
  auto& n4 = add_node();
  n4.start(n1);
  BOOST_REQUIRE(eventually([&] { return voter_count(leader().status()) == 3; }));
  BOOST_TEST(json_number(n4.status(), "id") > old_id);
  auto g = get_answered(n4, "a");
  BOOST_REQUIRE(g);
  BOOST_TEST((*g)->body == "2");
}

// A new member joins a cluster whose store holds a large state and catches
// up through the leader's snapshot, streamed in chunks. CI runs 16 MB;
// `make bench-catchup` runs 100 MB (ACTRAFT_E2E_STATE_MB).
BOOST_FIXTURE_TEST_CASE(a_new_member_catches_up_with_a_large_state, cluster_fixture) {
  const char* mb_env = std::getenv("ACTRAFT_E2E_STATE_MB");
  const std::size_t mb = mb_env != nullptr ? std::strtoul(mb_env, nullptr, 10) : 16;
  const std::size_t value_size = 64 * 1024;
  const std::size_t keys = mb * 1024 * 1024 / value_size;
  for (auto& n : nodes)
    n->extra_args = {"--snapshot-bytes=" + std::to_string(4 << 20), "--snapshot-keep=8",
                     "--request-timeout-ms=10000"};
  auto& n1 = *nodes[0];
  auto& n2 = *nodes[1];
  n1.start();
  BOOST_REQUIRE(eventually([&] { return !n1.status().empty(); }));

  auto value_of = [&](std::size_t k) {
    std::string v(value_size, static_cast<char>('a' + k % 26));
    v.replace(0, std::to_string(k).size(), std::to_string(k));
    return v;
  };
  std::vector<std::thread> loaders;
  std::atomic<std::size_t> next{0};
  std::atomic<int> failed{0};
  for (int t = 0; t < 4; ++t)
    loaders.emplace_back([&] {
      for (std::size_t k = next++; k < keys; k = next++)
        if (!put_acknowledged(n1, "big" + std::to_string(k), value_of(k))) ++failed;
    });
  for (auto& t : loaders) t.join();
  BOOST_REQUIRE(failed == 0);
  const auto commit = json_number(n1.status(), "commit_index");

  const auto started = std::chrono::steady_clock::now();
  n2.start(n1);
  BOOST_REQUIRE(eventually([&] { return json_number(n2.status(), "applied_index") >= commit; }, 120s));
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  BOOST_TEST_MESSAGE("catch-up of " << mb << " MB (" << keys << " keys of 64 KiB) took " << secs
                                    << " s: " << static_cast<double>(mb) / secs << " MB/s");
  std::printf("catch-up: %zu MB in %.2f s (%.1f MB/s), process start and join included\n", mb, secs,
              static_cast<double>(mb) / secs);
  // It came through a snapshot: the log alone no longer holds the state.
  std::ifstream log_file(n1.log);
  const std::string n1_log((std::istreambuf_iterator<char>(log_file)), std::istreambuf_iterator<char>());
  const auto sent = n1_log.find("sent the snapshot");
  BOOST_TEST(sent != std::string::npos);
  if (sent != std::string::npos)
    std::printf("leader: %s\n", n1_log.substr(sent, n1_log.find('\n', sent) - sent).c_str());
  for (std::size_t k = 0; k < keys; k += std::max<std::size_t>(1, keys / 64)) {
    auto g = n2.client().Get("/kv/big" + std::to_string(k) + "?stale=true");
    BOOST_REQUIRE(g);
    BOOST_TEST((g->status == 200 && g->body == value_of(k)), "key big" << k);
  }
}
