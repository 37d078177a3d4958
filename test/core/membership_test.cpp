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

namespace {

membership_change add(std::uint64_t id) {
  return membership_change{membership_op::add_learner, node_id{id}, "n" + std::to_string(id)};
}

}  // namespace

// §4.1 (single-server changes) and Ongaro's raft-dev note of 2015 on the bug
// in it: one change at a time, and a new leader changes nothing before it has
// committed an entry of its own term.
BOOST_AUTO_TEST_CASE(s4_1_one_membership_change_at_a_time) {
  network net(3);
  net.elect(1);
  net.isolate(1);  // nothing commits from here on
  auto first = net.node(1).propose_membership(add(4));
  BOOST_REQUIRE(first.ok());
  BOOST_TEST(net.node(1).config().find(4_n) != nullptr);  // in force once appended
  auto second = net.node(1).propose_membership(add(5));
  BOOST_TEST(second.error == actraft::core::propose_error::change_in_progress);
  BOOST_TEST(net.node(1).config().find(5_n) == nullptr);
  // Commands still go in meanwhile.
  BOOST_TEST(net.node(1).propose(text("x")).ok());
  net.heal();
  net.deliver_all();
  net.tick(1, 2);
  BOOST_REQUIRE(net.node(1).log().commit() >= first.index);
  BOOST_TEST(net.node(1).propose_membership(add(5)).ok());
}

BOOST_AUTO_TEST_CASE(s4_1_a_new_leader_commits_its_own_entry_before_a_change) {
  network net(3);
  net.elect(1);
  commit_proposals(net, 1, 2, "a");
  // Node 2 wins term 2 but its no-op is not committed yet (cut off at once).
  net.node(2).campaign();
  net.drop_if = [](const message& m) { return m.type == message_type::append && m.from == 2_n; };
  net.deliver_all();
  BOOST_REQUIRE(net.node(2).current_role() == role::leader);
  BOOST_REQUIRE(net.node(2).log().commit() < net.node(2).log().last_index());
  auto r = net.node(2).propose_membership(add(4));
  BOOST_TEST(r.error == actraft::core::propose_error::change_in_progress);
  net.drop_if = nullptr;
  net.tick(2, 2);
  BOOST_REQUIRE(net.node(2).log().commit() == net.node(2).log().last_index());
  BOOST_TEST(net.node(2).propose_membership(add(4)).ok());
}

// Learners are replicated to but are not voters: they never campaign and do
// not count toward a commit. They do grant a vote when asked: a candidate
// asks only the voters of its own configuration, which may already list the
// learner as promoted when the learner's log does not yet (etcd's
// campaign_learner_must_vote; thesis §4.2.1 makes new servers non-voting to
// keep them out of majorities, not to keep them from answering).
BOOST_AUTO_TEST_CASE(s4_2_1_learners_do_not_campaign_or_count_but_answer_votes) {
  knobs k;
  k.promote_lag = -1;  // a learner for good
  network net(3, k);
  net.elect(1);
  net.add(4, persisted_state{hard_state{}, actraft::core::snapshot_meta{}, {}}, k);
  auto r = net.node(1).propose_membership(add(4));
  BOOST_REQUIRE(r.ok());
  net.deliver_all();
  net.tick(1, 2);
  BOOST_REQUIRE(net.node(1).config().find(4_n) != nullptr);
  BOOST_REQUIRE(!net.node(4).config().is_voter(4_n));
  // No campaign, however long it hears nothing.
  net.isolate(4);
  const auto term = net.node(4).term();
  net.tick(4, 100);
  BOOST_TEST(net.node(4).current_role() == role::follower);
  BOOST_TEST(net.node(4).term() == term);
  net.heal();
  // Not counted: with the two other voters cut off, the learner's
  // acknowledgement does not commit anything.
  net.cut(1, 2);
  net.cut(1, 3);
  const auto commit = net.node(1).log().commit();
  BOOST_REQUIRE(net.node(1).propose(text("needs a voter")).ok());
  net.deliver_all();
  BOOST_TEST(net.node(4).log().last_index() == net.node(1).log().last_index());
  BOOST_TEST(net.node(1).log().commit() == commit);
  // It answers a vote request (here, one whose candidate lists it as a voter).
  net.heal();
  auto& learner = net.node(4);
  learner.step(vote_request(2, 4, learner.term().value + 1, learner.log().last_index().value,
                            learner.log().last_term().value));
  auto out = net[4].drain();
  auto votes = only(out.after, message_type::vote_response);
  BOOST_REQUIRE(votes.size() == 1u);
  BOOST_TEST(!votes[0].reject);
}

// §4.2.2: a leader removing itself replicates the change but does not count
// itself toward its commit, and steps down once it is committed (etcd's
// CommitAfterRemoveNode, confchange_v1_remove_leader).
BOOST_AUTO_TEST_CASE(s4_2_2_a_leader_that_removes_itself_steps_down_once_committed) {
  network net(3);
  net.elect(1);
  commit_proposals(net, 1, 1, "a");
  // Only node 2 hears the leader: with itself not counted, one follower is
  // not a majority of the new configuration {2, 3} (two voters).
  net.cut(1, 3);
  auto r = net.node(1).propose_membership(membership_change{membership_op::remove, 1_n, {}});
  BOOST_REQUIRE(r.ok());
  net.deliver_all();
  BOOST_TEST(net.node(1).current_role() == role::leader);
  BOOST_TEST(net.node(1).log().commit() < r.index);
  net.heal();
  net.tick(1, 3);
  BOOST_TEST(net.node(1).log().commit() >= r.index);
  BOOST_TEST(net.node(1).current_role() == role::follower);
  for (int round = 0; round < 60 && !net.leader(); ++round) net.tick_all();
  BOOST_REQUIRE(net.leader());
  BOOST_TEST(*net.leader() != 1u);
  BOOST_TEST(net.node(*net.leader()).config().voter_count() == 2u);
}

// Figure 2 (persistent state on all servers, updated before responding) for
// a lone voter: with nobody to ask it would win its election at once, in
// memory. Crashing before its term and vote were durable, it would come back
// in the old term, free to vote for another candidate of the term it led: two
// leaders of one term (simulator seeds 36349 and 537011, a member left alone
// in its configuration by removals, its writes stuck on a full disk). It
// leads only once its vote for itself is durable.
BOOST_AUTO_TEST_CASE(s5_2_a_lone_voter_leads_only_once_its_own_vote_is_durable) {
  peer p{make_options(1), fresh_state(1)};
  const auto before = p->term();
  p->campaign();
  BOOST_TEST(p->current_role() == role::candidate);
  ready rd = p->take_ready();
  BOOST_TEST(p->current_role() == role::candidate);
  // The write never happens: a crash.
  p.restart();
  BOOST_TEST(p->term() == before);
  BOOST_TEST(p->vote() == actraft::core::no_node);
  // And with the write: leader.
  p->campaign();
  rd = p->take_ready();
  p.persist(rd);
  p->advance();
  BOOST_TEST(p->current_role() == role::leader);
  BOOST_TEST(p.disk().state.vote == 1_n);
}
