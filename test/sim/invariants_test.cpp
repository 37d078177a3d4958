// The checker itself: each named check passes on a valid history and fires
// on a hand-made violation (a checker that cannot fail proves nothing).
#include <boost/test/unit_test.hpp>

#include <map>
#include <string>
#include <vector>

#include "support/cluster.hpp"
#include "support/invariants.hpp"

using namespace actraft;
using namespace actraft::sim;

namespace {

core::entry ent(std::uint64_t index, std::uint64_t term, const std::string& cmd) {
  return core::entry{core::raft_term{term}, core::log_index{index}, core::entry_kind::normal,
                     command(cmd)};
}

shadow_log log_of(std::initializer_list<core::entry> es) { return shadow_log(std::vector<core::entry>(es)); }

const core::node_id n1{1}, n2{2};

}  // namespace

BOOST_AUTO_TEST_SUITE(checker)

BOOST_AUTO_TEST_CASE(election_safety_fires_on_two_leaders_in_a_term) {
  std::map<core::raft_term, core::node_id> leaders;
  BOOST_TEST(check_election_safety(leaders, n1, core::role::leader, core::raft_term{3}).empty());
  BOOST_TEST(check_election_safety(leaders, n1, core::role::leader, core::raft_term{3}).empty());
  BOOST_TEST(check_election_safety(leaders, n2, core::role::follower, core::raft_term{3}).empty());
  BOOST_TEST(check_election_safety(leaders, n2, core::role::leader, core::raft_term{4}).empty());
  BOOST_TEST(!check_election_safety(leaders, n2, core::role::leader, core::raft_term{3}).empty());
}

BOOST_AUTO_TEST_CASE(leader_append_only_fires_on_overwrite) {
  BOOST_TEST(check_leader_append_only(n1, true, core::raft_term{2}, 6, 5).empty());
  BOOST_TEST(check_leader_append_only(n1, true, core::raft_term{2}, 0, 5).empty());
  BOOST_TEST(check_leader_append_only(n1, false, core::raft_term{2}, 3, 5).empty());
  BOOST_TEST(!check_leader_append_only(n1, true, core::raft_term{2}, 5, 5).empty());
}

BOOST_AUTO_TEST_CASE(shadow_sync_reports_the_first_changed_index) {
  core::raft_log log(core::snapshot_meta{}, {ent(1, 1, "a"), ent(2, 1, "b"), ent(3, 2, "c")},
                     core::log_index{0});
  shadow_log s;
  const shadow_log committed;
  std::string error;
  auto sync = [&](const core::raft_log& l) { return s.sync(l, committed, error); };
  BOOST_TEST(sync(log) == 1u);
  BOOST_TEST(sync(log) == 0u);
  BOOST_TEST(log.truncate_from(core::log_index{2}));
  BOOST_TEST(log.append({ent(2, 3, "x")}));
  BOOST_TEST(sync(log) == 2u);
  BOOST_TEST(s.last() == 2u);
  BOOST_TEST(log.append({ent(3, 3, "y")}));
  BOOST_TEST(sync(log) == 3u);
  BOOST_TEST(error.empty());
}

