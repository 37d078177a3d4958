// Replays one simulator seed, or soaks a range of seeds.
//   sim_replay --seed N [--nodes 3|5] [--steps S] [--reads on|off] [--durable-store on|off] [--trace]
//   sim_replay --seed N --seeds K [--nodes 3|5] [--steps S]    (seeds N..N+K-1)
// Without --nodes, each seed uses the node count the test sweep gives it.
// --trace prints every event as it happens; a failure prints the report
// (violation, the last events, the replay command). Exit status 1 on failure.
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <optional>
#include <string>

#include "support/simulation.hpp"

namespace {

[[noreturn]] void usage() {
  std::cerr << "usage: sim_replay --seed N [--seeds K] [--nodes 3|5] [--steps S] [--reads on|off]\n"
               "                  [--durable-store on|off] [--trace]\n";
  std::exit(2);
}

std::uint64_t number(int& i, int argc, char** argv) {
  if (i + 1 >= argc) usage();
  char* end = nullptr;
  const std::uint64_t v = std::strtoull(argv[++i], &end, 10);
  if (end == nullptr || *end != '\0') usage();
  return v;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace actraft::sim;
  std::uint64_t seed = 1, seeds = 1, steps = 0;
  int nodes = 0;
  bool trace = false;
  std::optional<bool> reads, durable_store;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seed") seed = number(i, argc, argv);
    else if (a == "--seeds") seeds = number(i, argc, argv);
    else if (a == "--nodes") nodes = static_cast<int>(number(i, argc, argv));
    else if (a == "--steps") steps = number(i, argc, argv);
    else if (a == "--trace") trace = true;
    else if (a == "--reads" && i + 1 < argc) reads = std::string(argv[++i]) == "on";
    else if (a == "--durable-store" && i + 1 < argc) durable_store = std::string(argv[++i]) == "on";
    else usage();
  }
  if (nodes != 0 && (nodes < 1 || nodes > 9)) usage();
  if (seeds == 0) usage();

  std::uint64_t failures = 0, total_steps = 0;
  const auto start = std::chrono::steady_clock::now();
  for (std::uint64_t s = seed; s < seed + seeds; ++s) {
    sim_config cfg;
    cfg.seed = s;
    cfg.nodes = nodes != 0 ? nodes : default_nodes(s);
    cfg.steps = steps;
    cfg.reads = reads;
    cfg.durable_store = durable_store;
    if (trace && seeds == 1) cfg.live_trace = &std::cout;
    const sim_result r = run_simulation(cfg);
    total_steps += r.steps;
    if (seeds == 1) {
      if (trace) std::cout << "profile: " << r.profile << '\n';
      std::cout << r.summary() << '\n';
    }
    if (!r.ok) {
      ++failures;
      std::cout << r.report();
    }
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (seeds > 1)
    std::cout << seeds << " seeds from " << seed << ": " << failures << " failed, " << total_steps
              << " steps in " << secs << " s ("
              << static_cast<std::uint64_t>(static_cast<double>(total_steps) / (secs > 0 ? secs : 1))
              << " steps/s)\n";
  return failures == 0 ? 0 : 1;
}
