// etcd-io/raft's scenarios (its datadriven testdata/ and raft_test.go), built
// on our core. Each test names the etcd scenario it follows and checks the
// same behaviour; where actraft differs on purpose the comment says how and
// why. docs/testing.md maps every etcd scenario to its test here.
#include "harness.hpp"

#include "actraft/core/membership.hpp"

using namespace actraft::test;
using actraft::core::membership_change;
using actraft::core::membership_op;
using actraft::core::replication_state;

BOOST_AUTO_TEST_SUITE(etcd_scenarios)

// lagging_commit: the leader's answer to a follower that appended but whose
// acknowledgements were lost, and then missed the commit. A heartbeat carries
// min(matchIndex, commitIndex) (never more than the follower is known to
// hold); the follower's answer makes the leader send an (empty) append, whose
// answer moves matchIndex, and the next append carries the commit index.
BOOST_AUTO_TEST_CASE(lagging_commit_a_follower_that_missed_the_commit_learns_it_by_heartbeat) {
  network net(3);
  net.elect(1);
  const log_index before = net.node(1).log().commit();
  // 3 gets the entries, its answers are lost, and so is everything from the
  // leader that carries the new commit index.
  net.drop_if = [&](const message& m) {
    return (m.from == 3_n && m.to == 1_n) || (m.to == 3_n && m.commit > before);
  };
  BOOST_REQUIRE(net.node(1).propose(text("data1")).ok());
  BOOST_REQUIRE(net.node(1).propose(text("data2")).ok());
  net.deliver_all();
  const log_index last = net.node(1).log().last_index();
  BOOST_REQUIRE(net.node(1).log().commit() == last);  // with node 2
  BOOST_REQUIRE(net.node(3).log().last_index() == last);
  BOOST_REQUIRE(net.node(3).log().commit() == before);
  BOOST_REQUIRE(net.node(1).followers().at(3_n).match < last);

  net.drop_if = nullptr;
  net.trace.clear();
  net.tick(1, 1);  // one heartbeat round
  auto heartbeats = only(net.trace, message_type::heartbeat, 3_n);
  BOOST_REQUIRE(!heartbeats.empty());
  BOOST_TEST(heartbeats.front().commit == before);  // capped at what 3 is known to hold
  BOOST_TEST(net.node(1).followers().at(3_n).match == last);
  BOOST_TEST(net.node(3).log().commit() == last);
}

// replicate_pause: appends to a follower whose window is full are paused;
// when the ones in flight are lost, heartbeat answers recover the follower
// (each frees a slot and resends from where the follower is, which turns the
// gap into a rejection and a probe) without any new proposal.
BOOST_AUTO_TEST_CASE(replicate_pause_appends_lost_at_a_full_window_are_recovered_by_heartbeats) {
  knobs k;
  k.max_inflight = 3;
  k.max_batch_bytes = 1;  // one entry per append
  network net(3, k);
  net.elect(1);
  net.drop_if = [](const message& m) { return m.to == 3_n && m.type == message_type::append; };
  for (int round = 0; round < 2; ++round)
    for (int i = 0; i < 3; ++i) BOOST_REQUIRE(net.node(1).propose(text("p")).ok());
  net.deliver_all();
  const log_index last = net.node(1).log().last_index();
  BOOST_REQUIRE(net.node(1).log().commit() == last);  // with node 2
  const auto& pr = net.node(1).followers().at(3_n);
  BOOST_REQUIRE(pr.state == replication_state::replicate);
  BOOST_REQUIRE(pr.paused(k.max_inflight));
  BOOST_REQUIRE(net.node(3).log().last_index() < last);

  net.drop_if = nullptr;
  net.tick(1, k.heartbeat_ticks);
  BOOST_TEST(net.node(3).log().last_index() == last);
  BOOST_TEST(net.node(3).log().commit() == last);
  BOOST_TEST(net.node(1).followers().at(3_n).match == last);
  BOOST_TEST((net.node(1).followers().at(3_n).state == replication_state::replicate));
}

// heartbeat_resp_recovers_from_probing: a follower in the probe state whose
// probe was lost (etcd gets there with ReportUnreachable; here a new
// leader's first append to it is lost, so it lacks only that leader's first
// entry) does not stay there: the heartbeat answer makes the leader send an
// append, whose answer restores replicate. (etcd also sends to a probing
// follower that lacks nothing; our leader sends only to one behind, so a
// follower caught up in probe stays in probe, harmlessly, until the next
// entry.)
BOOST_AUTO_TEST_CASE(heartbeat_response_recovers_a_follower_from_a_lost_probe) {
  network net(3);
  net.elect(1);
  commit_proposals(net, 1, 2);
  int lost = 0;
  net.drop_if = [&](const message& m) {
    return m.from == 2_n && m.to == 3_n && m.type == message_type::append && lost++ == 0;
  };
  net.elect(2);
  BOOST_REQUIRE_EQUAL(lost, 1);  // dropped, and nothing more was sent while probing
  const auto& pr = net.node(2).followers().at(3_n);
  BOOST_REQUIRE(pr.state == replication_state::probe);
  BOOST_REQUIRE(pr.probe_sent);

  net.tick(2, 1);
  BOOST_TEST((net.node(2).followers().at(3_n).state == replication_state::replicate));
  BOOST_TEST(net.node(2).followers().at(3_n).match == net.node(2).log().last_index());
  BOOST_TEST(net.node(3).log().commit() == net.node(2).log().last_index());
}

