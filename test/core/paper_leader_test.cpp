// Paper tests, part 3: the leader — replication, flow control and commitment.
// Raft paper, Figure 2 "Rules for Servers: Leaders", §5.3, §5.4.2 (Figure 8)
// and Figure 7; thesis §10.2.1 (a leader writes to its disk in parallel).
#include "harness.hpp"

#include <set>

using namespace actraft::test;
namespace core = actraft::core;

namespace {

/// Last index an append message carries (its prevLogIndex if it is empty).
log_index last_of(const message& m) { return m.entries.empty() ? m.index : m.entries.back().index; }

std::size_t count_rejects(const std::vector<message>& trace, std::uint64_t from) {
  std::size_t n = 0;
  for (const auto& m : trace)
    if (m.type == message_type::append_response && m.from == node_id{from} && m.reject) ++n;
  return n;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(paper_leader)

// Figure 2, Leaders: "Upon election: send initial empty AppendEntries RPCs
// to each server"; §8 / §5.4.2: a leader commits an entry of its own term
// at the start of its term — the empty entry. Its appends leave at once,
// in parallel with its own disk write (thesis §10.2.1).
BOOST_AUTO_TEST_CASE(fig2_new_leader_appends_empty_entry_of_its_term_and_sends_it) {
  peer p{make_options(1), state_with(3, 1, 0, {1})};
  output out = win_election(p, {2});
  BOOST_TEST(p->term() == 2_t);
  BOOST_TEST(p->leader() == 1_n);
  BOOST_REQUIRE(p->log().last_index() == 2_i);
  const entry& e = p->log().at(2_i);
  BOOST_TEST(e.term == 2_t);
  BOOST_TEST(e.kind == entry_kind::empty);
  BOOST_TEST(e.data.empty());
  BOOST_REQUIRE(!out.entries.empty());
  BOOST_TEST(out.entries.back().index == 2_i);

  for (std::uint64_t to : {2u, 3u}) {
    auto appends = only(out.now, message_type::append, node_id{to});
    BOOST_REQUIRE_MESSAGE(appends.size() == 1u, "one initial append to " << to);
    const message& m = appends.front();
    BOOST_TEST(m.term == 2_t);
    BOOST_TEST(last_of(m) == 2_i);  // carries the empty entry (or probes right behind it)
    BOOST_TEST(only(out.after, message_type::append, node_id{to}).empty());
  }
  BOOST_TEST(p->followers().size() == 2u);
}

// Figure 2, Leaders: "repeat during idle periods to prevent election
// timeouts (§5.2)" — heartbeats every heartbeat_ticks, sent at once, with
// leaderCommit capped at what each follower is known to hold.
BOOST_AUTO_TEST_CASE(fig2_leader_sends_heartbeats_when_idle) {
  knobs k;
  k.heartbeat_ticks = 3;
  network net(3, k);
  net.elect(1);
  BOOST_REQUIRE(net.node(1).log().commit() == 1_i);
  for (int round = 0; round < 3; ++round) {
    for (int i = 0; i < k.heartbeat_ticks - 1; ++i) {
      net.node(1).tick();
      BOOST_TEST(only(net[1].drain().all(), message_type::heartbeat).empty());
    }
    net.node(1).tick();
    output out = net[1].drain();
    for (std::uint64_t to : {2u, 3u}) {
      auto hb = only(out.now, message_type::heartbeat, node_id{to});
      BOOST_REQUIRE_EQUAL(hb.size(), 1u);
      BOOST_TEST(hb.front().term == 1_t);
      BOOST_TEST(hb.front().commit == 1_i);
    }
  }
}

// Heartbeats carry commit = min(follower's match, leader commit): a follower
// must never learn a commit index beyond what it is known to share with the
// leader (it could otherwise apply a conflicting entry it still holds).
BOOST_AUTO_TEST_CASE(fig2_heartbeat_commit_capped_at_follower_match) {
  network net(3);
  net.elect(1);
  net.cut(1, 3);
  BOOST_REQUIRE(net.node(1).propose(text("x")).ok());
  net.deliver_all();
  BOOST_REQUIRE(net.node(1).log().commit() == 2_i);
  BOOST_REQUIRE(net.node(1).followers().at(3_n).match == 1_i);
  net.node(1).tick();
  output out = net[1].drain();
  auto to2 = only(out.now, message_type::heartbeat, 2_n);
  auto to3 = only(out.now, message_type::heartbeat, 3_n);
  BOOST_REQUIRE_EQUAL(to2.size(), 1u);
  BOOST_REQUIRE_EQUAL(to3.size(), 1u);
  BOOST_TEST(to2.front().commit == 2_i);
  BOOST_TEST(to3.front().commit == 1_i);
}

// Figure 2, Leaders: "If command received from client: append entry to
// local log"; §5.1: "if a client contacts a follower, the follower
// redirects it to the leader".
BOOST_AUTO_TEST_CASE(fig2_leader_appends_proposals_followers_redirect) {
  network net(3);
  {
    auto r = net.node(2).propose(text("too early"));
    BOOST_TEST(r.error == core::propose_error::not_leader);
    BOOST_TEST(r.leader == core::no_node);
  }
  net.elect(1);
  auto r = net.node(1).propose(text("x"));
  BOOST_REQUIRE(r.ok());
  BOOST_TEST(r.index == 2_i);
  BOOST_TEST(r.term == 1_t);
  BOOST_TEST(net.node(1).log().at(2_i).data == text("x"));
  BOOST_TEST(net.node(1).log().at(2_i).kind == entry_kind::normal);
  net.tick(1);  // followers learn the commit index at the latest from a heartbeat
  for (std::uint64_t id : {2u, 3u}) {
    auto f = net.node(id).propose(text("y"));
    BOOST_TEST(f.error == core::propose_error::not_leader);
    BOOST_TEST(f.leader == 1_n);
    BOOST_TEST(net.node(id).log().last_index() == 2_i);  // nothing appended on a follower
    BOOST_REQUIRE(net.node(id).log().commit() == 2_i);
    BOOST_TEST(net[id].applied().at(2).data == text("x"));
  }
}

// Figure 2, Leaders: "If there exists an N such that N > commitIndex, a
// majority of matchIndex[i] >= N, and log[N].term == currentTerm: set
// commitIndex = N (§5.3, §5.4)" — a majority of five is three, leader
// included.
BOOST_AUTO_TEST_CASE(fig2_leader_commits_once_majority_replicated) {
  peer p{make_options(1), fresh_state(5)};
  win_election(p, {2, 3});
  BOOST_REQUIRE(p->propose(text("x")).ok());
  p.drain();
  BOOST_REQUIRE(p->log().last_index() == 2_i);
  p->step(append_ack(2, 1, 1, 2));
  output out = p.drain();
  BOOST_TEST(p->log().commit() == 0_i);  // 2 of 5
  BOOST_TEST(out.committed.empty());
  p->step(append_ack(3, 1, 1, 2));
  out = p.drain();
  BOOST_TEST(p->log().commit() == 2_i);  // 3 of 5
  BOOST_REQUIRE_EQUAL(out.committed.size(), 2u);
  BOOST_TEST(out.committed.front().index == 1_i);
  BOOST_TEST(out.committed.back().index == 2_i);
  BOOST_TEST(p->applied() == 2_i);
}

// The leader's own log counts towards a majority only once it is durable
// (thesis §10.2.1: the leader may send before it writes, but must not count
// its own write before it finishes).
BOOST_AUTO_TEST_CASE(s10_2_1_leader_counts_itself_only_after_persisting) {
  {  // three nodes: one follower's ack + the leader's own durable copy
    peer p{make_options(1), fresh_state(3)};
    p->campaign();
    p.drain();
    p->step(vote_response(2, 1, 1, true));
    BOOST_REQUIRE(p->current_role() == role::leader);
    ready rd = p->take_ready();  // holds the empty entry, not yet durable
    BOOST_REQUIRE(!rd.entries.empty());
    BOOST_TEST(rd.committed.empty());
    p->step(append_ack(2, 1, 1, 1));
    BOOST_TEST(p->log().commit() == 0_i);  // only the follower has it on disk
    p.persist(rd);
    p->advance();
    output out = p.drain();
    BOOST_TEST(p->log().commit() == 1_i);
    BOOST_REQUIRE_EQUAL(out.committed.size(), 1u);
    BOOST_TEST(out.committed.front().index == 1_i);
  }
  {  // a single node commits exactly when its own write is done
    peer p{make_options(1), fresh_state(1)};
    p->campaign();
    // Figure 2: its term and its vote for itself are durable before it
    // acts on them, even with nobody else to ask.
    BOOST_REQUIRE(p->current_role() == role::candidate);
    ready vote = p->take_ready();
    BOOST_REQUIRE(vote.must_sync);
    BOOST_REQUIRE(vote.state.has_value());
    BOOST_TEST(vote.state->vote == 1_n);
    p.persist(vote);
    p->advance();
    BOOST_REQUIRE(p->current_role() == role::leader);
    ready rd = p->take_ready();
    BOOST_REQUIRE(!rd.entries.empty());
    BOOST_TEST(rd.committed.empty());
    BOOST_TEST(p->log().commit() == 0_i);
    p.persist(rd);
    p->advance();
    output out = p.drain();
    BOOST_TEST(p->log().commit() == 1_i);
    BOOST_TEST(out.committed.size() == 1u);
    BOOST_REQUIRE(p->propose(text("solo")).ok());
    out = p.drain();
    BOOST_TEST(p->log().commit() == 2_i);
    BOOST_TEST(p->applied() == 2_i);
  }
}

// Figure 2, Leaders: "If AppendEntries fails because of log inconsistency:
// decrement nextIndex and retry (§5.3)", with the §5.3 optimization of
// skipping a whole conflicting term per round trip. Figure 7: a leader of
// term 8 with followers (a)-(f) — each ends with exactly the leader's log.
// The reject counts are what one round trip per conflicting term gives.
BOOST_AUTO_TEST_CASE(fig7_leader_brings_every_follower_log_up_to_date) {
  const std::vector<std::uint64_t> leader_log = {1, 1, 1, 4, 4, 5, 5, 6, 6, 6};
  struct row {
    const char* name;
    std::vector<std::uint64_t> log;
    std::size_t rejects;
  };
  const row rows[] = {
      {"(a) missing one entry", {1, 1, 1, 4, 4, 5, 5, 6, 6}, 1},
      {"(b) missing many entries", {1, 1, 1, 4}, 1},
      {"(c) one extra uncommitted entry", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6}, 0},
      {"(d) extra entries of a later term", {1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7}, 0},
      {"(e) missing and extra entries", {1, 1, 1, 4, 4, 4, 4}, 1},
      {"(f) leader of terms 2 and 3, never committed", {1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3}, 1},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      network net({state_with(3, 8, 0, leader_log), state_with(3, 8, 0, r.log), state_with(3, 8, 0, {})},
                  knobs{});
      net.elect(1);  // term 9, with node 3's vote
      net.tick(1);   // a heartbeat round spreads the commit index
      std::vector<std::uint64_t> want = leader_log;
      want.push_back(9);  // the new leader's empty entry
      BOOST_TEST(log_terms(net.node(1).log()) == want, boost::test_tools::per_element());
      BOOST_TEST(log_terms(net.node(2).log()) == want, boost::test_tools::per_element());
      BOOST_TEST(net.node(2).log().commit() == 11_i);
      BOOST_TEST(count_rejects(net.trace, 2) == r.rejects);
      BOOST_TEST(net.node(1).followers().at(2_n).match == 11_i);
    }
  }
}

