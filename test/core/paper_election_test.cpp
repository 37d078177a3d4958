// Paper tests, part 1: terms, roles and elections.
// Raft paper (Ongaro & Ousterhout, "In Search of an Understandable Consensus
// Algorithm"), Figure 2 "Rules for Servers" and "RequestVote RPC", §5.1, §5.2
// and §5.4.1; Ongaro's thesis §9.6 (pre-vote) and §6.2 (check-quorum).
#include "harness.hpp"

#include <set>

using namespace actraft::test;
namespace core = actraft::core;

BOOST_AUTO_TEST_SUITE(paper_election)

// ---------------------------------------------------------------------------
// Figure 2, Rules for Servers, All Servers: "If RPC request or response
// contains term T > currentTerm: set currentTerm = T, convert to follower
// (§5.1)".
BOOST_AUTO_TEST_CASE(fig2_all_servers_higher_term_in_any_message_converts_to_follower) {
  const message_type kinds[] = {message_type::append,          message_type::heartbeat,
                                message_type::vote,            message_type::append_response,
                                message_type::heartbeat_response, message_type::vote_response};
  const role starts[] = {role::follower, role::candidate, role::leader};
  for (role start : starts) {
    for (message_type kind : kinds) {
      BOOST_TEST_CONTEXT("start " << core::to_string(start) << ", message " << core::to_string(kind)) {
        peer p{make_options(1), fresh_state(3)};
        if (start == role::candidate) {
          p->campaign();
          p.drain();
        } else if (start == role::leader) {
          win_election(p, {2});
        }
        BOOST_TEST(p->current_role() == start);
        message m = msg(kind, 2, 1, 5);
        if (kind == message_type::vote) {  // an up-to-date candidate
          m.index = 10_i;
          m.log_term = 4_t;
        }
        p->step(m);
        p.drain();
        BOOST_TEST(p->term() == 5_t);
        BOOST_TEST(p->current_role() == role::follower);
        const bool from_leader = kind == message_type::append || kind == message_type::heartbeat;
        BOOST_TEST(p->leader() == (from_leader ? 2_n : core::no_node));
      }
    }
  }
}

// Figure 2, AppendEntries RPC: "Reply false if term < currentTerm (§5.1)",
// and the reply carries currentTerm "for leader to update itself": a deposed
// leader that hears it steps down.
BOOST_AUTO_TEST_CASE(fig2_stale_append_is_answered_with_current_term_and_deposes_old_leader) {
  // Node 2 leads term 2; meanwhile node 1 has moved on to term 3.
  peer old_leader{make_options(2), state_with(3, 1, 0, {1})};
  output out = win_election(old_leader, {3});
  BOOST_REQUIRE(old_leader->term() == 2_t);
  auto appends = only(out.all(), message_type::append, 1_n);
  BOOST_REQUIRE(!appends.empty());

  peer p{make_options(1), state_with(3, 3, 0, {1})};
  const observable before{p.get()};
  p->step(appends.front());
  output answer = p.drain();
  BOOST_TEST((observable{p.get()} == before));  // nothing accepted from a stale leader
  auto responses = only(answer.all(), message_type::append_response, 2_n);
  BOOST_REQUIRE_EQUAL(responses.size(), 1u);
  BOOST_TEST(responses.front().term == 3_t);

  old_leader->step(responses.front());
  old_leader.drain();
  BOOST_TEST(old_leader->current_role() == role::follower);
  BOOST_TEST(old_leader->term() == 3_t);
}

// Figure 2, RequestVote RPC: "Reply false if term < currentTerm (§5.1)".
BOOST_AUTO_TEST_CASE(fig2_request_vote_rejected_if_term_lower) {
  peer p{make_options(1), state_with(3, 3, 0, {1, 1})};
  p->step(vote_request(2, 1, 2, 5, 2));
  output out = p.drain();
  for (const auto& m : only(out.all(), message_type::vote_response)) {
    BOOST_TEST(m.reject);
    BOOST_TEST(m.term == 3_t);
  }
  BOOST_TEST(p->term() == 3_t);
  BOOST_TEST(p->vote() == core::no_node);
  // The stale request did not use up this term's vote.
  p->step(vote_request(3, 1, 3, 2, 1));
  out = p.drain();
  auto granted = only(out.after, message_type::vote_response, 3_n);
  BOOST_REQUIRE_EQUAL(granted.size(), 1u);
  BOOST_TEST(!granted.front().reject);
}

