// Reads without a log write (§6.4 of Ongaro's thesis): ReadIndex, the
// leader lease (§6.4.1) and reads on followers, one rule per test.
#include "harness.hpp"

using namespace actraft::test;
using namespace actraft::test::literals;
using actraft::core::read_mode;
using actraft::core::read_state;

namespace {

knobs lease_knobs() {
  knobs k;
  k.check_quorum = true;
  k.pre_vote = true;
  k.reads = read_mode::lease;
  return k;
}

bool no_heartbeat_responses(const message& m) { return m.type == message_type::heartbeat_response; }

/// The one read a peer settled since last asked.
read_state only_read(peer& p) {
  const auto reads = p.take_reads();
  BOOST_REQUIRE_EQUAL(reads.size(), 1u);
  return reads[0];
}

}  // namespace

BOOST_AUTO_TEST_SUITE(read_index)

BOOST_AUTO_TEST_CASE(s6_4_no_answer_before_a_quorum_answered_a_round_sent_after_the_read) {
  network net(5);
  net.elect(1);
  BOOST_REQUIRE(net.node(1).propose(text("a")).ok());
  net.deliver_all();
  const log_index commit = net.node(1).log().commit();
  (void)net[1].take_reads();

  // Only node 2 answers heartbeats: with the leader, two of five.
  net.drop_if = [](const message& m) {
    return m.type == message_type::heartbeat_response && m.from != 2_n;
  };
  BOOST_REQUIRE(net.node(1).read_index(7));
  net.deliver_all();
  BOOST_TEST(net[1].take_reads().empty());
  net.tick(1, 3);  // more rounds, still no quorum
  BOOST_TEST(net[1].take_reads().empty());

  // Node 3 answers too: three of five.
  net.drop_if = [](const message& m) {
    return m.type == message_type::heartbeat_response && m.from != 2_n && m.from != 3_n;
  };
  net.tick(1);
  const read_state read = only_read(net[1]);
  BOOST_TEST(read.id == 7u);
  BOOST_TEST(read.ok);
  BOOST_TEST(read.index == commit);  // the commit index when the read arrived
}

BOOST_AUTO_TEST_CASE(s6_4_an_answer_to_a_round_sent_before_the_read_does_not_count) {
  network net(3);
  net.elect(1);
  (void)net[1].take_reads();
  net.node(1).tick();  // a heartbeat round goes out ...
  net.collect();
  net.drop_if = no_heartbeat_responses;
  BOOST_REQUIRE(net.node(1).read_index(1));  // ... before the read arrives
  net.drop_if = nullptr;
  // The answers to the earlier round arrive (delivered in FIFO order), the
  // read's own round is answered only after: the read is served once.
  net.deliver_all();
  const read_state read = only_read(net[1]);
  BOOST_TEST(read.ok);
  // It had a round of its own: more heartbeats than the tick's round.
  BOOST_TEST(only(net.trace, message_type::heartbeat).size() >= 4u);
}

BOOST_AUTO_TEST_CASE(s6_4_reads_waiting_together_share_one_round) {
  network net(3);
  net.elect(1);
  net.deliver_all();
  (void)net[1].take_reads();
  const auto before = only(net.trace, message_type::heartbeat).size();
  for (std::uint64_t id = 1; id <= 5; ++id) BOOST_REQUIRE(net.node(1).read_index(id));
  net.deliver_all();
  const auto reads = net[1].take_reads();
  BOOST_REQUIRE_EQUAL(reads.size(), 5u);
  for (const auto& r : reads) {
    BOOST_TEST(r.ok);
    BOOST_TEST(r.index == reads[0].index);
  }
  // One heartbeat per follower for all five reads.
  BOOST_TEST(only(net.trace, message_type::heartbeat).size() - before == 2u);
}

BOOST_AUTO_TEST_CASE(s6_4_a_new_leader_serves_reads_only_after_committing_an_entry_of_its_term) {
  network net(3);
  net.elect(1);
  BOOST_REQUIRE(net.node(1).propose(text("a")).ok());
  net.deliver_all();
  // Node 2 wins an election, but its no-op is not acknowledged yet.
  net.drop_if = [](const message& m) { return m.type == message_type::append_response && m.to == 2_n; };
  net.node(2).campaign();
  net.deliver_all();
  BOOST_REQUIRE(net.node(2).current_role() == role::leader);
  const log_index noop = net.node(2).log().last_index();
  BOOST_REQUIRE(net.node(2).log().commit() < noop);
  (void)net[2].take_reads();
  BOOST_REQUIRE(net.node(2).read_index(3));
  net.tick(2, 2);  // heartbeat rounds are answered, but the commit index may be stale
  BOOST_TEST(net[2].take_reads().empty());

  net.drop_if = nullptr;
  net.tick(2);  // the heartbeat answers bring the append retried: the no-op commits
  net.deliver_all();
  const read_state read = only_read(net[2]);
  BOOST_TEST(read.ok);
  BOOST_TEST(read.index >= noop);
}

