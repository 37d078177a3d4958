// Reads without a log write through the mailbox (store::query): linearizable
// on every member, stale on request, and what a store without queries says.
#include <boost/test/unit_test.hpp>

#include "actraft/typed.hpp"
#include "fixture.hpp"

using namespace actraft;
using namespace actraft::test;

namespace {

std::uint64_t count_of(caf::expected<bytes> r, caf::actor_system& sys) {
  return std::stoull(expect_ok(std::move(r), sys));
}

/// Writes through the leader; after each acknowledged write, a linearizable
/// query on every member sees it (and a stale one never sees more).
void every_member_reads_its_writes(const std::function<void(options&)>& tweak) {
  temp_dir tmp;
  member_process a{tmp.sub("a"), "127.0.0.1:0", tweak}, b{tmp.sub("b"), "127.0.0.1:0", tweak},
      c{tmp.sub("c"), "127.0.0.1:0", tweak};
  form_cluster(a, {&b, &c});
  std::vector<member_process*> all{&a, &b, &c};
  for (int i = 1; i <= 20; ++i) {
    auto* writer = all[static_cast<std::size_t>(i) % 3];
    expect_ok(writer->node->propose(to_bytes("w" + std::to_string(i))), *writer->sys);
    for (auto* m : all) {
      BOOST_TEST(count_of(m->node->query(to_bytes("count")), *m->sys) >= static_cast<std::uint64_t>(i));
      BOOST_TEST(count_of(m->node->query_stale(to_bytes("count")), *m->sys) <= static_cast<std::uint64_t>(i));
    }
  }
}

struct silent_store : store {
  bytes apply(const bytes& c) override { return c; }
  bytes snapshot() override { return {}; }
  void restore(const bytes&) override {}
};

struct get_count {
  template <class A>
  void serialize(A&) {}
};
struct counter : typed_store<std::string, std::uint64_t, get_count, std::uint64_t> {
  std::uint64_t n = 0;
  std::uint64_t execute(const std::string&) override { return ++n; }
  std::uint64_t read(const get_count&) const override { return n; }
  bytes snapshot() override { return encode(n); }
  void restore(const bytes& b) override { n = decode_or_throw<std::uint64_t>(b); }
};

/// A single-member cluster around a store of the test's choice.
struct lone_member {
  temp_dir tmp;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<raft> node;
  explicit lone_member(std::unique_ptr<store> s) {
    add_types(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    node = std::make_unique<raft>(*sys, "127.0.0.1:0", std::move(s), fast_options(tmp.sub("a")));
    node->lead();
  }
  ~lone_member() { node->shutdown(); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(queries)

BOOST_AUTO_TEST_CASE(a_linearizable_query_on_any_member_sees_every_acknowledged_write) {
  every_member_reads_its_writes({});
}

BOOST_AUTO_TEST_CASE(the_same_with_lease_reads) {
  every_member_reads_its_writes([](options& o) { o.lease_reads = true; });
}

BOOST_AUTO_TEST_CASE(a_query_that_throws_fails_and_changes_nothing) {
  temp_dir tmp;
  member_process a{tmp.sub("a")};
  a.node->lead();
  expect_ok(a.node->propose(to_bytes("x")), *a.sys);
  auto r = a.node->query(to_bytes("throw"));
  BOOST_REQUIRE(!r);
  BOOST_TEST(is(r.error(), errc::query_failed));
  BOOST_TEST(count_of(a.node->query(to_bytes("count")), *a.sys) == 1u);
}

BOOST_AUTO_TEST_CASE(a_store_without_queries_answers_not_supported) {
  lone_member m{std::make_unique<silent_store>()};
  for (auto r : {m.node->query(to_bytes("q")), m.node->query_stale(to_bytes("q"))}) {
    BOOST_REQUIRE(!r);
    BOOST_TEST(is(r.error(), errc::not_supported));
  }
}

BOOST_AUTO_TEST_CASE(typed_queries_blocking_and_from_an_actor) {
  lone_member m{std::make_unique<counter>()};
  auto& node = *m.node;
  BOOST_TEST(*propose<std::uint64_t>(node, std::string("a")) == 1u);
  BOOST_TEST(*propose<std::uint64_t>(node, std::string("b")) == 2u);
  BOOST_TEST(*query<std::uint64_t>(node, get_count{}) == 2u);
  BOOST_TEST(*query_stale<std::uint64_t>(node, get_count{}) == 2u);
  auto seen = std::make_shared<std::uint64_t>(0);
  auto mb = node.mailbox();
  auto reader = m.sys->spawn([mb, seen](caf::event_based_actor* self) {
    query<std::uint64_t>(self, mb, get_count{}, 6s, [seen](std::uint64_t n) { *seen = n; },
                         [](const caf::error&) {});
  });
  caf::scoped_actor self{*m.sys};
  self->wait_for(reader);
  BOOST_TEST(*seen == 2u);
}

BOOST_AUTO_TEST_SUITE_END()