// Figure 2, All Servers / Candidates: responses from an earlier term are
// stale (§5.1: "servers ... ignore ... stale term numbers"); a vote granted
// in term 4 does not count towards an election in term 5.
BOOST_AUTO_TEST_CASE(fig2_candidate_ignores_votes_from_earlier_terms) {
  peer p{make_options(1), state_with(3, 4, 0, {})};
  p->campaign();
  p.drain();
  BOOST_REQUIRE(p->term() == 5_t);
  p->step(vote_response(2, 1, 4, true));
  p->step(vote_response(3, 1, 4, true));
  p.drain();
  BOOST_TEST(p->current_role() == role::candidate);
  BOOST_TEST(p->term() == 5_t);
  p->step(vote_response(2, 1, 5, true));
  p.drain();
  BOOST_TEST(p->current_role() == role::leader);
}

// ---------------------------------------------------------------------------
// Figure 2, Followers: "If election timeout elapses without receiving
// AppendEntries RPC from current leader or granting vote to candidate:
// convert to candidate". Candidates (§5.2): "increment currentTerm, vote for
// self, ... send RequestVote RPCs to all other servers". The vote is
// persistent state, so the requests go out only after it is durable.
BOOST_AUTO_TEST_CASE(fig2_follower_timeout_becomes_candidate_votes_for_self_and_requests_votes) {
  const options o = make_options(1);
  peer p{o, state_with(3, 2, 0, {1, 2})};
  output out;
  const int took = ticks_until(
      p, [](const core::node& n) { return n.current_role() != role::follower; },
      2 * o.election_ticks, &out);
  BOOST_TEST(took < 2 * o.election_ticks);
  BOOST_TEST(p->current_role() == role::candidate);
  BOOST_TEST(p->term() == 3_t);
  BOOST_TEST(p->vote() == 1_n);
  BOOST_REQUIRE(!out.states.empty());
  BOOST_TEST(out.states.back().term == 3_t);
  BOOST_TEST(out.states.back().vote == 1_n);
  BOOST_TEST(p.disk().state.vote == 1_n);  // durable before the requests leave

  BOOST_TEST(only(out.now, message_type::vote).empty());  // never before the vote is durable
  auto requests = only(out.after, message_type::vote);
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  std::set<std::uint64_t> to;
  for (const auto& m : requests) {
    to.insert(m.to.value);
    BOOST_TEST(m.term == 3_t);
    BOOST_TEST(m.index == 2_i);     // lastLogIndex
    BOOST_TEST(m.log_term == 2_t);  // lastLogTerm
  }
  BOOST_TEST((to == std::set<std::uint64_t>{2, 3}));
}

// Figure 2, Followers ("respond to RPCs from candidates and leaders") and
// §5.2: a follower stays follower as long as it hears from a leader.
BOOST_AUTO_TEST_CASE(fig2_follower_hearing_from_leader_never_times_out) {
  const options o = make_options(1);
  peer p{o, fresh_state(3)};
  for (int round = 0; round < 20; ++round) {
    p->step(msg(message_type::heartbeat, 2, 1, 1));
    output out = p.drain();
    // A heartbeat response promises nothing durable: it may leave at once.
    BOOST_TEST(!only(out.all(), message_type::heartbeat_response, 2_n).empty());
    for (int i = 0; i < o.election_ticks - 1; ++i) p->tick();
    p.drain();
    BOOST_TEST(p->current_role() == role::follower);
    BOOST_TEST(p->leader() == 2_n);
  }
  BOOST_TEST(p->term() == 1_t);
}

// §5.2: "election timeouts are chosen randomly from a fixed interval";
// here [election_ticks, 2 * election_ticks). Different seeds and different
// nodes spread, the same seed repeats (the core is deterministic).
BOOST_AUTO_TEST_CASE(s5_2_randomized_election_timeout_in_range_and_spread) {
  const int et = 10;
  std::set<int> seen;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    options o = make_options(1);
    o.seed = seed;
    const int t = election_timeout_of(o, fresh_state(3));
    BOOST_TEST(t >= et);
    BOOST_TEST(t < 2 * et);
    seen.insert(t);
    BOOST_TEST(election_timeout_of(o, fresh_state(3)) == t);
  }
  BOOST_TEST(seen.size() >= 4u);
  // Nodes of one cluster configured with the same seed still differ: the
  // node id goes into the randomization, so they do not time out in lockstep.
  std::set<int> by_id;
  for (std::uint64_t id = 1; id <= 5; ++id) {
    options o = make_options(id);
    o.seed = 7;
    by_id.insert(election_timeout_of(o, fresh_state(5)));
  }
  BOOST_TEST(by_id.size() >= 2u);
}

