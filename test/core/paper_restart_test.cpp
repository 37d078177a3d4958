// Paper tests, part 4: restarts from persisted state and hostile input.
// Raft paper, Figure 2 "State" (persistent vs volatile state) and §5.1
// ("servers ... ignore ... stale" / malformed requests must not corrupt the
// log: Log Matching, §5.3).
#include "harness.hpp"

#include <limits>

using namespace actraft::test;
namespace core = actraft::core;

BOOST_AUTO_TEST_SUITE(paper_restart)

// Figure 2, State: currentTerm and votedFor are "persistent state on all
// servers (updated on stable storage before responding to RPCs)". A node
// that restarts still refuses a second vote in the same term (§5.2: at most
// one vote per term — across crashes too).
BOOST_AUTO_TEST_CASE(fig2_restart_keeps_term_and_vote_so_votes_once_per_term) {
  peer p{make_options(1), fresh_state(3)};
  p->step(vote_request(2, 1, 1, 0, 0));
  output out = p.drain();
  BOOST_REQUIRE(!only(out.after, message_type::vote_response, 2_n).front().reject);

  p.restart();
  BOOST_TEST(p->term() == 1_t);
  BOOST_TEST(p->vote() == 2_n);
  BOOST_TEST(p->current_role() == role::follower);
  BOOST_TEST(p->leader() == core::no_node);

  p->step(vote_request(3, 1, 1, 0, 0));
  out = p.drain();
  auto resp = only(out.all(), message_type::vote_response, 3_n);
  BOOST_REQUIRE_EQUAL(resp.size(), 1u);
  BOOST_TEST(resp.front().reject);
  BOOST_TEST(p->vote() == 2_n);

  p->step(vote_request(2, 1, 1, 0, 0));
  out = p.drain();
  auto again = only(out.all(), message_type::vote_response, 2_n);
  BOOST_REQUIRE_EQUAL(again.size(), 1u);
  BOOST_TEST(!again.front().reject);
}

// Figure 2, State: a candidate's vote for itself is persistent as well.
BOOST_AUTO_TEST_CASE(fig2_restarted_candidate_does_not_vote_for_another_in_its_term) {
  peer p{make_options(1), fresh_state(3)};
  p->campaign();
  p.drain();
  p.restart();
  BOOST_TEST(p->term() == 1_t);
  BOOST_TEST(p->vote() == 1_n);
  BOOST_TEST(p->current_role() == role::follower);  // the role is volatile
  p->step(vote_request(2, 1, 1, 5, 1));
  output out = p.drain();
  auto resp = only(out.all(), message_type::vote_response, 2_n);
  BOOST_REQUIRE_EQUAL(resp.size(), 1u);
  BOOST_TEST(resp.front().reject);
}

// Figure 2, State: the log is persistent, role and leader are volatile. A
// restarted leader comes back as a follower with its log; the cluster
// carries on and every committed entry survives (State Machine Safety).
BOOST_AUTO_TEST_CASE(fig2_restarted_leader_keeps_log_loses_leadership) {
  network net(3);
  net.elect(1);
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(net.node(1).propose(text("c" + std::to_string(i))).ok());
  net.deliver_all();
  BOOST_REQUIRE(net.node(1).log().commit() == 4_i);
  const std::vector<std::uint64_t> terms = log_terms(net.node(1).log());
  const raft_term t = net.node(1).term();

  net.crash(1);
  net.restart(1);
  BOOST_TEST(net.node(1).current_role() == role::follower);
  BOOST_TEST(net.node(1).leader() == core::no_node);
  BOOST_TEST(net.node(1).term() == t);
  BOOST_TEST(log_terms(net.node(1).log()) == terms, boost::test_tools::per_element());
  BOOST_TEST(net.node(1).log().commit() == net[1].disk().state.commit);
  BOOST_TEST(net.node(1).followers().empty());

  for (int i = 0; i < 100 && !net.leader(); ++i) net.tick_all();
  BOOST_REQUIRE(net.leader().has_value());
  const std::uint64_t l = *net.leader();
  BOOST_TEST(net.node(l).term() > t);
  BOOST_REQUIRE(net.node(l).propose(text("after restart")).ok());
  net.deliver_all();
  net.tick(l);
  for (std::uint64_t id = 1; id <= 3; ++id) {
    BOOST_TEST_CONTEXT("node " << id) {
      BOOST_TEST(net.node(id).log().commit() == 6_i);
      for (std::uint64_t i = 2; i <= 4; ++i)
        BOOST_TEST(net[id].applied().at(i).data == text("c" + std::to_string(i - 2)));
    }
  }
}

