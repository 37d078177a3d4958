// Damage that a crash cannot cause must be refused, never returned as data:
// a bit flip anywhere (file header, record header, payload, a middle
// segment, a snapshot), a missing segment, a segment cut short before its
// seal, a newer format version. The error names the file (and offset).
#include <boost/test/unit_test.hpp>

#include "helpers.hpp"

using namespace actraft;
using namespace actraft::storage;
using namespace actraft::storage::test;
using core::log_index;

namespace {

/// A directory with three or more segments and a snapshot.
void populate(const std::string& dir) {
  storage_options opts;
  opts.segment_size = 400;
  auto s = open_ok(dir, opts);
  STORAGE_REQUIRE_OK(s->save(core::hard_state{core::raft_term{1}, core::node_id{1}, log_index{0}}));
  for (std::uint64_t i = 1; i <= 24; i += 4) {
    STORAGE_REQUIRE_OK(s->append(make_entries(i, i + 3, 1, 20)));
    STORAGE_REQUIRE_OK(s->sync());
  }
  STORAGE_REQUIRE_OK(s->save_snapshot(make_meta(3, 1), snapshot_data(64, 3)));
  BOOST_REQUIRE_GE(segments(dir).size(), 3u);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(corruption)

BOOST_AUTO_TEST_CASE(bit_flips_in_the_last_segment) {
  // Header, record headers, payloads, and the last record itself: a
  // complete record with a bad checksum is damage even at the very end.
  temp_dir t;
  populate(t.path);
  auto last = segments(t.path).back();
  flip_each_byte(t.path, last, 0, read_bytes(last).size());
}

BOOST_AUTO_TEST_CASE(bit_flips_in_a_middle_segment) {
  temp_dir t;
  populate(t.path);
  auto segs = segments(t.path);
  flip_each_byte(t.path, segs[segs.size() / 2], 0, read_bytes(segs[segs.size() / 2]).size());
}

BOOST_AUTO_TEST_CASE(bit_flips_in_a_snapshot) {
  temp_dir t;
  populate(t.path);
  auto snap = snapshots(t.path).at(0);
  flip_each_byte(t.path, snap, 0, read_bytes(snap).size());
}

BOOST_AUTO_TEST_CASE(snapshot_data_damage_found_by_the_reader_when_not_verified_on_open) {
  temp_dir t;
  populate(t.path);
  auto snap = snapshots(t.path).at(0);
  auto image = read_bytes(snap);
  image[image.size() - 40] ^= 0x10;  // in the data, before the footer
  write_bytes(snap, image);
  storage_options opts;
  opts.verify_snapshot_on_open = false;
  auto s = open_ok(t.path, opts);
  auto r = s->open_snapshot();
  STORAGE_REQUIRE_OK(r);
  auto data = r->read_all();
  BOOST_REQUIRE(!data.ok());
  BOOST_TEST(data.error().code == storage_errc::corruption);
}

BOOST_AUTO_TEST_CASE(missing_middle_segment) {
  temp_dir t;
  populate(t.path);
  auto segs = segments(t.path);
  fs::remove(segs[1]);
  auto s = engine::open(t.path);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == storage_errc::corruption);
  BOOST_TEST(s.error().file == segs[2]);
}

BOOST_AUTO_TEST_CASE(middle_segment_cut_short) {
  // Only the last segment can have a torn tail; an earlier one missing its
  // end (even at a record boundary: its seal is gone) has lost data.
  temp_dir t;
  populate(t.path);
  auto segs = segments(t.path);
  auto image = read_bytes(segs[0]);
  for (std::size_t cut : {image.size() - 1, image.size() - 10, std::size_t{40}}) {
    write_bytes(segs[0], {image.begin(), image.begin() + static_cast<std::ptrdiff_t>(cut)});
    auto s = engine::open(t.path);
    BOOST_REQUIRE(!s.ok());
    BOOST_TEST(s.error().code == storage_errc::corruption);
    BOOST_TEST(s.error().file == segs[0]);
    BOOST_TEST(s.error().what().find(segs[0]) != std::string::npos);
  }
}

BOOST_AUTO_TEST_CASE(unknown_format_version) {
  temp_dir t;
  populate(t.path);
  auto seg = segments(t.path).front();
  set_version(seg, 2);
  auto s = engine::open(t.path);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == storage_errc::unsupported_version);
  BOOST_TEST(s.error().file == seg);
  BOOST_TEST(s.error().message.find("version 2") != std::string::npos);
  set_version(seg, 1);
  auto snap = snapshots(t.path).at(0);
  set_version(snap, 7);
  s = engine::open(t.path);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().code == storage_errc::unsupported_version);
  BOOST_TEST(s.error().file == snap);
  set_version(snap, 1);
  STORAGE_REQUIRE_OK(engine::open(t.path));
}

BOOST_AUTO_TEST_CASE(error_message_names_file_and_offset) {
  temp_dir t;
  populate(t.path);
  auto seg = segments(t.path).back();
  auto image = read_bytes(seg);
  image[60] ^= 1;
  write_bytes(seg, image);
  auto s = engine::open(t.path);
  BOOST_REQUIRE(!s.ok());
  BOOST_TEST(s.error().offset != storage_error::no_offset);
  BOOST_TEST(s.error().offset <= 60u);
  auto what = s.error().what();
  BOOST_TEST_MESSAGE("example: " << what);
  BOOST_TEST(what.find(seg) != std::string::npos);
  BOOST_TEST(what.find("offset") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