// snapshot_succeed_via_app_resp: the follower answers a snapshot like an
// append, and that answer (not a separate report) puts it back in replicate.
// Our replica sends the snapshot file in force, which may be newer than the
// core's compaction point it was asked for: an answer at or past the pending
// index counts. (etcd's "_behind" variant, an answer below the pending index
// that the log can still continue from, cannot happen here: the core asks for
// its compaction point, and the file in force is never older.)
BOOST_AUTO_TEST_CASE(snapshot_succeed_via_app_resp_a_newer_snapshot_answer_resumes_replication) {
  network net(3);
  net.elect(1);
  net.isolate(3);
  commit_proposals(net, 1, 6);
  const log_index compacted = net.node(1).log().commit() - 2;
  BOOST_REQUIRE(net[1].compact(compacted));
  net.heal();
  // Deliver, instead of the core's snapshot, one at the leader's commit
  // index (as the replica does when its file is newer).
  const log_index newer = net.node(1).log().commit();
  auto meta = net.node(1).snapshot_meta_at(newer);
  BOOST_REQUIRE(meta.has_value());
  bool replaced = false;
  net.drop_if = [&](const message& m) {
    if (m.type != message_type::snapshot || replaced) return false;
    BOOST_TEST(m.snapshot.index == compacted);
    replaced = true;
    net.node(3).step(snapshot_message(1, 3, m.term.value, *meta));
    return true;
  };
  net.tick(1, 1);
  BOOST_REQUIRE(replaced);
  BOOST_TEST(net.node(3).log().snapshot().index == newer);
  BOOST_TEST((net.node(1).followers().at(3_n).state == replication_state::replicate));
  BOOST_TEST(net.node(1).followers().at(3_n).match == net.node(1).log().last_index());
  commit_proposals(net, 1, 1, "after");
  BOOST_TEST(net.node(3).log().commit() == net.node(1).log().last_index());
}

// campaign_learner_must_vote: a learner answers vote requests. A member that
// was promoted but has not heard of it yet still thinks it is a learner; the
// candidate counts it as a voter by its newer configuration. If it refused,
// a majority of the current voters could be up and still elect nobody.
BOOST_AUTO_TEST_CASE(campaign_learner_must_vote_a_promoted_learner_that_does_not_know_it_votes) {
  persisted_state s = fresh_state(2);
  s.snapshot.config.members.push_back(actraft::core::member{3_n, "", false});
  s.snapshot.config.max_assigned_id = 3_n;
  knobs k;
  k.promote_lag = -1;  // promoted by hand below
  network net({s, s, s}, k);
  net.elect(1);
  net.drop_if = [](const message& m) { return m.to == 3_n; };
  auto r = net.node(1).propose_membership(membership_change{membership_op::promote, 3_n, {}});
  BOOST_REQUIRE_MESSAGE(r.ok(), r.reason);
  net.deliver_all();
  BOOST_REQUIRE(net.node(2).log().commit() >= r.index || net.node(1).log().commit() >= r.index);
  BOOST_REQUIRE(net.node(2).config().is_voter(3_n));
  BOOST_REQUIRE(!net.node(3).config().is_voter(3_n));  // it has not heard

  net.crash(1);
  net.drop_if = nullptr;
  net.node(2).campaign();
  net.deliver_all();
  BOOST_TEST(net.node(2).current_role() == role::leader);  // with the "learner"'s vote
  BOOST_TEST(net.node(3).config().is_voter(3_n));          // and it is caught up
}

