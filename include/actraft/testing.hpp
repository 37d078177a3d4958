// A simulation kit for the user's own store: runs it on every member of the
// deterministic simulated cluster (the driver the node actor runs, under
// crashes, restarts, partitions, lossy networks, snapshots, installs and
// membership changes), fed by the user's commands, and checks that
// - every command gives the same result on every member, and again after a
//   restart (a non-deterministic apply is reported with the seed, the index
//   and the command where results first differ);
// - members that applied the same commands have the same state, compared
//   through the store's snapshot;
// - restoring a snapshot into a fresh store gives the same state back;
// - an apply that throws throws on every member alike, and the store keeps
//   going (the command still counts as applied).
// It also runs actraft's own checks (Raft's safety properties, answers).
//
//   BOOST_AUTO_TEST_CASE(my_store_is_deterministic) {
//     auto r = actraft::testing::check_store<my_store>([](std::mt19937_64& rng) {
//       return encode(put{"k" + std::to_string(rng() % 16), std::to_string(rng())});
//     });
//     BOOST_TEST(r.ok, r.message());
//   }
//
// A failing run prints one line that replays it (ACTRAFT_STORE_SEED=<seed>).
// No CAF, no threads, no files: a run takes milliseconds of real time.
// Guide: docs/testing-your-store.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <random>
#include <string>

#include "actraft/store.hpp"

namespace actraft::testing {

/// Makes a new, empty instance of the store (one per member, and one per
/// restart of a member).
using store_factory = std::function<std::unique_ptr<store>()>;

/// The next command to propose. `random` is seeded from the run's seed, so
/// one seed gives the same commands; draw from it, not from elsewhere.
using command_generator = std::function<bytes(std::mt19937_64& random)>;

struct check_options {
  /// The runs: seeds first_seed .. first_seed + seeds - 1, each with its own
  /// schedule of faults. The environment overrides both:
  /// ACTRAFT_STORE_SEED=N runs seed N only, ACTRAFT_STORE_SEEDS=K runs K.
  std::uint64_t first_seed = 1;
  std::uint64_t seeds = 100;
  /// Members per cluster: 3 or 5 (0: odd seeds 3, even seeds 5).
  int nodes = 0;
  /// Steps of each run's fault phase (0: the simulator's default, 1,500
  /// for 3 members). Every run then heals and checks liveness.
  std::uint64_t steps = 0;
  /// Whether two snapshots hold the same state. Unset: equal bytes, which
  /// needs a snapshot that is a function of the state alone (sort what an
  /// unordered container would write in any order, or set this).
  std::function<bool(const bytes&, const bytes&)> same_state;
};

struct check_result {
  bool ok = true;
  std::uint64_t runs = 0;
  /// Over all runs: applies of user commands (on all members), of which
  /// threw; snapshots taken and checked; restores (installs and restarts).
  std::uint64_t applies = 0, throws = 0, snapshots = 0, restores = 0;
  std::uint64_t crashes = 0, joins = 0, removals = 0;
  /// The first failing run: its seed, what went wrong, and the one-line
  /// command that runs it alone.
  std::uint64_t failed_seed = 0;
  std::string failure;
  std::string reproduce;

  explicit operator bool() const { return ok; }
  /// What a test prints: the failure and its reproduction, or a summary.
  [[nodiscard]] std::string message() const;
};

std::ostream& operator<<(std::ostream& os, const check_result& r);

/// Runs the store under the simulator; stops at the first failing run.
check_result check_store(const store_factory& make, const command_generator& next,
                         const check_options& opts = {});

template <class Store>
check_result check_store(const command_generator& next, const check_options& opts = {}) {
  return check_store([] { return std::make_unique<Store>(); }, next, opts);
}

}  // namespace actraft::testing
