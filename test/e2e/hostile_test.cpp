// Hostile input from inside the cluster, on real processes: a member (its
// certificate, its own id) that sends what no correct member would — a
// command whose lengths lie, a flood of proposals. Each is refused with a
// clear error; no member's memory grows by what the input claims; the
// cluster keeps serving. (`ctest -L hostile`.)
#include <boost/test/unit_test.hpp>

#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "../support/wire_client.hpp"
#include "actraft/error.hpp"
#include "kv_cluster.hpp"

using namespace actraft;
using namespace actraft::test;

namespace {

/// Peak resident set size of a process, in KiB.
long peak_kib(pid_t pid) {
  std::istringstream in(read_file("/proc/" + std::to_string(pid) + "/status"));
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stol(line.substr(6));
  return 0;
}

struct member_client {
  std::unique_ptr<wire_client> c;
  /// As `as` (its certificate, its id), to `to`.
  member_client(const kv_node& as, const kv_node& to) {
    auto tls = member_tls(as.dir);
    BOOST_REQUIRE(tls);
    c = std::make_unique<wire_client>("127.0.0.1", to.raft_port, tls);
    BOOST_REQUIRE(c->handshake());
    auto id = read_file(as.dir + "/cluster-id");
    id.pop_back();
    c->send(net::encode(net::hello{net::wire_version, id, json_number(as.status(), "id"), as.raft_addr()}));
    BOOST_REQUIRE(c->receive());
  }
};

struct hostile_cluster : cluster_fixture {
  kv_node* leader = nullptr;
  kv_node* follower = nullptr;
  explicit hostile_cluster(std::vector<std::string> extra = {}) {
    for (auto& n : nodes) n->extra_args = extra;
    nodes[0]->start();
    BOOST_REQUIRE(eventually([&] { return !nodes[0]->status().empty(); }));
    nodes[1]->start(*nodes[0]);
    nodes[2]->start(*nodes[0]);
    BOOST_REQUIRE(eventually([&] {
      auto s = nodes[0]->status();
      return member_count(s) == 3 && s.find("\"voter\":false") == std::string::npos;
    }));
    for (auto& n : nodes) {
      if (n->status().find("\"role\":\"leader\"") != std::string::npos) leader = n.get();
      else follower = n.get();
    }
    BOOST_REQUIRE(leader && follower);
  }
  void serves() {
    auto c = follower->client();
    auto r = c.Put("/kv/after", "still serving", "text/plain");
    BOOST_REQUIRE(r);
    BOOST_TEST(r->status == 204);
    auto g = leader->client().Get("/kv/after");
    BOOST_REQUIRE(g);
    BOOST_TEST(g->body == "still serving");
  }
};

struct small_limits : hostile_cluster {
  small_limits() : hostile_cluster({"--max-pending-requests=200", "--max-command-bytes=1000"}) {}
};

}  // namespace

BOOST_AUTO_TEST_SUITE(hostile)

BOOST_FIXTURE_TEST_CASE(a_command_claiming_a_3_gib_key_is_refused_by_every_replica, hostile_cluster) {
  std::vector<long> before;
  for (auto& n : nodes) before.push_back(peak_kib(n->proc.pid()));
  // kv's command, a put (variant index 0), whose key claims 3 GiB: 29 bytes.
  core::bytes lie{1, 0, 0, 0, 0, 0, 0, 0, 0xc0, 0, 0, 0, 0};
  lie.insert(lie.end(), 16, 'k');
  member_client m(*follower, *leader);
  net::request q;
  q.id = 1;
  q.kind = net::op::forward;
  q.command = lie;
  m.c->send(net::encode(q));
  auto f = m.c->receive(std::chrono::seconds(10));
  BOOST_REQUIRE(f);
  auto r = net::decode_response(f->data(), f->size(), net::op::forward);
  BOOST_REQUIRE(r);
  BOOST_TEST(!r->ok);
  BOOST_TEST(r->code == static_cast<std::uint8_t>(errc::apply_failed), r->why);
  BOOST_TEST_MESSAGE("the lying command: " << r->why);
  // Every replica applied (and refused) it; none grew by gigabytes.
  BOOST_REQUIRE(eventually([&] {
    for (auto& n : nodes)
      if (json_number(n->status(), "applied_index") < json_number(leader->status(), "commit_index")) return false;
    return true;
  }));
  for (std::size_t i = 0; i < nodes.size(); ++i) {
    const long grown = peak_kib(nodes[i]->proc.pid()) - before[i];
    BOOST_TEST_MESSAGE("member " << i + 1 << ": peak RSS " << before[i] / 1024 << " -> "
                                 << (before[i] + grown) / 1024 << " MiB");
    BOOST_TEST(grown < 100 * 1024);
  }
  serves();
}

