// Helpers of test_lincheck: hand-written operations and a random history
// generator driven by a real sequential model.
#pragma once

#include <algorithm>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "lincheck/checker.hpp"
#include "lincheck/history.hpp"
#include "support/prng.hpp"

namespace lincheck_test {

using namespace actraft::lincheck;

// --- Hand-written operations (key "x" unless changed with on()) --------------

inline operation make(op_kind k, std::uint64_t client, std::int64_t invoke, std::optional<std::int64_t> complete,
                      outcome o) {
  operation op;
  op.client = client;
  op.kind = k;
  op.key = "x";
  op.invoke = invoke;
  op.complete = o == outcome::unknown ? std::nullopt : complete;
  op.result = o;
  return op;
}

inline operation put(std::uint64_t c, const std::string& v, std::int64_t i, std::int64_t e,
                     outcome o = outcome::ok) {
  auto op = make(op_kind::put, c, i, e, o);
  op.value = v;
  return op;
}
/// A put that timed out: invoked at i, may take effect any time later or never.
inline operation put_unknown(std::uint64_t c, const std::string& v, std::int64_t i) {
  return put(c, v, i, 0, outcome::unknown);
}
/// A get that read v (nullopt: not found).
inline operation get(std::uint64_t c, std::optional<std::string> v, std::int64_t i, std::int64_t e) {
  auto op = make(op_kind::get, c, i, e, outcome::ok);
  op.value = std::move(v);
  return op;
}
inline operation del(std::uint64_t c, std::int64_t i, std::int64_t e, std::optional<bool> existed = std::nullopt,
                     outcome o = outcome::ok) {
  auto op = make(op_kind::del, c, i, e, o);
  op.existed = existed;
  return op;
}
inline operation cas(std::uint64_t c, std::optional<std::string> expected, const std::string& v, std::int64_t i,
                     std::int64_t e, bool swapped = true, outcome o = outcome::ok) {
  auto op = make(op_kind::cas, c, i, e, o);
  op.expected = std::move(expected);
  op.value = v;
  op.swapped = swapped;
  return op;
}
inline operation on(const std::string& key, operation op) {
  op.key = key;
  return op;
}

inline verdict verdict_of(const std::vector<operation>& h) { return check(h).result; }

// --- Random histories from a sequential model ------------------------------------

struct gen_options {
  std::uint64_t seed = 1;
  std::size_t ops = 10'000;
  std::size_t keys = 50;
  std::size_t clients = 16;
  /// 0: every written value is unique; otherwise values come from v0..v{n-1}.
  std::size_t values = 0;
  std::int64_t span = 60;          ///< max distance of invoke/complete from the linearization point
  std::int64_t gap = 8;            ///< max distance between consecutive linearization points
  std::uint32_t unknown_per_mille = 20;
  std::uint32_t failed_per_mille = 20;
};

/// Runs a real map with random operations at strictly increasing
/// linearization points; each operation gets a random interval around its
/// point (a client's intervals never overlap) and the result the map gave.
/// Failed operations are not applied; unknown ones are applied half the time.
inline std::vector<operation> generate(const gen_options& g) {
  actraft::sim::prng rng(g.seed);
  std::map<std::string, std::string> state;
  std::vector<std::int64_t> free_at(g.clients, -1);
  std::vector<operation> out;
  out.reserve(g.ops);
  std::int64_t lin = 0;
  auto value_for = [&](std::size_t i) {
    return g.values ? "v" + std::to_string(rng.below(g.values)) : "v" + std::to_string(i);
  };
  for (std::size_t i = 0; i < g.ops; ++i) {
    lin += 1 + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(g.gap)));
    std::vector<std::size_t> idle;
    for (std::size_t c = 0; c < g.clients; ++c) {
      if (free_at[c] < lin) idle.push_back(c);
    }
    if (idle.empty()) {
      lin = *std::min_element(free_at.begin(), free_at.end()) + 1;
      for (std::size_t c = 0; c < g.clients; ++c) {
        if (free_at[c] < lin) idle.push_back(c);
      }
    }
    const std::size_t c = rng.pick(idle);
    operation op;
    op.client = c;
    op.key = "k" + std::to_string(rng.below(g.keys));
    const std::int64_t room = std::min<std::int64_t>(g.span, lin - free_at[c] - 1);
    op.invoke = lin - static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(room) + 1));
    const std::int64_t complete = lin + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(g.span) + 1));
    free_at[c] = complete;

    const auto roll = rng.below(1000);
    op.result = roll < g.failed_per_mille ? outcome::failed
                : roll < g.failed_per_mille + g.unknown_per_mille ? outcome::unknown
                                                                 : outcome::ok;
    const bool applied = op.result == outcome::ok || (op.result == outcome::unknown && rng.chance(500));
    op.complete = op.result == outcome::unknown && rng.chance(500) ? std::nullopt : std::optional(complete);

    const auto it = state.find(op.key);
    const std::optional<std::string> current =
        it == state.end() ? std::nullopt : std::optional<std::string>(it->second);
    const auto kind = rng.below(100);
    if (kind < 35) {
      op.kind = op_kind::put;
      op.value = value_for(i);
      if (applied) state[op.key] = *op.value;
    } else if (kind < 75) {
      op.kind = op_kind::get;
      if (op.result == outcome::ok) op.value = current;
    } else if (kind < 85) {
      op.kind = op_kind::del;
      if (op.result == outcome::ok && rng.chance(500)) op.existed = current.has_value();
      if (applied) state.erase(op.key);
    } else {
      op.kind = op_kind::cas;
      op.value = value_for(i);
      const auto pick = rng.below(3);
      op.expected = pick == 0 ? current : pick == 1 ? std::nullopt : std::optional(value_for(i + 1'000'000));
      const bool swaps = op.expected == current;
      if (op.result == outcome::ok) op.swapped = swaps;
      if (applied && swaps) state[op.key] = *op.value;
    }
    out.push_back(std::move(op));
  }
  return out;
}

}  // namespace lincheck_test
