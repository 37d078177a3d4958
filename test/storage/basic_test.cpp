// The storage API's ordinary behaviour: a new node, append/sync/reopen,
// hard state, suffix replacement, snapshots, compaction, argument checks.
#define BOOST_TEST_MODULE actraft_storage
#include <thread>

#include <boost/test/unit_test.hpp>

#include "helpers.hpp"

using namespace actraft;
using namespace actraft::storage;
using namespace actraft::storage::test;
using core::log_index;
using core::raft_term;

BOOST_AUTO_TEST_SUITE(basic)

BOOST_AUTO_TEST_CASE(missing_directory_is_a_new_node) {
  temp_dir t;
  auto s = open_ok(t.sub("data/nested"));
  auto ps = s->state();
  BOOST_TEST(ps.entries.empty());
  BOOST_TEST((ps.state == core::hard_state{}));
  BOOST_TEST((ps.snapshot == core::snapshot_meta{}));
  BOOST_TEST(s->last_index() == log_index{0});
  BOOST_TEST(s->warnings().empty());
  BOOST_TEST(s->open_snapshot().error().code == storage_errc::not_found);
}

BOOST_AUTO_TEST_CASE(append_sync_reopen) {
  temp_dir t;
  auto es = make_entries(1, 100, 1, 50);
  core::hard_state hs{raft_term{3}, core::node_id{2}, log_index{40}};
  {
    auto s = open_ok(t.path);
    STORAGE_REQUIRE_OK(s->append(es));
    STORAGE_REQUIRE_OK(s->save(hs));
    BOOST_TEST(s->durable_index() == log_index{0});
    auto d = s->sync();
    STORAGE_REQUIRE_OK(d);
    BOOST_TEST(*d == log_index{100});
  }
  auto s = open_ok(t.path);
  auto ps = s->state();
  BOOST_TEST((ps.state == hs));
  BOOST_REQUIRE_EQUAL(ps.entries.size(), es.size());
  BOOST_TEST((ps.entries == es));
  BOOST_TEST(s->durable_index() == log_index{100});
  BOOST_TEST(*s->term_at(log_index{7}) == raft_term{1});
}

BOOST_AUTO_TEST_CASE(unsynced_appends_are_lost_like_in_a_crash) {
  temp_dir t;
  {
    auto s = open_ok(t.path);
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 5, 1)));
    STORAGE_REQUIRE_OK(s->sync());
    STORAGE_REQUIRE_OK(s->append(make_entries(6, 9, 1)));
  }
  auto s = open_ok(t.path);
  BOOST_TEST(s->last_index() == log_index{5});
}

BOOST_AUTO_TEST_CASE(append_below_last_replaces_suffix) {
  temp_dir t;
  {
    auto s = open_ok(t.path);
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 10, 1)));
    STORAGE_REQUIRE_OK(s->sync());
    STORAGE_REQUIRE_OK(s->append(make_entries(6, 7, 2)));
    BOOST_TEST(s->last_index() == log_index{7});
    BOOST_TEST(s->durable_index() == log_index{5});
    STORAGE_REQUIRE_OK(s->sync());
    STORAGE_REQUIRE_OK(s->truncate_suffix(log_index{7}));
    STORAGE_REQUIRE_OK(s->sync());
  }
  auto s = open_ok(t.path);
  auto expect = make_entries(1, 5, 1);
  expect.push_back(make_entry(6, 2));
  BOOST_TEST((s->state().entries == expect));
}

