// Proposal latency and throughput through the mailbox, without HTTP: a
// 3-member cluster on loopback (each member its own actor system and data
// directory, fsync on), proposals sent by CAF actors in a closed loop.
//
//   mailbox_bench [--clients=N] [--seconds=S] [--payload=B] [--dir=/tmp/x]
//                 [--propose-on=leader|follower] [--node-on=scheduler|io]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include "actraft/raft.hpp"

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;

namespace {

struct null_store : actraft::store {
  std::uint64_t applied = 0;
  actraft::bytes apply(const actraft::bytes& c) override {
    ++applied;
    return actraft::bytes(c.begin(), c.begin() + std::min<std::ptrdiff_t>(8, std::ssize(c)));
  }
  actraft::bytes snapshot() override { return {}; }
  void restore(const actraft::bytes&) override {}
};

struct member {
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<actraft::raft> node;
  member(const std::string& dir, int threads, bool node_on_io_thread) {
    cfg = std::make_unique<caf::actor_system_config>();
    actraft::add_types(*cfg);
    cfg->set("scheduler.policy", caf::atom("sharing"));
    cfg->set("scheduler.max-threads", threads);
    sys = std::make_unique<caf::actor_system>(*cfg);
    actraft::options o;
    o.data_dir = dir;
    o.node_on_io_thread = node_on_io_thread;
    node = std::make_unique<actraft::raft>(*sys, "127.0.0.1:0", std::make_unique<null_store>(), o);
  }
};

std::string arg(int argc, char** argv, const std::string& name, const std::string& def) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a.rfind("--" + name + "=", 0) == 0) return a.substr(name.size() + 3);
  }
  return def;
}

double pct(std::vector<double>& v, double p) {
  if (v.empty()) return 0;
  std::size_t k = std::min(v.size() - 1, static_cast<std::size_t>(p / 100.0 * static_cast<double>(v.size())));
  std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
  return v[k];
}

}  // namespace

int main(int argc, char** argv) {
  const int clients = std::stoi(arg(argc, argv, "clients", "64"));
  const int seconds = std::stoi(arg(argc, argv, "seconds", "5"));
  const std::size_t payload = std::stoul(arg(argc, argv, "payload", "256"));
  const int threads = std::stoi(arg(argc, argv, "threads", "2"));
  const bool on_follower = arg(argc, argv, "propose-on", "leader") == "follower";
  // The proposers are actors of each member's own actor system: the setting
  // the guide recommends for them is the node on the scheduler.
  const bool node_on_io = arg(argc, argv, "node-on", "scheduler") == "io";
  const std::filesystem::path dir =
      arg(argc, argv, "dir", (std::filesystem::temp_directory_path() / "actraft-mailbox-bench").string());
  std::filesystem::remove_all(dir);

  std::vector<std::unique_ptr<member>> ms;
  for (int i = 0; i < 3; ++i)
    ms.push_back(std::make_unique<member>((dir / ("n" + std::to_string(i))).string(), threads, node_on_io));
  ms[0]->node->lead();
  ms[1]->node->join(ms[0]->node->address(), ms[0]->node->join_token());
  ms[2]->node->join(ms[0]->node->address(), ms[0]->node->join_token());
  // Wait for both learners to become voters.
  for (int i = 0; i < 500; ++i) {
    auto st = ms[0]->node->status();
    if (st && st->members.size() == 3 && st->members[1].voter && st->members[2].voter) break;
    std::this_thread::sleep_for(10ms);
  }
  auto& target = on_follower ? *ms[1] : *ms[0];
  auto mb = target.node->mailbox();

  std::atomic<bool> stop{false};
  std::atomic<bool> measuring{false};
  std::vector<std::vector<double>> lat(static_cast<std::size_t>(clients));
  std::atomic<std::uint64_t> errors{0};
  caf::scoped_actor waiter{*target.sys};
  std::vector<caf::actor> actors;
  for (int c = 0; c < clients; ++c) {
    auto* out = &lat[static_cast<std::size_t>(c)];
    actors.push_back(target.sys->spawn([=, &stop, &measuring, &errors](caf::event_based_actor* self) {
      auto cmd = std::make_shared<actraft::bytes>(payload, static_cast<std::uint8_t>('a' + c % 26));
      auto loop = std::make_shared<std::function<void()>>();
      *loop = [=, &stop, &measuring, &errors] {
        if (stop) {
          self->quit();
          return;
        }
        auto t0 = clk::now();
        self->request(mb, 10s, actraft::propose_atom_v, *cmd)
            .then(
                [=, &measuring](const actraft::bytes&) {
                  if (measuring)
                    out->push_back(std::chrono::duration<double, std::micro>(clk::now() - t0).count());
                  (*loop)();
                },
                [=, &measuring, &errors](const caf::error&) {
                  if (measuring) ++errors;
                  (*loop)();
                });
      };
      (*loop)();
    }));
  }
  std::this_thread::sleep_for(1s);  // warm-up
  measuring = true;
  auto t0 = clk::now();
  std::this_thread::sleep_for(std::chrono::seconds(seconds));
  measuring = false;
  auto elapsed = std::chrono::duration<double>(clk::now() - t0).count();
  stop = true;
  for (auto& a : actors) waiter->wait_for(a);
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::printf("mailbox_bench: 3 members, %d clients, %zu-byte commands, proposing on the %s, "
              "node on the %s\n",
              clients, payload, on_follower ? "follower" : "leader",
              node_on_io ? "I/O thread" : "scheduler");
  std::printf("  %zu commits in %.1f s = %.0f commits/s, errors %llu\n", all.size(), elapsed,
              static_cast<double>(all.size()) / elapsed,
              static_cast<unsigned long long>(errors.load()));
  std::printf("  latency us: p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f\n", pct(all, 50), pct(all, 90),
              pct(all, 99), pct(all, 99.9));
  for (auto& m : ms) m->node->shutdown();
  std::filesystem::remove_all(dir);
  return 0;
}
