// A user's store run beside the simulated state machine (actraft/testing.hpp).
// Every member keeps an instance: it applies the user's command that goes
// with each of the simulator's commands, snapshots into the member's snapshot
// files and restores from them, and starts afresh when the member restarts.
// Whatever differs between members, or between a state and its snapshot
// restored, is reported with the index and command it first shows at.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "actraft/core/types.hpp"
#include "actraft/store.hpp"

namespace actraft::sim {

struct store_under_test {
  std::function<std::unique_ptr<actraft::store>()> make;
  /// The user's next command (called once per proposal, in order).
  std::function<actraft::bytes()> next_command;
  /// Whether two snapshots hold the same state (byte equality if unset).
  std::function<bool(const actraft::bytes&, const actraft::bytes&)> same_state;

  // --- what the run saw -------------------------------------------------------------
  /// The user's command for each of the simulator's (by its text).
  std::map<std::string, actraft::bytes> commands;
  struct outcome {
    std::uint64_t node = 0;
    std::string result;  ///< "returned <bytes>" or "threw <what>"
  };
  /// The first result of applying each index, and who got it.
  std::map<std::uint64_t, outcome> results;
  /// The first state captured at each index, and whose.
  std::map<std::uint64_t, std::pair<std::uint64_t, actraft::bytes>> states;
  std::uint64_t applies = 0, throws = 0, snapshots = 0, restores = 0;

  /// The user's command for `sim_command`, drawn on first use.
  const actraft::bytes& command_for(const std::string& sim_command);

  /// Applies `e` (a normal entry) to `s`; a problem, if any.
  std::optional<std::string> apply(actraft::store& s, std::uint64_t node, const core::entry& e);
  /// Captures the state of `s` at `index` into `out`, restores it into a
  /// fresh instance to check that it round-trips, and compares it with the
  /// state other members had at that index.
  std::optional<std::string> capture(actraft::store& s, std::uint64_t node, std::uint64_t index,
                                     actraft::bytes& out);
  /// Checks that a capture (store::capture_snapshot) of `fresh`, which
  /// holds `state` at `index`, is not changed by the applies after it.
  std::optional<std::string> check_isolated(actraft::store& fresh, std::uint64_t index,
                                            const actraft::bytes& state);
  /// same_state, or byte equality if it is unset.
  [[nodiscard]] bool same(const actraft::bytes& a, const actraft::bytes& b) const;
  /// Replaces the state of `s` by `state`, taken at `index`.
  std::optional<std::string> restore(actraft::store& s, std::uint64_t node, std::uint64_t index,
                                     const actraft::bytes& state);

  /// A command as text: printable as is, else hex (long ones cut).
  static std::string describe(const actraft::bytes& b);
};

}  // namespace actraft::sim
