// Preallocated WAL segments: a segment's whole size is allocated when it is
// created, so its unwritten rest reads as zeros, and a crash leaves any
// subset of the last write's sectors on disk (each sector whole or not at
// all) instead of a prefix cut at the end of the file.
#include <boost/test/unit_test.hpp>

#include "helpers.hpp"

using namespace actraft;
using namespace actraft::storage;
using namespace actraft::storage::test;
using core::log_index;
using core::raft_term;

namespace {

constexpr std::size_t sector = 512;

storage_options preallocated(std::uint64_t segment_size) {
  storage_options o;
  o.preallocate = true;
  o.segment_size = segment_size;
  return o;
}

/// The bytes [first, last) in which `after` differs from `before`: the last write.
std::pair<std::size_t, std::size_t> changed(const std::vector<std::uint8_t>& before,
                                            const std::vector<std::uint8_t>& after) {
  BOOST_REQUIRE_EQUAL(before.size(), after.size());
  std::size_t first = 0;
  while (first < after.size() && before[first] == after[first]) ++first;
  std::size_t last = after.size();
  while (last > first && before[last - 1] == after[last - 1]) --last;
  return {first, last};
}

/// `before` with those sectors of the write [from, to) taken from `after`
/// whose bit is set in `mask` (sector k of the write is bit k).
std::vector<std::uint8_t> with_sectors(const std::vector<std::uint8_t>& before,
                                       const std::vector<std::uint8_t>& after, std::size_t from,
                                       std::size_t to, unsigned mask) {
  auto image = before;
  for (std::size_t s = from - from % sector, k = 0; s < to; s += sector, ++k) {
    if ((mask & (1u << k)) == 0) continue;
    for (auto i = std::max(from, s); i < std::min(to, s + sector); ++i) image[i] = after[i];
  }
  return image;
}

std::size_t sectors_touched(std::size_t from, std::size_t to) {
  return (to - 1) / sector - from / sector + 1;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(preallocated_segments)

BOOST_AUTO_TEST_CASE(a_segment_is_allocated_whole_and_keeps_its_allocation_across_restarts) {
  temp_dir t;
  const auto o = preallocated(1 << 20);
  {
    auto s = open_ok(t.path, o);
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 10, 1, 100)));
    STORAGE_REQUIRE_OK(s->sync());
  }
  const auto seg = segments(t.path).at(0);
  BOOST_TEST(fs::file_size(seg) == o.segment_size);
  {
    auto s = open_ok(t.path, o);
    BOOST_TEST(s->warnings().empty());  // the unwritten rest is not a torn write
    BOOST_REQUIRE((s->state().entries == make_entries(1, 10, 1, 100)));
    STORAGE_REQUIRE_OK(s->append(make_entries(11, 12, 1, 100)));
    STORAGE_REQUIRE_OK(s->sync());
  }
  BOOST_TEST(fs::file_size(seg) == o.segment_size);
  auto s = open_ok(t.path, o);
  BOOST_TEST(s->warnings().empty());
  BOOST_TEST((s->state().entries == make_entries(1, 12, 1, 100)));
}

BOOST_AUTO_TEST_CASE(sealed_segments_end_in_unwritten_space) {
  // A segment rolls when the next record does not fit, before its
  // allocation is full: the zeros after its seal are not data.
  temp_dir t;
  const auto o = preallocated(1024);
  std::vector<core::entry> all;
  {
    auto s = open_ok(t.path, o);
    for (std::uint64_t i = 1; i <= 40; ++i) {
      all.push_back(make_entry(i, 1, i % 3 == 0 ? 300 : 40));
      STORAGE_REQUIRE_OK(s->append(std::span(&all.back(), 1)));
      STORAGE_REQUIRE_OK(s->sync());
    }
  }
  const auto segs = segments(t.path);
  BOOST_REQUIRE_GE(segs.size(), 3u);
  std::size_t with_space_after_the_seal = 0;
  for (std::size_t i = 0; i + 1 < segs.size(); ++i) {
    BOOST_TEST(fs::file_size(segs[i]) >= 1024u);  // the seal may go past the allocation
    with_space_after_the_seal += read_bytes(segs[i]).back() == 0 ? 1 : 0;
  }
  BOOST_REQUIRE_GE(with_space_after_the_seal, 1u);
  auto s = open_ok(t.path, o);
  BOOST_TEST(s->warnings().empty());
  BOOST_TEST((s->state().entries == all));
}