// §5.3 fast backtracking: "the follower can include the term of the
// conflicting entry and the first index it stores for that term. With this
// information, the leader can decrement nextIndex to bypass all of the
// conflicting entries in that term; one AppendEntries RPC will be required
// for each term with conflicting entries, rather than one RPC per entry."
BOOST_AUTO_TEST_CASE(s5_3_fast_backtracking_skips_a_whole_term_per_round_trip) {
  auto log_of = [](std::vector<std::pair<std::uint64_t, int>> runs) {
    std::vector<std::uint64_t> out;
    for (auto [term, count] : runs)
      for (int i = 0; i < count; ++i) out.push_back(term);
    return out;
  };
  // The leader's log: one entry of term 1, then 50 of term 4.
  const std::vector<std::uint64_t> leader_log = log_of({{1, 1}, {4, 50}});
  struct row {
    const char* name;
    std::vector<std::uint64_t> follower;
    std::size_t max_rejects;  // one per conflicting term at most
  };
  const row rows[] = {
      {"50 conflicting entries of one term", log_of({{1, 1}, {2, 50}}), 1},
      {"40 conflicting entries across two terms", log_of({{1, 1}, {2, 20}, {3, 20}}), 2},
      {"follower far behind, nothing conflicting", log_of({{1, 1}, {4, 10}}), 1},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.name) {
      network net({state_with(3, 4, 0, leader_log), state_with(3, 4, 0, r.follower),
                   state_with(3, 4, 0, {1})},
                  knobs{});
      net.elect(1);
      std::vector<std::uint64_t> want = leader_log;
      want.push_back(5);
      BOOST_TEST(log_terms(net.node(2).log()) == want, boost::test_tools::per_element());
      BOOST_TEST(count_rejects(net.trace, 2) <= r.max_rejects);  // entry by entry: up to 50
    }
  }
}

