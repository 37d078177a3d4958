// actraft/testing.hpp: the user's store in the simulated cluster.
#include "actraft/testing.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "support/simulation.hpp"
#include "support/store_under_test.hpp"

namespace actraft::testing {

namespace {

std::uint64_t from_env(const char* name, std::uint64_t otherwise) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return otherwise;
  char* end = nullptr;
  const auto n = std::strtoull(v, &end, 10);
  return end != nullptr && *end == '\0' ? n : otherwise;
}

/// What the user's factory or generator threw (the run cannot go on).
struct user_code_failed : std::runtime_error {
  using std::runtime_error::runtime_error;
};

/// Calls the user's `f`; what it throws becomes user_code_failed naming `what`.
template <class F>
auto calling(const char* what, F&& f) -> decltype(f()) {
  try {
    return f();
  } catch (const std::exception& e) {
    throw user_code_failed(std::string(what) + " threw \"" + e.what() + "\"");
  } catch (...) {
    throw user_code_failed(std::string(what) + " threw");
  }
}

/// The command line of this process, to replay a seed with.
std::string this_command() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::string out;
  for (char c : all) out += c == '\0' ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out.empty() ? "<this test>" : out;
}

}  // namespace

check_result check_store(const store_factory& make, const command_generator& next,
                         const check_options& opts) {
  check_result res;
  std::uint64_t first = opts.first_seed;
  std::uint64_t count = from_env("ACTRAFT_STORE_SEEDS", opts.seeds);
  if (count == 0) count = 1;  // zero runs would pass without checking anything
  if (const auto only = from_env("ACTRAFT_STORE_SEED", 0); only != 0) {
    first = only;
    count = 1;
  }
  for (std::uint64_t seed = first; seed < first + count; ++seed) {
    auto user = std::make_shared<sim::store_under_test>();
    user->make = [make] {
      auto s = calling("the store factory", make);
      if (!s) throw user_code_failed("the store factory made no store");
      return s;
    };
    user->same_state = opts.same_state;
    auto random = std::make_shared<std::mt19937_64>(seed);
    user->next_command = [next, random] { return calling("the command generator", [&] { return next(*random); }); };

    sim::sim_config cfg;
    cfg.seed = seed;
    cfg.nodes = opts.nodes != 0 ? opts.nodes : sim::default_nodes(seed);
    cfg.steps = opts.steps;
    cfg.user = user;
    // The user's store starts empty on every restart (its own state, if it
    // keeps one, is not simulated): the state machines beside it do too.
    cfg.durable_store = false;
    sim::sim_result run;
    try {
      run = sim::run_simulation(cfg);
    } catch (const user_code_failed& e) {
      run.ok = false;
      run.failure = sim::violation{"Store Code", e.what()};
      run.profile = "(stopped)";
    }

    ++res.runs;
    res.applies += user->applies;
    res.throws += user->throws;
    res.snapshots += user->snapshots;
    res.restores += user->restores;
    res.crashes += run.stats.crashes;
    res.joins += run.stats.joins;
    res.removals += run.stats.retired;
    if (run.ok) continue;
    res.ok = false;
    res.failed_seed = seed;
    std::ostringstream os;
    os << run.failure->invariant << ": " << run.failure->description << "\n"
       << "seed " << seed << ", " << cfg.nodes << " members, at step " << run.failed_at_step << " of "
       << run.steps << " (profile: " << run.profile << ")";
    res.failure = os.str();
    res.reproduce = "ACTRAFT_STORE_SEED=" + std::to_string(seed) + " " + this_command();
    res.failure += "\n--- the simulation's last events ---\n" + run.trace;
    break;
  }
  return res;
}

std::string check_result::message() const {
  std::ostringstream os;
  if (!ok) {
    // The cause and the replay first: the trace after them is long.
    const auto cut = failure.find("\n--- the simulation's last events ---");
    os << "store check failed: " << failure.substr(0, cut) << "\nreproduce: " << reproduce;
    return os.str();
  }
  os << "store check passed: " << runs << " runs, " << applies << " applies (" << throws << " threw), "
     << snapshots << " snapshots, " << restores << " restores, " << crashes << " crashes, " << joins
     << " joins, " << removals << " removals";
  return os.str();
}

std::ostream& operator<<(std::ostream& os, const check_result& r) { return os << r.message(); }

}  // namespace actraft::testing
