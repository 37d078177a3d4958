// The follower's side of a snapshot transfer, without the network: chunks
// are written in order, a chunk at offset 0 restarts the transfer (after a
// dropped connection the leader starts again), a chunk that does not
// continue the transfer under way is refused, and the finished file holds
// exactly the data of the transfer that completed.
#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <thread>

#include "actraft/storage/snapshot_reader.hpp"
#include "fixture.hpp"
#include "logging.hpp"
#include "snapshot_io.hpp"

using namespace actraft;
using namespace actraft::test;

namespace {

core::message header(std::uint64_t term, std::uint64_t index) {
  core::message h;
  h.type = core::message_type::snapshot;
  h.from = core::node_id{1};
  h.to = core::node_id{2};
  h.term = core::raft_term{term};
  h.index = core::log_index{index};
  h.log_term = core::raft_term{term};
  h.snapshot.index = core::log_index{index};
  h.snapshot.term = core::raft_term{term};
  h.snapshot.config.members.push_back(core::member{core::node_id{1}, "a:1", true});
  return h;
}

bytes filled(std::size_t n, std::uint8_t v) { return bytes(n, v); }

}  // namespace

BOOST_AUTO_TEST_CASE(snapshot_chunks_restart_at_offset_zero_and_refuse_strays) {
  temp_dir tmp;
  caf::actor_system_config cfg;
  add_types(cfg);
  caf::actor_system sys{cfg};
  auto io = sys.spawn(actors::snapshot_io_impl, tmp.sub(""), storage::storage_options{},
                      actors::make_logger("test"), actors::transfer_limits{});
  caf::scoped_actor self{sys};
  // Sends one chunk; the answer (next offset, path) or the error.
  auto chunk = [&](const core::message& h, std::uint64_t offset, bytes data, bool last) {
    caf::expected<std::pair<std::uint64_t, std::string>> out{caf::error{}};
    self->request(io, caf::infinite, actors::chunk_request{h, offset, std::move(data), last})
        .receive([&](std::uint64_t next, std::string& path) { out = std::make_pair(next, path); },
                 [&](caf::error& err) { out = std::move(err); });
    return out;
  };
  const auto h = header(3, 500);

  auto r = chunk(h, 0, filled(1000, 1), false);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->first == 1000u);
  BOOST_TEST(r->second.empty());
  BOOST_REQUIRE(chunk(h, 1000, filled(1000, 2), false));

  // The connection dropped; the leader starts the transfer again.
  r = chunk(h, 0, filled(700, 7), false);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->first == 700u);
  // A chunk that does not continue it is refused, and changes nothing.
  auto stray = chunk(h, 2000, filled(10, 9), false);
  BOOST_REQUIRE(!stray);
  BOOST_TEST(is(stray.error(), errc::bad_request));
  auto other_leader = chunk(header(4, 500), 700, filled(10, 9), false);
  BOOST_REQUIRE(!other_leader);

  r = chunk(h, 700, filled(300, 8), true);
  BOOST_REQUIRE(r);
  BOOST_TEST(r->first == 1000u);
  BOOST_REQUIRE(!r->second.empty());
  auto reader = storage::snapshot_reader::open(r->second);
  BOOST_REQUIRE(reader);
  BOOST_TEST((reader->meta() == h.snapshot));
  auto data = reader->read_all();
  BOOST_REQUIRE(data);
  bytes expected = filled(700, 7);
  expected.resize(1000, 8);
  BOOST_TEST((*data == expected));
  // Only the finished file is left: the abandoned transfer's temporary is gone.
  std::size_t files = 0;
  for (const auto& e : std::filesystem::directory_iterator(tmp.path)) {
    (void)e;
    ++files;
  }
  BOOST_TEST(files == 1u);
  self->send(io, actors::stop_signal{});
}

BOOST_AUTO_TEST_CASE(endless_and_abandoned_transfers_are_dropped_with_their_files) {
  temp_dir tmp;
  caf::actor_system_config cfg;
  add_types(cfg);
  caf::actor_system sys{cfg};
  actors::transfer_limits limits;
  limits.max_bytes = 5000;
  limits.idle_timeout = std::chrono::milliseconds(200);
  auto io = sys.spawn(actors::snapshot_io_impl, tmp.sub(""), storage::storage_options{},
                      actors::make_logger("test"), limits);
  caf::scoped_actor self{sys};
  auto chunk = [&](const core::message& h, std::uint64_t offset, bytes data) {
    bool ok = false;
    self->request(io, caf::infinite, actors::chunk_request{h, offset, std::move(data), false})
        .receive([&](std::uint64_t, std::string&) { ok = true; }, [&](caf::error&) { ok = false; });
    return ok;
  };
  auto files = [&] {
    std::size_t n = 0;
    for (const auto& e : std::filesystem::directory_iterator(tmp.path)) {
      (void)e;
      ++n;
    }
    return n;
  };
  // Endless chunks: refused once past the limit, the partial file deleted.
  const auto h = header(3, 500);
  std::uint64_t offset = 0;
  int accepted = 0;
  while (chunk(h, offset, filled(1000, 1))) {
    offset += 1000;
    ++accepted;
  }
  BOOST_TEST(accepted == 5);
  BOOST_TEST(files() == 0u);
  // A transfer that stops: dropped after the idle timeout, file and all.
  BOOST_REQUIRE(chunk(h, 0, filled(1000, 1)));
  BOOST_TEST(files() == 1u);
  std::this_thread::sleep_for(std::chrono::milliseconds(600));
  BOOST_TEST(files() == 0u);
  BOOST_TEST(!chunk(h, 1000, filled(10, 1)));  // it no longer continues anything
  self->send(io, actors::stop_signal{});
}
