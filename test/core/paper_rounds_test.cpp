// Paper tests, part 5: what happens round after round — a new randomized
// election timeout each term (§5.2), and what a leader sends when it takes a
// proposal, commits it, and beats while entries are unacknowledged (Figure 2,
// Leaders). They follow etcd-io/raft's raft_paper_test.go of the same names
// (see the mapping in docs/testing.md).
#include <map>
#include <set>

#include "harness.hpp"

using namespace actraft::test;
namespace core = actraft::core;

namespace {

constexpr int et = 10;  // knobs' election_ticks

/// Makes `p` a follower of a term one above its own (a heartbeat from a
/// leader of that term), as etcd's becomeFollower(term+1).
void follow_new_term(peer& p, std::uint64_t leader) {
  p->step(msg(message_type::heartbeat, leader, p->id().value, p->term().value + 1));
  p.drain();
  BOOST_REQUIRE(p->current_role() == role::follower);
}

/// Ticks `p` until it starts an election (its term moves); returns the ticks.
int ticks_to_election(peer& p) {
  const auto term = p->term();
  return ticks_until(p, [&](const core::node& n) { return n.term() != term; }, 4 * et);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(paper_rounds)

// §5.2: "election timeouts are chosen randomly from a fixed interval", and
// drawn again each time: over many terms one node reaches every value of
// [et, 2et) and nothing outside (etcd TestFollowerElectionTimeoutRandomized,
// TestCandidateElectionTimeoutRandomized).
BOOST_AUTO_TEST_CASE(s5_2_each_term_draws_a_new_timeout_over_the_whole_range) {
  for (const bool candidate : {false, true}) {
    BOOST_TEST_CONTEXT((candidate ? "candidate" : "follower")) {
      peer p{make_options(1), fresh_state(3)};
      if (candidate) {
        p->campaign();
        p.drain();
      }
      std::set<int> seen;
      for (int round = 0; round < 50 * et; ++round) {
        if (!candidate) follow_new_term(p, 2);
        const int t = ticks_to_election(p);  // a candidate: the next election
        BOOST_TEST(t >= et);
        BOOST_TEST(t < 2 * et);
        seen.insert(t);
      }
      for (int d = et; d < 2 * et; ++d) BOOST_TEST(seen.count(d) == 1u, "a timeout of " << d << " ticks");
    }
  }
}

// §5.2: randomization makes it rare that several servers time out at once
// (etcd TestFollowersElectionTimeoutNonconflict and
// TestCandidatesElectionTimeoutNonconflict: at most 30% of the rounds).
BOOST_AUTO_TEST_CASE(s5_2_servers_rarely_time_out_together) {
  for (const bool candidate : {false, true}) {
    BOOST_TEST_CONTEXT((candidate ? "candidates" : "followers")) {
      std::map<std::uint64_t, peer> peers;
      for (std::uint64_t id = 1; id <= 5; ++id) peers.try_emplace(id, make_options(id), fresh_state(5));
      int conflicts = 0;
      const int rounds = 1000;
      for (int round = 0; round < rounds; ++round) {
        std::map<std::uint64_t, actraft::core::raft_term> start;
        for (auto& [id, p] : peers) {
          if (candidate) {
            p->campaign();
            p.drain();
          } else {
            follow_new_term(p, id % 5 + 1);
          }
          start[id] = p->term();
        }
        int timed_out = 0;
        for (int tick = 0; tick < 4 * et && timed_out == 0; ++tick)
          for (auto& [id, p] : peers) {
            p->tick();
            p.drain();
            if (p->term() != start[id]) ++timed_out;
          }
        BOOST_REQUIRE(timed_out > 0);
        if (timed_out > 1) ++conflicts;
      }
      BOOST_TEST(conflicts * 10 <= rounds * 3, conflicts << " of " << rounds << " rounds");
    }
  }
}

// Figure 2, Candidates: each new election sends RequestVote to every other
// server, with the new term and the candidate's last log index and term,
// and only once its vote for itself is durable (etcd
// TestCandidateStartNewElection).
BOOST_AUTO_TEST_CASE(fig2_a_new_election_requests_votes_with_the_new_term_and_last_entry) {
  peer p{make_options(1), state_with(3, 1, 0, {1, 1})};
  p->campaign();
  p.drain();
  BOOST_REQUIRE(p->term() == 2_t);
  output out;
  ticks_until(p, [](const core::node& n) { return n.term() == 3_t; }, 4 * et, &out);
  BOOST_REQUIRE(p->term() == 3_t);
  BOOST_TEST(only(out.now, message_type::vote).empty());
  const auto requests = only(out.after, message_type::vote);
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  std::set<std::uint64_t> to;
  for (const auto& m : requests) {
    to.insert(m.to.value);
    BOOST_TEST(m.term == 3_t);
    BOOST_TEST(m.index == 2_i);
    BOOST_TEST(m.log_term == 1_t);
  }
  BOOST_TEST((to == std::set<std::uint64_t>{2, 3}));
}

// Figure 2, Leaders: "If command received from client: append entry to local
// log", then AppendEntries to each follower with prevLogIndex, prevLogTerm
// and leaderCommit; nothing is committed yet. The appends leave at once,
// beside the write (thesis §10.2.1) (etcd TestLeaderStartReplication).
BOOST_AUTO_TEST_CASE(fig2_a_proposal_is_appended_and_sent_with_prev_entry_and_commit) {
  network net(3);
  net.elect(1);
  auto& l = net.node(1);
  const log_index li = l.log().last_index();
  const raft_term term = l.term();
  BOOST_REQUIRE(l.log().commit() == li);
  BOOST_REQUIRE(l.propose(text("some data")).ok());
  BOOST_TEST(l.log().last_index() == li + 1);
  BOOST_TEST(l.log().commit() == li);
  ready rd = l.take_ready();
  BOOST_REQUIRE_EQUAL(rd.entries.size(), 1u);
  BOOST_TEST(rd.entries.front().index == li + 1);
  BOOST_TEST(rd.entries.front().term == term);
  BOOST_TEST(rd.entries.front().data == text("some data"));
  for (std::uint64_t to : {2u, 3u}) {
    auto appends = only(rd.messages, message_type::append, node_id{to});
    BOOST_REQUIRE_EQUAL(appends.size(), 1u);
    const message& m = appends.front();
    BOOST_TEST(m.term == term);
    BOOST_TEST(m.index == li);
    BOOST_TEST(m.log_term == term);
    BOOST_TEST(m.commit == li);
    BOOST_REQUIRE_EQUAL(m.entries.size(), 1u);
    BOOST_TEST(m.entries.front() == rd.entries.front());
  }
  net[1].persist(rd);
  l.advance();
}

// Figure 2, Leaders: once a majority holds the entry it is committed and
// applied, and the followers learn the new commit index at once, not at the
// next heartbeat (etcd TestLeaderCommitEntry).
BOOST_AUTO_TEST_CASE(fig2_a_commit_is_applied_and_sent_to_followers_at_once) {
  peer p{make_options(1), fresh_state(3)};
  win_election(p, {2});
  p->step(append_ack(2, 1, 1, 1));
  p->step(append_ack(3, 1, 1, 1));
  p.drain();
  BOOST_REQUIRE(p->log().commit() == 1_i);
  BOOST_REQUIRE(p->propose(text("x")).ok());
  p.drain();
  p->step(append_ack(2, 1, 1, 2));
  output out = p.drain();
  BOOST_TEST(p->log().commit() == 2_i);
  BOOST_REQUIRE_EQUAL(out.committed.size(), 1u);
  BOOST_TEST(out.committed.front().data == text("x"));
  for (std::uint64_t to : {2u, 3u}) {
    auto appends = only(out.now, message_type::append, node_id{to});
    BOOST_REQUIRE_MESSAGE(!appends.empty(), "the commit index goes to " << to);
    BOOST_TEST(appends.back().commit == 2_i);  // each follower caps it at its last new entry
  }
}

// Figure 2, Leaders: the heartbeat is an empty AppendEntries. While entries
// are unacknowledged, a beat is one heartbeat per follower with no entries,
// leaderCommit capped at the follower's match, and no append (etcd
// TestLeaderBcastBeat).
BOOST_AUTO_TEST_CASE(fig2_a_beat_with_entries_in_flight_is_one_bare_heartbeat_each) {
  peer p{make_options(1), fresh_state(3)};
  win_election(p, {2});
  p->step(append_ack(2, 1, 1, 1));
  p.drain();
  for (int i = 0; i < 5; ++i) BOOST_REQUIRE(p->propose(text("x")).ok());
  p.drain();  // sent; nobody acknowledges
  p->tick();  // heartbeat_ticks is 1
  output out = p.drain();
  BOOST_TEST(only(out.all(), message_type::append).empty());
  for (std::uint64_t to : {2u, 3u}) {
    auto hb = only(out.now, message_type::heartbeat, node_id{to});
    BOOST_REQUIRE_EQUAL(hb.size(), 1u);
    BOOST_TEST(hb.front().entries.empty());
    BOOST_TEST(hb.front().term == 1_t);
    BOOST_TEST(hb.front().commit == std::min(p->log().commit(), p->followers().at(node_id{to}).match));
  }
}

BOOST_AUTO_TEST_SUITE_END()
