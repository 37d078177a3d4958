// Limits where input enters a member: a command larger than
// max_command_bytes, more open requests than max_pending_requests, and a
// typed command whose lengths lie.
#include <sys/resource.h>

#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include "actraft/typed.hpp"
#include "fixture.hpp"
#include "../../examples/hash_store/hash_store.hpp"

using namespace actraft;
using namespace actraft::test;
using namespace std::chrono_literals;

BOOST_AUTO_TEST_SUITE(limits)

BOOST_AUTO_TEST_CASE(a_command_over_the_limit_is_refused_before_it_is_written) {
  temp_dir tmp;
  member_process a{tmp.sub("a"), "127.0.0.1:0", [](options& o) { o.max_command_bytes = 1000; }};
  a.node->lead();
  auto big = a.node->propose(bytes(1001, 'x'));
  BOOST_REQUIRE(!big);
  BOOST_TEST(is(big.error(), errc::bad_request));
  BOOST_TEST(a.sys->render(big.error()).find("max_command_bytes") != std::string::npos);
  BOOST_TEST(expect_ok(a.node->propose(bytes(1000, 'x')), *a.sys).size() > 0u);
  BOOST_TEST(a.node->status()->commit_index == 3u);  // the bootstrap, the leader's entry, one command
}

BOOST_AUTO_TEST_CASE(beyond_max_pending_requests_a_member_answers_overloaded) {
  temp_dir tmp;
  member_process a{tmp.sub("a"), "127.0.0.1:0", [](options& o) { o.max_pending_requests = 8; }};
  a.node->lead();
  // 500 proposals at once from one actor: some are refused at once, every
  // one is answered, and those accepted are applied.
  auto ok = std::make_shared<int>(0);
  auto overloaded = std::make_shared<int>(0);
  auto other = std::make_shared<int>(0);
  auto mailbox = a.node->mailbox();
  auto client = a.sys->spawn([=](caf::event_based_actor* self) {
    for (int i = 0; i < 500; ++i)
      self->request(mailbox, 10s, propose_atom_v, to_bytes("p" + std::to_string(i)))
          .then([ok](const bytes&) { ++*ok; },
                [overloaded, other](const caf::error& err) { ++*(is(err, errc::overloaded) ? overloaded : other); });
  });
  caf::scoped_actor self{*a.sys};
  self->wait_for(client);
  BOOST_TEST(*ok + *overloaded == 500);
  BOOST_TEST(*other == 0);
  BOOST_TEST(*overloaded > 0);
  BOOST_TEST(*ok >= 8);
  BOOST_TEST(a.store->applied().size() == static_cast<std::size_t>(*ok));
}

BOOST_AUTO_TEST_CASE(a_typed_command_claiming_gigabytes_fails_without_allocating_them) {
  rusage before{};
  ::getrusage(RUSAGE_SELF, &before);
  // insert{key, value}: the key's length claims 3 GiB, in 17 bytes.
  bytes lie{1, 0, 0, 0, 0xc0, 0, 0, 0, 0};
  lie.insert(lie.end(), 8, 'k');
  BOOST_TEST(!decode<insert>(lie));
  hash_store s;
  BOOST_CHECK_THROW(s.apply(lie), std::invalid_argument);
  rusage after{};
  ::getrusage(RUSAGE_SELF, &after);
  BOOST_TEST(after.ru_maxrss - before.ru_maxrss < 64 * 1024);  // KiB
}

BOOST_AUTO_TEST_SUITE_END()