// §5.2: a split vote is resolved because "each candidate restarts its
// randomized election timeout at the start of an election, and it waits for
// that timeout to elapse before starting the next election".
BOOST_AUTO_TEST_CASE(s5_2_candidate_split_vote_starts_new_election_after_timeout) {
  std::set<int> seen;
  for (std::uint64_t seed = 1; seed <= 10; ++seed) {
    options o = make_options(1);
    o.seed = seed;
    peer p{o, fresh_state(3)};
    p->campaign();
    p.drain();
    BOOST_REQUIRE(p->term() == 1_t);
    output out;
    const int t = ticks_until(p, [](const core::node& n) { return n.term() == 2_t; },
                              2 * o.election_ticks, &out);
    BOOST_TEST(t >= o.election_ticks);
    BOOST_TEST(t < 2 * o.election_ticks);
    seen.insert(t);
    BOOST_TEST(p->current_role() == role::candidate);
    BOOST_TEST(p->vote() == 1_n);
    BOOST_TEST(only(out.after, message_type::vote).size() == 2u);
  }
  BOOST_TEST(seen.size() >= 2u);
}

// ---------------------------------------------------------------------------
// Figure 2, Candidates: "If votes received from majority of servers: become
// leader" (§5.2) — and not with less than a majority, self included.
BOOST_AUTO_TEST_CASE(fig2_candidate_wins_with_majority_only) {
  struct row {
    std::size_t size;
    std::size_t granted;
    std::size_t rejected;
    role ends;
  };
  // etcd's TestLeaderElectionInOneRoundRPC rows: a majority of grants wins;
  // a majority of refusals (the election is lost) returns to follower;
  // neither stays candidate, waiting for more answers or its timeout.
  const row rows[] = {
      {1, 0, 0, role::leader},    {3, 2, 0, role::leader},    {3, 1, 0, role::leader},
      {5, 4, 0, role::leader},    {5, 3, 0, role::leader},    {5, 2, 0, role::leader},
      {5, 2, 2, role::leader},    {3, 0, 2, role::follower},  {5, 0, 4, role::follower},
      {5, 1, 3, role::follower},  {3, 0, 0, role::candidate}, {5, 1, 0, role::candidate},
      {5, 0, 2, role::candidate}, {5, 0, 0, role::candidate},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT("cluster " << r.size << ", granted " << r.granted << ", rejected " << r.rejected) {
      peer p{make_options(1), fresh_state(r.size)};
      p->campaign();
      p.drain();
      std::uint64_t from = 2;
      for (std::size_t i = 0; i < r.granted; ++i, ++from) p->step(vote_response(from, 1, 1, true));
      for (std::size_t i = 0; i < r.rejected; ++i, ++from) p->step(vote_response(from, 1, 1, false));
      p.drain();
      BOOST_TEST(p->current_role() == r.ends);
      if (r.ends == role::leader) BOOST_TEST(p->leader() == 1_n);
      BOOST_TEST(p->term() == 1_t);
    }
  }
}

// Figure 2, Candidates: "If AppendEntries RPC received from new leader:
// convert to follower" (§5.2: the leader's term is "at least as large as the
// candidate's current term").
BOOST_AUTO_TEST_CASE(fig2_candidate_steps_down_for_leader_of_same_term) {
  const message_type kinds[] = {message_type::append, message_type::heartbeat};
  for (message_type kind : kinds) {
    BOOST_TEST_CONTEXT(core::to_string(kind)) {
      peer p{make_options(1), fresh_state(3)};
      p->campaign();
      p.drain();
      BOOST_REQUIRE(p->current_role() == role::candidate);
      message m = kind == message_type::append ? append(2, 1, 1, 0, 0, make_entries(1, {1}))
                                               : msg(message_type::heartbeat, 2, 1, 1);
      p->step(m);
      p.drain();
      BOOST_TEST(p->current_role() == role::follower);
      BOOST_TEST(p->term() == 1_t);
      BOOST_TEST(p->leader() == 2_n);
      BOOST_TEST(p->vote() == 1_n);  // a vote is never taken back within a term
    }
  }
}

