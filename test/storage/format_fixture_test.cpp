// The committed data directories of every earlier format version
// (test/fixtures/data-v*, each made once by its make-data-vN.sh and never
// again) must open with this build and hold exactly what their generator
// wrote: the promise of "Format version and compatibility" in
// docs/storage.md. Each test works on a copy: opening a directory may
// preallocate, and a test must never change a fixture.
#include <boost/test/unit_test.hpp>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>

#include <cstring>
#include <map>
#include <optional>
#include <sstream>
#include <variant>

#include "actraft/core/membership.hpp"
#include "actraft/storage/identity.hpp"
#include "file_header.hpp"
#include "helpers.hpp"

#ifndef ACTRAFT_FIXTURES_DIR
#error "ACTRAFT_FIXTURES_DIR (test/fixtures) must be defined"
#endif

using namespace actraft;
using namespace actraft::storage;
using namespace actraft::storage::test;
using core::log_index;
using core::raft_term;

namespace {

// kv_store's commands (examples/kv_store/kv.hpp), spelled out again: the
// original includes CAF, and what the fixture's entries hold is exactly
// this encoding (cereal portable binary of the variant).
struct kv_put {
  std::string key, value;
  template <class A> void serialize(A& a) { a(key, value); }
};
struct kv_del {
  std::string key;
  template <class A> void serialize(A& a) { a(key); }
};
struct kv_get {
  std::string key;
  template <class A> void serialize(A& a) { a(key); }
};
struct kv_cas {
  std::string key;
  std::optional<std::string> expected;
  std::string value;
  template <class A> void serialize(A& a) { a(key, expected, value); }
};
using kv_command = std::variant<kv_put, kv_del, kv_get, kv_cas>;
using kv_map = std::map<std::string, std::string>;

template <class T>
std::optional<T> decode(const core::bytes& data) {
  try {
    std::istringstream is(std::string(data.begin(), data.end()), std::ios::binary);
    cereal::PortableBinaryInputArchive ar(is);
    T value;
    ar(value);
    if (is.peek() != std::char_traits<char>::eof()) return std::nullopt;  // bytes left over
    return value;
  } catch (...) {
    return std::nullopt;
  }
}

/// One log entry as the generator made it: a configuration, the empty
/// entry of a new leader, or a kv command.
struct expected_entry {
  std::uint64_t index, term;
  core::entry_kind kind;
  std::optional<kv_command> command;  ///< for normal entries
};

/// What a fixture's generator wrote, checked exactly.
struct fixture_facts {
  core::hard_state hard_state;
  core::snapshot_meta snapshot;
  kv_map snapshot_data;
  std::vector<expected_entry> log;  ///< every entry still in the WAL
  kv_map final_state;               ///< the snapshot with every later entry applied
};

core::configuration one_member(const std::string& address) {
  core::configuration c;
  c.members.push_back(core::member{core::node_id{1}, address, true});
  c.max_assigned_id = core::node_id{1};
  return c;
}

expected_entry put(std::uint64_t i, std::uint64_t t, std::string k, std::string v) {
  return {i, t, core::entry_kind::normal, kv_command{kv_put{std::move(k), std::move(v)}}};
}

/// One row per fixture; a new fixture needs its row (what its make-data-vN.sh wrote).
std::optional<fixture_facts> facts_of(const std::string& name) {
  if (name == "data-v1") {  // test/fixtures/data-v1/README.md
    const auto config = one_member("127.0.0.1:47901");
    fixture_facts f;
    f.hard_state = core::hard_state{raft_term{2}, core::node_id{1}, log_index{10}};
    f.snapshot = core::snapshot_meta{log_index{7}, raft_term{2}, config};
    f.snapshot_data = {{"_actraft/http/1", "127.0.0.1:47902"},
                       {"alpha", "one"},
                       {"beta", "two"},
                       {"delta", "four"},
                       {"gamma", "three"}};
    f.log = {{1, 1, core::entry_kind::configuration, std::nullopt},
             {2, 2, core::entry_kind::empty, std::nullopt},
             put(3, 2, "_actraft/http/1", "127.0.0.1:47902"),
             put(4, 2, "alpha", "one"),
             put(5, 2, "beta", "two"),
             put(6, 2, "gamma", "three"),
             put(7, 2, "delta", "four"),
             put(8, 2, "epsilon", "five"),
             put(9, 2, "alpha", "one-again"),
             put(10, 2, "zeta", "ζήτα, UTF-8"),
             {11, 2, core::entry_kind::normal, kv_command{kv_del{"beta"}}}};
    f.final_state = {{"_actraft/http/1", "127.0.0.1:47902"},
                     {"alpha", "one-again"},
                     {"delta", "four"},
                     {"epsilon", "five"},
                     {"gamma", "three"},
                     {"zeta", "ζήτα, UTF-8"}};
    return f;
  }
  return std::nullopt;
}

/// test/fixtures/data-v*, sorted. There is at least data-v1.
std::vector<fs::path> fixtures() {
  std::vector<fs::path> out;
  for (const auto& de : fs::directory_iterator(ACTRAFT_FIXTURES_DIR))
    if (de.is_directory() && de.path().filename().string().rfind("data-v", 0) == 0)
      out.push_back(de.path());
  std::sort(out.begin(), out.end());
  BOOST_REQUIRE(!out.empty());
  BOOST_REQUIRE(out.front().filename() == "data-v1");
  return out;
}

/// A copy of a fixture in a fresh directory; `t.path` is the copy.
void copy_fixture(const fs::path& from, const temp_dir& t) {
  fs::copy(from, t.path, fs::copy_options::recursive | fs::copy_options::overwrite_existing);
}

void apply_command(kv_map& m, const kv_command& c) {
  if (const auto* p = std::get_if<kv_put>(&c)) m[p->key] = p->value;
  else if (const auto* d = std::get_if<kv_del>(&c)) m.erase(d->key);
  else BOOST_FAIL("the generator writes only puts and deletes");
}

bool same(const kv_command& a, const kv_command& b) {
  if (a.index() != b.index()) return false;
  if (const auto* p = std::get_if<kv_put>(&a)) {
    const auto& q = std::get<kv_put>(b);
    return p->key == q.key && p->value == q.value;
  }
  if (const auto* d = std::get_if<kv_del>(&a)) return d->key == std::get<kv_del>(b).key;
  return false;
}

// Storage options as a node opens its directory (actors/raft.cpp), with the
// fixture's small segments (a bigger size would preallocate the copy to it).
storage_options as_a_node() {
  storage_options o;
  o.segment_size = 64 * 1024;
  o.keep_entries = 1024;
  return o;
}

/// Every file under `dir` (names relative to it) with its bytes.
std::map<std::string, std::vector<std::uint8_t>> contents(const std::string& dir) {
  std::map<std::string, std::vector<std::uint8_t>> out;
  for (const auto& de : fs::recursive_directory_iterator(dir))
    if (de.is_regular_file()) out[fs::relative(de.path(), dir).string()] = read_bytes(de.path().string());
  return out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(format_fixtures)

BOOST_AUTO_TEST_CASE(every_fixture_opens_with_what_its_generator_wrote) {
  for (const auto& dir : fixtures()) {
    const auto name = dir.filename().string();
    BOOST_TEST_CONTEXT("fixture " << name) {
      auto facts = facts_of(name);
      BOOST_REQUIRE_MESSAGE(facts, name << " has no row in facts_of: add what its generator wrote");
      temp_dir t;
      copy_fixture(dir, t);
      auto s = open_ok(t.path, as_a_node());
      BOOST_TEST(s->warnings().empty());

      BOOST_TEST((s->current_hard_state() == facts->hard_state));
      BOOST_TEST((s->snapshot() == facts->snapshot));

      // The whole log still in the WAL, entry by entry.
      BOOST_TEST(s->first_index() == log_index{facts->log.front().index});
      BOOST_TEST(s->last_index() == log_index{facts->log.back().index});
      auto entries = s->entries(s->first_index(), s->last_index());
      STORAGE_REQUIRE_OK(entries);
      BOOST_REQUIRE_EQUAL(entries->size(), facts->log.size());
      for (std::size_t i = 0; i < entries->size(); ++i) {
        const auto& got = (*entries)[i];
        const auto& want = facts->log[i];
        BOOST_TEST_CONTEXT("entry " << want.index) {
          BOOST_TEST(got.index == log_index{want.index});
          BOOST_TEST(got.term == raft_term{want.term});
          BOOST_TEST(static_cast<int>(got.kind) == static_cast<int>(want.kind));
          if (want.kind == core::entry_kind::configuration) {
            auto c = core::decode_configuration(got.data);
            BOOST_REQUIRE(c);
            BOOST_TEST((*c == facts->snapshot.config));
          } else if (want.kind == core::entry_kind::empty) {
            BOOST_TEST(got.data.empty());
          } else {
            auto c = decode<kv_command>(got.data.get());
            BOOST_REQUIRE_MESSAGE(c, "not a kv_store command");
            BOOST_TEST(same(*c, *want.command));
          }
        }
      }

      // The snapshot's data, and the state a restart rebuilds from it.
      auto reader = s->open_snapshot();
      STORAGE_REQUIRE_OK(reader);
      auto data = reader->read_all();
      STORAGE_REQUIRE_OK(data);
      auto state = decode<kv_map>(*data);
      BOOST_REQUIRE_MESSAGE(state, "the snapshot is not kv_store's map");
      BOOST_TEST((*state == facts->snapshot_data));
      for (const auto& e : s->state().entries)
        if (e.kind == core::entry_kind::normal) apply_command(*state, *decode<kv_command>(e.data.get()));
      BOOST_TEST((*state == facts->final_state));

      // What a node restarts from (no entries kept behind the snapshot).
      s.reset();
      auto plain = open_ok(t.path, [] { storage_options o; o.segment_size = 64 * 1024; return o; }());
      auto ps = plain->state();
      BOOST_TEST((ps.state == facts->hard_state));
      BOOST_TEST((ps.snapshot == facts->snapshot));
      BOOST_REQUIRE(!ps.entries.empty());
      BOOST_TEST(ps.entries.front().index == facts->snapshot.index + 1);
      BOOST_TEST(ps.entries.back().index == log_index{facts->log.back().index});

      // Who the member is.
      auto id = load_identity(t.path);
      STORAGE_REQUIRE_OK(id);
      BOOST_REQUIRE(id->has_value());
      BOOST_TEST((*id)->id == core::node_id{1});
      BOOST_TEST(((*id)->seed_members == facts->snapshot.config.members));
      BOOST_TEST(!(*id)->removed);

      // The text files the format names are there (kv_store's tests read them).
      for (const char* f : {"cluster-id", "admin-token", "join-token", "tls/ca.crt", "tls/ca.key",
                            "tls/join-secret", "tls/member.crt", "tls/member.key"})
        BOOST_CHECK_MESSAGE(fs::is_regular_file(fs::path(t.path) / f), f << " is missing");
    }
  }
}

BOOST_AUTO_TEST_CASE(a_newer_version_in_any_file_is_refused_and_nothing_changes) {
  // What a build of the next format version would have left: one file's
  // header with a newer version and a valid header checksum. The refusal
  // names both versions, and comes before recovery removes or cuts anything
  // (here a leftover snapshot write, which a successful open removes).
  const auto ours = detail::format_version;
  const auto newer = ours + 1;
  for (const auto& dir : fixtures()) {
    std::vector<std::string> binary;
    for (const auto& de : fs::directory_iterator(dir)) {
      const auto n = de.path().filename().string();
      if (n.rfind("wal-", 0) == 0 || n.rfind("snap-", 0) == 0 || n == "identity") binary.push_back(n);
    }
    std::sort(binary.begin(), binary.end());
    BOOST_REQUIRE_EQUAL(binary.size(), 3u);  // a segment, a snapshot, the identity
    for (const auto& name : binary) {
      BOOST_TEST_CONTEXT(dir.filename().string() << ", " << name << " at version " << newer) {
        temp_dir t;
        copy_fixture(dir, t);
        const auto path = t.sub(name);
        set_version(path, newer);
        write_bytes(t.sub("own-snap-0000000000000009-0000000000000002.snap.tmp"), {1, 2, 3});
        const auto before = contents(t.path);
        auto s = engine::open(t.path, as_a_node());
        BOOST_REQUIRE(!s.ok());
        BOOST_TEST(s.error().code == storage_errc::unsupported_version);
        BOOST_TEST(s.error().file == path);
        const auto what = s.error().what();
        BOOST_TEST_MESSAGE(what);
        BOOST_TEST(what.find("version " + std::to_string(newer)) != std::string::npos, what);
        BOOST_TEST(what.find("reads version " + std::to_string(ours)) != std::string::npos, what);
        BOOST_TEST((contents(t.path) == before), "the refused directory was changed");
        if (name == "identity") {
          auto id = load_identity(t.path);
          BOOST_REQUIRE(!id.ok());
          BOOST_TEST(id.error().code == storage_errc::unsupported_version);
        }
      }
    }
  }
}

// A newer build may add a kind of file this one does not know: its header
// (the same 32 bytes, magic "ACTR...") says it is of another version.
BOOST_AUTO_TEST_CASE(a_file_of_a_kind_added_later_is_refused_by_its_version) {
  for (const auto& dir : fixtures()) {
    temp_dir t;
    copy_fixture(dir, t);
    std::vector<std::uint8_t> header(detail::file_header_size, 0);
    std::memcpy(header.data(), "ACTRNEW", 8);
    const auto path = t.sub("newer-kind-0000000000000001.dat");
    write_bytes(path, header);
    set_version(path, detail::format_version + 1);
    const auto before = contents(t.path);
    auto s = engine::open(t.path, as_a_node());
    BOOST_REQUIRE(!s.ok());
    BOOST_TEST(s.error().code == storage_errc::unsupported_version);
    BOOST_TEST(s.error().file == path);
    BOOST_TEST((contents(t.path) == before), "the refused directory was changed");
    // The same file at this build's version is somebody else's business.
    set_version(path, detail::format_version);
    BOOST_TEST(engine::open(t.path, as_a_node()).ok());
  }
}

BOOST_AUTO_TEST_SUITE_END()
