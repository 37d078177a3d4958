// Crash at every byte: a crash can leave any prefix of the last write on
// disk. For the last WAL record, the last hard state, a freshly rolled
// segment and an unfinished snapshot, every prefix must recover exactly the
// complete data before it, with a warning when something was cut away.
// These run without preallocation (each write extends the file); with it,
// a crash leaves any subset of the last write's sectors instead, which the
// suite after them covers.
#include <boost/test/unit_test.hpp>

#include "helpers.hpp"

using namespace actraft;
using namespace actraft::storage;
using namespace actraft::storage::test;
using core::log_index;
using core::raft_term;

namespace {

std::uint64_t file_size(const std::string& p) { return fs::file_size(p); }

/// Segments extended by each write, so a file's size is its data's end.
storage_options growing(storage_options o = {}) {
  o.preallocate = false;
  return o;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(crash_at_every_byte)

BOOST_AUTO_TEST_CASE(last_wal_record) {
  temp_dir t;
  std::uint64_t before = 0;
  std::vector<std::uint8_t> image;
  std::string seg;
  {
    auto s = open_ok(t.path, growing());
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 19, 1, 30)));
    STORAGE_REQUIRE_OK(s->sync());
    seg = segments(t.path).at(0);
    before = file_size(seg);
    STORAGE_REQUIRE_OK(s->append(make_entries(20, 20, 1, 100)));
    STORAGE_REQUIRE_OK(s->sync());
  }
  image = read_bytes(seg);
  BOOST_REQUIRE_GT(image.size(), before + 100);
  for (auto cut = before; cut <= image.size(); ++cut) {
    BOOST_TEST_CONTEXT("cut at " << cut << " of " << image.size()) {
      write_bytes(seg, {image.begin(), image.begin() + static_cast<std::ptrdiff_t>(cut)});
      const bool complete = cut == image.size();
      {
        auto s = open_ok(t.path, growing());
        BOOST_REQUIRE_EQUAL(s->last_index().value, complete ? 20u : 19u);
        auto expect = make_entries(1, 19, 1, 30);
        if (complete) expect.push_back(make_entry(20, 1, 100));
        BOOST_REQUIRE((s->state().entries == expect));
        const bool torn = cut != before && !complete;
        BOOST_REQUIRE_EQUAL(s->warnings().size(), torn ? 1u : 0u);
        if (torn) BOOST_TEST(s->warnings()[0].find("torn") != std::string::npos);
        BOOST_REQUIRE_EQUAL(file_size(seg), complete ? image.size() : before);
        // The recovered log takes new appends where the torn record was.
        STORAGE_REQUIRE_OK(s->append(make_entries(20, 21, 2)));
        STORAGE_REQUIRE_OK(s->sync());
      }
      auto s = open_ok(t.path, growing());
      BOOST_REQUIRE(s->warnings().empty());
      BOOST_REQUIRE_EQUAL(s->last_index().value, 21u);
      BOOST_REQUIRE((*s->entries(log_index{20}, log_index{21}) == make_entries(20, 21, 2)));
    }
  }
}

BOOST_AUTO_TEST_CASE(last_hard_state) {
  temp_dir t;
  const core::hard_state hs1{raft_term{4}, core::node_id{2}, log_index{3}};
  const core::hard_state hs2{raft_term{5}, core::node_id{3}, log_index{5}};
  std::uint64_t before = 0;
  std::string seg;
  {
    auto s = open_ok(t.path, growing());
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 5, 1)));
    STORAGE_REQUIRE_OK(s->save(hs1));
    STORAGE_REQUIRE_OK(s->sync());
    seg = segments(t.path).at(0);
    before = file_size(seg);
    STORAGE_REQUIRE_OK(s->save(hs2));
    STORAGE_REQUIRE_OK(s->sync());
  }
  auto image = read_bytes(seg);
  for (auto cut = before; cut <= image.size(); ++cut) {
    BOOST_TEST_CONTEXT("cut at " << cut) {
      write_bytes(seg, {image.begin(), image.begin() + static_cast<std::ptrdiff_t>(cut)});
      auto s = open_ok(t.path, growing());
      BOOST_REQUIRE((s->current_hard_state() == (cut == image.size() ? hs2 : hs1)));
      BOOST_REQUIRE_EQUAL(s->last_index().value, 5u);
    }
  }
}