// Figure 2: matchIndex "increases monotonically". A delayed rejection of an
// old probe must not move a follower's progress backwards.
BOOST_AUTO_TEST_CASE(fig2_match_index_never_decreases_on_stale_reject) {
  peer p{make_options(1), fresh_state(3)};
  win_election(p, {2});
  p->step(append_ack(2, 1, 1, 1));
  p.drain();
  BOOST_REQUIRE(p->propose(text("a")).ok());
  BOOST_REQUIRE(p->propose(text("b")).ok());
  p.drain();
  p->step(append_ack(2, 1, 1, 3));
  p.drain();
  BOOST_REQUIRE(p->followers().at(2_n).match == 3_i);
  message stale = msg(message_type::append_response, 2, 1, 1);
  stale.reject = true;
  stale.index = 1_i;
  stale.hint_index = 0_i;
  stale.hint_term = 0_t;
  p->step(stale);
  p.drain();
  BOOST_TEST(p->followers().at(2_n).match == 3_i);
  BOOST_TEST(p->followers().at(2_n).next >= 4_i);
  BOOST_TEST(p->log().commit() == 3_i);
}

// Flow control (thesis §10.2: pipelining with a bounded window): a follower
// in the replicate state has at most max_inflight appends outstanding; each
// acknowledgement frees window slots. A follower in the probe state gets
// one append at a time until it answers.
BOOST_AUTO_TEST_CASE(s10_2_inflight_window_in_replicate_one_probe_at_a_time) {
  knobs k;
  k.max_inflight = 2;
  peer p{make_options(1, k), fresh_state(3)};
  output elected = win_election(p, {2});
  BOOST_REQUIRE_EQUAL(only(elected.now, message_type::append, 3_n).size(), 1u);  // the probe
  p->step(append_ack(2, 1, 1, 1));
  p.drain();
  BOOST_REQUIRE(p->followers().at(2_n).state == replication_state::replicate);
  BOOST_REQUIRE(p->followers().at(3_n).state == replication_state::probe);

  std::vector<log_index> in_flight;  // last index of each unacknowledged append to 2
  std::size_t to3 = 0;
  auto collect = [&](const output& out) {
    // Empty appends (commit advertisements) carry nothing to wait for.
    for (const auto& m : only(out.now, message_type::append, 2_n))
      if (!m.entries.empty()) in_flight.push_back(last_of(m));
    to3 += only(out.now, message_type::append, 3_n).size();
  };
  for (int i = 0; i < 6; ++i) {
    BOOST_REQUIRE(p->propose(text("p" + std::to_string(i))).ok());
    collect(p.drain());
    BOOST_TEST(in_flight.size() <= k.max_inflight);
    BOOST_TEST(p->followers().at(2_n).inflight.size() <= k.max_inflight);
  }
  BOOST_TEST(in_flight.size() == k.max_inflight);
  BOOST_TEST(to3 == 0u);  // the probe to 3 is still unanswered

  // Acknowledge the oldest append: the freed slot carries the backlog.
  const log_index last = p->log().last_index();
  for (int round = 0; round < 10 && !in_flight.empty(); ++round) {
    const log_index acked = in_flight.front();
    in_flight.erase(in_flight.begin());
    p->step(append_ack(2, 1, 1, acked.value));
    collect(p.drain());
    BOOST_TEST(in_flight.size() <= k.max_inflight);
  }
  BOOST_TEST(in_flight.empty());
  BOOST_TEST(p->followers().at(2_n).match == last);
  BOOST_TEST(p->log().commit() == last);
  BOOST_TEST(to3 == 0u);

  // The probe is answered: 3 switches to replicate and gets everything.
  p->step(append_ack(3, 1, 1, 1));
  output out = p.drain();
  auto appends = only(out.now, message_type::append, 3_n);
  BOOST_REQUIRE(!appends.empty());
  BOOST_TEST(last_of(appends.back()) == last);
  BOOST_TEST(p->followers().at(3_n).state == replication_state::replicate);
}