// async_storage_writes_append_aba_race, made deterministic: a follower
// writes one batch at a time, and the entry at one index is replaced twice
// (terms 1, 2, 3) while the write of the previous one runs. A write that
// completes never makes the entry that replaced its own durable, each
// acknowledgement leaves with the write of the entry it acknowledges (true
// when sent; a later leader may still replace the entry, as in Raft), and
// the disk ends with the newest entry.
BOOST_AUTO_TEST_CASE(async_storage_writes_append_aba_race_a_completed_write_never_covers_a_replacement) {
  peer f{make_options(1), state_with(5, 1, 2, {1, 1}, 2)};
  // Leader 2 (term 1) sends entry 3; the write of it starts.
  f->step(append(2, 1, 1, 2, 1, make_entries(3, {1}), 2));
  ready first = f->take_ready();
  BOOST_REQUIRE_EQUAL(first.entries.size(), 1u);
  BOOST_REQUIRE_EQUAL(only(first.persisted_messages, message_type::append_response, 2_n).size(), 1u);
  // Leader 3 (term 2) replaces it before that write completes.
  f->step(append(3, 1, 2, 2, 1, make_entries(3, {2}), 2));
  BOOST_REQUIRE(f->log().at(3_i).term == 2_t);
  f.persist(first);
  f->advance();
  BOOST_TEST(f->log().durable() == 2_i);  // entry 3 of term 1 was written, not of term 2
  ready second = f->take_ready();
  BOOST_REQUIRE_EQUAL(second.entries.size(), 1u);
  BOOST_TEST(second.entries.front().term == 2_t);
  BOOST_TEST(only(second.persisted_messages, message_type::append_response, 3_n).size() == 1u);
  // Leader 4 (term 3) replaces it again while the second write runs.
  f->step(append(4, 1, 3, 2, 1, make_entries(3, {3}), 2));
  f.persist(second);
  f->advance();
  BOOST_TEST(f->log().durable() == 2_i);
  ready third = f->take_ready();
  BOOST_REQUIRE_EQUAL(third.entries.size(), 1u);
  BOOST_TEST(third.entries.front().term == 3_t);
  // The third write carries the acknowledgement of the third entry only.
  const auto acks = only(third.persisted_messages, message_type::append_response);
  BOOST_REQUIRE_EQUAL(acks.size(), 1u);
  BOOST_TEST(acks.front().to == 4_n);
  BOOST_TEST(acks.front().index == 3_i);
  f.persist(third);
  f->advance();
  BOOST_TEST(f->log().durable() == 3_i);
  BOOST_REQUIRE_EQUAL(f.disk().entries.size(), 3u);
  BOOST_TEST(f.disk().entries.back().term == 3_t);
}

// TestLeaderTransferSecondTransferToSameNode: asking again for the handover
// under way does not restart its clock; it is abandoned an election timeout
// after the first request (the leader refuses commands meanwhile).
BOOST_AUTO_TEST_CASE(leader_transfer_second_transfer_to_same_node_keeps_the_deadline) {
  knobs k;
  network net(3, k);
  net.elect(1);
  net.isolate(3);
  BOOST_REQUIRE(net.node(1).transfer_leadership(3_n));
  net.tick(1, k.heartbeat_ticks);
  BOOST_REQUIRE(net.node(1).transfer_leadership(3_n));  // the same, again
  BOOST_REQUIRE(net.node(1).transferee() == 3_n);
  net.tick(1, k.election_ticks - k.heartbeat_ticks);
  BOOST_TEST(net.node(1).current_role() == role::leader);
  BOOST_TEST(net.node(1).transferee() == actraft::core::no_node);
  BOOST_TEST(net.node(1).propose(text("accepted again")).ok());
}

// TestLeaderTransferAfterSnapshot: a transferee that needs a snapshot gets
// it first; the leader hands over only once the snapshot's answer says the
// transferee holds its whole log.
BOOST_AUTO_TEST_CASE(leader_transfer_after_snapshot_waits_for_the_snapshot_answer) {
  network net(3);
  net.elect(1);
  net.isolate(3);
  commit_proposals(net, 1, 3);
  BOOST_REQUIRE(net[1].compact(net.node(1).log().commit()));
  net.heal();
  std::optional<message> held;
  net.drop_if = [&](const message& m) {
    if (m.from != 3_n || m.type != message_type::append_response || m.reject || held) return false;
    held = m;  // the snapshot's answer
    return true;
  };
  BOOST_REQUIRE(net.node(1).transfer_leadership(3_n));
  net.deliver_all();
  BOOST_REQUIRE(held.has_value());
  BOOST_TEST(net.node(3).log().snapshot().index == net.node(1).log().snapshot().index);
  BOOST_TEST(net.node(1).current_role() == role::leader);  // no handover yet
  BOOST_TEST(net.node(1).transferee() == 3_n);

  net.drop_if = nullptr;
  net.node(1).step(*held);
  net.deliver_all();
  BOOST_TEST(net.node(3).current_role() == role::leader);
  BOOST_TEST(net.node(1).current_role() == role::follower);
  BOOST_TEST(net.node(1).leader() == 3_n);
  BOOST_TEST(net.node(1).transferee() == actraft::core::no_node);
}

// TestLeaderTransferReceiveHigherTermVote: a handover under way ends when a
// vote request of a higher term arrives: the leader steps down and follows
// whoever wins, with no handover left pending.
BOOST_AUTO_TEST_CASE(leader_transfer_receive_higher_term_vote_ends_the_handover) {
  network net(3);
  net.elect(1);
  net.isolate(3);
  BOOST_REQUIRE(net.node(1).transfer_leadership(3_n));
  net.node(2).campaign();
  net.deliver_all();
  BOOST_TEST(net.node(2).current_role() == role::leader);
  BOOST_TEST(net.node(1).current_role() == role::follower);
  BOOST_TEST(net.node(1).leader() == 2_n);
  BOOST_TEST(net.node(1).transferee() == actraft::core::no_node);
}

BOOST_AUTO_TEST_SUITE_END()