BOOST_AUTO_TEST_CASE(rejects_gaps_and_overwriting_the_snapshot) {
  temp_dir t;
  auto s = open_ok(t.path);
  STORAGE_REQUIRE_OK(s->append(make_entries(1, 3, 1)));
  BOOST_TEST(s->append(make_entries(5, 6, 1)).error().code == storage_errc::invalid_argument);
  std::vector<core::entry> bad{make_entry(4, 1), make_entry(6, 1)};
  BOOST_TEST(s->append(bad).error().code == storage_errc::invalid_argument);
  STORAGE_REQUIRE_OK(s->save_snapshot(make_meta(2, 1), snapshot_data(10, 1)));
  BOOST_TEST(s->append(make_entries(2, 2, 1)).error().code == storage_errc::invalid_argument);
  BOOST_TEST(s->truncate_suffix(log_index{1}).error().code == storage_errc::invalid_argument);
  BOOST_TEST(s->compact(log_index{3}).error().code == storage_errc::invalid_argument);
  BOOST_TEST(s->begin_snapshot(make_meta(1, 1)).error().code == storage_errc::invalid_argument);
}

BOOST_AUTO_TEST_CASE(segments_roll_and_compaction_deletes_whole_segments) {
  temp_dir t;
  storage_options opts;
  opts.segment_size = 1024;
  opts.keep_entries = 10;
  {
    auto s = open_ok(t.path, opts);
    for (std::uint64_t i = 1; i <= 200; i += 10) {
      STORAGE_REQUIRE_OK(s->append(make_entries(i, i + 9, 1, 40)));
      STORAGE_REQUIRE_OK(s->sync());
    }
    STORAGE_REQUIRE_OK(s->save(core::hard_state{raft_term{1}, core::node_id{1}, log_index{150}}));
    STORAGE_REQUIRE_OK(s->sync());
    const auto before = segments(t.path).size();
    BOOST_TEST(before > 5u);
    STORAGE_REQUIRE_OK(s->save_snapshot(make_meta(150, 1), snapshot_data(100, 2)));
    auto n = s->compact(log_index{150});
    STORAGE_REQUIRE_OK(n);
    BOOST_TEST(*n > 0u);
    BOOST_TEST(segments(t.path).size() == before - *n);
    BOOST_TEST(s->first_index() == log_index{141});  // keep_entries = 10
    auto kept = s->entries(log_index{141}, log_index{150});
    STORAGE_REQUIRE_OK(kept);
    BOOST_TEST((*kept == make_entries(141, 150, 1, 40)));
  }
  auto s = open_ok(t.path, opts);
  auto ps = s->state();
  BOOST_TEST((ps.snapshot == make_meta(150, 1)));
  BOOST_TEST((ps.entries == make_entries(151, 200, 1, 40)));
  // The hard state survives although the segment that recorded it is gone.
  BOOST_TEST(ps.state.commit == log_index{150});
  BOOST_TEST(s->term_at(log_index{145}).has_value());
}

// The actor layer writes a snapshot file on one thread and puts it in force
// on the thread that owns the storage: adopt_snapshot is that second half.
BOOST_AUTO_TEST_CASE(snapshot_finished_elsewhere_is_adopted) {
  temp_dir t;
  auto data = snapshot_data(100000, 5);
  {
    auto s = open_ok(t.path);
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 30, 2)));  // term 2: conflicts
    STORAGE_REQUIRE_OK(s->sync());
    std::string path;
    std::thread writer([&] {
      auto w = snapshot_writer::create(t.path, make_meta(50, 3), &s->options());
      if (!w || !w->write(data)) return;
      if (auto p = w->finish()) path = *p;
    });
    writer.join();
    BOOST_REQUIRE(!path.empty());
    BOOST_TEST(s->last_index() == log_index{30});  // not in force yet
    STORAGE_REQUIRE_OK(s->adopt_snapshot(make_meta(50, 3), path));
    BOOST_TEST(s->snapshot_path() == path);
    BOOST_TEST(s->last_index() == log_index{50});  // the log lacked it: replaced
    BOOST_TEST(s->first_index() == log_index{51});
    STORAGE_REQUIRE_OK(s->append(make_entries(51, 60, 3)));
    STORAGE_REQUIRE_OK(s->sync());
    // An older snapshot is refused and changes nothing.
    BOOST_TEST(s->adopt_snapshot(make_meta(40, 3), path).error().code ==
               storage_errc::invalid_argument);
  }
  auto s = open_ok(t.path);
  auto ps = s->state();
  BOOST_TEST((ps.snapshot == make_meta(50, 3)));
  BOOST_TEST((ps.entries == make_entries(51, 60, 3)));
  auto r = s->open_snapshot();
  STORAGE_REQUIRE_OK(r);
  auto back = r->read_all();
  STORAGE_REQUIRE_OK(back);
  BOOST_TEST((*back == data));
}