// Figure 2, Followers: a restarted follower still answers its leader, and
// AppendEntries consistency (§5.3) lets it resume where its disk ended.
BOOST_AUTO_TEST_CASE(fig2_restarted_follower_catches_up_from_its_disk) {
  network net(3);
  net.elect(1);
  BOOST_REQUIRE(net.node(1).propose(text("a")).ok());
  net.deliver_all();
  net.crash(3);
  BOOST_REQUIRE(net.node(1).propose(text("b")).ok());
  net.deliver_all();
  net.restart(3);
  BOOST_TEST(net.node(3).log().last_index() == 2_i);
  for (int i = 0; i < 3; ++i) net.tick(1);
  BOOST_TEST(net.node(3).log().last_index() == 3_i);
  BOOST_TEST(net.node(3).log().commit() == 3_i);
  BOOST_TEST(net[3].applied().at(3).data == text("b"));
}

// A state machine that keeps its own state (store::last_applied_index)
// restarts holding entries up to some index: they were committed (only
// committed entries are applied), so the commit index starts there, and the
// core hands out only what comes after.
BOOST_AUTO_TEST_CASE(a_state_machine_that_kept_its_state_gets_only_what_follows) {
  // Term 1, entries 1..5 durable, commit 2 on disk; the state machine holds 4.
  core::node n(make_options(1), state_with(1, 1, 1, {1, 1, 1, 1, 1}, 2), log_index{4});
  BOOST_TEST(n.log().commit() == 4_i);
  BOOST_REQUIRE(n.has_ready());
  auto rd = n.take_ready();
  BOOST_TEST(rd.committed.empty());  // 3 and 4 are not handed out again
  n.advance();
  // Leading alone, it commits 5 (and its own empty entry 6) and hands out
  // exactly those.
  n.campaign();
  std::vector<std::uint64_t> handed;
  for (int i = 0; i < 4 && n.has_ready(); ++i) {
    auto r = n.take_ready();
    for (const auto& e : r.committed) handed.push_back(e.index.value);
    n.advance();
  }
  BOOST_TEST(handed == (std::vector<std::uint64_t>{5, 6}), boost::test_tools::per_element());
}

// ---------------------------------------------------------------------------
// Hostile and malformed messages: the core drops them without crashing and
// without any observable change. (A follower that accepted them would break
// Log Matching, §5.3, or the rule that log terms never decrease.)
BOOST_AUTO_TEST_CASE(hostile_messages_to_a_follower_are_dropped) {
  const std::uint64_t big = std::numeric_limits<std::uint64_t>::max();
  struct row {
    const char* what;
    message m;
  };
  auto bad_entries = [](std::uint64_t prev, std::uint64_t prev_term, std::vector<entry> es) {
    return append(2, 1, 2, prev, prev_term, std::move(es));
  };
  auto reindexed = [](std::vector<entry> es, std::vector<std::uint64_t> indexes) {
    for (std::size_t k = 0; k < es.size(); ++k) es[k].index = log_index{indexes[k]};
    return es;
  };
  const std::vector<row> rows = {
      {"wrong recipient, higher term", append(2, 3, 7, 2, 2, make_entries(3, {7}))},
      {"vote request for another recipient", vote_request(3, 2, 7, 9, 9)},
      {"entries not directly after prevLogIndex", bad_entries(2, 2, make_entries(4, {2}))},
      {"entries overlapping prevLogIndex", bad_entries(2, 2, make_entries(2, {2}))},
      {"duplicate index", bad_entries(2, 2, reindexed(make_entries(3, {2, 2}), {3, 3}))},
      {"gap between entries", bad_entries(2, 2, reindexed(make_entries(3, {2, 2}), {3, 5}))},
      {"decreasing indexes", bad_entries(2, 2, reindexed(make_entries(3, {2, 2}), {4, 3}))},
      {"entry term above the message term", bad_entries(2, 2, make_entries(3, {3}))},
      {"prevLogIndex at the end of the index space", bad_entries(big, 2, {})},
      {"entries at the end of the index space",
       bad_entries(big - 1, 2, reindexed(make_entries(1, {2}), {big}))},
      {"entries wrapping around the index space",
       bad_entries(big, 2, reindexed(make_entries(1, {2, 2}), {0, 1}))},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.what) {
      peer p{make_options(1), state_with(3, 2, 2, {1, 2}, 1)};
      p->step(msg(message_type::heartbeat, 2, 1, 2));
      p.drain();
      BOOST_REQUIRE(p->leader() == 2_n);
      const observable before{p.get()};
      p->step(r.m);
      output out = p.drain();
      BOOST_TEST((observable{p.get()} == before));
      BOOST_TEST(out.entries.empty());
      BOOST_TEST(out.committed.empty());
      for (const auto& m : out.all()) BOOST_TEST(m.reject);  // never an acknowledgement
    }
  }
}

