// actraft/testing.hpp: the kit passes the examples' stores and catches the
// usual ways a store goes wrong, each with the seed and command to replay.
#define BOOST_TEST_MODULE actraft_testing_kit
#include <boost/test/unit_test.hpp>

#include <actraft/testing.hpp>
#include <actraft/typed.hpp>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>

#include <unistd.h>
#include <map>
#include <string>

#include "file_store/file_store.hpp"
#include "hash_store/hash_store.hpp"
#include "kv_store/kv.hpp"

using actraft::bytes;
using actraft::testing::check_options;
using actraft::testing::check_store;

namespace {

/// Commands over a small key space, so that they overwrite each other.
std::string key_of(std::mt19937_64& rng) { return "k" + std::to_string(rng() % 12); }

bytes random_insert(std::mt19937_64& rng) {
  return actraft::encode(insert{key_of(rng), std::to_string(rng() % 1000)});
}

check_options quick() {
  check_options o;
  o.seeds = 12;
  return o;
}

/// A counter of bytes: state = a map of counts, result = the new count.
struct counter_store : actraft::store {
  std::map<std::string, std::uint64_t> counts;
  bytes apply(const bytes& c) override {
    auto n = ++counts[std::string(c.begin(), c.end())];
    return actraft::encode(n);
  }
  bytes snapshot() override { return actraft::encode(counts); }
  void restore(const bytes& s) override { counts = actraft::decode_or_throw<decltype(counts)>(s); }
};

/// Counts commands since the instance started: not in the snapshot, so a
/// member that restarted, or installed a snapshot, answers differently.
struct forgetful_store : counter_store {
  std::uint64_t seen = 0;
  bytes apply(const bytes& c) override {
    counter_store::apply(c);
    return actraft::encode(++seen);
  }
};

bytes small_word(std::mt19937_64& rng) {
  const std::string w = "w" + std::to_string(rng() % 8);
  return bytes(w.begin(), w.end());
}

}  // namespace

BOOST_AUTO_TEST_SUITE(kit)

BOOST_AUTO_TEST_CASE(the_readme_hash_store_passes) {
  auto r = check_store<hash_store>(random_insert);  // the default: 100 runs
  BOOST_TEST(r.ok, r.message());
  BOOST_TEST(r.runs == 100u);
  // The runs did what they claim: commands on every member, snapshots
  // checked, installs and restarts restored, members crashed and joined.
  BOOST_TEST(r.applies > 1000u);
  BOOST_TEST(r.snapshots > 0u);
  BOOST_TEST(r.restores > 0u);
  BOOST_TEST(r.crashes > 0u);
  BOOST_TEST(r.joins > 0u);
  BOOST_TEST_MESSAGE(r);
}

BOOST_AUTO_TEST_CASE(the_kv_store_store_passes) {
  auto gen = [](std::mt19937_64& rng) -> bytes {
    switch (rng() % 4) {
      case 0: return actraft::encode(kv::command{kv::put{key_of(rng), std::to_string(rng() % 100)}});
      case 1: return actraft::encode(kv::command{kv::del{key_of(rng)}});
      case 2: return actraft::encode(kv::command{kv::get{key_of(rng)}});
      default: {
        std::optional<std::string> expected;
        if (rng() % 2 == 0) expected = std::to_string(rng() % 100);
        return actraft::encode(kv::command{kv::cas{key_of(rng), expected, std::to_string(rng() % 100)}});
      }
    }
  };
  auto r = check_store<kv::store>(gen, quick());
  BOOST_TEST(r.ok, r.message());
  BOOST_TEST(r.applies > 1000u);
}

BOOST_AUTO_TEST_CASE(the_streaming_file_store_passes) {
  // One directory per instance: every member, restart and check has its own.
  const auto base = std::filesystem::temp_directory_path() /
                    ("actraft-kit-" + std::to_string(::getpid()));
  int instances = 0;
  auto make = [&]() -> std::unique_ptr<actraft::store> {
    return std::make_unique<file_demo::file_store>(base / std::to_string(++instances));
  };
  auto gen = [](std::mt19937_64& rng) {
    return actraft::encode(file_demo::grow{rng() % 3000, rng()});
  };
  auto r = check_store(make, gen, quick());
  std::filesystem::remove_all(base);
  BOOST_TEST(r.ok, r.message());
  BOOST_TEST(r.snapshots > 0u);
  BOOST_TEST(r.restores > 0u);
}

BOOST_AUTO_TEST_CASE(an_apply_that_throws_alike_everywhere_passes) {
  // Commands that do not decode throw on every member: documented, fine.
  auto gen = [](std::mt19937_64& rng) -> bytes {
    if (rng() % 5 == 0) return bytes{0xff, 0x01};
    return random_insert(rng);
  };
  auto r = check_store<hash_store>(gen, quick());
  BOOST_TEST(r.ok, r.message());
  BOOST_TEST(r.throws > 0u);
}