BOOST_AUTO_TEST_CASE(snapshot_streaming_roundtrip) {
  temp_dir t;
  auto data = snapshot_data(3 << 20, 9);  // several internal write buffers
  {
    auto s = open_ok(t.path);
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 20, 2)));
    auto w = s->begin_snapshot(make_meta(20, 2));
    STORAGE_REQUIRE_OK(w);
    for (std::size_t off = 0; off < data.size(); off += 77777) {
      auto n = std::min<std::size_t>(77777, data.size() - off);
      STORAGE_REQUIRE_OK(w->write(std::span<const std::uint8_t>(data).subspan(off, n)));
    }
    STORAGE_REQUIRE_OK(s->commit_snapshot(*w));
    BOOST_TEST(s->last_index() == log_index{20});  // the log matches: kept
  }
  auto s = open_ok(t.path);
  auto r = s->open_snapshot();
  STORAGE_REQUIRE_OK(r);
  BOOST_TEST((r->meta() == make_meta(20, 2)));
  BOOST_TEST(r->size() == data.size());
  std::vector<std::uint8_t> back;
  std::vector<std::uint8_t> buf(4096);
  while (true) {
    auto n = r->read(buf);
    STORAGE_REQUIRE_OK(n);
    if (*n == 0) break;
    back.insert(back.end(), buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(*n));
  }
  BOOST_TEST((back == data));
  BOOST_TEST(snapshots(t.path).size() == 1u);
}

BOOST_AUTO_TEST_CASE(newer_snapshot_replaces_older_and_conflicting_log) {
  temp_dir t;
  {
    auto s = open_ok(t.path);
    STORAGE_REQUIRE_OK(s->save_snapshot(make_meta(0, 0), {}));  // bootstrap
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 30, 1)));
    STORAGE_REQUIRE_OK(s->sync());
    // A leader's snapshot at 25 in term 3: our entry 25 has term 1, so the log goes.
    STORAGE_REQUIRE_OK(s->save_snapshot(make_meta(25, 3), snapshot_data(64, 3)));
    BOOST_TEST(s->last_index() == log_index{25});
    BOOST_TEST(snapshots(t.path).size() == 1u);
    STORAGE_REQUIRE_OK(s->append(make_entries(26, 27, 3)));
    STORAGE_REQUIRE_OK(s->sync());
  }
  auto s = open_ok(t.path);
  auto ps = s->state();
  BOOST_TEST((ps.snapshot == make_meta(25, 3)));
  BOOST_TEST((ps.entries == make_entries(26, 27, 3)));
  auto data = s->open_snapshot()->read_all();
  STORAGE_REQUIRE_OK(data);
  BOOST_TEST((*data == snapshot_data(64, 3)));
}

BOOST_AUTO_TEST_CASE(snapshot_beyond_the_log) {
  temp_dir t;
  {
    auto s = open_ok(t.path);
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 5, 1)));
    STORAGE_REQUIRE_OK(s->save_snapshot(make_meta(1000, 4), snapshot_data(10, 4)));
    STORAGE_REQUIRE_OK(s->append(make_entries(1001, 1002, 4)));
    STORAGE_REQUIRE_OK(s->sync());
    STORAGE_REQUIRE_OK(s->compact(log_index{1000}));
  }
  auto s = open_ok(t.path);
  BOOST_TEST((s->state().entries == make_entries(1001, 1002, 4)));
  BOOST_TEST(s->first_index() == log_index{1001});
}

BOOST_AUTO_TEST_SUITE_END()
