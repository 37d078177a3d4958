// Strangers against a real cluster: kv_store processes as the README starts
// them (mutual TLS, the cluster's own CA, join tokens), and clients that
// are no member — without a certificate, with one of another CA, with a
// removed member's, with a member's but lying about who sends — each trying
// what a member may do. Every attempt is refused; the cluster's membership
// and data do not change and it keeps serving.
#include <boost/test/unit_test.hpp>

#include <fstream>
#include <sstream>

#include "../support/wire_client.hpp"
#include "actraft/error.hpp"
#include "cluster_ca.hpp"
#include "kv_cluster.hpp"

using namespace actraft;
using namespace actraft::test;

namespace {

std::string cluster_id_of(const kv_node& n) {
  auto id = read_file(n.dir + "/cluster-id");
  while (!id.empty() && id.back() == '\n') id.pop_back();
  return id;
}

/// A member's TLS identity, as its data directory holds it.
std::shared_ptr<net::tls_context> identity_of(const kv_node& n) {
  auto tls = member_tls(n.dir);
  BOOST_REQUIRE_MESSAGE(tls, "a member's files make a TLS context");
  return tls;
}

std::shared_ptr<net::tls_context> without_certificate(const kv_node& n) {
  // What a joiner has: the CA's fingerprint from the token, no certificate.
  auto ca = read_file(n.dir + "/tls/ca.crt");
  auto made = net::tls_context::make(net::credentials{}, net::certificate_sha256(ca));
  BOOST_REQUIRE(made.index() == 0);
  return std::get<0>(made);
}

/// A refusal frame, or the connection closed (after, at most, an error
/// answer to the request that was refused); never a successful answer.
bool refused(wire_client& c) {
  for (int frames = 0; frames < 2; ++frames) {
    auto f = c.receive(std::chrono::seconds(5));
    if (!f) return c.closed;
    const auto kind = net::kind_of(f->data(), f->size());
    if (kind == net::frame_kind::refuse) return true;
    if (kind != net::frame_kind::response) return false;
    auto id = net::response_id(f->data(), f->size());
    // The error answer of a refused request: ok is the byte after the id.
    if (!id || f->size() < 10 || (*f)[9] != 0) return false;
  }
  return false;
}

std::vector<char> heartbeat_from(std::uint64_t from, std::uint64_t to, std::uint64_t term) {
  core::message m;
  m.type = core::message_type::heartbeat;
  m.from = core::node_id{from};
  m.to = core::node_id{to};
  m.term = core::raft_term{term};
  return net::encode_raft({m});
}

std::uint64_t cpu_ticks(pid_t pid) {
  // utime and stime, fields 14 and 15 of /proc/<pid>/stat.
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/stat"));
  std::string field;
  std::uint64_t total = 0;
  for (int i = 1; i <= 15 && in >> field; ++i)
    if (i >= 14) total += std::stoull(field);
  return total;
}

struct secure_cluster : cluster_fixture {
  secure_cluster() {
    nodes[0]->start();
    BOOST_REQUIRE(eventually([&] { return !nodes[0]->status().empty(); }));
    nodes[1]->start(*nodes[0]);
    nodes[2]->start(*nodes[0]);
    BOOST_REQUIRE(eventually([&] { return voters(*nodes[0]) == 3; }));
    put("before", "attack");
  }
  static int voters(const kv_node& n) {
    auto s = n.status();
    int count = 0;
    for (auto at = s.find("\"voter\":true"); at != std::string::npos; at = s.find("\"voter\":true", at + 1)) ++count;
    return count;
  }
  void put(const std::string& key, const std::string& value) {
    auto c = nodes[0]->client();
    auto r = c.Put("/kv/" + key, value, "text/plain");
    BOOST_REQUIRE(r && r->status == 204);
  }
  std::string get(const std::string& key) {
    auto c = nodes[1]->client();
    auto r = c.Get("/kv/" + key);
    return r && r->status == 200 ? r->body : std::string("(no answer)");
  }
  /// The cluster after the attacks: the same members, the data, and it serves.
  void unchanged() {
    BOOST_TEST(voters(*nodes[0]) == 3);
    BOOST_TEST(get("before") == "attack");
    put("after", "still serving");
    BOOST_TEST(get("after") == "still serving");
  }
  std::uint16_t port(int i) const { return nodes[static_cast<std::size_t>(i)]->raft_port; }
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(strangers_are_refused_and_the_cluster_serves_on, secure_cluster) {
  const auto cluster = cluster_id_of(*nodes[0]);

  // 1. CAF-style plaintext: the TLS handshake fails, nothing else happens.
  {
    wire_client c("127.0.0.1", port(0), nullptr);
    c.send(net::encode(net::hello{net::wire_version, cluster, 1, "127.0.0.1:1"}));
    c.send(heartbeat_from(1, 2, UINT64_MAX / 2));
    BOOST_TEST(c.closed_within(std::chrono::seconds(5)));
  }
  // 2. TLS without a certificate, claiming to be member 1.
  {
    wire_client c("127.0.0.1", port(0), without_certificate(*nodes[0]));
    BOOST_REQUIRE(c.handshake());
    c.send(net::encode(net::hello{net::wire_version, cluster, 1, "127.0.0.1:1"}));
    c.send(heartbeat_from(1, 1, UINT64_MAX / 2));
    BOOST_TEST(refused(c));
  }
  // 3. Without a certificate as a joiner: Raft messages, a proposal, a
  //    removal and a join with a wrong secret are all refused.
  for (int attempt = 0; attempt < 4; ++attempt) {
    wire_client c("127.0.0.1", port(1), without_certificate(*nodes[0]));
    BOOST_REQUIRE(c.handshake());
    c.send(net::encode(net::hello{net::wire_version, cluster, 0, ""}));
    BOOST_REQUIRE(c.receive());  // the member's hello
    net::request q;
    q.id = 7;
    switch (attempt) {
      case 0: c.send(heartbeat_from(1, 2, UINT64_MAX / 2)); break;
      case 1:
        q.kind = net::op::forward;
        q.command = core::bytes{'x'};
        c.send(net::encode(q));
        break;
      case 2:
        q.kind = net::op::remove;
        q.member = 1;
        c.send(net::encode(q));
        break;
      case 3:
        q.kind = net::op::join;
        q.join = net::join_body{"127.0.0.1:1", std::string(64, '0'), net::public_key_of(net::new_private_key())};
        c.send(net::encode(q));
        break;
    }
    auto answer = c.receive();
    if (answer && net::kind_of(answer->data(), answer->size()) == net::frame_kind::response) {
      auto r = net::decode_response(answer->data(), answer->size(), q.kind);
      BOOST_REQUIRE(r);
      BOOST_TEST(!r->ok);
      BOOST_TEST(r->code == static_cast<std::uint8_t>(errc::unauthorized));
    } else {
      BOOST_TEST((!answer || net::kind_of(answer->data(), answer->size()) == net::frame_kind::refuse));
    }
    BOOST_TEST(refused(c));
  }
  // 4. A certificate of another CA (a cluster of its own, "member 1").
  {
    auto other = std::get<0>(net::create_cluster());
    net::credentials forged{other.ca_pem, {}, net::new_private_key()};
    BOOST_REQUIRE(net::issue_member_certificate(other, 1, net::public_key_of(forged.key_pem), forged.cert_pem).empty());
    auto ctx = std::get<0>(net::tls_context::make(forged));
    wire_client c("127.0.0.1", port(0), ctx);
    // Our client does not trust the cluster's CA either: the handshake fails.
    BOOST_TEST(!c.handshake());
  }
  // 5. A member's certificate, but Raft messages that claim another sender:
  //    each kind of message, and a snapshot chunk.
  const auto b = json_number(nodes[1]->status(), "id");
  const auto c3 = json_number(nodes[2]->status(), "id");
  const auto term = json_number(nodes[0]->status(), "term");
  for (auto type : {core::message_type::vote, core::message_type::pre_vote, core::message_type::append,
                    core::message_type::append_response, core::message_type::heartbeat,
                    core::message_type::timeout_now, core::message_type::snapshot}) {
    wire_client c("127.0.0.1", port(0), identity_of(*nodes[1]));
    BOOST_REQUIRE(c.handshake());
    c.send(net::encode(net::hello{net::wire_version, cluster, b, nodes[1]->raft_addr()}));
    BOOST_REQUIRE(c.receive());
    core::message m;
    m.type = type;
    m.from = core::node_id{c3};
    m.to = core::node_id{1};
    m.term = core::raft_term{UINT64_MAX / 2};
    m.index = core::log_index{1000};
    m.commit = core::log_index{1000};
    if (type == core::message_type::snapshot) {
      net::request q;
      q.id = 1;
      q.kind = net::op::chunk;
      q.chunk = net::chunk_body{m, 0, core::bytes(100, 1), true};
      c.send(net::encode(q));
    } else {
      c.send(net::encode_raft({m}));
    }
    BOOST_TEST(refused(c), "message type " << static_cast<int>(type));
  }
  // 5b. A snapshot chunk in a follower's own name: not from the leader, so
  //     the member refuses it before writing anything.
  {
    wire_client c("127.0.0.1", port(2), identity_of(*nodes[1]));
    BOOST_REQUIRE(c.handshake());
    c.send(net::encode(net::hello{net::wire_version, cluster, b, nodes[1]->raft_addr()}));
    BOOST_REQUIRE(c.receive());
    net::request q;
    q.id = 1;
    q.kind = net::op::chunk;
    q.chunk.header.type = core::message_type::snapshot;
    q.chunk.header.from = core::node_id{b};
    q.chunk.header.to = core::node_id{c3};
    q.chunk.header.term = core::raft_term{term};
    q.chunk.header.index = core::log_index{1000};
    q.chunk.header.log_term = core::raft_term{term};
    q.chunk.header.snapshot.index = core::log_index{1000};
    q.chunk.header.snapshot.term = core::raft_term{term};
    for (std::uint64_t m = 1; m <= 3; ++m)
      q.chunk.header.snapshot.config.members.push_back(core::member{core::node_id{m}, "127.0.0.1:1", true});
    q.chunk.header.snapshot.config.max_assigned_id = core::node_id{3};
    q.chunk.data = core::bytes(100, 1);
    q.chunk.last = true;
    c.send(net::encode(q));
    auto answer = c.receive();
    BOOST_REQUIRE(answer);
    auto r = net::decode_response(answer->data(), answer->size(), net::op::chunk);
    BOOST_REQUIRE(r);
    BOOST_TEST(!r->ok);
    BOOST_TEST(r->why.find("not this member's leader") != std::string::npos, r->why);
  }
  // 6. A member's certificate claiming another member's id.
  {
    wire_client c("127.0.0.1", port(0), identity_of(*nodes[1]));
    BOOST_REQUIRE(c.handshake());
    c.send(net::encode(net::hello{net::wire_version, cluster, c3, nodes[2]->raft_addr()}));
    BOOST_TEST(refused(c));
  }
  // 7. A member's certificate, a hello of another cluster.
  {
    wire_client c("127.0.0.1", port(0), identity_of(*nodes[1]));
    BOOST_REQUIRE(c.handshake());
    c.send(net::encode(net::hello{net::wire_version, std::string(32, 'f'), 2, nodes[1]->raft_addr()}));
    BOOST_TEST(refused(c));
  }
  unchanged();
}

BOOST_FIXTURE_TEST_CASE(a_removed_member_s_certificate_no_longer_admits_it, secure_cluster) {
  const auto cluster = cluster_id_of(*nodes[0]);
  auto stolen = identity_of(*nodes[2]);
  const auto removed = json_number(nodes[2]->status(), "id");
  // Member 3 leaves; its identity (certificate and key) is kept by a thief.
  {
    // Not without the admin token.
    auto c = nodes[2]->client();
    auto r = c.Post("/leave", "", "text/plain");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 401);
    r = c.Post("/leave", httplib::Headers{{"Authorization", "Bearer wrong"}}, "", "text/plain");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 403);
    BOOST_TEST(voters(*nodes[0]) == 3);
    r = nodes[2]->leave();
    BOOST_REQUIRE(r);
    BOOST_REQUIRE(r->status == 200);
  }
  BOOST_REQUIRE(eventually([&] { return voters(*nodes[0]) == 2; }));
  nodes[2]->proc.kill(SIGTERM);
  nodes[2]->proc.wait();
  // Its hello is refused, and nothing it sends reaches the node.
  for (int i = 0; i < 2; ++i) {
    wire_client c("127.0.0.1", port(i), stolen);
    BOOST_REQUIRE(c.handshake());
    c.send(net::encode(net::hello{net::wire_version, cluster, removed, nodes[2]->raft_addr()}));
    c.send(heartbeat_from(removed, static_cast<std::uint64_t>(i + 1), UINT64_MAX / 2));
    BOOST_TEST(refused(c));
  }
  BOOST_TEST(voters(*nodes[0]) == 2);
  auto status = nodes[0]->status();
  BOOST_TEST(json_number(status, "term") < 1000u);
  BOOST_TEST(get("before") == "attack");
  put("after", "still serving");
  BOOST_TEST(get("after") == "still serving");
}