// ---------------------------------------------------------------------------
// Figure 2, RequestVote RPC: "If votedFor is null or candidateId, and ...
// grant vote"; §5.2: "each server will vote for at most one candidate in a
// given term, on a first-come-first-served basis". The vote is persistent
// state: it is in the ready's hard state and the response waits for it.
BOOST_AUTO_TEST_CASE(fig2_request_vote_at_most_one_vote_per_term_first_come_first_served) {
  peer p{make_options(1), fresh_state(3)};
  p->step(vote_request(2, 1, 1, 0, 0));
  ready rd = p->take_ready();
  BOOST_REQUIRE(rd.state.has_value());
  BOOST_TEST(rd.state->term == 1_t);
  BOOST_TEST(rd.state->vote == 2_n);
  BOOST_TEST(only(rd.messages, message_type::vote_response).empty());
  auto first = only(rd.persisted_messages, message_type::vote_response, 2_n);
  BOOST_REQUIRE_EQUAL(first.size(), 1u);
  BOOST_TEST(!first.front().reject);
  BOOST_TEST(first.front().term == 1_t);
  p.persist(rd);
  p->advance();

  p->step(vote_request(3, 1, 1, 0, 0));  // second candidate, same term
  output out = p.drain();
  auto second = only(out.all(), message_type::vote_response, 3_n);
  BOOST_REQUIRE_EQUAL(second.size(), 1u);
  BOOST_TEST(second.front().reject);
  BOOST_TEST(p->vote() == 2_n);

  p->step(vote_request(2, 1, 1, 0, 0));  // retransmission from the one we voted for
  out = p.drain();
  auto again = only(out.all(), message_type::vote_response, 2_n);
  BOOST_REQUIRE_EQUAL(again.size(), 1u);
  BOOST_TEST(!again.front().reject);
  BOOST_TEST(p->vote() == 2_n);
}

// Figure 2, RequestVote RPC: "... and candidate's log is at least as
// up-to-date as receiver's log, grant vote". §5.4.1: "If the logs have last
// entries with different terms, then the log with the later term is more
// up-to-date. If the logs end with the same term, then whichever log is
// longer is more up-to-date."
BOOST_AUTO_TEST_CASE(s5_4_1_vote_only_for_candidate_with_up_to_date_log) {
  struct row {
    std::uint64_t last_index;
    std::uint64_t last_term;
    bool granted;
    const char* rule;
  };
  // The voter's log: terms [1, 1, 2] (last entry 3, term 2).
  const row rows[] = {
      {5, 1, false, "lower last term loses, even with a longer log"},
      {2, 2, false, "same last term, shorter log loses"},
      {3, 2, true, "same last term, same length wins"},
      {4, 2, true, "same last term, longer log wins"},
      {1, 3, true, "higher last term wins, even with a shorter log"},
      {0, 0, false, "empty log loses"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.rule) {
      peer p{make_options(1), state_with(3, 2, 0, {1, 1, 2})};
      p->step(vote_request(2, 1, 3, r.last_index, r.last_term));
      output out = p.drain();
      auto resp = only(out.all(), message_type::vote_response, 2_n);
      BOOST_REQUIRE_EQUAL(resp.size(), 1u);
      BOOST_TEST(resp.front().reject == !r.granted);
      BOOST_TEST(p->term() == 3_t);  // the higher term is adopted either way
      BOOST_TEST(p->vote() == (r.granted ? 2_n : core::no_node));
    }
  }
}

// Figure 2, Followers: the election timer restarts when the follower
// *grants* a vote (§5.2), without any change of term involved.
BOOST_AUTO_TEST_CASE(fig2_granting_a_vote_resets_the_election_timer) {
  const options o = make_options(1);
  const persisted_state s = state_with(3, 5, 0, {1});
  const int timeout = election_timeout_of(o, s);
  BOOST_REQUIRE(timeout < 2 * o.election_ticks);

  peer p{o, s};
  for (int i = 0; i < timeout - 1; ++i) p->tick();
  p.drain();
  p->step(vote_request(2, 1, 5, 1, 1));  // same term: only the grant can reset the timer
  output out = p.drain();
  auto resp = only(out.after, message_type::vote_response, 2_n);
  BOOST_REQUIRE_EQUAL(resp.size(), 1u);
  BOOST_REQUIRE(!resp.front().reject);
  for (int i = 0; i < o.election_ticks - 1; ++i) p->tick();  // past the old deadline
  p.drain();
  BOOST_TEST(p->current_role() == role::follower);
  BOOST_TEST(p->term() == 5_t);
}

