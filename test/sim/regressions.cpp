// Seeds that once made the simulator fail, replayed on every test run.
//
// The rule: every failing seed found (by CI, a soak, or by hand) becomes an
// entry here, with its node count and step budget exactly as the failure
// report's replay command printed them, and a line on what it exposed. The
// entry stays after the fix, so the bug cannot come back unnoticed. Seeds
// that only failed because of a simulator bug are recorded too: they prove
// the simulator fix.
//
// A seed's schedule depends on the simulator: the seeds below 360424 and
// those in the core's direct tests were found before the simulator ran the
// replica (src/driver), and no longer replay their original schedule. Each
// such bug also has a core test that builds its situation directly
// (test/core/snapshot_test.cpp, snapshot_membership_test.cpp,
// membership_test.cpp); the seeds stay as extra seeds.
#include <boost/test/unit_test.hpp>

#include <cstdint>
#include <vector>

#include "support/simulation.hpp"

namespace {

struct regression {
  std::uint64_t seed;
  int nodes;
  std::uint64_t steps;
  const char* what;  // the bug this seed exposed
};

const std::vector<regression>& regressions() {
  static const std::vector<regression> list{
      // {seed, nodes, steps, "what broke and where it was fixed"},
      {129, 3, 1500,
       "core: a lost answer to a snapshot left the follower's progress in the snapshot state "
       "for good (heartbeat responses ignored, nothing re-sent): replication to it stalled"},
      {244, 5, 2000, "core: same snapshot-answer stall as seed 129, 5 nodes"},
      {24, 5, 2000,
       "core: a leader took a follower's volatile commit index (heartbeat answer, snapshot "
       "state) for its matchIndex; the follower crashed before its entries were durable "
       "and the leader probed past its log forever"},
      {360424, 5, 2000,
       "core: a member that joined with an empty log compacted before its first configuration "
       "entry, so its snapshot had no voters; as leader it offered that snapshot to a lagging "
       "follower, which dropped it, forever (snapshot_meta_at now refuses an unknown "
       "configuration)"},
      {379564, 5, 2000, "core: same joiner snapshot without a configuration as seed 360424"},
      // Found by the million-seed soak of the simulator running the replica.
      {2217, 3, 1500,
       "replica: a write failing on a full disk was retried after a leader's snapshot was put "
       "in force, and fell below it (the install now waits for the write under way)"},
      {5008, 5, 2000,
       "core: a follower kept its log on a snapshot whose last entry it held only in memory, "
       "while its disk, which never had it, replaced its log: the next write fell below the "
       "snapshot (handle_snapshot keeps the log only over a durable entry)"},
      {9478, 5, 2000, "core: same in-memory snapshot entry as seed 5008"},
      {8016, 5, 2000,
       "replica: members answered only peers in their configuration; a member they had "
       "removed still led others in an older term and never heard of the newer one (now "
       "every peer that writes is answered)"},
      {15010, 5, 2000, "replica: same unanswered peer as seed 8016"},
      {36349, 3, 1500,
       "core: a lone voter (the others removed) won its election with its own vote before the "
       "vote was durable; crashing with its write stuck on a full disk, it came back in the old "
       "term and voted for another leader of the term it had led (it now leads once the vote "
       "is durable)"},
      {537011, 3, 1500, "core: same lone voter as seed 36349"},
      {552199, 3, 1500, "core: same lone voter as seed 36349"},
      {159437, 3, 1500,
       "replica: a leader's snapshot waited behind a write failing on a full disk while the "
       "core's clock ran on; it campaigned into a newer term and refused the older-term "
       "snapshot the disk then put in force (the clock now stands still while installing; an "
       "invariant checks the core takes what the disk put in force)"},
      {101956, 5, 2000,
       "simulator: a peer the replica stopped wanting and wanted again before the transport's "
       "next update was never reported connected again; the leader never sent it anything "
       "(the real transport starts a new proxy, which reports it)"},
      {17382, 5, 2000,
       "replica: a follower refused a snapshot it no longer needed without telling the leader "
       "where it was; the leader offered it forever (the core now answers it like an append)"},
      {85922, 5, 2000,
       "core: a follower acknowledged entries held in memory while a write was under way; a "
       "leader's snapshot then replaced that tail, and the acknowledgements still went out with "
       "the next write: the leader probed past the follower's log forever (queued "
       "acknowledgements of entries the log loses are now dropped)"},
      {563705, 3, 1500,
       "simulator: after the heal, a leader of an old term nobody followed any more counted as "
       "stable, and the members its uncommitted configuration left out were shut down "
       "(a leader with an uncommitted configuration is now stable only if no member is in a "
       "newer term)"},
      {17635, 3, 1500,
       "simulator: requiring a committed configuration of a stable leader instead kept a "
       "member being removed, not yet shut down, disrupting the leader that was committing "
       "its removal (no pre-vote, no check-quorum): the cluster never settled"},
      // Found by the first soak with reads.
      {1636745, 3, 1500,
       "simulator: each query took up to two time units of the simulated store, so a backlog of "
       "reads settled after an election held the applies behind it past their deadlines (a "
       "query now costs no time of its own)"},
      {1745483, 3, 1500, "simulator: same backlog of queries, a proposal's answer late"},
  };
  return list;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(regression_seeds)

BOOST_AUTO_TEST_CASE(every_once_failing_seed_passes) {
  using namespace actraft::sim;
  std::size_t failed = 0;
  for (const auto& r : regressions()) {
    // Without reads: the schedule the seed was found with (reads were added
    // to the clients later); with them as the seed chooses.
    for (const bool reads : {false, true}) {
      sim_config cfg;
      cfg.seed = r.seed;
      cfg.nodes = r.nodes;
      cfg.steps = r.steps;
      if (!reads) {
        cfg.reads = false;
        cfg.durable_store = false;
      }
      const sim_result res = run_simulation(cfg);
      if (!res.ok) {
        ++failed;
        BOOST_ERROR("regression seed " << r.seed << " (" << r.what << ") fails again:"
                                       << res.report());
      }
    }
  }
  BOOST_TEST_MESSAGE(regressions().size() << " regression seeds replayed");
  BOOST_TEST(failed == 0u);
}

BOOST_AUTO_TEST_SUITE_END()
