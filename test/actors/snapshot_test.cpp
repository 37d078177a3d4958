// Snapshots end to end in the actor layer, over real loopback sockets:
// members compact on their own, a member that was away catches up through
// the leader's snapshot sent in chunks, a new member joins a compacted
// cluster, and a restart restores the store from the newest snapshot.
#include <boost/test/unit_test.hpp>

#include "fixture.hpp"

using namespace actraft;
using namespace actraft::test;

namespace {

/// Snapshots every 40 entries (never held back for the state's size: these
/// stores only grow), 10 kept behind, sent in 4 KiB chunks (the default
/// window, four in flight): a snapshot of a few hundred commands takes many
/// chunks.
void small_snapshots(options& o) {
  o.snapshot_entries = 40;
  o.snapshot_log_ratio = 0;
  o.snapshot_keep_entries = 10;
  o.snapshot_chunk_bytes = 4096;
}

std::string command(int i) { return "cmd-" + std::to_string(i) + "-" + std::string(200, 'x'); }

/// Index of the newest snapshot file in a directory (0: none).
std::uint64_t newest_snapshot(const std::string& dir) {
  std::uint64_t best = 0;
  for (const auto& f : snapshot_files(dir))
    best = std::max<std::uint64_t>(best, std::stoull(f.substr(5, 16), nullptr, 16));
  return best;
}


/// A member is down while the others compact past it; back, it catches up
/// through the leader's snapshot. `tweak` picks where the store runs.
void catch_up_through_a_snapshot(const std::function<void(options&)>& tweak) {
  temp_dir tmp;
  member_process a{tmp.sub("a"), "127.0.0.1:0", tweak};
  member_process b{tmp.sub("b"), "127.0.0.1:0", tweak};
  auto c = std::make_unique<member_process>(tmp.sub("c"), "127.0.0.1:0", tweak);
  form_cluster(a, {&b, c.get()});
  for (int i = 0; i < 5; ++i) expect_ok(a.node->propose(to_bytes(command(i))), *a.sys);
  BOOST_REQUIRE(eventually([&] { return c->store->applied().size() == 5; }));
  const auto c_address = c->node->address();
  const auto c_commit = c->node->status()->commit_index;
  c.reset();  // down, with its data directory

  for (int i = 5; i < 305; ++i) expect_ok(a.node->propose(to_bytes(command(i))), *a.sys);
  // Both live members compacted on their own, well past what c holds.
  BOOST_REQUIRE(eventually([&] {
    return newest_snapshot(tmp.sub("a")) > c_commit + 100 && newest_snapshot(tmp.sub("b")) > c_commit + 100;
  }));
  BOOST_TEST(snapshot_files(tmp.sub("a")).size() == 1u);  // older ones are removed

  member_process again{tmp.sub("c"), c_address, tweak};
  again.node->lead();  // resumes node 3 from its directory
  BOOST_REQUIRE(eventually([&] { return again.store->applied().size() == 305; }, 20s));
  BOOST_TEST(again.store->applied() == a.store->applied());
  // It got there through the leader's snapshot, not the log.
  BOOST_TEST(newest_snapshot(tmp.sub("c")) > c_commit + 100);
  // And it takes part in replication from the log afterwards.
  expect_ok(again.node->propose(to_bytes("after")), *again.sys);
  BOOST_REQUIRE(eventually([&] {
    return again.store->applied().size() == 306 && b.store->applied().size() == 306;
  }));
  BOOST_TEST(again.store->applied() == a.store->applied());
  BOOST_TEST(b.store->applied() == a.store->applied());
}

}  // namespace

