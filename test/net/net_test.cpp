// The network boundary without sockets: the wire format (every frame round
// trips; malformed, truncated and lying frames are refused without
// allocating what they claim), the cluster CA and join tokens, and TLS
// sessions talking to each other through memory.
#define BOOST_TEST_MODULE actraft_net
#include <boost/test/unit_test.hpp>

#include "cluster_ca.hpp"
#include "tls.hpp"
#include "wire.hpp"

using namespace actraft;
using namespace actraft::net;

namespace {

core::message sample_message() {
  core::message m;
  m.type = core::message_type::append;
  m.from = core::node_id{2};
  m.to = core::node_id{3};
  m.term = core::raft_term{7};
  m.index = core::log_index{40};
  m.log_term = core::raft_term{6};
  m.entries.push_back(core::entry{core::raft_term{7}, core::log_index{41}, core::entry_kind::normal,
                                  core::payload(std::string("put a 1"))});
  m.entries.push_back(core::entry{core::raft_term{7}, core::log_index{42}, core::entry_kind::empty, {}});
  m.snapshot.index = core::log_index{30};
  m.snapshot.term = core::raft_term{5};
  m.snapshot.config.members.push_back(core::member{core::node_id{1}, "10.0.0.1:9001", true});
  m.snapshot.config.max_assigned_id = core::node_id{3};
  m.commit = core::log_index{39};
  m.reject = true;
  m.hint_index = core::log_index{12};
  m.hint_term = core::raft_term{4};
  m.transfer = true;
  return m;
}

/// The body of a whole frame.
std::vector<char> body_of(const std::vector<char>& frame) {
  BOOST_REQUIRE(frame.size() >= frame_header_bytes);
  BOOST_REQUIRE_EQUAL(frame_length(frame.data()), frame.size() - frame_header_bytes);
  return {frame.begin() + frame_header_bytes, frame.end()};
}

/// Two sessions joined by memory; runs until both are established or one fails.
bool connect(tls_session& client, tls_session& server) {
  for (int round = 0; round < 20; ++round) {
    std::vector<char> to_server, to_client, plain;
    client.take_output(to_server);
    if (!to_server.empty() && !server.receive(to_server.data(), to_server.size(), plain)) return false;
    server.take_output(to_client);
    if (!to_client.empty() && !client.receive(to_client.data(), to_client.size(), plain)) return false;
    if (client.established() && server.established() && to_server.empty() && to_client.empty()) return true;
  }
  return client.established() && server.established();
}

std::shared_ptr<tls_context> member_context(const cluster_secrets& s, std::uint64_t id) {
  credentials c{s.ca_pem, {}, new_private_key()};
  BOOST_REQUIRE(issue_member_certificate(s, id, public_key_of(c.key_pem), c.cert_pem).empty());
  auto made = tls_context::make(c);
  BOOST_REQUIRE(made.index() == 0);
  return std::get<0>(made);
}

}  // namespace

