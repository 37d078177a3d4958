// The public API's edges: what a user's code meets before the node runs,
// from inside an actor, and with a damaged snapshot.
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include "actraft/typed.hpp"
#include "fixture.hpp"
#include "../../examples/hash_store/hash_store.hpp"

using namespace actraft;
using namespace actraft::test;

namespace {

struct four_numbers {
  std::uint64_t a = 0, b = 0, c = 0, d = 0;
  template <class A> void serialize(A& ar) { ar(a, b, c, d); }
};

}  // namespace

BOOST_AUTO_TEST_SUITE(api)

// The README's store refuses a snapshot it cannot read, with a clear error,
// and keeps its state (the node then stops: it must not serve a wrong state).
BOOST_AUTO_TEST_CASE(the_readme_store_refuses_a_damaged_snapshot) {
  hash_store s;
  s.data["a"] = "1";
  const bytes good = s.snapshot();
  bytes damaged = good;
  damaged.resize(damaged.size() / 2);
  BOOST_CHECK_EXCEPTION(s.restore(damaged), std::invalid_argument, [](const std::invalid_argument& e) {
    return std::string(e.what()).find("snapshot cannot be decoded") != std::string::npos;
  });
  BOOST_TEST(s.data.size() == 1u);
  BOOST_CHECK_THROW(s.restore(bytes{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}), std::invalid_argument);
  s.data.clear();
  s.restore(good);
  BOOST_TEST(s.data.at("a") == "1");
}

BOOST_AUTO_TEST_CASE(helpers_before_the_node_started_say_so) {
  temp_dir tmp;
  member_process a{tmp.sub("a")};
  for (auto err : {a.node->propose(to_bytes("x")).error(), a.node->leave().error(),
                   a.node->status().error(), a.node->remove_member(2).error()})
    BOOST_TEST(is(err, errc::not_started), a.sys->render(err));
}

// From an actor, without blocking it: the typed result, or an error (here:
// a result that is not of the type asked for).
BOOST_AUTO_TEST_CASE(typed_proposals_from_an_actor) {
  temp_dir tmp;
  member_process a{tmp.sub("a")};
  a.node->lead();
  auto outcome = std::make_shared<std::vector<std::string>>();
  auto client = a.sys->spawn([mailbox = a.node->mailbox(), outcome](caf::event_based_actor* self) {
    // recording_store answers "<n>:<command>", 13 bytes here: too short for
    // four numbers.
    actraft::propose<four_numbers>(
        self, mailbox, std::string("raw"), std::chrono::seconds(10),
        [outcome](const four_numbers&) { outcome->push_back("decoded"); },
        [outcome](const caf::error& err) {
          outcome->push_back(is(err, errc::bad_request) ? "bad_request" : caf::to_string(err));
        });
  });
  caf::scoped_actor self{*a.sys};
  self->wait_for(client);
  BOOST_REQUIRE(outcome->size() == 1u);
  BOOST_TEST(outcome->front() == "bad_request");
  // The proposal itself was applied: only its result was not of that type.
  BOOST_TEST(a.store->applied().size() == 1u);
}

BOOST_AUTO_TEST_SUITE_END()
