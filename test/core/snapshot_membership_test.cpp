// §7 snapshots meet §4 membership changes: what a snapshot says about the
// configuration when the member taking or sending it joined late. Both
// cases come from simulator seeds 360424 and 379564 (5 nodes), where a
// joined member that later led could never catch a lagging follower up.
#include "harness.hpp"

#include "actraft/core/membership.hpp"

using namespace actraft::test;
using actraft::core::membership_change;
using actraft::core::membership_op;

namespace {

/// A server that joins with an empty data directory: no log, no snapshot,
/// no configuration (it learns every one of them from the leader).
persisted_state empty_server() {
  return persisted_state{hard_state{}, actraft::core::snapshot_meta{}, {}};
}


/// Leader `leader` adds `id` as a learner; returns the index of the change.
log_index add_learner(network& net, std::uint64_t leader, std::uint64_t id) {
  auto r = net.node(leader).propose_membership(
      membership_change{membership_op::add_learner, node_id{id}, "n" + std::to_string(id)});
  BOOST_REQUIRE_MESSAGE(r.ok(), "add_learner refused: " << r.reason);
  net.deliver_all();
  return r.index;
}

}  // namespace

// §7: "the last included configuration" is part of every snapshot. The
// cluster's first configuration is the bootstrap snapshot at index 0, which
// a server joining with an empty log never receives: until the entry that
// adds it, it cannot tell which configuration is in force, so it must not
// describe (or compact into) a snapshot there.
BOOST_AUTO_TEST_CASE(s7_a_joiner_cannot_snapshot_before_it_knows_the_configuration) {
  network net(3);
  net.elect(1);
  commit_proposals(net, 1, 5, "a");
  net.add(4, empty_server());
  const log_index added = add_learner(net, 1, 4);
  net.tick(1, 2);  // heartbeats carry the commit index
  auto& joiner = net[4];
  BOOST_REQUIRE(joiner->log().last_index() >= added);
  BOOST_REQUIRE(joiner->applied() >= added);

  BOOST_TEST(!joiner->snapshot_meta_at(added - 1).has_value());
  BOOST_TEST(!joiner.compact(added - 1));
  BOOST_TEST(joiner->log().snapshot().index == 0_i);  // refused: nothing changed

  // From its own addition on, the configuration is in its log.
  auto meta = joiner->snapshot_meta_at(added);
  BOOST_REQUIRE(meta.has_value());
  BOOST_TEST(meta->config.find(4_n) != nullptr);
  BOOST_TEST(meta->config.voter_count() == 3u);
  BOOST_TEST(joiner.compact(added));
}

// A member that joined received the leader's snapshot, which predates its
// own addition; it is promoted and leads before it takes a snapshot of its
// own. A follower cut off since before that snapshot needs it: the new
// leader sends a snapshot whose configuration does not list the leader
// itself. The follower installs it, answers the leader all the same (it
// answers whoever sent the message), and catches up from the log, which
// brings the configuration that lists the leader.
BOOST_AUTO_TEST_CASE(s7_a_leader_whose_snapshot_predates_its_addition_catches_a_follower_up) {
  network net(3);
  net.elect(1);
  commit_proposals(net, 1, 2, "a");
  net.isolate(3);
  commit_proposals(net, 1, 5, "b");
  const log_index snap = net.node(1).log().last_index();
  BOOST_REQUIRE(net[1].compact(snap));

  net.add(4, empty_server());
  net.isolate(3);  // from the newcomer too
  const log_index added = add_learner(net, 1, 4);
  BOOST_REQUIRE(added > snap);
  net.tick(1, 3);  // catch up, promote (promote_lag), commit
  BOOST_REQUIRE(net.node(1).config().is_voter(4_n));
  const auto& snapshot_of_4 = net.node(4).log().snapshot();
  BOOST_REQUIRE(snapshot_of_4.index == snap);  // installed from the leader
  BOOST_REQUIRE(snapshot_of_4.config.find(4_n) == nullptr);  // predates its addition

  BOOST_REQUIRE(net.node(1).transfer_leadership(4_n));
  net.deliver_all();
  BOOST_REQUIRE(net.node(4).current_role() == role::leader);
  commit_proposals(net, 4, 2, "c");

  net.heal();
  net.trace.clear();
  for (int i = 0; i < 10; ++i) net.tick_all();
  bool snapshot_sent = false;
  for (const auto& m : net.trace)
    if (m.type == message_type::snapshot && m.from == 4_n && m.to == 3_n) snapshot_sent = true;
  BOOST_TEST(snapshot_sent);
  auto& f = net.node(3);
  BOOST_TEST(f.log().snapshot().index == snap);
  BOOST_TEST(f.log().last_index() == net.node(4).log().last_index());
  BOOST_TEST(f.log().commit() == net.node(4).log().commit());
  BOOST_TEST((f.config() == net.node(4).config()));
  BOOST_TEST(f.config().is_voter(4_n));
  BOOST_TEST(net.node(4).followers().at(3_n).match == net.node(4).log().last_index());
}