BOOST_AUTO_TEST_CASE(s6_4_a_leader_cut_off_never_serves_and_its_reads_fail) {
  network net(3);
  net.elect(1);
  (void)net[1].take_reads();
  net.isolate(1);
  net.elect(2);
  BOOST_REQUIRE(net.node(2).propose(text("newer")).ok());
  net.deliver_all();

  BOOST_REQUIRE(net.node(1).current_role() == role::leader);  // no check-quorum here
  BOOST_REQUIRE(net.node(1).read_index(9));
  for (int i = 0; i < 9; ++i) {
    net.tick(1);
    for (const auto& r : net[1].take_reads()) BOOST_FAIL("a leader cut off settled read " << r.id);
  }
  net.tick(1);  // an election timeout without a quorum's answer
  const read_state read = only_read(net[1]);
  BOOST_TEST(!read.ok);
}

BOOST_AUTO_TEST_CASE(s6_4_reads_fail_when_the_leader_steps_down) {
  network net(3);
  net.elect(1);
  (void)net[1].take_reads();
  net.drop_if = no_heartbeat_responses;
  BOOST_REQUIRE(net.node(1).read_index(4));
  net.deliver_all();
  net.drop_if = nullptr;
  net.elect(2);  // node 1 hears of term 2 and steps down
  BOOST_REQUIRE(net.node(1).current_role() == role::follower);
  const read_state read = only_read(net[1]);
  BOOST_TEST(!read.ok);
}

BOOST_AUTO_TEST_CASE(s6_4_a_lone_voter_serves_at_once) {
  network net(1);
  net.elect(1);
  net.deliver_all();
  (void)net[1].take_reads();
  BOOST_REQUIRE(net.node(1).read_index(2));
  net.deliver_all();
  const read_state read = only_read(net[1]);
  BOOST_TEST(read.ok);
  BOOST_TEST(read.index == net.node(1).log().commit());
}

// --- Reads on followers --------------------------------------------------------

BOOST_AUTO_TEST_CASE(s6_4_a_follower_asks_the_leader_for_the_read_index) {
  network net(3);
  net.elect(1);
  BOOST_REQUIRE(net.node(1).propose(text("a")).ok());
  net.deliver_all();
  const log_index commit = net.node(1).log().commit();
  (void)net[2].take_reads();
  BOOST_REQUIRE(net.node(2).read_index(11));
  net.deliver_all();
  const read_state read = only_read(net[2]);
  BOOST_TEST(read.id == 11u);
  BOOST_TEST(read.ok);
  BOOST_TEST(read.index == commit);
  BOOST_TEST(net[1].take_reads().empty());  // served by the follower, not the leader
  BOOST_TEST(only(net.trace, message_type::read_index).size() == 1u);
}

BOOST_AUTO_TEST_CASE(s6_4_a_follower_without_a_leader_refuses_and_a_lost_answer_fails) {
  network net(3);
  BOOST_TEST(!net.node(2).read_index(1));  // nobody leads yet: nothing pending
  net.elect(1);
  (void)net[2].take_reads();
  net.drop_if = [](const message& m) { return m.type == message_type::read_index_response; };
  BOOST_REQUIRE(net.node(2).read_index(2));
  net.deliver_all();
  BOOST_TEST(net[2].take_reads().empty());
  net.node(2).tick();
  net.node(1).tick();
  net.deliver_all();
  for (int i = 0; i < 12 && net[2].take_reads().empty(); ++i) {
    // Heartbeats keep it a follower; its question times out.
    net.node(1).tick();
    net.node(2).tick();
    net.deliver_all();
    const auto reads = net[2].take_reads();
    if (reads.empty()) continue;
    BOOST_REQUIRE_EQUAL(reads.size(), 1u);
    BOOST_TEST(!reads[0].ok);
    return;
  }
  BOOST_FAIL("a read whose answer was lost never failed");
}

BOOST_AUTO_TEST_CASE(s6_4_a_deposed_leader_refuses_a_followers_question) {
  network net(3);
  net.elect(1);
  net.isolate(1);
  net.elect(2);
  net.heal();
  // Node 3 still asks node 1 (as if it had not heard of term 2 yet): node 1
  // learns the newer term from the answer... here, node 1 steps down first.
  net.node(1).step([] {
    message m;
    m.type = message_type::heartbeat;
    m.from = 2_n;
    m.to = 1_n;
    m.term = 2_t;
    return m;
  }());
  net.deliver_all();
  message q;
  q.type = message_type::read_index;
  q.from = 3_n;
  q.to = 1_n;
  q.term = net.node(1).term();
  q.context = 5;
  net.node(1).step(q);
  const auto out = net[1].drain();
  const auto answers = only(out.all(), message_type::read_index_response);
  BOOST_REQUIRE_EQUAL(answers.size(), 1u);
  BOOST_TEST(answers[0].reject);
  BOOST_TEST(answers[0].context == 5u);
}

