// Addresses: how they are read and written (IPv4, IPv6 in brackets, names),
// and a member that listens on one address and advertises another.
#include <boost/test/unit_test.hpp>

#include "actraft/address.hpp"
#include "fixture.hpp"

using namespace actraft;
using namespace actraft::test;

namespace {

std::string round_trip(const std::string& text) {
  auto e = parse_address(text, true);
  return e ? e->to_string() : "<invalid>";
}

/// The startup_error's text of starting `m` (lead() when `through` is empty), or "".
std::string start_error(member_process& m, const std::string& through = {}) {
  try {
    through.empty() ? m.node->lead() : m.node->join(through);
  } catch (const startup_error& e) {
    return e.what();
  }
  return {};
}

}  // namespace

BOOST_AUTO_TEST_SUITE(addresses)

BOOST_AUTO_TEST_CASE(addresses_round_trip) {
  for (const char* same : {"127.0.0.1:9001", "10.0.0.4:1", "[::1]:9001", "[2001:db8::7]:65535",
                           "[fe80::1%eth0]:9001", "localhost:9001", "node-3.example.org:7000",
                           "n_1:0", "[::]:0", "0.0.0.0:9001"})
    BOOST_TEST(round_trip(same) == same);
  const auto v6 = parse_address("[2001:db8::7]:9001");
  BOOST_REQUIRE(v6);
  BOOST_TEST(v6->host == "2001:db8::7");  // as the resolver wants it: no brackets
  BOOST_TEST(v6->port == 9001);
  // IPv6 comes out in its canonical form, brackets included.
  BOOST_TEST(round_trip("[2001:DB8:0:0::7]:9001") == "[2001:db8::7]:9001");
  BOOST_TEST(round_trip("[0:0:0:0:0:0:0:1]:9001") == "[::1]:9001");
  // Earlier builds stored IPv6 members without brackets: still read from
  // the stored configuration and from older members, never from a user.
  const auto legacy = parse_stored_address("::1:29601");
  BOOST_REQUIRE(legacy);
  BOOST_TEST(legacy->to_string() == "[::1]:29601");
  BOOST_TEST(round_trip("::1:29601") == "<invalid>");
  BOOST_TEST(round_trip("2001:db8::a:10") == "<invalid>");  // a forgotten port is not port 10
}

BOOST_AUTO_TEST_CASE(malformed_addresses_are_refused) {
  for (const char* bad : {"", ":", "9001", "host", "host:", ":9001", "host:65536", "host:-1", "host:9x",
                          "host:0x10", "[::1]", "[::1:9001", "::1]:9001", "[]:9001", "[host]:9001",
                          "[1.2.3.4]:9001", "2001:db8::1",  // without a port: "2001:db8:" is no host
                          "ho st:9001", "host/x:9001", "h\n:9001", "[::1%]:9001", "[fe80::1%e h]:9001",
                          "[fe80::1%e]h]:9001"})
    BOOST_TEST(!parse_address(bad, true), "accepted '" << bad << "'");
  BOOST_TEST(!parse_address("host:0"));  // port 0 only where a free port may be picked
  BOOST_TEST(!parse_address(std::string(254, 'a') + ":1"));
}

BOOST_AUTO_TEST_CASE(wildcards_are_recognised_in_every_spelling) {
  // Also what the resolver reads as 0.0.0.0.
  for (const char* any : {"0.0.0.0", "::", "0:0:0:0:0:0:0:0", "::0", "0", "0x0", "0.0.0", "00.0.0.0",
                          "::ffff:0.0.0.0"})
    BOOST_TEST(is_wildcard(any), any);
  for (const char* one : {"127.0.0.1", "::1", "10.0.0.1", "localhost", "1", "2001:db8::", "::ffff:1.2.3.4"})
    BOOST_TEST(!is_wildcard(one), one);
}

// A member listening on every interface advertises the address it was
// given, with the port it bound; another joins through a host name and
// advertises an IPv6 address; a third advertises a host name. Every
// member's view holds what was advertised, and each is reached there.
BOOST_AUTO_TEST_CASE(listen_on_a_wildcard_advertise_an_address) {
  temp_dir tmp;
  member_process a{tmp.sub("a"), "0.0.0.0:0", [](options& o) { o.advertise_address = "127.0.0.1:0"; }};
  member_process b{tmp.sub("b"), "[::1]:0", [](options& o) { o.advertise_address = "[0::1]:0"; }};
  member_process c{tmp.sub("c"), "127.0.0.1:0", [](options& o) { o.advertise_address = "localhost:0"; }};
  a.node->lead();
  BOOST_TEST(a.node->address() == "127.0.0.1:" + std::to_string(a.node->port()));
  b.node->join("localhost:" + std::to_string(a.node->port()), a.node->join_token());
  BOOST_TEST(b.node->address() == "[::1]:" + std::to_string(b.node->port()));
  c.node->join(b.node->address(), a.node->join_token());
  BOOST_TEST(c.node->address() == "localhost:" + std::to_string(c.node->port()));
  BOOST_REQUIRE(eventually([&] {
    auto st = c.node->status();
    return st && st->members.size() == 3 && st->members[1].voter && st->members[2].voter;
  }));
  for (auto* m : {&a, &b, &c}) {
    auto st = m->node->status();
    BOOST_REQUIRE(st);
    BOOST_TEST(st->members[0].address == a.node->address());
    BOOST_TEST(st->members[1].address == b.node->address());
    BOOST_TEST(st->members[2].address == c.node->address());
  }
  // Every direction works: the leader reaches b at [::1] and c by name.
  BOOST_TEST(expect_ok(b.node->propose(to_bytes("through b")), *b.sys) == "1:through b");
  BOOST_TEST(expect_ok(c.node->propose(to_bytes("through c")), *c.sys) == "2:through c");
  BOOST_REQUIRE(eventually([&] { return b.store->applied().size() == 2 && c.store->applied().size() == 2; }));
  BOOST_TEST(static_cast<bool>(b.node->query(to_bytes("x"))));
}

BOOST_AUTO_TEST_CASE(a_wildcard_is_never_advertised) {
  temp_dir tmp;
  {
    member_process m{tmp.sub("a"), "0.0.0.0:0"};
    const auto err = start_error(m);
    BOOST_TEST(err.find("listening on the wildcard address '0.0.0.0:0' needs an advertise address") !=
                   std::string::npos, err);
  }
  {
    member_process m{tmp.sub("b"), "[::]:0"};
    BOOST_TEST(start_error(m).find("needs an advertise address") != std::string::npos);
  }
  {
    member_process m{tmp.sub("c"), "127.0.0.1:0", [](options& o) { o.advertise_address = "[::]:9001"; }};
    const auto err = start_error(m, "127.0.0.1:1");
    BOOST_TEST(err.find("cannot advertise the wildcard address '[::]:9001'") != std::string::npos, err);
  }
  {
    member_process m{tmp.sub("d"), "127.0.0.1:0", [](options& o) { o.advertise_address = "10.0.0.1"; }};
    const auto err = start_error(m);
    BOOST_TEST(err.find("invalid advertise address '10.0.0.1'") != std::string::npos, err);
  }
  // Nothing was written: the directories can start a member afterwards.
  for (const char* d : {"a", "b", "c", "d"}) {
    std::error_code ec;
    BOOST_TEST(!std::filesystem::exists(tmp.sub(d) + "/identity", ec), d);
  }
}

BOOST_AUTO_TEST_SUITE_END()
