// Single-server membership changes (Raft thesis §4.1-§4.2) on the pure core.
#include "harness.hpp"

#include "actraft/core/membership.hpp"

using namespace actraft::test;
using actraft::core::membership_change;
using actraft::core::membership_op;

// §4.2.2: the newest configuration is in force, committed or not, so a leader
// that appends its own removal counts itself no more. Should it lose its
// leadership before the removal commits, its log may be the only one that
// holds the removal: in a cluster of two voters the other one can then never
// win an election (it needs the removed node's vote, and the removed node's
// log is more up to date). The removed node still takes part in elections
// until its removal commits (§4.2.3: removed servers do start elections),
// counting the votes of its newest configuration's voters, never its own.
// Found by the simulator (seeds 112565 and 113555, 3 nodes, on the earlier
// simulator).
BOOST_AUTO_TEST_CASE(s4_2_2_a_leader_whose_uncommitted_removal_only_it_holds_still_gets_it_committed) {
  network net(2);
  net.elect(2);
  BOOST_REQUIRE(net.node(2).propose(text("before")).ok());
  net.deliver_all();
  net.isolate(2);
  auto r = net.node(2).propose_membership(membership_change{membership_op::remove, 2_n, {}});
  BOOST_REQUIRE(r.ok());
  net.deliver_all();
  BOOST_REQUIRE(net.node(2).log().commit() < r.index);  // only node 2 holds it
  BOOST_REQUIRE(net.node(2).config().find(2_n) == nullptr);
  net.crash(2);
  net.restart(2);  // a follower now, not in its newest configuration
  net.heal();
  for (int round = 0; round < 100 && net.node(1).current_role() != role::leader; ++round) net.tick_all();
  BOOST_REQUIRE(net.node(1).current_role() == role::leader);
  BOOST_TEST(net.node(1).config().voter_count() == 1u);
  BOOST_TEST(net.node(1).config().find(2_n) == nullptr);
  BOOST_TEST(net.node(1).log().commit() >= r.index);
  // Node 2, removed for good, stays quiet once it knows.
  const auto term = net.node(1).term();
  net.tick_all(50);
  BOOST_TEST(net.node(1).term() == term);
  BOOST_TEST(net.node(1).current_role() == role::leader);
}

// A leader appends its own removal, the others take it and commit it under
// a new leader, and the removed node restarts: it holds its removal but not
// its commit, and nobody will tell it (it is no member any more). It may
// campaign, but only with a pre-vote, whatever the options say: the voters'
// logs have moved on, so it is refused and nobody's term changes.
BOOST_AUTO_TEST_CASE(s4_2_3_a_removed_member_that_does_not_know_it_does_not_disrupt) {
  network net(3);  // no pre-vote, no check-quorum: the plain §5 rules
  net.elect(3);
  // Node 3 sees no answers: it never learns that its removal committed.
  net.drop_if = [](const message& m) { return m.to == 3_n; };
  auto r = net.node(3).propose_membership(membership_change{membership_op::remove, 3_n, {}});
  BOOST_REQUIRE(r.ok());
  net.deliver_all();
  net.crash(3);
  net.drop_if = nullptr;
  for (int round = 0; round < 100 && !net.leader(); ++round) net.tick_all();
  BOOST_REQUIRE(net.leader());
  const auto leader = *net.leader();
  BOOST_REQUIRE(net.node(leader).propose(text("after")).ok());
  net.deliver_all();
  BOOST_REQUIRE(net.node(leader).log().commit() > r.index);
  net.restart(3);
  BOOST_REQUIRE(net.node(3).config().find(3_n) == nullptr);
  BOOST_REQUIRE(net.node(3).log().commit() < r.index);
  const auto term = net.node(leader).term();
  for (int round = 0; round < 60; ++round) {
    net.tick(3);
    net.tick(leader);
  }
  BOOST_TEST(net.node(leader).current_role() == role::leader);
  BOOST_TEST(net.node(leader).term() == term);
  BOOST_TEST(net.node(3).current_role() != role::leader);
}