BOOST_FIXTURE_TEST_CASE(a_flood_of_proposals_is_answered_overloaded_not_buffered, small_limits) {
  const long before = peak_kib(leader->proc.pid());
  member_client m(*follower, *leader);
  // 20,000 forwarded proposals in one go, on one connection.
  constexpr int total = 20000;
  std::vector<char> burst;
  for (int i = 1; i <= total; ++i) {
    net::request q;
    q.id = static_cast<std::uint64_t>(i);
    q.kind = net::op::forward;
    q.command = core::bytes(8, static_cast<std::uint8_t>(i));
    auto f = net::encode(q);
    burst.insert(burst.end(), f.begin(), f.end());
  }
  m.c->send(burst);
  int ok = 0, overloaded = 0, other = 0;
  for (int answered = 0; answered < total; ++answered) {
    auto f = m.c->receive(std::chrono::seconds(20));
    BOOST_REQUIRE_MESSAGE(f, "answer " << answered << " of " << total << " did not come");
    auto r = net::decode_response(f->data(), f->size(), net::op::forward);
    BOOST_REQUIRE(r);
    if (r->ok) ++ok;
    else if (r->code == static_cast<std::uint8_t>(errc::overloaded)) ++overloaded;
    else ++other;
  }
  // The commands are no kv commands: those accepted end as apply_failed.
  BOOST_TEST_MESSAGE(ok << " applied, " << other << " accepted and refused by the store, " << overloaded
                        << " overloaded; leader peak RSS "
                        << before / 1024 << " -> " << peak_kib(leader->proc.pid()) / 1024 << " MiB");
  BOOST_TEST(overloaded > 0);
  BOOST_TEST(ok + overloaded + other == total);
  BOOST_TEST(peak_kib(leader->proc.pid()) - before < 200 * 1024);
  serves();
}

BOOST_FIXTURE_TEST_CASE(an_entry_over_max_command_bytes_is_refused_on_receipt, small_limits) {
  member_client m(*follower, *leader);
  core::message a;
  a.type = core::message_type::append;
  a.from = core::node_id{json_number(follower->status(), "id")};
  a.to = core::node_id{json_number(leader->status(), "id")};
  a.term = core::raft_term{json_number(leader->status(), "term")};
  a.entries.push_back(core::entry{a.term, core::log_index{1000}, core::entry_kind::normal,
                                  core::payload(core::bytes(2000, 'x'))});
  m.c->send(net::encode_raft({a}));
  auto f = m.c->receive(std::chrono::seconds(5));
  BOOST_REQUIRE(f);
  auto why = net::decode_refuse(f->data(), f->size());
  BOOST_REQUIRE(why);
  BOOST_TEST(why->find("max_command_bytes") != std::string::npos, *why);
  // And at propose: a 2000-byte value is a bad request (400), nothing written.
  auto c = leader->client();
  auto r = c.Put("/kv/big", std::string(2000, 'v'), "text/plain");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 400);
  serves();
}

BOOST_FIXTURE_TEST_CASE(a_frame_claiming_4_gib_is_refused_before_it_is_read, hostile_cluster) {
  const long before = peak_kib(leader->proc.pid());
  member_client m(*follower, *leader);
  // A frame header claiming 4 GiB - 1, then a little of its body.
  std::vector<char> lie{'\xff', '\xff', '\xff', '\xff', 4, 0, 0, 0, 0, 0, 0, 0, 1, 1};
  m.c->send(lie);
  auto f = m.c->receive(std::chrono::seconds(5));
  BOOST_REQUIRE(f);
  BOOST_TEST((net::kind_of(f->data(), f->size()) == net::frame_kind::refuse));
  auto why = net::decode_refuse(f->data(), f->size());
  BOOST_REQUIRE(why);
  BOOST_TEST(why->find("the limit is") != std::string::npos, *why);
  BOOST_TEST(m.c->closed_within(std::chrono::seconds(5)));
  BOOST_TEST(peak_kib(leader->proc.pid()) - before < 50 * 1024);
  serves();
}

namespace {

/// A raw HTTP connection to a member's HTTP port.
struct raw_http {
  int fd = -1;
  explicit raw_http(std::uint16_t port) {
    std::string err;
    fd = net::dial("127.0.0.1", port, std::chrono::seconds(5), err);
  }
  ~raw_http() {
    if (fd >= 0) ::close(fd);
  }
  raw_http(const raw_http&) = delete;
  raw_http& operator=(const raw_http&) = delete;
  void send(const std::string& s) const {
    std::size_t at = 0;
    while (at < s.size()) {
      const auto n = ::send(fd, s.data() + at, s.size() - at, MSG_NOSIGNAL);
      if (n <= 0) return;
      at += static_cast<std::size_t>(n);
    }
  }
  /// Everything the server sends until it closes or `limit` passes.
  std::string read_all(std::chrono::milliseconds limit) const {
    std::string out;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return out;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return out;
      char buf[4096];
      const auto n = ::recv(fd, buf, sizeof buf, 0);
      if (n <= 0) return out;
      out.append(buf, static_cast<std::size_t>(n));
    }
  }
};

