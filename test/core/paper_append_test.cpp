// Paper tests, part 2: the receiver side of AppendEntries.
// Raft paper, Figure 2 "AppendEntries RPC" (receiver implementation) and §5.3.
#include "harness.hpp"

using namespace actraft::test;
namespace core = actraft::core;

namespace {

/// The single append_response a follower sent to `leader` in `out`.
message the_response(const output& out, std::uint64_t leader) {
  auto rs = only(out.all(), message_type::append_response, node_id{leader});
  BOOST_REQUIRE_EQUAL(rs.size(), 1u);
  return rs.front();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(paper_append)

// Figure 2, AppendEntries RPC, receiver 2: "Reply false if log doesn't
// contain an entry at prevLogIndex whose term matches prevLogTerm (§5.3)".
// The rejection names the rejected prevLogIndex and hints at the largest
// index <= min(prevLogIndex, last index) whose term is <= prevLogTerm.
BOOST_AUTO_TEST_CASE(fig2_append_rejected_unless_log_matches_prev_index_and_term) {
  struct row {
    std::uint64_t prev_index, prev_term;
    bool accepted;
    std::uint64_t hint_index, hint_term;
    const char* why;
  };
  // The follower's log: terms [1, 2].
  const row rows[] = {
      {3, 2, false, 2, 2, "no entry at prevLogIndex"},
      {2, 1, false, 1, 1, "entry at prevLogIndex has another term"},
      {5, 2, false, 2, 2, "far beyond the log, hint is the last entry"},
      {2, 2, true, 0, 0, "match at the last entry"},
      {1, 1, true, 0, 0, "match in the middle"},
      {0, 0, true, 0, 0, "empty prefix always matches"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.why) {
      peer p{make_options(1), state_with(3, 2, 2, {1, 2})};
      p->step(append(2, 1, 2, r.prev_index, r.prev_term, {}));
      const message resp = the_response(p.drain(), 2);
      BOOST_TEST(resp.term == 2_t);
      BOOST_TEST(resp.reject == !r.accepted);
      if (r.accepted) {
        BOOST_TEST(resp.index == log_index{r.prev_index});  // highest index known to match
      } else {
        BOOST_TEST(resp.index == log_index{r.prev_index});  // the rejected prevLogIndex
        BOOST_TEST(resp.hint_index == log_index{r.hint_index});
        BOOST_TEST(resp.hint_term == raft_term{r.hint_term});
      }
      BOOST_TEST(log_terms(p->log()) == (std::vector<std::uint64_t>{1, 2}),
                 boost::test_tools::per_element());
      BOOST_TEST(p->leader() == 2_n);  // even a rejecting follower learns who leads
    }
  }
}

// Figure 2, Rules for Servers, Followers: "Respond to RPCs" — but an
// acknowledgement promises durability (Figure 2: persistent state is
// "updated on stable storage before responding"), so the append_response is
// a persisted message, next to the entries it acknowledges.
BOOST_AUTO_TEST_CASE(fig2_follower_acknowledges_entries_only_after_they_are_persisted) {
  peer p{make_options(1), fresh_state(3)};
  p->step(append(2, 1, 1, 0, 0, make_entries(1, {1, 1})));
  ready rd = p->take_ready();
  BOOST_TEST(rd.entries.size() == 2u);
  BOOST_TEST(only(rd.messages, message_type::append_response).empty());
  auto acks = only(rd.persisted_messages, message_type::append_response, 2_n);
  BOOST_REQUIRE_EQUAL(acks.size(), 1u);
  BOOST_TEST(!acks.front().reject);
  BOOST_TEST(acks.front().index == 2_i);
  BOOST_TEST(acks.front().term == 1_t);
  p.persist(rd);
  p->advance();
  BOOST_TEST(p->log().durable() == 2_i);
}

// Figure 2, AppendEntries RPC, receiver 3: "If an existing entry conflicts
// with a new one (same index but different terms), delete the existing
// entry and all that follow it (§5.3)". The ready hands the replacement to
// storage starting at the first conflicting index.
BOOST_AUTO_TEST_CASE(fig2_conflicting_entry_and_all_that_follow_are_deleted) {
  {
    peer p{make_options(1), state_with(3, 1, 0, {1, 1, 1}, 1)};
    p->step(append(2, 1, 2, 1, 1, make_entries(2, {2})));
    output out = p.drain();
    BOOST_TEST(log_terms(p->log()) == (std::vector<std::uint64_t>{1, 2}), boost::test_tools::per_element());
    BOOST_REQUIRE(!out.entries.empty());
    BOOST_TEST(out.entries.front().index == 2_i);
    BOOST_TEST(p.disk().entries.size() == 2u);
    BOOST_TEST(!the_response(out, 2).reject);
    BOOST_TEST(the_response(out, 2).index == 2_i);
  }
  {  // the conflict is in the middle of the new entries: the matching one is kept
    peer p{make_options(1), state_with(3, 1, 0, {1, 1, 1, 1})};
    p->step(append(2, 1, 2, 1, 1, make_entries(2, {1, 2, 2})));
    output out = p.drain();
    BOOST_TEST(log_terms(p->log()) == (std::vector<std::uint64_t>{1, 1, 2, 2}),
               boost::test_tools::per_element());
    BOOST_REQUIRE(!out.entries.empty());
    BOOST_TEST(out.entries.front().index == 3_i);
    BOOST_TEST(p.disk().entries.size() == 4u);
    BOOST_TEST(p.disk().entries.at(2).term == 2_t);
    BOOST_TEST(the_response(out, 2).index == 4_i);
  }
}

// Receiver 3 deletes entries an acknowledgement may still be waiting to
// promise: appended in memory, acknowledged, and the next write not taken
// yet (the driver writes one ready at a time). That write no longer holds
// them, so the acknowledgement goes with them: an acknowledgement promises
// entries this member stores, and the old leader must not count it for
// entries it never stored.
BOOST_AUTO_TEST_CASE(fig2_acknowledgements_of_deleted_entries_are_never_sent) {
  peer p{make_options(1), state_with(3, 1, 2, {1, 1}, 2)};
  p->step(append(2, 1, 1, 2, 1, make_entries(3, {1, 1})));  // entries 3 and 4 of term 1
  BOOST_REQUIRE(p->log().last_index() == 4_i);
  BOOST_REQUIRE(p->log().durable() == 2_i);
  // A leader of term 2 that never had them replaces them before the write.
  p->step(append(3, 1, 2, 2, 1, make_entries(3, {2})));
  BOOST_REQUIRE(log_terms(p->log()) == (std::vector<std::uint64_t>{1, 1, 2}));
  ready rd = p->take_ready();
  for (const auto& m : only(rd.persisted_messages, message_type::append_response))
    BOOST_TEST_CONTEXT("answer to n" << m.to) {
      BOOST_TEST((m.reject || m.index <= p->log().last_index()));
      if (m.to == 2_n) BOOST_TEST(m.index <= 2_i);  // nothing of term 1 past what stays
    }
  const auto acks = only(rd.persisted_messages, message_type::append_response, 3_n);
  BOOST_REQUIRE_EQUAL(acks.size(), 1u);
  BOOST_TEST(acks.front().index == 3_i);
  p.persist(rd);
  p->advance();
}

// Figure 2, AppendEntries RPC, receiver 4: "Append any new entries not
// already in the log" — entries already present are neither rewritten nor
// persisted again.
BOOST_AUTO_TEST_CASE(fig2_only_entries_not_already_in_log_are_appended) {
  peer p{make_options(1), state_with(3, 1, 0, {1, 1, 1})};
  p->step(append(2, 1, 1, 1, 1, make_entries(2, {1, 1, 1})));
  output out = p.drain();
  BOOST_TEST(log_terms(p->log()) == (std::vector<std::uint64_t>{1, 1, 1, 1}), boost::test_tools::per_element());
  BOOST_REQUIRE_EQUAL(out.entries.size(), 1u);
  BOOST_TEST(out.entries.front().index == 4_i);
  BOOST_TEST(the_response(out, 2).index == 4_i);
}

// §5.3 / Figure 2 (the RPC is idempotent: "Raft RPCs are idempotent", §5.5):
// a duplicated append changes nothing and is acknowledged again.
BOOST_AUTO_TEST_CASE(s5_5_duplicate_append_is_idempotent) {
  peer p{make_options(1), fresh_state(3)};
  const message m = append(2, 1, 1, 0, 0, make_entries(1, {1, 1}), 1);
  p->step(m);
  output first = p.drain();
  const observable after_first{p.get()};
  p->step(m);
  output second = p.drain();
  BOOST_TEST((observable{p.get()} == after_first));
  BOOST_TEST(second.entries.empty());
  const message ack = the_response(second, 2);
  BOOST_TEST(!ack.reject);
  // Any index the follower knows to match will do (it may answer with its
  // commit index for an append below it); never more than it holds.
  BOOST_TEST(ack.index >= 1_i);
  BOOST_TEST(ack.index <= 2_i);
  BOOST_TEST(first.committed.size() == 1u);
  BOOST_TEST(second.committed.empty());  // nothing is applied twice
}

// Figure 2, receiver 3 applies only to *conflicting* entries: a delayed,
// shorter append from the same leader must not truncate entries it already
// appended (they may have been acknowledged and counted towards a commit).
BOOST_AUTO_TEST_CASE(fig2_delayed_shorter_append_does_not_truncate_log) {
  peer p{make_options(1), fresh_state(3)};
  p->step(append(2, 1, 1, 0, 0, make_entries(1, {1, 1, 1})));
  p.drain();
  p->step(append(2, 1, 1, 0, 0, make_entries(1, {1})));  // the delayed first append
  output out = p.drain();
  BOOST_TEST(log_terms(p->log()) == (std::vector<std::uint64_t>{1, 1, 1}), boost::test_tools::per_element());
  BOOST_TEST(out.entries.empty());
  BOOST_TEST(p.disk().entries.size() == 3u);
  const message ack = the_response(out, 2);
  BOOST_TEST(!ack.reject);
  BOOST_TEST(ack.index >= 1_i);
  BOOST_TEST(ack.index <= 3_i);
}

// Figure 2, AppendEntries RPC, receiver 5: "If leaderCommit > commitIndex,
// set commitIndex = min(leaderCommit, index of last new entry)". The commit
// index never goes backwards, and committed entries are handed out to apply.
BOOST_AUTO_TEST_CASE(fig2_follower_commit_is_min_of_leader_commit_and_last_new_entry) {
  struct row {
    std::vector<std::uint64_t> log;
    std::uint64_t commit;
    std::uint64_t prev_index;
    std::vector<std::uint64_t> new_terms;
    std::uint64_t leader_commit;
    std::uint64_t want;
    const char* why;
  };
  const row rows[] = {
      {{}, 0, 0, {1, 1}, 5, 2, "leader commit beyond the new entries"},
      {{1, 1, 1}, 0, 1, {1}, 3, 2, "last *new* entry, not the follower's last entry"},
      {{1, 1, 1}, 0, 3, {}, 2, 2, "leader commit below the last entry"},
      {{1, 1, 1}, 2, 3, {}, 1, 2, "commit index never decreases"},
      {{1, 1}, 0, 2, {1, 1}, 4, 4, "all new entries committed"},
  };
  for (const auto& r : rows) {
    BOOST_TEST_CONTEXT(r.why) {
      peer p{make_options(1), state_with(3, 1, 2, r.log, r.commit)};
      p->step(append(2, 1, 1, r.prev_index, r.prev_index > 0 ? 1 : 0,
                     make_entries(r.prev_index + 1, r.new_terms), r.leader_commit));
      output out = p.drain();
      BOOST_TEST(!the_response(out, 2).reject);
      BOOST_TEST(p->log().commit() == log_index{r.want});
      if (!out.committed.empty()) BOOST_TEST(out.committed.back().index == log_index{r.want});
      BOOST_TEST(p->applied() == log_index{r.want});
    }
  }
}

// Heartbeats are AppendEntries without entries: they carry leaderCommit,
// which the leader caps at the follower's match index so the follower can
// apply it directly (Figure 2, receiver 5).
BOOST_AUTO_TEST_CASE(fig2_heartbeat_advances_follower_commit) {
  peer p{make_options(1), state_with(3, 1, 2, {1, 1, 1})};
  message hb = msg(message_type::heartbeat, 2, 1, 1);
  hb.commit = 2_i;
  p->step(hb);
  output out = p.drain();
  BOOST_TEST(p->log().commit() == 2_i);
  BOOST_TEST(out.committed.size() == 2u);
  BOOST_TEST(only(out.all(), message_type::heartbeat_response, 2_n).size() == 1u);
}

// §5.4 (Leader Completeness, State Machine Safety): committed entries are
// never removed. A message that would truncate below the commit index —
// possible only from a buggy or malicious peer — is refused.
BOOST_AUTO_TEST_CASE(s5_4_committed_entries_are_never_truncated) {
  peer p{make_options(1), state_with(3, 1, 2, {1, 1, 1}, 3)};
  p->step(append(2, 1, 2, 1, 1, make_entries(2, {2})));
  output out = p.drain();
  BOOST_TEST(log_terms(p->log()) == (std::vector<std::uint64_t>{1, 1, 1}), boost::test_tools::per_element());
  BOOST_TEST(p->log().commit() == 3_i);
  BOOST_TEST(p.disk().entries.size() == 3u);
  for (const auto& e : out.entries) BOOST_TEST(e.index > 3_i);
}

BOOST_AUTO_TEST_SUITE_END()