BOOST_AUTO_TEST_CASE(a_crash_leaves_any_subset_of_the_last_writes_sectors) {
  temp_dir t;
  const auto o = preallocated(16384);
  const core::hard_state hs1{raft_term{1}, core::node_id{1}, log_index{10}};
  const core::hard_state hs2{raft_term{1}, core::node_id{1}, log_index{19}};
  std::vector<std::uint8_t> before, after;
  std::string seg;
  {
    auto s = open_ok(t.path, o);
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 19, 1, 30)));
    STORAGE_REQUIRE_OK(s->save(hs1));
    STORAGE_REQUIRE_OK(s->sync());
    seg = segments(t.path).at(0);
    before = read_bytes(seg);
    // One write of two records: a hard state and an entry over several sectors.
    STORAGE_REQUIRE_OK(s->save(hs2));
    STORAGE_REQUIRE_OK(s->append(make_entries(20, 20, 1, 1500)));
    STORAGE_REQUIRE_OK(s->sync());
    after = read_bytes(seg);
  }
  const auto [from, to] = changed(before, after);
  const auto n = sectors_touched(from, to);
  BOOST_REQUIRE_GE(n, 4u);
  const unsigned all = (1u << n) - 1;
  auto complete = make_entries(1, 19, 1, 30);
  complete.push_back(make_entry(20, 1, 1500));
  for (unsigned mask = 0; mask <= all; ++mask) {
    BOOST_TEST_CONTEXT("sectors written: mask " << mask << " of " << all) {
      write_bytes(seg, with_sectors(before, after, from, to, mask));
      {
        auto s = open_ok(t.path, o);
        const bool whole = mask == all;
        BOOST_REQUIRE((s->state().entries == (whole ? complete : make_entries(1, 19, 1, 30))));
        // The hard state record comes first: it may be complete on its own.
        const auto hs = s->current_hard_state();
        BOOST_REQUIRE((hs == hs2 || (!whole && hs == hs1)));
        BOOST_REQUIRE_EQUAL(s->warnings().size(), mask == 0 || whole ? 0u : 1u);
        if (!s->warnings().empty()) BOOST_TEST(s->warnings()[0].find("torn") != std::string::npos);
        // The torn write is cut off and the allocation restored.
        BOOST_REQUIRE_EQUAL(fs::file_size(seg), o.segment_size);
        STORAGE_REQUIRE_OK(s->append(make_entries(20, 20, 2, 40)));
        STORAGE_REQUIRE_OK(s->sync());
      }
      auto s = open_ok(t.path, o);
      BOOST_REQUIRE(s->warnings().empty());
      BOOST_REQUIRE_EQUAL(s->last_index().value, 20u);
      BOOST_REQUIRE((*s->entries(log_index{20}, log_index{20}) == make_entries(20, 20, 2, 40)));
    }
  }
}

BOOST_AUTO_TEST_CASE(damage_is_not_taken_for_a_torn_write) {
  // Every byte of a preallocated segment's data, the last record included:
  // a record whose sectors all hold data was complete, so a checksum
  // mismatch in it is damage.
  temp_dir t;
  const auto o = preallocated(16384);
  {
    auto s = open_ok(t.path, o);
    STORAGE_REQUIRE_OK(s->save(core::hard_state{raft_term{1}, core::node_id{1}, log_index{0}}));
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 12, 1, 60)));
    STORAGE_REQUIRE_OK(s->sync());
    STORAGE_REQUIRE_OK(s->append(make_entries(13, 13, 1, 700)));
    STORAGE_REQUIRE_OK(s->sync());
  }
  const auto seg = segments(t.path).at(0);
  const auto image = read_bytes(seg);
  auto end = image.size();
  while (end > 0 && image[end - 1] == 0) --end;
  BOOST_REQUIRE_GT(end, 1000u);
  flip_each_byte(t.path, seg, 0, end, storage_errc::corruption, o);
}

BOOST_AUTO_TEST_CASE(a_new_segment_whose_header_never_reached_the_disk_is_removed) {
  temp_dir t;
  const auto o = preallocated(1024);
  std::vector<core::entry> written;
  {
    auto s = open_ok(t.path, o);
    for (std::uint64_t i = 1; segments(t.path).size() < 2; ++i) {
      written.push_back(make_entry(i, 1, 40));
      STORAGE_REQUIRE_OK(s->append(std::span(&written.back(), 1)));
      STORAGE_REQUIRE_OK(s->sync());
    }
  }
  // The roll's allocation is on disk, its header and first record are not.
  const auto last = segments(t.path).back();
  write_bytes(last, std::vector<std::uint8_t>(fs::file_size(last), 0));
  written.pop_back();
  {
    auto s = open_ok(t.path, o);
    BOOST_REQUIRE_EQUAL(s->warnings().size(), 1u);
    BOOST_TEST(s->warnings()[0].find("removed torn WAL segment") != std::string::npos);
    BOOST_REQUIRE((s->state().entries == written));
    BOOST_TEST(!fs::exists(last));
    written.push_back(make_entry(written.size() + 1, 2, 40));
    STORAGE_REQUIRE_OK(s->append(std::span(&written.back(), 1)));
    STORAGE_REQUIRE_OK(s->sync());
  }
  auto s = open_ok(t.path, o);
  BOOST_TEST(s->warnings().empty());
  BOOST_TEST((s->state().entries == written));
}

BOOST_AUTO_TEST_CASE(a_zero_header_in_front_of_data_is_damage) {
  // Data in a segment was synced together with its header: if the header
  // reads as zeros while records follow, the disk lost it.
  temp_dir t;
  const auto o = preallocated(16384);
  {
    auto s = open_ok(t.path, o);
    STORAGE_REQUIRE_OK(s->append(make_entries(1, 5, 1, 60)));
    STORAGE_REQUIRE_OK(s->sync());
  }
  const auto seg = segments(t.path).at(0);
  auto image = read_bytes(seg);
  std::fill(image.begin(), image.begin() + 32, std::uint8_t{0});
  write_bytes(seg, image);
  auto s = engine::open(t.path, o);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == storage_errc::corruption);
  BOOST_TEST(s.error().file == seg);
}

BOOST_AUTO_TEST_SUITE_END()