BOOST_AUTO_TEST_CASE(s6_4_a_leader_refuses_followers_questions_beyond_its_bound) {
  knobs k;
  network net(3, k);
  net.elect(1);
  auto& leader = net.node(1);
  // Nobody answers rounds: questions pile up until the bound.
  net.drop_if = no_heartbeat_responses;
  message q;
  q.type = message_type::read_index;
  q.from = 2_n;
  q.to = 1_n;
  q.term = leader.term();
  std::size_t refused = 0;
  const std::size_t bound = leader.opts().max_pending_reads;
  for (std::size_t i = 0; i < bound + 3; ++i) {
    q.context = i;
    leader.step(q);
  }
  for (const auto& m : net[1].drain().all())
    if (m.type == message_type::read_index_response && m.reject) ++refused;
  BOOST_TEST(refused == 3u);
}

// --- The lease (§6.4.1) ----------------------------------------------------------

BOOST_AUTO_TEST_CASE(s6_4_1_lease_reads_need_check_quorum_and_a_margin) {
  auto o = make_options(1, lease_knobs());
  BOOST_TEST(o.validate().empty());
  o.check_quorum = false;
  BOOST_TEST(o.validate() == "lease reads need check_quorum");
  o.check_quorum = true;
  o.lease_margin_ticks = 1;
  BOOST_TEST(!o.validate().empty());
  o.lease_margin_ticks = o.election_ticks;
  BOOST_TEST(!o.validate().empty());
}

BOOST_AUTO_TEST_CASE(s6_4_1_within_the_lease_a_read_needs_no_round_and_after_it_does) {
  network net(3, lease_knobs());
  net.elect(1);
  net.tick_all();  // a round answered by both followers: the lease starts
  (void)net[1].take_reads();
  const auto heartbeats = only(net.trace, message_type::heartbeat).size();
  BOOST_REQUIRE(net.node(1).read_index(1));
  net.deliver_all();
  BOOST_TEST(only_read(net[1]).ok);
  BOOST_TEST(only(net.trace, message_type::heartbeat).size() == heartbeats);  // no round

  // Cut off, the leader's lease runs out after election_ticks - margin ticks
  // (7 here), well before the followers could elect anyone else.
  net.isolate(1);
  for (int i = 0; i < 6; ++i) net.tick(1);
  BOOST_REQUIRE(net.node(1).read_index(2));
  net.deliver_all();
  BOOST_TEST(net[1].take_reads().size() == 1u);  // still within the lease
  net.tick(1);
  BOOST_REQUIRE(net.node(1).read_index(3));
  net.deliver_all();
  BOOST_TEST(net[1].take_reads().empty());  // lease over: waits for a round that never comes
}

BOOST_AUTO_TEST_CASE(s6_4_1_expire_lease_forgets_the_rounds_counted_so_far) {
  network net(3, lease_knobs());
  net.elect(1);
  net.tick_all();
  (void)net[1].take_reads();
  net.isolate(1);
  net.node(1).expire_lease();  // the caller's ticks came late: time may have passed
  BOOST_REQUIRE(net.node(1).read_index(1));
  net.deliver_all();
  BOOST_TEST(net[1].take_reads().empty());
}

BOOST_AUTO_TEST_CASE(s6_4_1_a_handover_ends_the_lease_for_the_term) {
  network net(3, lease_knobs());
  net.elect(1);
  net.tick_all();
  (void)net[1].take_reads();
  // timeout_now is lost: the transfer is abandoned, node 1 leads on...
  net.drop_if = [](const message& m) { return m.type == message_type::timeout_now; };
  BOOST_REQUIRE(net.node(1).transfer_leadership(2_n));
  net.deliver_all();
  net.tick_all(11);
  BOOST_REQUIRE(net.node(1).current_role() == role::leader);
  BOOST_REQUIRE(net.node(1).transferee() == actraft::core::no_node);
  (void)net[1].take_reads();
  // ... but a late timeout_now could still make node 2 win past the
  // voters' promise: reads take a round for the rest of the term.
  const auto heartbeats = only(net.trace, message_type::heartbeat).size();
  BOOST_REQUIRE(net.node(1).read_index(1));
  net.deliver_all();
  BOOST_TEST(net[1].take_reads().size() == 1u);
  BOOST_TEST(only(net.trace, message_type::heartbeat).size() > heartbeats);
}

BOOST_AUTO_TEST_CASE(s6_4_1_a_restarted_voter_votes_for_nobody_for_an_election_timeout) {
  auto k = lease_knobs();
  k.pre_vote = false;
  network net(3, k);
  net.elect(1);
  net.tick_all();
  net.restart(3);  // forgets that it heard from node 1
  net.isolate(1);
  net.node(2).campaign();
  net.deliver_all();
  BOOST_TEST(net.node(2).current_role() != role::leader);  // node 3 kept node 1's lease
  net.tick(3, 10);  // an election timeout later node 3 may vote again
  net.node(2).campaign();
  net.deliver_all();
  BOOST_TEST(net.node(2).current_role() == role::leader);
}

BOOST_AUTO_TEST_CASE(s6_4_1_without_lease_mode_a_restarted_voter_votes_at_once) {
  knobs k;
  k.check_quorum = true;
  network net(3, k);
  net.elect(1);
  net.tick_all();
  net.restart(3);
  net.isolate(1);
  net.node(2).campaign();
  net.deliver_all();
  BOOST_TEST(net.node(2).current_role() == role::leader);
}

BOOST_AUTO_TEST_SUITE_END()
