// Leadership transfer (§3.10 of the Raft thesis): the leader brings the
// transferee's log up to date, then sends it timeout_now; the transferee
// campaigns at once, past the voters' leader lease. Used by a leader that
// leaves the cluster, so the cluster does not wait an election timeout.
#include "harness.hpp"

using namespace actraft::test;
using namespace actraft::test::literals;
using actraft::core::propose_error;

namespace {

knobs lease_knobs() {
  knobs k;
  k.check_quorum = true;  // the lease would make voters ignore the transferee...
  k.pre_vote = true;      // ...and a pre-vote would fail for the same reason
  return k;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(leadership_transfer)

BOOST_AUTO_TEST_CASE(s3_10_up_to_date_transferee_takes_over_without_waiting) {
  network net(3, lease_knobs());
  net.elect(1);
  BOOST_REQUIRE(net.node(1).propose(text("a")).ok());
  net.deliver_all();
  const raft_term t = net.node(1).term();
  const log_index committed = net.node(1).log().commit();

  BOOST_REQUIRE(net.node(1).transfer_leadership(2_n));
  net.deliver_all();  // no tick: nobody's election timeout is involved
  BOOST_TEST(net.node(2).current_role() == role::leader);
  BOOST_TEST(net.node(2).term() == t + 1);
  BOOST_TEST(net.node(1).current_role() == role::follower);
  BOOST_TEST(net.node(1).leader() == 2_n);
  BOOST_TEST(net.node(1).transferee() == actraft::core::no_node);
  // Leader Completeness: the new leader holds every committed entry.
  BOOST_TEST(net.node(2).log().commit() >= committed);
  BOOST_TEST(net.node(2).propose(text("b")).ok());
  net.deliver_all();
  BOOST_TEST(net.node(1).log().commit() == net.node(2).log().last_index());
}

BOOST_AUTO_TEST_CASE(s3_10_lagging_transferee_is_caught_up_first_and_commands_wait) {
  network net(3, lease_knobs());
  net.elect(1);
  net.cut(1, 3);
  net.cut(3, 1);
  for (int i = 0; i < 5; ++i) BOOST_REQUIRE(net.node(1).propose(text("x")).ok());
  net.deliver_all();  // committed by 1 and 2; 3 lags
  BOOST_REQUIRE(net.node(3).log().last_index() < net.node(1).log().last_index());
  net.heal();

  BOOST_REQUIRE(net.node(1).transfer_leadership(3_n));
  // §3.10: the old leader stops accepting commands during the handover.
  BOOST_TEST(net.node(1).propose(text("late")).error == propose_error::transferring);
  BOOST_TEST(net.node(1).propose(text("late")).leader == 3_n);
  const log_index last = net.node(1).log().last_index();
  net.deliver_all();
  BOOST_TEST(net.node(3).current_role() == role::leader);
  // Nothing was lost on the way: 3 won with every entry the old leader had.
  BOOST_TEST(net.node(3).log().last_index() > last);  // + its own no-op
  BOOST_TEST((net.node(3).log().term_at(last) == net.node(1).log().term_at(last)));
}

BOOST_AUTO_TEST_CASE(s3_10_a_handover_that_cannot_happen_is_abandoned) {
  const knobs k = lease_knobs();
  network net(3, k);
  net.elect(1);
  net.crash(3);
  BOOST_REQUIRE(net.node(1).transfer_leadership(3_n));
  BOOST_TEST(net.node(1).propose(text("x")).error == propose_error::transferring);
  for (int i = 0; i < k.election_ticks; ++i) {
    net.tick(1);
    net.deliver_all();
  }
  BOOST_TEST(net.node(1).current_role() == role::leader);  // still leads (2 answers)
  BOOST_TEST(net.node(1).transferee() == actraft::core::no_node);
  BOOST_TEST(net.node(1).propose(text("x")).ok());
}

BOOST_AUTO_TEST_CASE(s3_10_only_a_leader_transfers_and_only_to_another_voter) {
  network net(3, lease_knobs());
  net.elect(1);
  BOOST_TEST(!net.node(1).transfer_leadership(1_n));  // itself
  BOOST_TEST(!net.node(1).transfer_leadership(7_n));  // not a member
  BOOST_TEST(!net.node(2).transfer_leadership(3_n));  // not the leader
  BOOST_TEST(net.node(1).transferee() == actraft::core::no_node);
  // A stray timeout_now from an old term changes nothing.
  const raft_term t = net.node(2).term();
  net.node(2).step(msg(message_type::timeout_now, 1, 2, t.value - 1));
  net.deliver_all();
  BOOST_TEST(net.node(1).current_role() == role::leader);
  BOOST_TEST(net.node(2).term() == t);
}

BOOST_AUTO_TEST_SUITE_END()