// Batching: an append carries at most max_batch_bytes of entries, but always
// at least one entry so that an oversized entry still makes progress.
BOOST_AUTO_TEST_CASE(batching_respects_max_batch_bytes) {
  knobs k;
  k.max_batch_bytes = 300;
  peer p{make_options(1, k), fresh_state(3)};
  win_election(p, {2});
  for (int i = 0; i < 10; ++i) BOOST_REQUIRE(p->propose(payload(core::bytes(100, 'a'))).ok());
  BOOST_REQUIRE(p->propose(payload(core::bytes(1000, 'b'))).ok());  // index 12
  for (int i = 0; i < 3; ++i) BOOST_REQUIRE(p->propose(payload(core::bytes(10, 'c'))).ok());
  const log_index last = p->log().last_index();
  BOOST_REQUIRE(last == 15_i);
  BOOST_TEST(only(p.drain().now, message_type::append, 2_n).empty());  // 2 is still probed

  // 2 answers the probe; keep acknowledging until it has everything.
  std::vector<message> sent;
  log_index acked = 1_i;
  for (int round = 0; round < 50 && acked < last; ++round) {
    p->step(append_ack(2, 1, 1, acked.value));
    std::vector<message> appends;
    for (const auto& m : only(p.drain().now, message_type::append, 2_n))
      if (!m.entries.empty()) appends.push_back(m);  // skip commit advertisements
    if (appends.empty()) break;
    sent.insert(sent.end(), appends.begin(), appends.end());
    acked = last_of(appends.back());
  }
  BOOST_TEST(acked == last);
  log_index expect_prev = 1_i;
  for (const auto& m : sent) {
    BOOST_REQUIRE(!m.entries.empty());
    std::size_t total = 0;
    for (const auto& e : m.entries) total += core::entry_bytes(e);
    BOOST_TEST((total <= k.max_batch_bytes || m.entries.size() == 1u));
    if (m.entries.front().index <= 11_i) BOOST_TEST(m.entries.size() <= 2u);  // 2 * 124 bytes fit, 3 do not
    if (m.entries.front().index == 12_i) BOOST_TEST(m.entries.size() == 1u);
    // Consecutive and contiguous: every append starts where the last ended.
    BOOST_TEST(m.index == expect_prev);
    for (std::size_t j = 0; j < m.entries.size(); ++j)
      BOOST_TEST(m.entries[j].index == m.index + (j + 1));
    expect_prev = last_of(m);
  }
  BOOST_TEST(sent.size() >= 7u);
}