// Hostile input beyond the malformed-append list above: a heartbeat claiming
// a commit index past the end of the log, entries whose terms decrease, and
// responses that do not answer anything. No crash, no commit beyond the log.
BOOST_AUTO_TEST_CASE(hostile_commit_and_term_order_do_not_corrupt_a_follower) {
  {
    peer p{make_options(1), state_with(3, 2, 2, {1, 2})};
    message hb = msg(message_type::heartbeat, 2, 1, 2);
    hb.commit = 100_i;
    p->step(hb);
    p.drain();
    BOOST_TEST(p->log().commit() <= p->log().last_index());
    BOOST_TEST(p->applied() <= p->log().last_index());
  }
  {  // log terms never decrease along a log (they are the leaders' terms)
    peer p{make_options(1), state_with(3, 2, 2, {1, 2})};
    p->step(append(2, 1, 2, 2, 2, make_entries(3, {1})));
    p.drain();
    BOOST_TEST(log_terms(p->log()) == (std::vector<std::uint64_t>{1, 2}), boost::test_tools::per_element());
  }
  {  // responses to requests never sent
    peer p{make_options(1), state_with(3, 2, 2, {1, 2})};
    const observable before{p.get()};
    p->step(append_ack(2, 1, 2, 50));
    p->step(vote_response(2, 1, 2, true));
    p->step(vote_response(3, 1, 2, true, true));
    p->step(msg(message_type::heartbeat_response, 3, 1, 2));
    p.drain();
    BOOST_TEST((observable{p.get()} == before));
  }
}

// A leader given nonsense acknowledgements — beyond its log, from non-members,
// from itself — keeps its commit index within its log and does not crash.
BOOST_AUTO_TEST_CASE(hostile_acknowledgements_to_a_leader_are_harmless) {
  peer p{make_options(1), fresh_state(3)};
  win_election(p, {2});
  const log_index last = p->log().last_index();
  p->step(append_ack(2, 1, 1, 1000));
  p->step(append_ack(9, 1, 1, 1));
  p->step(append_ack(1, 1, 1, 1));
  p->step(append_ack(3, 1, 1, std::numeric_limits<std::uint64_t>::max()));
  message hint = msg(message_type::append_response, 3, 1, 1);
  hint.reject = true;
  hint.index = log_index{std::numeric_limits<std::uint64_t>::max()};
  hint.hint_index = hint.index;
  hint.hint_term = 99_t;
  p->step(hint);
  p->step(msg(message_type::heartbeat_response, 9, 1, 1));
  p.drain();
  BOOST_TEST(p->current_role() == role::leader);
  BOOST_TEST(p->log().last_index() == last);
  BOOST_TEST(p->log().commit() <= last);
  for (const auto& [id, pr] : p->followers()) {
    BOOST_TEST_CONTEXT("follower " << id) {
      BOOST_TEST(pr.match <= last);
      BOOST_TEST(pr.next <= last + 1);
    }
  }
  BOOST_TEST(p->followers().count(9_n) == 0u);
  // The leader still works: a real acknowledgement still commits.
  BOOST_REQUIRE(p->propose(text("x")).ok());
  p.drain();
  p->step(append_ack(2, 1, 1, 2));
  p.drain();
  BOOST_TEST(p->log().commit() == 2_i);
}

BOOST_AUTO_TEST_SUITE_END()