BOOST_AUTO_TEST_CASE(a_store_that_reads_the_clock_is_caught) {
  struct clock_store : counter_store {
    bytes apply(const bytes& c) override {
      counter_store::apply(c);
      const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
      return actraft::encode(static_cast<std::int64_t>(now));  // differs on every member
    }
  };
  auto r = check_store<clock_store>(small_word, quick());
  BOOST_TEST_MESSAGE(r);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.failure.find("apply is not deterministic") != std::string::npos, r.failure);
  BOOST_TEST(r.failure.find("seed " + std::to_string(r.failed_seed)) != std::string::npos);
  BOOST_TEST(r.message().find("reproduce: ACTRAFT_STORE_SEED=" + std::to_string(r.failed_seed)) !=
                 std::string::npos,
             r.message());
  // The message names the command where results first differ.
  BOOST_TEST(r.failure.find("command \"w") != std::string::npos, r.failure);
}

BOOST_AUTO_TEST_CASE(state_left_out_of_the_snapshot_is_caught) {
  auto r = check_store<forgetful_store>(small_word, quick());
  BOOST_TEST_MESSAGE(r);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.failure.find("apply is not deterministic") != std::string::npos, r.failure);
}

BOOST_AUTO_TEST_CASE(a_snapshot_that_loses_state_is_caught) {
  struct lossy_store : counter_store {
    void restore(const bytes& s) override {
      counter_store::restore(s);
      if (!counts.empty()) counts.erase(counts.begin());  // drops a key
    }
  };
  auto r = check_store<lossy_store>(small_word, quick());
  BOOST_TEST_MESSAGE(r);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.failure.find("restore(snapshot()) does not give the state back") != std::string::npos,
             r.failure);
}

BOOST_AUTO_TEST_CASE(a_capture_that_shares_what_apply_changes_is_caught) {
  // capture_snapshot keeps a reference to the live map instead of a copy:
  // written while applies go on, it would hold a later state.
  struct sharing_store : counter_store {
    struct by_reference final : actraft::snapshot_capture {
      explicit by_reference(const std::map<std::string, std::uint64_t>& c) : counts(c) {}
      const std::map<std::string, std::uint64_t>& counts;
      void write(actraft::snapshot_sink& out) override { out.write(actraft::encode(counts)); }
    };
    std::unique_ptr<actraft::snapshot_capture> capture_snapshot() override {
      return std::make_unique<by_reference>(counts);
    }
  };
  auto r = check_store<sharing_store>(small_word, quick());
  BOOST_TEST_MESSAGE(r);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.failure.find("a snapshot_capture is not a copy") != std::string::npos, r.failure);
}

BOOST_AUTO_TEST_CASE(a_capture_that_copies_passes) {
  struct copying_store : counter_store {
    struct by_value final : actraft::snapshot_capture {
      explicit by_value(std::map<std::string, std::uint64_t> c) : counts(std::move(c)) {}
      std::map<std::string, std::uint64_t> counts;
      void write(actraft::snapshot_sink& out) override { out.write(actraft::encode(counts)); }
    };
    std::unique_ptr<actraft::snapshot_capture> capture_snapshot() override {
      return std::make_unique<by_value>(counts);
    }
  };
  auto r = check_store<copying_store>(small_word, quick());
  BOOST_TEST(r.ok, r.message());
  BOOST_TEST(r.snapshots > 0u);
}

BOOST_AUTO_TEST_CASE(an_apply_that_throws_on_some_members_only_is_caught) {
  struct flaky_store : counter_store {
    bytes apply(const bytes& c) override {
      static std::atomic<std::uint64_t> calls{0};
      if (++calls % 7 == 0) throw std::runtime_error("out of luck");
      return counter_store::apply(c);
    }
  };
  auto r = check_store<flaky_store>(small_word, quick());
  BOOST_TEST_MESSAGE(r);
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.failure.find("threw \"out of luck\"") != std::string::npos, r.failure);
}

BOOST_AUTO_TEST_CASE(a_factory_that_throws_is_a_failure_not_a_crash) {
  int made = 0;
  auto make = [&]() -> std::unique_ptr<actraft::store> {
    if (++made > 3) throw std::runtime_error("no more disks");
    return std::make_unique<counter_store>();
  };
  auto r = check_store(make, small_word, quick());
  BOOST_TEST(!r.ok);
  BOOST_TEST(r.failure.find("Store Code: the store factory threw \"no more disks\"") != std::string::npos,
             r.failure);
}

BOOST_AUTO_TEST_CASE(a_failing_seed_replays_alone_from_the_environment) {
  auto first = check_store<forgetful_store>(small_word, quick());
  BOOST_REQUIRE(!first.ok);
  ::setenv("ACTRAFT_STORE_SEED", std::to_string(first.failed_seed).c_str(), 1);
  auto again = check_store<forgetful_store>(small_word, quick());
  ::unsetenv("ACTRAFT_STORE_SEED");
  BOOST_TEST(again.runs == 1u);
  BOOST_TEST(!again.ok);
  BOOST_TEST(again.failed_seed == first.failed_seed);
  // A deterministic run: the same failure, word for word.
  BOOST_TEST(again.failure == first.failure);
}

BOOST_AUTO_TEST_SUITE_END()
