// Whole clusters of node actors in one actor system under CAF's test
// coordinator: one thread, simulated time, deterministic. The same actors as
// in production (node, peer proxy, log, store); only the network is replaced
// by a resolver that hands out local node handles.
#include <boost/test/unit_test.hpp>

#include <caf/all.hpp>

#include "actraft/core/membership.hpp"
#include "actraft/storage/engine.hpp"
#include "fixture.hpp"
#include "log_actor.hpp"
#include "logging.hpp"
#include "node_actor.hpp"
#include "snapshot_io.hpp"
#include "store_actor.hpp"

using namespace actraft;
using namespace actraft::test;

namespace {

struct sim_member {
  actors::node_actor node;
  std::shared_ptr<recording_store> store;
};

/// Hands out the local node handles by address, instead of connecting.
struct local_directory final : actors::peer_directory {
  std::map<std::string, actors::node_actor> nodes;
  actors::peer_interface find(const std::string& address) override {
    auto it = nodes.find(address);
    return it == nodes.end() ? actors::peer_interface{}
                             : caf::actor_cast<actors::peer_interface>(it->second);
  }
};

struct sim_cluster {
  temp_dir tmp;
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;
  std::shared_ptr<local_directory> directory = std::make_shared<local_directory>();
  std::vector<sim_member> members;

  sim_cluster(int n, std::uint64_t seed) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
    core::configuration c;
    for (int i = 1; i <= n; ++i)
      c.members.push_back({core::node_id(static_cast<std::uint64_t>(i)), "n" + std::to_string(i), true});
    c.max_assigned_id = core::node_id(static_cast<std::uint64_t>(n));
    const core::entry first{core::raft_term{1}, core::log_index{1}, core::entry_kind::configuration,
                            core::encode_configuration(c)};
    for (int i = 1; i <= n; ++i) {
      const std::string name = "n" + std::to_string(i);
      auto opened = storage::engine::open(tmp.sub(name));
      BOOST_REQUIRE(opened.ok());
      std::shared_ptr<storage::engine> disk = std::move(*opened);
      BOOST_REQUIRE(disk->append(std::span<const core::entry>(&first, 1)).ok());
      BOOST_REQUIRE(disk->save(core::hard_state{core::raft_term{1}, core::no_node, core::log_index{1}}).ok());
      BOOST_REQUIRE(disk->sync().ok());
      auto setup = std::make_shared<actors::node_setup>();
      setup->opts = fast_options(tmp.sub(name));
      setup->core_opts.id = core::node_id(static_cast<std::uint64_t>(i));
      setup->core_opts.election_ticks = 5;
      setup->core_opts.seed = seed;
      setup->address = name;
      setup->state = disk->state();
      auto logger = actors::make_logger(name, nullptr);
      logger->set_level(spdlog::level::warn);
      setup->metrics = std::make_shared<actors::metrics_registry>();
      setup->log = sys->spawn(actors::log_actor_impl, disk, logger, setup->metrics);
      auto st = std::make_shared<recording_store>();
      setup->store = sys->spawn(actors::store_actor_impl, std::shared_ptr<store>(st), std::uint64_t{0},
                                 setup->metrics, actors::snapshot_files{tmp.sub(name), {}});
      setup->snapshot_io =
          sys->spawn(actors::snapshot_io_impl, tmp.sub(name), storage::storage_options{}, logger,
                    actors::transfer_limits{});
      setup->directory = directory;
      auto node = sys->spawn(actors::node_actor_impl, setup);
      directory->nodes[name] = node;
      members.push_back({node, st});
      caf::scoped_actor starter{*sys};
      starter->send(node, actors::start_signal{static_cast<std::uint64_t>(i), {}});
    }
    sched->run();
  }

  ~sim_cluster() {
    caf::scoped_actor self{*sys};
    for (auto& m : members) self->send(m.node, actors::stop_signal{});
    sched->run();
  }

  /// Advances simulated time in heartbeat steps, running everything due.
  void run_for(std::chrono::milliseconds d) {
    for (auto t = 0ms; t < d; t += 10ms) {
      sched->advance_time(10ms);
      sched->run();
    }
  }

  node_status status(std::size_t i) {
    auto out = std::make_shared<node_status>();
    sys->spawn([node = members[i].node, out](caf::event_based_actor* self) {
      self->request(caf::actor_cast<mailbox>(node), 1s, status_atom_v)
          .then([out](node_status& s) { *out = std::move(s); }, [](caf::error&) {});
    });
    sched->run();
    return *out;
  }

  std::optional<std::size_t> leader() {
    std::optional<std::size_t> found;
    for (std::size_t i = 0; i < members.size(); ++i)
      if (status(i).role == node_role::leader) found = i;
    return found;
  }

  /// Proposes through member i; the answer, once simulated time brings one.
  std::string propose(std::size_t i, const std::string& command) {
    auto out = std::make_shared<std::string>();
    sys->spawn([node = members[i].node, out, command](caf::event_based_actor* self) {
      self->request(caf::actor_cast<mailbox>(node), 10s, propose_atom_v, to_bytes(command))
          .then([out](const bytes& b) { *out = to_string(b); },
                [out](const caf::error& e) { *out = "error: " + caf::to_string(e); });
    });
    for (int step = 0; step < 1000 && out->empty(); ++step) {
      sched->run();
      if (out->empty()) {
        sched->advance_time(10ms);
        sched->run();
      }
    }
    return *out;
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(simulated_cluster_elects_and_answers_proposals_anywhere) {
  sim_cluster c{3, 7};
  c.run_for(1s);
  auto lead = c.leader();
  BOOST_REQUIRE(lead);
  for (int i = 0; i < 9; ++i) {
    auto r = c.propose(static_cast<std::size_t>(i % 3), "p" + std::to_string(i));
    BOOST_TEST(r == std::to_string(i + 1) + ":p" + std::to_string(i));
  }
  c.run_for(100ms);
  for (auto& m : c.members) BOOST_TEST(m.store->applied() == c.members[0].store->applied());
}

BOOST_AUTO_TEST_CASE(simulated_leader_loss_and_a_follower_waiting_for_a_new_leader) {
  sim_cluster c{3, 11};
  c.run_for(1s);
  auto lead = c.leader();
  BOOST_REQUIRE(lead);
  BOOST_TEST(c.propose(*lead, "before") == "1:before");
  caf::scoped_actor self{*c.sys};
  self->send(c.members[*lead].node, actors::stop_signal{});
  c.directory->nodes.erase("n" + std::to_string(*lead + 1));
  c.sched->run();
  // A proposal on a survivor waits for the election, then commits.
  const std::size_t survivor = (*lead + 1) % 3;
  BOOST_TEST(c.propose(survivor, "after") == "2:after");
  auto new_lead = c.leader();
  BOOST_REQUIRE(new_lead);
  BOOST_TEST(*new_lead != *lead);
}

BOOST_AUTO_TEST_CASE(same_seed_same_history) {
  auto history = [](std::uint64_t seed) {
    sim_cluster c{3, seed};
    std::vector<std::string> h;
    for (int round = 0; round < 5; ++round) {
      c.run_for(300ms);
      for (std::size_t i = 0; i < 3; ++i) {
        auto s = c.status(i);
        h.push_back(std::string(to_string(s.role)) + "@" + std::to_string(s.term));
      }
    }
    return h;
  };
  BOOST_TEST(history(42) == history(42));
}