// Figure 2, Followers: only *granting* a vote restarts the timer; a rejected
// request does not keep a follower from starting its own election.
BOOST_AUTO_TEST_CASE(fig2_rejecting_a_vote_does_not_reset_the_election_timer) {
  const options o = make_options(1);
  const persisted_state s = state_with(3, 5, 3, {1});  // already voted for 3 in term 5
  const int timeout = election_timeout_of(o, s);
  peer p{o, s};
  for (int i = 0; i < timeout - 1; ++i) p->tick();
  p.drain();
  p->step(vote_request(2, 1, 5, 1, 1));
  output out = p.drain();
  auto resp = only(out.all(), message_type::vote_response, 2_n);
  BOOST_REQUIRE_EQUAL(resp.size(), 1u);
  BOOST_TEST(resp.front().reject);
  p->tick();
  p.drain();
  BOOST_TEST(p->current_role() == role::candidate);
  BOOST_TEST(p->term() == 6_t);
}

// §5.2 Election Safety ("at most one leader can be elected in a given term")
// and liveness under randomized timeouts: 5 nodes, elections driven by ticks
// only, the leader repeatedly partitioned away. The network checks Election
// Safety after every step.
BOOST_AUTO_TEST_CASE(s5_2_election_safety_and_progress_with_randomized_timeouts) {
  for (std::uint64_t base = 0; base < 50; base += 10) {
    BOOST_TEST_CONTEXT("seed base " << base) {
      knobs k;
      k.seed_base = base;
      network net(5, k);
      std::set<std::uint64_t> leaders;
      for (int round = 0; round < 4; ++round) {
        std::optional<std::uint64_t> l;
        for (int t = 0; t < 200 && !(l = net.leader()); ++t) net.tick_all();
        BOOST_REQUIRE_MESSAGE(l.has_value(), "no leader elected in round " << round);
        leaders.insert(*l);
        BOOST_TEST(net.node(*l).propose(text("r" + std::to_string(round))).ok());
        net.deliver_all();
        net.heal();
        net.isolate(*l);
        // The old leader keeps believing it leads (no check-quorum here);
        // it must not be counted as the new one.
        for (int t = 0; t < 200; ++t) {
          net.tick_all();
          auto nl = net.leader();
          if (nl && *nl != *l) break;
        }
      }
      BOOST_TEST(leaders.size() >= 2u);
    }
  }
}

// ---------------------------------------------------------------------------
// Thesis §9.6 pre-vote: on election timeout a node first becomes a
// pre-candidate and asks for pre-votes carrying the term it *would* use,
// without incrementing its own term or voting.
BOOST_AUTO_TEST_CASE(s9_6_timeout_with_pre_vote_starts_pre_vote_without_term_change) {
  knobs k;
  k.pre_vote = true;
  const options o = make_options(1, k);
  peer p{o, state_with(3, 2, 0, {1, 2})};
  output out;
  ticks_until(p, [](const core::node& n) { return n.current_role() != role::follower; },
              2 * o.election_ticks, &out);
  BOOST_TEST(p->current_role() == role::pre_candidate);
  BOOST_TEST(p->term() == 2_t);
  BOOST_TEST(p->vote() == core::no_node);
  BOOST_TEST(p.disk().state.term == 2_t);
  BOOST_TEST(only(out.all(), message_type::vote).empty());
  auto requests = only(out.now, message_type::pre_vote);  // promise nothing: sent at once
  BOOST_REQUIRE_EQUAL(requests.size(), 2u);
  for (const auto& m : requests) {
    BOOST_TEST(m.term == 3_t);
    BOOST_TEST(m.index == 2_i);
    BOOST_TEST(m.log_term == 2_t);
  }
}