BOOST_AUTO_TEST_CASE(every_frame_round_trips) {
  const auto m = sample_message();
  auto raft = encode_raft({m, m});
  auto b = body_of(raft);
  BOOST_TEST((kind_of(b.data(), b.size()) == frame_kind::raft));
  auto ms = decode_raft(b.data(), b.size());
  BOOST_REQUIRE(ms);
  BOOST_REQUIRE_EQUAL(ms->size(), 2u);
  BOOST_TEST(((*ms)[0] == m));

  hello h{wire_version, std::string(32, 'a'), 5, "[::1]:9001"};
  b = body_of(encode(h));
  auto h2 = decode_hello(b.data(), b.size());
  BOOST_REQUIRE(h2);
  BOOST_TEST(h2->cluster_id == h.cluster_id);
  BOOST_TEST(h2->member == 5u);
  BOOST_TEST(h2->address == h.address);

  request q;
  q.id = 9;
  q.kind = op::chunk;
  q.chunk = chunk_body{m, 4096, bytes(1000, 7), true};
  b = body_of(encode(q));
  auto q2 = decode_request(b.data(), b.size());
  BOOST_REQUIRE(q2);
  BOOST_TEST(q2->id == 9u);
  BOOST_TEST((q2->chunk.header == m));
  BOOST_TEST(q2->chunk.offset == 4096u);
  BOOST_TEST(q2->chunk.data == q.chunk.data);
  BOOST_TEST(q2->chunk.last);

  response r;
  r.id = 9;
  r.ok = true;
  r.join.id = 4;
  r.join.members = m.snapshot.config.members;
  r.join.cluster_id = h.cluster_id;
  r.join.cert_pem = "cert";
  b = body_of(encode(r, op::join));
  BOOST_TEST(*response_id(b.data(), b.size()) == 9u);
  auto r2 = decode_response(b.data(), b.size(), op::join);
  BOOST_REQUIRE(r2);
  BOOST_TEST(r2->join.id == 4u);
  BOOST_TEST((r2->join.members == r.join.members));
  BOOST_TEST(r2->join.cert_pem == "cert");

  request t;
  t.id = 10;
  t.kind = op::transfer;
  t.member = 3;
  b = body_of(encode(t));
  auto t2 = decode_request(b.data(), b.size());
  BOOST_REQUIRE(t2);
  BOOST_TEST((t2->kind == op::transfer));
  BOOST_TEST(t2->member == 3u);
  response tr;
  tr.id = 10;
  tr.ok = true;
  tr.number = 3;
  b = body_of(encode(tr, op::transfer));
  BOOST_TEST(decode_response(b.data(), b.size(), op::transfer)->number == 3u);
  // An op beyond the last known one is refused.
  b = body_of(encode(t));
  b[9] = 6;
  BOOST_TEST(!decode_request(b.data(), b.size()));

  b = body_of(encode_refuse("go away"));
  BOOST_TEST(*decode_refuse(b.data(), b.size()) == "go away");
}

BOOST_AUTO_TEST_CASE(malformed_frames_are_refused_without_allocating) {
  const auto good = body_of(encode_raft({sample_message()}));
  // Every truncation, and one byte too many, is refused.
  for (std::size_t n = 0; n < good.size(); ++n) BOOST_TEST(!decode_raft(good.data(), n));
  auto longer = good;
  longer.push_back(0);
  BOOST_TEST(!decode_raft(longer.data(), longer.size()));
  // A forwarded command that claims 4 GiB in a 13-byte frame.
  std::vector<char> lying{static_cast<char>(frame_kind::request), 0, 0, 0, 0, 0, 0, 0, 1,
                          static_cast<char>(op::forward), '\xff', '\xff', '\xff', '\xff'};
  BOOST_TEST(!decode_request(lying.data(), lying.size()));
  // Four billion messages claimed by a 5-byte frame.
  std::vector<char> many{static_cast<char>(frame_kind::raft), '\xff', '\xff', '\xff', '\xff'};
  BOOST_TEST(!decode_raft(many.data(), many.size()));
  // Values out of range: a message type, an entry kind, a boolean.
  for (std::size_t at : {std::size_t{5}, std::size_t{5 + 45 + 16}}) {
    auto bad = good;
    bad[at] = 42;
    BOOST_TEST(!decode_raft(bad.data(), bad.size()), "byte " << at);
  }
  BOOST_TEST(!kind_of(nullptr, 0));
  char unknown = 9;
  BOOST_TEST(!kind_of(&unknown, 1));
}

BOOST_AUTO_TEST_CASE(join_tokens_round_trip_and_reject_anything_else) {
  auto s = std::get<0>(create_cluster());
  const auto text = make_join_token(s);
  auto t = parse_join_token(text);
  BOOST_REQUIRE(t);
  BOOST_TEST(t->cluster_id == s.cluster_id);
  BOOST_TEST(t->secret == s.join_secret);
  BOOST_TEST(t->ca_sha256 == certificate_sha256(s.ca_pem));
  BOOST_TEST(!parse_join_token(""));
  BOOST_TEST(!parse_join_token(text.substr(1)));
  auto upper = text;
  upper.back() = 'G';
  BOOST_TEST(!parse_join_token(upper));
  BOOST_TEST(same_secret(s.join_secret, t->secret));
  BOOST_TEST(!same_secret(s.join_secret, std::string(64, '0')));
  BOOST_TEST(!same_secret("", ""));
}