BOOST_AUTO_TEST_CASE(log_matching_fires_below_a_common_entry) {
  auto a = log_of({ent(1, 1, "a"), ent(2, 1, "b"), ent(3, 2, "c")});
  auto b = log_of({ent(1, 1, "a"), ent(2, 1, "b"), ent(3, 2, "c"), ent(4, 2, "d")});
  auto c = log_of({ent(1, 1, "a"), ent(2, 3, "z")});  // diverges, no common entry above 1
  auto bad = log_of({ent(1, 1, "a"), ent(2, 1, "OTHER"), ent(3, 2, "c")});
  BOOST_TEST(check_log_matching(n1, a, n2, b).empty());
  BOOST_TEST(check_log_matching(n1, a, n2, c).empty());
  const std::string d = check_log_matching(n1, a, n2, bad);
  BOOST_TEST(!d.empty());
  BOOST_TEST(d.find("index 2") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(leader_completeness_fires_on_missing_committed_entry) {
  auto committed = log_of({ent(1, 1, "a"), ent(2, 2, "b")});
  auto good = log_of({ent(1, 1, "a"), ent(2, 2, "b"), ent(3, 4, "")});
  auto short_log = log_of({ent(1, 1, "a")});
  auto other = log_of({ent(1, 1, "a"), ent(2, 3, "x"), ent(3, 4, "")});
  BOOST_TEST(check_leader_completeness(n1, core::raft_term{4}, good, committed).empty());
  BOOST_TEST(!check_leader_completeness(n1, core::raft_term{4}, short_log, committed).empty());
  BOOST_TEST(!check_leader_completeness(n1, core::raft_term{4}, other, committed).empty());
}

BOOST_AUTO_TEST_CASE(commit_agreement_extends_and_fires) {
  shadow_log committed;
  auto a = log_of({ent(1, 1, "a"), ent(2, 2, "b"), ent(3, 2, "c")});
  auto b = log_of({ent(1, 1, "a"), ent(2, 3, "x")});
  BOOST_TEST(check_commit_agreement(n1, 2, a, committed).empty());
  BOOST_TEST(committed.last() == 2u);
  BOOST_TEST(check_commit_agreement(n2, 1, b, committed).empty());
  BOOST_TEST(!check_commit_agreement(n2, 2, b, committed).empty());
  BOOST_TEST(!check_commit_agreement(n2, 5, b, committed).empty());  // beyond its log
}

BOOST_AUTO_TEST_CASE(state_machine_safety_fires_on_different_apply) {
  std::vector<shadow_entry> first;
  BOOST_TEST(check_state_machine_safety(n1, ent(1, 1, "a"), first).empty());
  BOOST_TEST(check_state_machine_safety(n2, ent(1, 1, "a"), first).empty());
  BOOST_TEST(check_state_machine_safety(n1, ent(2, 1, "b"), first).empty());
  BOOST_TEST(!check_state_machine_safety(n2, ent(2, 2, "b"), first).empty());
  BOOST_TEST(!check_state_machine_safety(n2, ent(2, 1, "c"), first).empty());
}

BOOST_AUTO_TEST_CASE(apply_order_fires_on_gap) {
  BOOST_TEST(check_apply_order(n1, 0, ent(1, 1, "a")).empty());
  BOOST_TEST(!check_apply_order(n1, 1, ent(3, 1, "a")).empty());
  BOOST_TEST(!check_apply_order(n1, 3, ent(3, 1, "a")).empty());
}

BOOST_AUTO_TEST_CASE(checker_tracks_acknowledged_proposals) {
  invariant_checker c(3);
  core::propose_result r;
  r.index = core::log_index{1};
  r.term = core::raft_term{1};
  c.on_propose(command("a"), r);
  BOOST_TEST(!c.on_apply(n1, 0, ent(1, 1, "a")).has_value());
  BOOST_TEST(c.acknowledged().size() == 1u);
  // The same command applied again at another index is a duplicate.
  auto v = c.on_apply(n1, 1, ent(2, 1, "a"));
  BOOST_REQUIRE(v.has_value());
  BOOST_TEST(v->invariant == invariant::exactly_once);
  // A different command at the (index, term) a leader promised breaks integrity.
  invariant_checker d(3);
  d.on_propose(command("a"), r);
  auto w = d.on_apply(n2, 0, ent(1, 1, "b"));
  BOOST_REQUIRE(w.has_value());
  BOOST_TEST(w->invariant == invariant::proposal_integrity);
}

BOOST_AUTO_TEST_SUITE_END()

// The cluster's scripted API: an election, a commit on every node, a crash
// and restart with catch-up, on a reliable network.
BOOST_AUTO_TEST_SUITE(scripted_cluster)

BOOST_AUTO_TEST_CASE(elects_commits_and_catches_up_after_restart) {
  cluster_config cfg;
  cfg.seed = 42;
  cfg.nodes = 3;
  cluster c(cfg);
  const std::uint64_t limit = 100 * c.tick_units();
  BOOST_REQUIRE(c.run_until([&] { return c.stable_leader() != core::no_node; }, c.now() + limit));
  const core::node_id l = c.stable_leader();
  const auto r = c.propose(l, "hello");
  BOOST_REQUIRE(r.ok());
  auto applied_everywhere = [&](std::uint64_t idx) {
    return [&c, idx] {
      for (auto id : c.ids())
        if (!c.is_up(id) || c.applied(id).size() < idx) return false;
      return true;
    };
  };
  BOOST_REQUIRE(c.run_until(applied_everywhere(r.index.value), c.now() + limit));
  const core::node_id f = l == core::node_id{1} ? core::node_id{2} : core::node_id{1};
  c.crash(f);
  BOOST_TEST(!c.is_up(f));
  BOOST_TEST(c.disk(f).entries.size() >= r.index.value);
  const auto r2 = c.propose(c.stable_leader() != core::no_node ? c.stable_leader() : l, "world");
  c.restart(f);
  BOOST_REQUIRE(r2.ok());
  BOOST_REQUIRE(c.run_until(applied_everywhere(r2.index.value), c.now() + limit));
  BOOST_TEST(!c.failure().has_value());
  for (auto id : c.ids())
    BOOST_TEST((c.applied(id)[r2.index.value - 1].data == command("world")));
}

BOOST_AUTO_TEST_CASE(lagging_follower_catches_up_by_snapshot) {
  cluster_config cfg;
  cfg.seed = 7;
  cfg.nodes = 3;
  cluster c(cfg);
  const std::uint64_t limit = 200 * c.tick_units();
  BOOST_REQUIRE(c.run_until([&] { return c.stable_leader() != core::no_node; }, c.now() + limit));
  const core::node_id l = c.stable_leader();
  const core::node_id f = l == core::node_id{1} ? core::node_id{2} : core::node_id{1};
  c.crash(f);
  core::propose_result last;
  for (int k = 0; k < 10; ++k) last = c.propose(l, "cmd" + std::to_string(k));
  BOOST_REQUIRE(last.ok());
  auto applied_on = [&](core::node_id n, std::uint64_t idx) {
    return [&c, n, idx] { return c.is_up(n) && c.applied(n).size() >= idx; };
  };
  BOOST_REQUIRE(c.run_until(applied_on(l, last.index.value), c.now() + limit));
  BOOST_REQUIRE(c.compact(l, last.index));
  BOOST_TEST(c.disk(l).snapshot.index == last.index);
  BOOST_TEST(c.disk(l).entries.empty());
  c.restart(f);  // its log ends before the leader's snapshot: it needs the snapshot
  BOOST_REQUIRE(c.run_until(applied_on(f, last.index.value), c.now() + limit));
  BOOST_TEST(c.stats().snapshots_installed >= 1u);
  BOOST_TEST(c.disk(f).snapshot.index == last.index);
  BOOST_TEST((c.applied(f) == c.applied(l)));
  // A restart begins from the installed snapshot.
  c.crash(f);
  c.restart(f);
  BOOST_TEST(c.applied(f).size() >= last.index.value);
  BOOST_TEST(!c.failure().has_value());
}

BOOST_AUTO_TEST_CASE(a_new_member_joins_and_is_promoted) {
  cluster_config cfg;
  cfg.seed = 11;
  cfg.nodes = 3;
  cfg.spares = 1;
  cluster c(cfg);
  const std::uint64_t limit = 200 * c.tick_units();
  BOOST_REQUIRE(c.run_until([&] { return c.stable_leader() != core::no_node; }, c.now() + limit));
  const core::node_id l = c.stable_leader();
  // A leader changes the membership only once it committed an entry of its term.
  BOOST_REQUIRE(c.run_until([&] { return c.get(l)->log().commit().value >= 1; }, c.now() + limit));
  const core::node_id n4{4};
  BOOST_TEST(!c.started(n4));
  c.join(n4);
  const auto r = c.propose_membership(
      l, core::membership_change{core::membership_op::add_learner, n4, "sim:4"});
  BOOST_REQUIRE(r.ok());
  BOOST_REQUIRE(c.run_until(
      [&] {
        const core::node* ln = c.get(c.leader() != core::no_node ? c.leader() : l);
        return ln != nullptr && ln->config().is_voter(n4) && c.applied(n4).size() >= r.index.value;
      },
      c.now() + limit));
  BOOST_TEST(!c.failure().has_value());
}

BOOST_AUTO_TEST_SUITE_END()