// §9.6: answering a pre-vote changes neither term nor vote of the voter; a
// grant carries the future term, and the up-to-date rule of §5.4.1 applies.
BOOST_AUTO_TEST_CASE(s9_6_pre_vote_does_not_change_voter_term_or_vote) {
  knobs k;
  k.pre_vote = true;
  {
    peer p{make_options(1, k), state_with(3, 2, 0, {1, 2})};
    p->step(vote_request(2, 1, 3, 2, 2, true));
    output out = p.drain();
    auto resp = only(out.all(), message_type::pre_vote_response, 2_n);
    BOOST_REQUIRE_EQUAL(resp.size(), 1u);
    BOOST_TEST(!resp.front().reject);
    BOOST_TEST(resp.front().term == 3_t);
    BOOST_TEST(p->term() == 2_t);
    BOOST_TEST(p->vote() == core::no_node);
    BOOST_TEST(p.disk().state.term == 2_t);
    BOOST_TEST(p.disk().state.vote == core::no_node);
    // The pre-vote did not spend the real vote.
    p->step(vote_request(3, 1, 3, 2, 2));
    out = p.drain();
    auto real = only(out.all(), message_type::vote_response, 3_n);
    BOOST_REQUIRE_EQUAL(real.size(), 1u);
    BOOST_TEST(!real.front().reject);
  }
  {
    peer p{make_options(1, k), state_with(3, 2, 0, {1, 2})};
    p->step(vote_request(2, 1, 3, 5, 1, true));  // longer but older log
    output out = p.drain();
    auto resp = only(out.all(), message_type::pre_vote_response, 2_n);
    BOOST_REQUIRE_EQUAL(resp.size(), 1u);
    BOOST_TEST(resp.front().reject);
    BOOST_TEST(p->term() == 2_t);
  }
}

// §9.6: a pre-candidate becomes a real candidate (and only then increments
// its term) once a majority, itself included, would vote for it.
BOOST_AUTO_TEST_CASE(s9_6_pre_candidate_needs_quorum_of_pre_votes) {
  knobs k;
  k.pre_vote = true;
  const options o = make_options(1, k);
  peer p{o, state_with(5, 2, 0, {1, 2})};
  ticks_until(p, [](const core::node& n) { return n.current_role() != role::follower; },
              2 * o.election_ticks);
  BOOST_REQUIRE(p->current_role() == role::pre_candidate);
  p->step(vote_response(2, 1, 3, true, true));
  p->step(vote_response(3, 1, 2, false, true));  // a rejection carries the voter's term
  output out = p.drain();
  BOOST_TEST(p->current_role() == role::pre_candidate);  // 2 of 5
  BOOST_TEST(p->term() == 2_t);
  BOOST_TEST(only(out.all(), message_type::vote).empty());
  p->step(vote_response(4, 1, 3, true, true));  // 3 of 5
  out = p.drain();
  BOOST_TEST(p->current_role() == role::candidate);
  BOOST_TEST(p->term() == 3_t);
  BOOST_TEST(p->vote() == 1_n);
  auto requests = only(out.after, message_type::vote);
  BOOST_TEST(requests.size() == 4u);
  for (const auto& m : requests) BOOST_TEST(m.term == 3_t);
}

// §9.6: "a server that has been partitioned ... will not be able to increment
// its term" while it cannot win; when it rejoins it does not force the
// cluster into a higher term or depose the leader.
BOOST_AUTO_TEST_CASE(s9_6_partitioned_node_rejoining_does_not_bump_cluster_term) {
  knobs k;
  k.pre_vote = true;
  network net(3, k);
  net.elect(1);
  const raft_term t = net.node(1).term();
  net.isolate(3);
  BOOST_REQUIRE(net.node(1).propose(text("while 3 is away")).ok());
  net.deliver_all();
  BOOST_REQUIRE(net.node(1).log().commit() == 2_i);
  for (int i = 0; i < 10 * k.election_ticks; ++i) net.tick(3);
  BOOST_TEST(net.node(3).term() == t);  // many timeouts, no term bump
  BOOST_TEST(net.node(3).current_role() != role::candidate);

  net.heal();
  for (int i = 0; i < 5 * k.election_ticks; ++i) net.tick_all();
  for (std::uint64_t id = 1; id <= 3; ++id) BOOST_TEST(net.node(id).term() == t);
  BOOST_TEST(net.node(1).current_role() == role::leader);
  BOOST_TEST(net.node(3).leader() == 1_n);
  BOOST_TEST(net.node(3).log().commit() == 2_i);  // and it caught up
}