struct slow_http : hostile_cluster {
  slow_http() : hostile_cluster({"--http-header-timeout-ms=2000"}) {}
};

}  // namespace

BOOST_FIXTURE_TEST_CASE(slowloris_connections_are_cut_off_while_clients_are_served, slow_http) {
  rlimit files{};
  ::getrlimit(RLIMIT_NOFILE, &files);
  files.rlim_cur = files.rlim_max;
  ::setrlimit(RLIMIT_NOFILE, &files);
  const long before = peak_kib(leader->proc.pid());
  // 1,100 connections, each sending the start of a header and then a byte
  // now and then.
  std::vector<std::unique_ptr<raw_http>> slow;
  for (int i = 0; i < 1100; ++i) {
    slow.push_back(std::make_unique<raw_http>(leader->http_port));
    BOOST_REQUIRE(slow.back()->fd >= 0);
    slow.back()->send("GET /kv/x HTTP/1.1\r\nX-Slow: ");
  }
  // A normal client is served meanwhile.
  auto c = leader->client();
  auto r = c.Put("/kv/during", "served", "text/plain");
  BOOST_REQUIRE(r);
  BOOST_TEST(r->status == 204);
  for (int round = 0; round < 3; ++round) {
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    for (auto& s : slow) s->send("a");
  }
  // By the header deadline (2 s) each is answered 408 and closed.
  int cut = 0;
  for (auto& s : slow) cut += s->read_all(std::chrono::seconds(5)).find(" 408 ") != std::string::npos ? 1 : 0;
  BOOST_TEST(cut == 1100);
  BOOST_TEST_MESSAGE("1,100 slow connections: " << cut << " answered 408; leader peak RSS "
                                                << before / 1024 << " -> " << peak_kib(leader->proc.pid()) / 1024 << " MiB");
  serves();
}

BOOST_FIXTURE_TEST_CASE(http_framing_attacks_are_refused, hostile_cluster) {
  const long before = peak_kib(leader->proc.pid());
  {
    // A chunk-size line that never ends: 100 MiB of it are never read.
    raw_http h(leader->http_port);
    h.send("PUT /kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;");
    const std::string mib(1024 * 1024, 'e');
    for (int i = 0; i < 100; ++i) h.send(mib);  // the server closes early; sends then fail
    BOOST_TEST(h.read_all(std::chrono::seconds(5)).find(" 400 ") != std::string::npos);
  }
  {
    // Smuggling: a Transfer-Encoding other than chunked, a request behind it.
    auto c = leader->client();
    BOOST_REQUIRE(c.Put("/kv/keep", "kept", "text/plain"));
    raw_http h(leader->http_port);
    h.send("PUT /kv/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
           "DELETE /kv/keep HTTP/1.1\r\nHost: x\r\n\r\n");
    const auto out = h.read_all(std::chrono::seconds(3));
    BOOST_TEST(out.find(" 400 ") != std::string::npos);
    auto g = c.Get("/kv/keep");
    BOOST_REQUIRE(g);
    BOOST_TEST(g->body == "kept");  // the smuggled DELETE never ran
  }
  {
    // A 1 MiB header.
    raw_http h(leader->http_port);
    h.send("GET /kv/a HTTP/1.1\r\nX-Big: " + std::string(1024 * 1024, 'h') + "\r\n\r\n");
    BOOST_TEST(h.read_all(std::chrono::seconds(5)).find(" 431 ") != std::string::npos);
  }
  {
    // 10,000 pipelined requests on one connection: all answered, in order.
    raw_http h(leader->http_port);
    std::string burst;
    for (int i = 0; i < 10000; ++i) burst += "GET /kv/keep?stale=true HTTP/1.1\r\nHost: x\r\n\r\n";
    h.send(burst);
    std::string out;
    std::size_t answers = 0;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (answers < 10000 && std::chrono::steady_clock::now() < deadline) {
      out += h.read_all(std::chrono::milliseconds(200));
      answers = 0;
      for (auto at = out.find("HTTP/1.1 200"); at != std::string::npos; at = out.find("HTTP/1.1 200", at + 1)) ++answers;
    }
    BOOST_TEST(answers == 10000u);
  }
  BOOST_TEST_MESSAGE("leader peak RSS " << before / 1024 << " -> " << peak_kib(leader->proc.pid()) / 1024 << " MiB");
  BOOST_TEST(peak_kib(leader->proc.pid()) - before < 64 * 1024);
  serves();
}

BOOST_AUTO_TEST_SUITE_END()
