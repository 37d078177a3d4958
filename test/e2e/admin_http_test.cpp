// kv_store's operator routes on real processes: admin requests need the
// admin token; leadership moves, a dead member is removed and a snapshot is
// taken on request; /metrics is valid Prometheus text (Debian's promtool
// checks what a leader and a follower serve).
#include <cstdio>
#include <fstream>

#include "kv_cluster.hpp"

using namespace actraft::test;

namespace {

void start_three(cluster_fixture& f) {
  auto& n1 = *f.nodes[0];
  n1.start();
  BOOST_REQUIRE(eventually([&] { return !n1.status().empty(); }));
  f.nodes[1]->start(n1);
  f.nodes[2]->start(n1);
  BOOST_REQUIRE(eventually([&] {
    auto s = n1.status();
    return member_count(s) == 3 && voter_count(s) == 3;
  }));
}

/// `promtool check metrics` on `text`: its exit status and what it said.
std::pair<int, std::string> promtool_check(const std::string& text, const std::string& dir) {
  const auto in = dir + "/metrics.txt", out = dir + "/promtool.txt";
  std::ofstream(in) << text;
  const int rc = std::system(("promtool check metrics < " + in + " > " + out + " 2>&1").c_str());
  std::ifstream said(out);
  return {rc, std::string(std::istreambuf_iterator<char>(said), {})};
}

/// The value of the sample `name` (with its labels) in Prometheus text; 0 if absent.
double sample(const std::string& text, const std::string& name) {
  const auto p = text.find("\n" + name + " ");
  return p == std::string::npos ? 0 : std::stod(text.substr(p + name.size() + 2));
}

}  // namespace

BOOST_FIXTURE_TEST_CASE(admin_routes_need_the_token_and_act, cluster_fixture) {
  start_three(*this);
  auto& n1 = *nodes[0];
  auto& n2 = *nodes[1];
  auto& n3 = *nodes[2];
  for (const char* path : {"/admin/transfer-leader", "/admin/remove?id=2", "/admin/snapshot"}) {
    auto c = n2.client();
    auto none = c.Post(path, "", "text/plain");
    BOOST_REQUIRE(none);
    BOOST_TEST(none->status == 401, path);
    auto wrong = c.Post(path, httplib::Headers{{"Authorization", "Bearer 00"}}, "", "text/plain");
    BOOST_REQUIRE(wrong);
    BOOST_TEST(wrong->status == 403, path);
  }
  BOOST_TEST(n2.client().Get("/admin/snapshot")->status == 405);
  BOOST_TEST(n2.admin("/admin/transfer-leader?to=x")->status == 400);
  BOOST_TEST(n2.admin("/admin/frobnicate")->status == 404);
  BOOST_TEST(n2.status().find("\"role\":\"follower\"") != std::string::npos);
  BOOST_REQUIRE(put_acknowledged(n1, "k", "v"));

  // Leadership to member 2, asked of member 2 (a follower: forwarded).
  const auto id2 = json_number(n2.status(), "id");
  auto moved = n2.admin("/admin/transfer-leader?to=" + std::to_string(id2));
  BOOST_REQUIRE(moved);
  BOOST_TEST(moved->status == 200, moved->body);
  BOOST_TEST(moved->body == "{\"leader\":" + std::to_string(id2) + "}\n");
  BOOST_TEST(n2.status().find("\"role\":\"leader\"") != std::string::npos);
  // A member id that is no voter: refused, with the reason.
  auto refused = n2.admin("/admin/transfer-leader?to=77");
  BOOST_REQUIRE(refused);
  BOOST_TEST(refused->status == 400);
  BOOST_TEST(refused->body.find("not a voter") != std::string::npos, refused->body);

  // A snapshot on request covers what was applied.
  auto snap = n1.admin("/admin/snapshot");
  BOOST_REQUIRE(snap);
  BOOST_TEST(snap->status == 200, snap->body);
  BOOST_TEST(json_number(snap->body, "snapshot_index") >= json_number(n1.status(), "commit_index") - 1);
  BOOST_TEST(json_number(n1.status(), "snapshot_index") == json_number(snap->body, "snapshot_index"));

  // Member 3 dies for good: removed through member 1.
  const auto id3 = json_number(n3.status(), "id");
  n3.proc.kill(SIGKILL);
  auto removed = n1.admin("/admin/remove?id=" + std::to_string(id3));
  BOOST_REQUIRE(removed);
  BOOST_TEST(removed->status == 200, removed->body);
  BOOST_TEST(removed->body == "{\"removed\":" + std::to_string(id3) + "}\n");
  BOOST_REQUIRE(eventually([&] { return member_count(n2.status()) == 2; }));
  BOOST_REQUIRE(put_acknowledged(n1, "after", "removal"));
}

BOOST_FIXTURE_TEST_CASE(metrics_are_valid_prometheus_text_and_count_the_load, cluster_fixture) {
  start_three(*this);
  auto& n1 = *nodes[0];
  auto& n2 = *nodes[1];
  const std::string proposals = "actraft_requests_total{kind=\"propose\",outcome=\"ok\"}";
  const std::string queries = "actraft_requests_total{kind=\"query\",outcome=\"ok\"}";
  const auto before = n1.client().Get("/metrics")->body;
  const auto follower_before = n2.client().Get("/metrics")->body;
  for (int i = 0; i < 20; ++i) BOOST_REQUIRE(put_acknowledged(n1, "k" + std::to_string(i), "v"));
  BOOST_REQUIRE(get_answered(n2, "k1"));
  for (auto* n : {&n1, &n2}) {
    auto r = n->client().Get("/metrics");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 200);
    BOOST_TEST(r->get_header_value("Content-Type").find("text/plain; version=0.0.4") == 0u);
    BOOST_TEST(r->get_header_value("Access-Control-Allow-Origin") == "*");
    const auto [rc, said] = promtool_check(r->body, root.string());
    BOOST_TEST(rc == 0, "promtool check metrics: " << said << "\n" << r->body);
    BOOST_TEST(r->body.find("actraft_fsync_duration_seconds_bucket{le=\"+Inf\"}") != std::string::npos);
  }
  const auto leader = n1.client().Get("/metrics")->body;
  BOOST_TEST(leader.find("actraft_role{role=\"leader\"} 1\n") != std::string::npos);
  BOOST_TEST(sample(leader, proposals) == sample(before, proposals) + 20, leader);
  BOOST_TEST(sample(leader, "actraft_entries_applied_total") >= sample(before, "actraft_entries_applied_total") + 20);
  const auto follower = n2.client().Get("/metrics")->body;
  BOOST_TEST(sample(follower, queries) == sample(follower_before, queries) + 1, follower);
}