BOOST_FIXTURE_TEST_CASE(half_open_connections_cost_nothing_and_are_closed, secure_cluster) {
  const pid_t pid = nodes[0]->proc.pid();
  std::vector<std::unique_ptr<wire_client>> idle;
  const auto before = cpu_ticks(pid);
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 20; ++i) {
    idle.push_back(std::make_unique<wire_client>("127.0.0.1", port(0), nullptr));
    BOOST_REQUIRE(idle.back()->connected());
    if (i % 2 == 1) idle.back()->send_raw(std::string("\x16\x03\x01\x02\x00", 5));  // a ClientHello that never ends
  }
  // The member closes each at its handshake deadline (5 s by default).
  for (auto& c : idle) BOOST_TEST(c->closed_within(std::chrono::seconds(10)));
  const double held = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const double cpu = static_cast<double>(cpu_ticks(pid) - before) / static_cast<double>(::sysconf(_SC_CLK_TCK));
  BOOST_TEST_MESSAGE("20 half-open connections for " << held << " s cost the member " << cpu << " s of CPU");
  // A spinning core would cost about `held` seconds; an idle member with
  // 20 ms heartbeats costs a few percent of that.
  BOOST_TEST(cpu < 0.25 * held);
  unchanged();
}

BOOST_FIXTURE_TEST_CASE(a_missing_certificate_file_fails_at_start, cluster_fixture) {
  struct {
    std::string dir;
    [[nodiscard]] std::string path() const { return dir; }
  } tmp{root.string()};
  process p;
  const auto log = tmp.path() + "/kv.log";
  p.start({KV_STORE_BINARY, "--raft-addr=127.0.0.1:" + std::to_string(free_port()),
           "--http-addr=127.0.0.1:" + std::to_string(free_port()), "--data-dir=" + tmp.path() + "/d",
           "--tls-ca=" + tmp.path() + "/missing-ca.pem", "--tls-cert=" + tmp.path() + "/c.pem",
           "--tls-key=" + tmp.path() + "/k.pem"},
          log);
  BOOST_TEST(p.wait() == 1);
  const auto text = read_file(log);
  BOOST_TEST_MESSAGE(text);
  BOOST_TEST(text.find("cannot read the CA certificate file") != std::string::npos);
}