BOOST_AUTO_TEST_CASE(credentials_are_checked_when_loaded) {
  auto s = std::get<0>(create_cluster());
  auto other = std::get<0>(create_cluster());
  credentials c{s.ca_pem, {}, new_private_key()};
  BOOST_REQUIRE(issue_member_certificate(s, 2, public_key_of(c.key_pem), c.cert_pem).empty());
  BOOST_TEST(tls_context::make(c).index() == 0);

  auto wrong_key = c;
  wrong_key.key_pem = new_private_key();
  BOOST_TEST(std::get<1>(tls_context::make(wrong_key)).find("does not belong") != std::string::npos);
  auto wrong_ca = c;
  wrong_ca.ca_pem = other.ca_pem;
  BOOST_TEST(std::get<1>(tls_context::make(wrong_ca)).find("does not chain") != std::string::npos);
  auto garbage = c;
  garbage.cert_pem = "not a certificate";
  BOOST_TEST(tls_context::make(garbage).index() == 1);
  BOOST_TEST(std::get<1>(read_credential_files("/nonexistent/ca", "/x", "/y")).find("cannot read the CA") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(members_of_one_ca_connect_and_know_each_other) {
  auto s = std::get<0>(create_cluster());
  auto a = member_context(s, 1);
  auto b = member_context(s, 2);
  tls_session client(b, tls_session::side::client);
  tls_session server(a, tls_session::side::server);
  BOOST_REQUIRE(connect(client, server));
  BOOST_TEST(server.peer().has_certificate);
  BOOST_TEST(server.peer().member == 2u);
  BOOST_TEST(server.peer().organization == cluster_organization(s.cluster_id));
  BOOST_TEST(client.peer().member == 1u);
  // Data both ways.
  std::vector<char> wire, plain;
  BOOST_REQUIRE(client.send("ping", 4));
  client.take_output(wire);
  BOOST_REQUIRE(server.receive(wire.data(), wire.size(), plain));
  BOOST_TEST(std::string(plain.begin(), plain.end()) == "ping");
}

BOOST_AUTO_TEST_CASE(a_certificate_of_another_ca_is_refused) {
  auto s = std::get<0>(create_cluster());
  auto other = std::get<0>(create_cluster());
  tls_session client(member_context(other, 1), tls_session::side::client);
  tls_session server(member_context(s, 1), tls_session::side::server);
  BOOST_TEST(!connect(client, server));
  BOOST_TEST(!(client.error() + server.error()).empty());
}

BOOST_AUTO_TEST_CASE(a_joiner_checks_the_server_by_the_token_s_fingerprint) {
  auto s = std::get<0>(create_cluster());
  auto other = std::get<0>(create_cluster());
  auto server_ctx = member_context(s, 1);
  {
    auto pinned = std::get<0>(tls_context::make(credentials{}, certificate_sha256(s.ca_pem)));
    tls_session client(pinned, tls_session::side::client);
    tls_session server(server_ctx, tls_session::side::server);
    BOOST_REQUIRE(connect(client, server));
    BOOST_TEST(!server.peer().has_certificate);  // a joiner has none yet
  }
  {
    // A token of another cluster: the joiner refuses this server.
    auto pinned = std::get<0>(tls_context::make(credentials{}, certificate_sha256(other.ca_pem)));
    tls_session client(pinned, tls_session::side::client);
    tls_session server(server_ctx, tls_session::side::server);
    BOOST_TEST(!connect(client, server));
    BOOST_TEST(client.error().find("join token") != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(member_ids_in_common_names) {
  BOOST_TEST(member_of_common_name("member 12") == 12u);
  BOOST_TEST(member_of_common_name("member ") == 0u);
  BOOST_TEST(member_of_common_name("member 1x") == 0u);
  BOOST_TEST(member_of_common_name("admin 1") == 0u);
}