// §9.6, the problem pre-vote solves (contrast to the test above): without
// it, the rejoining node's higher term deposes a perfectly healthy leader.
BOOST_AUTO_TEST_CASE(s9_6_without_pre_vote_rejoining_node_disrupts_leader) {
  network net(3);
  net.elect(1);
  const raft_term t = net.node(1).term();
  net.isolate(3);
  BOOST_REQUIRE(net.node(1).propose(text("while 3 is away")).ok());
  net.deliver_all();
  for (int i = 0; i < 10 * 10; ++i) net.tick(3);
  BOOST_TEST(net.node(3).term() > t);
  net.heal();
  for (int i = 0; i < 30 && net.node(1).term() == t; ++i) net.tick_all();
  BOOST_TEST(net.node(1).term() > t);
  // 3's log is behind, so it cannot win; 1 or 2 takes over in a later term.
  for (int i = 0; i < 100 && !net.leader(); ++i) net.tick_all();
  BOOST_REQUIRE(net.leader().has_value());
  BOOST_TEST(*net.leader() != 3u);
}

// ---------------------------------------------------------------------------
// Thesis §6.2 check-quorum: "a leader steps down if an election timeout
// elapses without a successful round of heartbeats to a majority".
BOOST_AUTO_TEST_CASE(s6_2_check_quorum_leader_without_quorum_steps_down) {
  knobs k;
  k.check_quorum = true;
  k.pre_vote = true;
  network net(3, k);
  net.elect(1);
  const raft_term t = net.node(1).term();
  net.isolate(1);
  int ticks = 0;
  while (ticks < 4 * k.election_ticks && net.node(1).current_role() == role::leader) {
    net.tick(1);
    ++ticks;
  }
  BOOST_TEST(net.node(1).current_role() == role::follower);
  BOOST_TEST(ticks >= k.election_ticks);       // not before an election timeout
  BOOST_TEST(ticks <= 2 * k.election_ticks);   // within two check rounds
  BOOST_TEST(net.node(1).term() == t);         // stepping down needs no new term
  BOOST_TEST(net.node(1).leader() == core::no_node);
}

// §6.2: a leader that keeps hearing from a quorum stays leader.
BOOST_AUTO_TEST_CASE(s6_2_check_quorum_leader_with_quorum_stays) {
  knobs k;
  k.check_quorum = true;
  k.pre_vote = true;
  network net(5, k);
  net.elect(1);
  const raft_term t = net.node(1).term();
  net.crash(4);
  net.crash(5);  // 3 of 5 still answer
  for (int i = 0; i < 10 * k.election_ticks; ++i) net.tick_all();
  BOOST_TEST(net.node(1).current_role() == role::leader);
  BOOST_TEST(net.node(1).term() == t);
}

// §6.2 / §4.2.3 of the thesis: a follower that heard from a leader within
// the minimum election timeout ignores (pre-)vote requests, so a node that
// merely lost touch with the leader cannot depose it; once the leader has
// been silent that long, the request is considered.
BOOST_AUTO_TEST_CASE(s6_2_follower_in_lease_ignores_vote_requests) {
  knobs k;
  k.check_quorum = true;
  k.pre_vote = true;
  peer p{make_options(2, k), state_with(3, 1, 1, {1})};
  p->step(msg(message_type::heartbeat, 1, 2, 1));
  p.drain();
  BOOST_REQUIRE(p->leader() == 1_n);
  const observable before{p.get()};

  for (bool pre : {true, false}) {
    p->step(vote_request(3, 2, 2, 5, 1, pre));
    output out = p.drain();
    for (const auto& m : out.all()) {
      BOOST_TEST(!((m.type == message_type::vote_response ||
                    m.type == message_type::pre_vote_response) && !m.reject));
    }
    BOOST_TEST((observable{p.get()} == before));
  }

  for (int i = 0; i < k.election_ticks; ++i) p->tick();
  p.drain();
  p->step(vote_request(3, 2, 2, 5, 1));
  output out = p.drain();
  auto resp = only(out.all(), message_type::vote_response, 3_n);
  BOOST_REQUIRE_EQUAL(resp.size(), 1u);
  BOOST_TEST(!resp.front().reject);
  BOOST_TEST(p->term() == 2_t);
  BOOST_TEST(p->vote() == 3_n);
}

BOOST_AUTO_TEST_SUITE_END()