BOOST_AUTO_TEST_CASE(freshly_rolled_segment) {
  temp_dir t;
  auto opts = growing();
  opts.segment_size = 600;
  const core::hard_state hs{raft_term{2}, core::node_id{1}, log_index{4}};
  std::vector<core::entry> before_roll;
  std::string last_seg;
  std::size_t seg_count = 0;
  {
    auto s = open_ok(t.path, opts);
    STORAGE_REQUIRE_OK(s->save(hs));
    std::uint64_t i = 1;
    // Fill the first segment, then one more entry that has to roll.
    while (segments(t.path).size() < 2) {
      STORAGE_REQUIRE_OK(s->append(make_entries(i, i, 2, 40)));
      STORAGE_REQUIRE_OK(s->sync());
      ++i;
    }
    before_roll = make_entries(1, i - 2, 2, 40);
    seg_count = segments(t.path).size();
    last_seg = segments(t.path).back();
  }
  auto image = read_bytes(last_seg);
  const auto all = [&] {
    auto v = before_roll;
    v.push_back(make_entry(before_roll.size() + 1, 2, 40));
    return v;
  }();
  for (std::size_t cut = 0; cut <= image.size(); ++cut) {
    BOOST_TEST_CONTEXT("cut at " << cut << " of " << image.size()) {
      write_bytes(last_seg, {image.begin(), image.begin() + static_cast<std::ptrdiff_t>(cut)});
      {
        auto s = open_ok(t.path, opts);
        const bool complete = cut == image.size();
        BOOST_REQUIRE((s->state().entries == (complete ? all : before_roll)));
        BOOST_REQUIRE((s->current_hard_state() == hs));
        if (cut < 32) BOOST_REQUIRE_EQUAL(segments(t.path).size(), seg_count - 1);
        STORAGE_REQUIRE_OK(s->append(make_entries(before_roll.size() + 1, before_roll.size() + 1, 3)));
        STORAGE_REQUIRE_OK(s->sync());
      }
      auto s = open_ok(t.path, opts);
      BOOST_REQUIRE(s->warnings().empty());
      BOOST_REQUIRE_EQUAL(s->last_index().value, before_roll.size() + 1);
      BOOST_REQUIRE_EQUAL(s->term_at(s->last_index())->value, 3u);
    }
  }
}

BOOST_AUTO_TEST_CASE(unfinished_snapshot_leaves_previous_in_force) {
  temp_dir t;
  temp_dir scratch;
  const auto data_a = snapshot_data(150, 1);
  const auto data_b = snapshot_data(180, 2);
  {
    auto s = open_ok(t.path);
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 12, 1)));
    STORAGE_REQUIRE_OK(s->save_snapshot(make_meta(5, 1), data_a));
  }
  std::vector<std::uint8_t> image_b;
  std::string name_b;
  {
    auto w = snapshot_writer::create(scratch.path, make_meta(10, 1), nullptr);
    STORAGE_REQUIRE_OK(w);
    STORAGE_REQUIRE_OK(w->write(data_b));
    auto p = w->finish();
    STORAGE_REQUIRE_OK(p);
    image_b = read_bytes(*p);
    name_b = fs::path(*p).filename().string();
  }
  for (std::size_t cut = 0; cut <= image_b.size(); ++cut) {
    BOOST_TEST_CONTEXT("cut at " << cut << " of " << image_b.size()) {
      // A crash while writing: the bytes are still in the temporary file.
      write_bytes(t.sub(name_b + ".tmp"), {image_b.begin(), image_b.begin() + static_cast<std::ptrdiff_t>(cut)});
      auto s = open_ok(t.path);
      BOOST_REQUIRE((s->snapshot() == make_meta(5, 1)));
      BOOST_REQUIRE((*s->open_snapshot()->read_all() == data_a));
      BOOST_REQUIRE_EQUAL(s->last_index().value, 12u);
      BOOST_REQUIRE_EQUAL(s->warnings().size(), 1u);
      BOOST_REQUIRE(!fs::exists(t.sub(name_b + ".tmp")));
    }
  }
  // A snapshot under its final name was fsynced before the rename, so a cut
  // one is damage, not a crash: refuse, naming the file.
  for (std::size_t cut = 0; cut < image_b.size(); ++cut) {
    BOOST_TEST_CONTEXT("final name cut at " << cut) {
      write_bytes(t.sub(name_b), {image_b.begin(), image_b.begin() + static_cast<std::ptrdiff_t>(cut)});
      auto s = engine::open(t.path);
      BOOST_REQUIRE(!s.ok());
      BOOST_REQUIRE_EQUAL(s.error().code, storage_errc::corruption);
      BOOST_REQUIRE(s.error().file.find(name_b) != std::string::npos);
    }
  }
  // Renamed but the older one not deleted yet: the newer one wins.
  write_bytes(t.sub(name_b), image_b);
  auto s = open_ok(t.path);
  BOOST_TEST((s->snapshot() == make_meta(10, 1)));
  BOOST_TEST((*s->open_snapshot()->read_all() == data_b));
  BOOST_TEST(snapshots(t.path).size() == 1u);
  BOOST_TEST((s->state().entries == make_entries(11, 12, 1)));
}

BOOST_AUTO_TEST_CASE(snapshot_in_place_but_log_reset_not_yet_durable) {
  // A follower installs a leader's snapshot that conflicts with its log and
  // crashes after the snapshot's rename, before the reset record is synced.
  temp_dir t;
  {
    auto s = open_ok(t.path);
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 30, 1)));
    STORAGE_REQUIRE_OK(s->sync());
  }
  {
    auto w = snapshot_writer::create(t.path, make_meta(25, 3), nullptr);
    STORAGE_REQUIRE_OK(w);
    STORAGE_REQUIRE_OK(w->write(snapshot_data(10, 5)));
    STORAGE_REQUIRE_OK(w->finish());
  }
  auto s = open_ok(t.path);
  BOOST_TEST(s->last_index() == log_index{25});
  BOOST_TEST(s->state().entries.empty());
}

BOOST_AUTO_TEST_SUITE_END()
