// §7 log compaction and InstallSnapshot, on the pure core: the caller saves
// a snapshot and compacts; a follower that needs compacted entries gets the
// snapshot's metadata (the caller moves the data), installs it, and then
// continues from the log.
#include "harness.hpp"

using namespace actraft::test;
namespace core = actraft::core;

namespace {

bool has_type(const std::vector<message>& ms, message_type t, std::uint64_t to) {
  for (const auto& m : ms)
    if (m.type == t && m.to == node_id{to}) return true;
  return false;
}

/// Node 2 of a three-node cluster led by node 1, with three entries
/// committed everywhere: a follower about to be sent a snapshot over a tail
/// it holds only in memory.
struct follower_in_term {
  network net{3};
  std::uint64_t term = 0;
  std::uint64_t last = 0;  ///< node 2's last (durable) index
  follower_in_term() {
    net.elect(1);
    commit_proposals(net, 1, 3);
    term = net.node(1).term().value;
    last = net.node(2).log().last_index().value;
  }
  core::node& f() { return net.node(2); }
  /// The leader's snapshot at `index` of this term.
  message snapshot_at(std::uint64_t index) const {
    return snapshot_message(1, 2, term,
                            core::snapshot_meta{log_index{index}, raft_term{term}, make_config(3)});
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(s7_compaction_forgets_applied_entries_only) {
  network net(3);
  net.elect(1);
  commit_proposals(net, 1, 10);
  auto& leader = net[1];
  const log_index applied = leader->applied();
  BOOST_TEST(applied == 11_i);  // the leader's no-op and ten proposals
  BOOST_TEST(!leader.compact(applied + 1));  // not applied yet: refused
  BOOST_REQUIRE(leader.compact(8_i));
  BOOST_TEST(leader->log().first_index() == 9_i);
  BOOST_TEST(leader->log().snapshot().index == 8_i);
  BOOST_TEST(leader->log().snapshot().term == leader->term());
  BOOST_TEST(leader->log().snapshot().config.voter_count() == 3u);
  BOOST_TEST(!leader.compact(5_i));  // behind the snapshot: refused
  // Replication to up-to-date followers goes on from the log.
  commit_proposals(net, 1, 3, "p", 10);
  BOOST_TEST(net.node(2).log().commit() == net.node(1).log().commit());
}

BOOST_AUTO_TEST_CASE(s7_lagging_follower_installs_a_snapshot_then_follows_the_log) {
  network net(3);
  net.elect(1);
  commit_proposals(net, 1, 2);
  net.isolate(3);
  commit_proposals(net, 1, 20, "p", 2);
  BOOST_REQUIRE(net[1].compact(18_i));
  net.heal();
  net.trace.clear();
  for (int i = 0; i < 5; ++i) {
    net.tick(1);
    net.deliver_all();
  }
  // The leader could not send entries 4..18 any more: it sent the snapshot.
  BOOST_TEST(has_type(net.trace, message_type::snapshot, 3));
  auto& f = net[3];
  BOOST_TEST(f.disk().snapshot.index == 18_i);       // installed and made durable
  BOOST_TEST(f->log().snapshot().index == 18_i);
  BOOST_TEST(f->log().last_index() == net.node(1).log().last_index());
  BOOST_TEST(f->log().commit() == net.node(1).log().commit());
  BOOST_TEST((f->config() == net.node(1).config()));
  BOOST_TEST(net.node(1).followers().at(3_n).state == replication_state::replicate);
  // And it keeps following from the log.
  commit_proposals(net, 1, 2, "p", 100);
  BOOST_TEST(f->log().last_index() == net.node(1).log().last_index());
  // It applied 1..3 before it was cut off, nothing the snapshot covers from
  // the log, and the leader's entries after it.
  for (const auto& [index, e] : f.applied()) {
    BOOST_TEST((index <= 3u || index > 18u), "index " << index);
    BOOST_TEST((e == net[1].applied().at(index)));
  }
}

BOOST_AUTO_TEST_CASE(s7_snapshot_the_log_already_covers_keeps_the_entries_after_it) {
  network net(3);
  net.elect(1);
  commit_proposals(net, 1, 10);
  const auto before = net.node(2).log().last_index();
  // The leader offers a snapshot of index 5 (its own), which node 2's log
  // already holds with the same term: node 2 keeps its entries after it.
  auto meta = net.node(1).snapshot_meta_at(5_i);
  BOOST_REQUIRE(meta);
  net.node(2).step(snapshot_message(1, 2, net.node(1).term().value, *meta));
  auto out = net[2].drain();
  BOOST_TEST(net.node(2).log().last_index() == before);
  BOOST_TEST(net.node(2).log().snapshot().index == 0_i);  // nothing to install
  auto acks = only(out.after, message_type::append_response);
  BOOST_REQUIRE(acks.size() == 1u);
  BOOST_TEST(!acks[0].reject);
}

// §7 keeps the log after a snapshot whose last entry it holds; here "holds"
// means durably. The caller puts the snapshot in force on its disk before the
// core hears of it, and the disk kept its log only if it held that entry: an
// entry still waiting to be written went with the rest. The core must not
// keep, in memory, a log its disk no longer has (simulator seed 5008).
BOOST_FIXTURE_TEST_CASE(s7_a_snapshot_over_an_entry_not_yet_durable_replaces_the_log, follower_in_term) {
  auto& f = this->f();
  // An append arrives, and its entry is not written yet (no drain).
  f.step(append(1, 2, term, last, term, make_entries(last + 1, {term}), last));
  BOOST_REQUIRE(f.log().last_index().value == last + 1);
  BOOST_REQUIRE(f.log().durable().value == last);
  f.step(snapshot_at(last + 1));
  auto rd = f.take_ready();
  BOOST_REQUIRE(rd.snapshot.has_value());  // installed: the whole log replaced
  BOOST_TEST(rd.snapshot->index.value == last + 1);
  BOOST_TEST(rd.entries.empty());
  BOOST_TEST(f.log().snapshot().index.value == last + 1);
  f.advance();
}

// The same snapshot over a tail held only in memory, whose entries were
// acknowledged while the previous write was under way: the acknowledgements
// wait for a write that no longer holds them, and must go with the entries.
// Sent, the leader took the member for holding entries past its log and
// probed from there forever (simulator seed 85922).
BOOST_FIXTURE_TEST_CASE(s7_acknowledgements_of_entries_a_snapshot_replaced_are_never_sent, follower_in_term) {
  auto& f = this->f();
  // One entry per append, each acknowledged in memory: no write taken yet.
  for (std::uint64_t k = 1; k <= 3; ++k)
    f.step(append(1, 2, term, last + k - 1, term, make_entries(last + k, {term}), last));
  BOOST_REQUIRE(f.log().last_index().value == last + 3);
  BOOST_REQUIRE(f.log().durable().value == last);
  f.step(snapshot_at(last + 1));
  auto rd = f.take_ready();
  BOOST_REQUIRE(rd.snapshot.has_value());
  const auto acks = only(rd.persisted_messages, message_type::append_response, 1_n);
  BOOST_REQUIRE(!acks.empty());  // the snapshot's own answer at least
  for (const auto& a : acks) BOOST_TEST(a.index.value <= last + 1);
  f.advance();
}

BOOST_AUTO_TEST_CASE(s7_restart_from_a_snapshot_applies_only_what_follows_it) {
  network net(3);
  net.elect(1);
  commit_proposals(net, 1, 10);
  BOOST_REQUIRE(net[2].compact(6_i));
  net.crash(2);
  net.restart(2);
  auto out = net[2].drain();
  BOOST_TEST(net.node(2).applied() >= 6_i);
  for (const auto& e : out.committed) BOOST_TEST(e.index > 6_i);
  BOOST_TEST(net.node(2).log().first_index() == 7_i);
}

BOOST_AUTO_TEST_CASE(s7_a_failed_snapshot_transfer_is_offered_again) {
  network net(3);
  net.elect(1);
  net.isolate(3);
  commit_proposals(net, 1, 10);
  BOOST_REQUIRE(net[1].compact(9_i));
  net.heal();
  // The transport loses the snapshot and reports the failure.
  net.drop_if = [](const message& m) { return m.type == message_type::snapshot; };
  for (int i = 0; i < 3; ++i) {
    net.tick(1);
    net.deliver_all();
  }
  BOOST_TEST(net.node(1).followers().at(3_n).state == replication_state::snapshot);
  net.node(1).report_snapshot_failure(3_n);
  BOOST_TEST(net.node(1).followers().at(3_n).state == replication_state::probe);
  net.drop_if = nullptr;
  for (int i = 0; i < 5; ++i) {
    net.tick(1);
    net.deliver_all();
  }
  BOOST_TEST(net.node(3).log().commit() == net.node(1).log().commit());
  BOOST_TEST(net.node(3).log().snapshot().index == 9_i);
}

// Figure 2 (matchIndex is what a follower acknowledged) with §7: a
// follower's commit index in a heartbeat answer is volatile (its entries may
// not be durable yet), so it may tell the leader where to probe after a lost
// snapshot answer, but never what the follower holds.
BOOST_AUTO_TEST_CASE(s7_a_volatile_commit_index_is_never_taken_for_a_match) {
  network net(3);
  net.elect(1);
  net.isolate(3);
  commit_proposals(net, 1, 10);
  BOOST_REQUIRE(net[1].compact(9_i));
  net.heal();
  net.drop_if = [](const message& m) { return m.type == message_type::snapshot; };
  net.tick(1);
  net.deliver_all();
  BOOST_REQUIRE(net.node(1).followers().at(3_n).state == replication_state::snapshot);
  const log_index match_before = net.node(1).followers().at(3_n).match;
  net.drop_if = nullptr;

  message hb = msg(message_type::heartbeat_response, 3, 1, net.node(1).term().value);
  hb.commit = 9_i;  // claims the snapshot's point, durable or not
  net.node(1).step(hb);
  const auto& pr = net.node(1).followers().at(3_n);
  BOOST_TEST(pr.match == match_before);
  BOOST_TEST(pr.state == replication_state::probe);
  // The leader probes right there; the follower's real answer decides.
  auto out = net[1].drain();
  auto probes = only(out.all(), message_type::append, 3_n);
  BOOST_REQUIRE(!probes.empty());
  BOOST_TEST(probes.front().index == 9_i);
}

BOOST_AUTO_TEST_CASE(hostile_snapshot_messages_are_dropped) {
  network net(3);
  net.elect(1);
  commit_proposals(net, 1, 3);
  auto& f = net[2];
  const auto before = observable(f.get());
  const auto term = net.node(1).term().value;
  auto base = [&] {
    return snapshot_message(1, 2, term,
                            actraft::core::snapshot_meta{100_i, raft_term{term}, make_config(3)});
  };
  std::vector<message> bad;
  bad.push_back(base());
  bad.back().index = 99_i;  // header and metadata disagree
  bad.push_back(base());
  bad.back().snapshot.term = raft_term{term + 1};  // from the future
  bad.back().log_term = raft_term{term + 1};
  bad.push_back(base());
  bad.back().snapshot.config = actraft::core::configuration{};  // no voters
  bad.push_back(base());
  bad.back().snapshot.index = 0_i;
  bad.back().index = 0_i;
  bad.push_back(base());
  bad.back().entries = make_entries(101, {term});
  for (const auto& m : bad) {
    f->step(m);
    BOOST_TEST((observable(f.get()) == before));
  }
}
