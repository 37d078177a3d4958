// The fault schedule: which faults come, in which order and for how long,
// drawn from the seed alone so that a seed reruns the same schedule; and
// injecting them into the cluster: starting each fault, nesting a second one
// inside it in a random schedule, healing each when its time is up, and
// healing everything at the end.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "network.hpp"
#include "options.hpp"
#include "prng.hpp"
#include "process_cluster.hpp"

namespace actraft::nemesis {

struct step {
  fault kind;
  std::uint64_t pick;  // chooses the random node / the sides
  int hold_ms;         // how long the fault lasts
  int quiet_ms;        // time without faults afterwards
};

step draw_step(prng& r, fault kind);

class schedule {
 public:
  /// With --cycles, draws the whole plan: every enabled fault once per
  /// cycle, in a seeded order. With --seconds the faults are drawn as they
  /// come, from the same generator.
  explicit schedule(const options& o);

  /// The planned steps (empty with --seconds).
  [[nodiscard]] const std::vector<step>& plan() const { return plan_; }
  /// "kill/1234 split/2345 ...": each planned fault and its hold time in ms.
  [[nodiscard]] std::string plan_text() const;

  /// Injects the faults one after the other, each healed before the next
  /// (after a little history without faults first). A partition that tc
  /// could not install or heal is a failure.
  void run(cluster& c, network& net, std::vector<std::string>& failures);
  /// Ends whatever faults are left: paused nodes continue, killed nodes are
  /// restarted unless a node crashed by itself, nothing is cut.
  void heal_all(cluster& c, network& net);

  /// How often each fault was started; "(nested)" counts the nested ones.
  [[nodiscard]] const std::map<std::string, int>& faults_done() const { return done_; }

 private:
  const options& opts_;
  prng sched_;
  std::vector<step> plan_;
  std::map<std::string, int> done_;
};

}  // namespace actraft::nemesis