/// A restore that fails leaves no state to apply on: the member stops, and
/// nothing after the snapshot reaches its store (a store that keeps its own
/// state would otherwise save the damage).
BOOST_AUTO_TEST_CASE(after_a_failed_restore_nothing_more_is_applied) {
  struct refusing_store : recording_store {
    void restore(const bytes&) override { throw std::runtime_error("no room for the snapshot"); }
  };
  temp_dir tmp;
  member_process a{tmp.sub("a"), "127.0.0.1:0", small_snapshots};
  member_process b{tmp.sub("b"), "127.0.0.1:0", small_snapshots};
  auto c = std::make_unique<member_process>(tmp.sub("c"), "127.0.0.1:0", small_snapshots);
  form_cluster(a, {&b, c.get()});
  for (int i = 0; i < 5; ++i) expect_ok(a.node->propose(to_bytes(command(i))), *a.sys);
  BOOST_REQUIRE(eventually([&] { return c->store->applied().size() == 5; }));
  const auto c_address = c->node->address();
  const auto c_commit = c->node->status()->commit_index;
  c.reset();
  for (int i = 5; i < 205; ++i) expect_ok(a.node->propose(to_bytes(command(i))), *a.sys);
  BOOST_REQUIRE(eventually([&] { return newest_snapshot(tmp.sub("a")) > c_commit + 100; }));

  member_process again{tmp.sub("c"), c_address, small_snapshots, std::make_unique<refusing_store>()};
  again.node->lead();  // replays its 5 commands, then gets the leader's snapshot
  BOOST_REQUIRE(eventually([&] { return !again.node->status(); }, 20s));  // it stopped
  const auto applied = again.store->applied();
  const auto leaders = a.store->applied();
  BOOST_TEST(applied == std::vector<std::string>(leaders.begin(), leaders.begin() + 5),
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_SUITE(snapshots)

BOOST_AUTO_TEST_CASE(a_member_that_was_down_during_compaction_catches_up_through_a_snapshot) {
  catch_up_through_a_snapshot(small_snapshots);
}

// The same with apply beside the node on the I/O thread: snapshot() and
// restore() still run on their own thread, and applies wait for them.
BOOST_AUTO_TEST_CASE(the_same_with_apply_beside_the_node) {
  catch_up_through_a_snapshot([](options& o) {
    small_snapshots(o);
    o.apply_on_own_thread = false;
  });
}

// And with the node and its store on CAF's scheduler instead.
BOOST_AUTO_TEST_CASE(the_same_with_the_node_on_the_scheduler) {
  catch_up_through_a_snapshot([](options& o) {
    small_snapshots(o);
    o.node_on_io_thread = false;
    o.apply_on_own_thread = false;
  });
}

// One chunk in flight: each answer of the follower sends the next.
BOOST_AUTO_TEST_CASE(the_same_with_one_chunk_in_flight) {
  catch_up_through_a_snapshot([](options& o) {
    small_snapshots(o);
    o.snapshot_chunks_in_flight = 1;
  });
}

BOOST_AUTO_TEST_CASE(the_window_of_chunks_is_an_option_with_bounds) {
  options o;
  o.data_dir = "/nonexistent/only-validated";
  BOOST_TEST(o.validate().empty());
  o.snapshot_chunks_in_flight = 0;
  BOOST_TEST(o.validate() == "snapshot_chunks_in_flight must be between 1 and 64");
  o.snapshot_chunks_in_flight = 65;
  BOOST_TEST(o.validate() == "snapshot_chunks_in_flight must be between 1 and 64");
  o.snapshot_chunks_in_flight = 64;
  BOOST_TEST(o.validate().empty());
}

BOOST_AUTO_TEST_CASE(a_new_member_joins_a_compacted_cluster_and_restarts_restore_the_store) {
  temp_dir tmp;
  auto a = std::make_unique<member_process>(tmp.sub("a"), "127.0.0.1:0", small_snapshots);
  a->node->lead();
  for (int i = 0; i < 200; ++i) expect_ok(a->node->propose(to_bytes(command(i))), *a->sys);
  BOOST_REQUIRE(eventually([&] { return newest_snapshot(tmp.sub("a")) >= 150; }));

  member_process b{tmp.sub("b"), "127.0.0.1:0", small_snapshots};
  b.node->join(a->node->address(), a->node->join_token());
  BOOST_REQUIRE(eventually([&] { return b.store->applied().size() == 200; }, 20s));
  BOOST_TEST(b.store->applied() == a->store->applied());
  BOOST_REQUIRE(eventually([&] {
    auto st = a->node->status();
    return st && st->members.size() == 2 && st->members[1].voter;  // promoted
  }));

  // A restart restores the store from the newest snapshot, then replays the
  // log after it: same commands, same order, none twice.
  const auto a_address = a->node->address();
  const auto before = a->store->applied();
  a.reset();
  member_process again{tmp.sub("a"), a_address, small_snapshots};
  again.node->lead();
  BOOST_REQUIRE(eventually([&] { return again.store->applied().size() >= 200; }, 20s));
  BOOST_TEST(again.store->applied() == before);
  member_process* leader = nullptr;
  BOOST_REQUIRE(eventually([&] { return (leader = find_leader({&again, &b})) != nullptr; }));
  expect_ok(leader->node->propose(to_bytes("after restart")), *leader->sys);
  BOOST_REQUIRE(eventually([&] {
    return again.store->applied().size() == 201 && b.store->applied().size() == 201;
  }));
  BOOST_TEST(again.store->applied() == b.store->applied());
}

BOOST_AUTO_TEST_SUITE_END()
