// The deterministic simulator against the real core: thousands of seeds of
// faults, each checked after every step (see docs/testing.md).
//   ACTRAFT_SIM_SEEDS=N        number of seeds (default 5000)
//   ACTRAFT_SIM_FIRST_SEED=S   first seed (default 1)
#define BOOST_TEST_MODULE actraft_sim
#include <boost/test/unit_test.hpp>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>

#include "support/simulation.hpp"

namespace {

std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strtoull(v, nullptr, 10);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(simulation)

BOOST_AUTO_TEST_CASE(random_seeds_keep_every_invariant) {
  using namespace actraft::sim;
  const std::uint64_t seeds = env_or("ACTRAFT_SIM_SEEDS", 5000);
  const std::uint64_t first = env_or("ACTRAFT_SIM_FIRST_SEED", 1);
  std::uint64_t steps = 0, failures = 0, ticks = 0, crashes = 0, window_crashes = 0;
  std::uint64_t committed = 0, acked = 0, terms = 0, drops = 0, dups = 0;
  std::uint64_t joins = 0, forwarded = 0, removed = 0, snapshots = 0, installs = 0;
  const auto start = std::chrono::steady_clock::now();
  std::uint64_t ran = 0;
  for (std::uint64_t seed = first; seed < first + seeds; ++seed) {
    sim_config cfg;
    cfg.seed = seed;
    cfg.nodes = default_nodes(seed);
    const sim_result r = run_simulation(cfg);
    ++ran;
    steps += r.steps;
    ticks += r.ticks;
    crashes += r.stats.crashes;
    window_crashes += r.stats.crashes_with_pending_write;
    committed += r.committed;
    acked += r.acknowledged;
    terms += r.terms_with_leader;
    drops += r.stats.dropped;
    dups += r.stats.duplicated;
    joins += r.stats.joins;
    forwarded += r.stats.forwarded;
    removed += r.stats.retired;
    snapshots += r.stats.snapshots_taken;
    installs += r.stats.snapshots_installed;
    if (!r.ok) {
      BOOST_ERROR(r.report());
      if (++failures >= 3) {
        BOOST_TEST_MESSAGE("stopping after 3 failing seeds");
        break;
      }
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::ostringstream os;
  os << "simulated " << ran << " seeds (" << first << ".." << first + ran - 1 << ", 3 and 5 nodes): "
     << steps << " steps, " << ticks << " ticks, " << terms << " terms with a leader, "
     << committed << " entries committed, " << acked << " proposals acknowledged, " << crashes
     << " crashes (" << window_crashes << " inside the durability window), " << drops
     << " messages dropped, " << dups << " duplicated, " << joins << " members joined, "
     << removed << " members removed, " << forwarded << " requests forwarded, "
     << snapshots << " snapshots taken, " << installs << " snapshots installed; " << secs << " s wall, "
     << static_cast<std::uint64_t>(static_cast<double>(steps) / (secs > 0 ? secs : 1))
     << " steps/s";
  BOOST_TEST_MESSAGE(os.str());
  BOOST_TEST(failures == 0u);
}

BOOST_AUTO_TEST_CASE(same_seed_same_run) {
  using namespace actraft::sim;
  for (std::uint64_t seed : {7u, 8u}) {
    sim_config cfg;
    cfg.seed = seed;
    cfg.nodes = default_nodes(seed);
    // The fingerprint hashes every event of the run.
    const sim_result a = run_simulation(cfg);
    const sim_result b = run_simulation(cfg);
    BOOST_TEST(a.steps == b.steps);
    BOOST_TEST(a.fingerprint == b.fingerprint);
    BOOST_TEST(a.summary() == b.summary());
  }
}

BOOST_AUTO_TEST_SUITE_END()
