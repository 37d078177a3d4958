// Files the log no longer needs are renamed `*.retired` and deleted a slice
// at a time on the engine's reclaimer thread (storage_options::
// reclaim_chunk_bytes), so that no fdatasync waits for a large file's blocks
// to be freed and trimmed at once.
#include <chrono>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "helpers.hpp"

using namespace actraft;
using namespace actraft::storage;
using namespace actraft::storage::test;
using core::log_index;

namespace {

std::vector<std::string> retired(const std::string& dir) { return files_in(dir, "", ".retired"); }

/// Fills a log of 200 entries in segments of 1 KiB, puts a snapshot at 100
/// and another at 150 in force and compacts behind it: an old snapshot and
/// several segments to delete.
void make_garbage(engine& s) {
  for (std::uint64_t i = 1; i <= 200; i += 10) {
    STORAGE_REQUIRE_OK(s.append(make_entries(i, i + 9, 1, 40)));
    STORAGE_REQUIRE_OK(s.sync());
  }
  STORAGE_REQUIRE_OK(s.save_snapshot(make_meta(100, 1), snapshot_data(300000, 1)));
  STORAGE_REQUIRE_OK(s.save_snapshot(make_meta(150, 1), snapshot_data(300000, 2)));
  auto n = s.compact(log_index{150});
  STORAGE_REQUIRE_OK(n);
  BOOST_REQUIRE(*n > 0u);
}

storage_options small_segments(std::uint64_t chunk) {
  storage_options o;
  o.segment_size = 1024;
  o.reclaim_chunk_bytes = chunk;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(reclaim)

BOOST_AUTO_TEST_CASE(retired_files_leave_at_once_and_are_deleted_in_the_background) {
  temp_dir t;
  auto s = open_ok(t.path, small_segments(64 * 1024));  // the old snapshot takes five cuts
  make_garbage(*s);
  // Out of the directory's files the moment they are retired...
  BOOST_TEST(snapshots(t.path).size() == 1u);
  // ... and gone once the reclaimer is through.
  s->wait_reclaimed();
  BOOST_TEST(retired(t.path).empty());
  const auto kept = segments(t.path);
  s.reset();
  auto again = open_ok(t.path, small_segments(64 * 1024));
  BOOST_TEST((again->snapshot() == make_meta(150, 1)));
  BOOST_TEST((again->state().entries == make_entries(151, 200, 1, 40)));
  BOOST_TEST((segments(t.path) == kept));
}

BOOST_AUTO_TEST_CASE(with_no_chunk_size_files_are_unlinked_at_once) {
  temp_dir t;
  auto s = open_ok(t.path, small_segments(0));
  make_garbage(*s);
  BOOST_TEST(retired(t.path).empty());
  BOOST_TEST(snapshots(t.path).size() == 1u);
}

BOOST_AUTO_TEST_CASE(a_retired_file_shrinks_slice_by_slice_and_closing_deletes_the_rest) {
  temp_dir t;
  {
    // 1 KiB cuts 10 ms apart: the old snapshot (300 KB) would take seconds.
    auto s = open_ok(t.path, small_segments(1024));
    make_garbage(*s);
    std::string file;
    for (const auto& f : retired(t.path))
      if (f.find("snap-") != std::string::npos) file = f;
    BOOST_REQUIRE(!file.empty());
    bool shrank = false;
    for (int i = 0; i < 2000 && !shrank; ++i) {
      std::error_code ec;
      const auto size = fs::file_size(file, ec);
      shrank = !ec && size > 0 && size < 300000;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    BOOST_TEST(shrank);
    BOOST_TEST(!retired(t.path).empty());  // still going when the engine closes
  }
  BOOST_TEST(retired(t.path).empty());
}

BOOST_AUTO_TEST_CASE(retired_files_a_crash_left_are_deleted_on_open_whatever_their_version) {
  temp_dir t;
  std::vector<std::string> left;
  {
    auto s = open_ok(t.path, small_segments(0));
    make_garbage(*s);
    // As if a crash had come between the rename and the deletion: a copy of
    // a live segment and of the snapshot, retired, one claiming a newer
    // format version (it is garbage: it must not keep the member down).
    fs::copy_file(segments(t.path).back(), segments(t.path).back() + ".retired");
    fs::copy_file(snapshots(t.path).back(), snapshots(t.path).back() + ".retired");
    set_version(snapshots(t.path).back() + ".retired", 2);
    left = retired(t.path);
  }
  BOOST_REQUIRE(left.size() == 2u);
  auto s = open_ok(t.path, small_segments(0));
  BOOST_TEST(retired(t.path).empty());
  BOOST_TEST((s->snapshot() == make_meta(150, 1)));
  BOOST_TEST((s->state().entries == make_entries(151, 200, 1, 40)));
}

BOOST_AUTO_TEST_SUITE_END()