// ---------------------------------------------------------------------------
// §5.4.2 and Figure 8: "Raft never commits log entries from previous terms by
// counting replicas. Only log entries from the leader's current term are
// committed by counting replicas; once an entry from the current term has
// been committed in this way, then all prior entries are committed
// indirectly because of the Log Matching Property."
//
// Built explicitly: S1 led term 2 and wrote index 2 (term 2); S5 led term 3
// and wrote a different index 2 (term 3). Now S1 leads term 4 and copies its
// index 2 to S2 and S3 — a majority — while its own term-4 entry (index 3)
// has not reached them yet. This is Figure 8 (c).
struct figure8 {
  figure8()
      : net({state_with(5, 3, 0, {1, 2}, 1), state_with(5, 3, 0, {1}, 1), state_with(5, 3, 0, {1}, 1),
             state_with(5, 3, 0, {1}, 1), state_with(5, 3, 0, {1, 3}, 1)},
            one_entry_per_append()) {
    net.crash(4);
    net.crash(5);
    // Index 3 (S1's term-4 entry) does not reach a follower that already
    // holds index 2, i.e. "S1 replicated index 2 to S2 and S3" and no more.
    net.drop_if = [this](const message& m) {
      if (m.type != message_type::append || m.from != 1_n) return false;
      bool carries3 = false;
      for (const auto& e : m.entries) carries3 = carries3 || e.index == 3_i;
      return carries3 && net.node(m.to.value).log().last_index() >= 2_i;
    };
    net.elect(1);
    net.deliver_all();
  }
  static knobs one_entry_per_append() {
    knobs k;
    k.max_batch_bytes = 1;
    return k;
  }
  network net;
};

