// One randomized simulation run: a seed picks the cluster's options, the
// fault profile and every decision. A fault phase (crashes, restarts,
// partitions, lossy/duplicating/slow network, slow disks, forced elections,
// proposals throughout) is followed by a heal phase that checks liveness and
// that every acknowledged proposal survived.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>

#include "actraft/core/options.hpp"
#include "support/cluster.hpp"
#include "support/invariants.hpp"

namespace actraft::sim {

struct sim_config {
  std::uint64_t seed = 1;
  int nodes = 3;
  /// Steps of the fault phase; 0 picks default_steps(nodes).
  std::uint64_t steps = 0;
  /// Only takes effect when linked against actraft_core_planted.
  core::planted_bug bug = core::planted_bug::none;
  std::size_t trace_capacity = 400;
  /// Clients also read (linearizable and stale queries); unset: the seed
  /// decides. Off replays the schedules of seeds found before reads existed.
  std::optional<bool> reads;
  /// Print every event as it happens (sim_replay --trace).
  std::ostream* live_trace = nullptr;
  /// Runs a user's store in every member too (actraft/testing.hpp).
  std::shared_ptr<store_under_test> user;
  /// State machines that keep their own state across crashes; unset: the
  /// seed decides (a quarter of them). Off replays the schedules of seeds
  /// found before they existed.
  std::optional<bool> durable_store;
};

struct sim_result {
  bool ok = true;
  std::optional<violation> failure;
  std::uint64_t seed = 0;
  int nodes = 0;
  std::uint64_t steps = 0;         ///< all steps, fault and heal phase
  std::uint64_t failed_at_step = 0;
  std::uint64_t ticks = 0;         ///< simulated time, in ticks
  std::string profile;             ///< what the seed chose
  std::string trace;               ///< the last events (filled on failure)
  std::string replay;              ///< command that replays this run
  cluster::counters stats;
  std::uint64_t terms_with_leader = 0;
  std::uint64_t committed = 0;
  std::uint64_t acknowledged = 0;
  /// Hash over every trace event: equal fingerprints, identical runs.
  std::uint64_t fingerprint = 0;

  /// Multi-line report: violation, replay command, profile, trace.
  [[nodiscard]] std::string report() const;
  /// One line.
  [[nodiscard]] std::string summary() const;
};

/// The node count the test sweep uses for a seed (3 or 5).
int default_nodes(std::uint64_t seed);
std::uint64_t default_steps(int nodes);
std::string replay_command(const sim_config& cfg);
const char* to_string(core::planted_bug b);

sim_result run_simulation(const sim_config& cfg);

}  // namespace actraft::sim