BOOST_FIXTURE_TEST_CASE(fig8_c_leader_does_not_commit_previous_term_entry_by_counting_replicas, figure8) {
  BOOST_REQUIRE(net.node(1).term() == 4_t);
  for (std::uint64_t id : {1u, 2u, 3u}) {
    BOOST_TEST_CONTEXT("S" << id) {
      BOOST_REQUIRE(net.node(id).log().last_index() >= 2_i);
      BOOST_TEST(net.node(id).log().at(2_i).term == 2_t);  // on a majority of five...
    }
  }
  BOOST_TEST(net.node(1).followers().at(2_n).match == 2_i);
  BOOST_TEST(net.node(1).followers().at(3_n).match == 2_i);
  BOOST_TEST(net.node(1).log().commit() == 1_i);  // ...and still not committed
  for (auto& kv : net.peers()) BOOST_TEST(kv.second.applied().count(2) == 0u);
  net.tick(1);  // heartbeats do not sneak it in either
  BOOST_TEST(net.node(1).log().commit() == 1_i);
  for (std::uint64_t id : {2u, 3u}) BOOST_TEST(net.node(id).log().commit() <= 1_i);
}

// Figure 8 (d): why the rule matters. S1 crashes; S5, whose last term (3) is
// newer than S2's, S3's and S4's, is elected and overwrites index 2 on all of
// them. Had S1 committed index 2, a committed entry would now be lost.
BOOST_FIXTURE_TEST_CASE(fig8_d_uncommitted_previous_term_entry_is_overwritten, figure8) {
  net.drop_if = nullptr;
  net.crash(1);
  net.restart(4);
  net.restart(5);
  net.node(5).campaign();  // term 4: S2 and S3 already voted for S1 in term 4
  net.deliver_all();
  BOOST_TEST(net.node(5).current_role() != role::leader);
  net.elect(5);  // term 5: S2, S3 and S4 vote for the more up-to-date log
  BOOST_TEST(net.node(5).term() == 5_t);
  net.tick(5);
  for (std::uint64_t id : {2u, 3u, 4u, 5u}) {
    BOOST_TEST_CONTEXT("S" << id) {
      BOOST_TEST(log_terms(net.node(id).log()) == (std::vector<std::uint64_t>{1, 3, 5}),
                 boost::test_tools::per_element());
      BOOST_TEST(net.node(id).log().commit() == 3_i);
    }
  }
  for (auto& kv : net.peers()) {
    auto it = kv.second.applied().find(2);
    if (it != kv.second.applied().end()) BOOST_TEST(it->second.term == 3_t);
  }
}

// Figure 8 (e): once S1 replicates an entry of its *current* term (index 3)
// to a majority, it commits it — and index 2 of term 2 with it, indirectly.
BOOST_FIXTURE_TEST_CASE(fig8_e_previous_term_entry_committed_indirectly, figure8) {
  net.drop_if = nullptr;
  // The dropped appends must be retransmitted (driven by heartbeats only).
  for (int i = 0; i < 20 && net.node(1).log().commit() < 3_i; ++i) net.tick(1);
  BOOST_TEST(net.node(1).log().commit() == 3_i);
  net.tick(1);
  for (std::uint64_t id : {1u, 2u, 3u}) {
    BOOST_TEST_CONTEXT("S" << id) {
      BOOST_TEST(net.node(id).log().commit() == 3_i);
      BOOST_REQUIRE(net[id].applied().count(2) == 1u);
      BOOST_TEST(net[id].applied().at(2).term == 2_t);
      BOOST_TEST(net[id].applied().at(3).term == 4_t);
    }
  }
}

// §5.4 Leader Completeness: "if a log entry is committed in a given term,
// then that entry will be present in the logs of the leaders for all higher
// -numbered terms". A node missing a committed entry cannot win (§5.4.1);
// a node holding it can, and keeps it.
BOOST_AUTO_TEST_CASE(s5_4_leader_completeness) {
  network net(3);
  net.elect(1);
  net.cut(1, 3);
  auto r = net.node(1).propose(text("committed"));
  BOOST_REQUIRE(r.ok());
  net.deliver_all();
  BOOST_REQUIRE(net.node(1).log().commit() == r.index);
  net.crash(1);
  net.heal();

  net.node(3).campaign();  // 3 lacks the committed entry
  net.deliver_all();
  BOOST_TEST(net.node(3).current_role() != role::leader);

  net.elect(2);
  const core::node& leader = net.node(2);
  BOOST_TEST(leader.term() > r.term);
  BOOST_REQUIRE(leader.log().last_index() >= r.index);
  BOOST_TEST(leader.log().at(r.index).term == r.term);
  BOOST_TEST(leader.log().at(r.index).data == text("committed"));
  net.tick(2);
  BOOST_TEST(net.node(3).log().commit() >= r.index);
  BOOST_TEST(net[3].applied().at(r.index.value).data == text("committed"));
}

BOOST_AUTO_TEST_SUITE_END()
