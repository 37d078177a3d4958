// Linearizability checker for key-value histories: the Wing-Gong/Lowe (WGL)
// search with memoization, run independently per key (P-compositionality),
// with failed operations removed and unknown outcomes allowed to take effect
// at any time after their invocation, or never. On a violation it shrinks the
// offending key's history to a short sub-history that is non-linearizable on
// its own. How and why: docs/testing.md, "Linearizability checker".
#pragma once

#include <cstdint>
#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

#include "lincheck/history.hpp"

namespace actraft::lincheck {

enum class verdict : std::uint8_t { linearizable, not_linearizable, undecided };
const char* to_string(verdict v);
std::ostream& operator<<(std::ostream& out, verdict v);

struct check_options {
  /// Work budget of the search of one key (iterations of the WGL loop); past
  /// it the key is undecided rather than the checker hanging.
  std::uint64_t max_steps = 100'000'000;
  /// Memory budget of one key's memo table; past it the key is undecided.
  std::size_t max_memo_bytes = std::size_t{1} << 30;
  /// Shrink the first non-linearizable key's history to a short witness.
  bool shrink = true;
  /// Step budget of each trial search while shrinking (a trial that runs out
  /// counts as "not shown non-linearizable": the shrink keeps that operation).
  std::uint64_t shrink_max_steps = 2'000'000;
  /// Step budget of all trials of the shrinking together; when it runs out the
  /// witness is the shortest sub-history found so far.
  std::uint64_t shrink_total_steps = 200'000'000;
};

struct key_result {
  std::string key;
  verdict result = verdict::linearizable;
  std::size_t ops = 0;      ///< operations searched (failed ops and unknown gets excluded)
  std::uint64_t steps = 0;  ///< WGL iterations spent
};

/// One operation of a witness: the index into the checked history and the
/// operation as it takes part in the witness.
struct witness_op {
  std::size_t index = 0;
  operation op;
  /// Straddled an edge of the cut window, so its outcome was weakened to
  /// unknown (`op.result` is unknown; the original outcome is in the history).
  bool cut = false;
};

struct check_result {
  verdict result = verdict::linearizable;
  /// Every key in order of first appearance in the history.
  std::vector<key_result> keys;
  /// When not linearizable: the first non-linearizable key (in that order)...
  std::optional<std::string> bad_key;
  /// ...and a shortest-found sub-history of it that is non-linearizable by
  /// itself, sorted by invocation time (the whole key's history if shrinking
  /// is off or did not help).
  std::vector<witness_op> witness;
  /// Where the witness starts. Unset: at the beginning of the history, the key
  /// absent. Set: a prefix of the key's history was cut off; the witness
  /// starts at time `witness_start` with the key holding one of
  /// `witness_initial_values` (nullopt element: absent) -- every value the
  /// cut-off operations may have left.
  std::optional<std::int64_t> witness_start;
  std::optional<std::vector<std::optional<std::string>>> witness_initial_values;
  std::uint64_t steps = 0;  ///< all keys, excluding shrinking
};

/// Checks a whole history (any number of keys). Throws bad_history if an
/// operation is malformed (e.g. a put without a value, complete < invoke).
check_result check(const std::vector<operation>& history, const check_options& options = {});

/// Checks operations as one register, ignoring their keys: from the key being
/// absent, or, given `initial_values`, from the key holding one of them
/// (nullopt: absent). Used to re-check a witness on its own.
verdict check_register(const std::vector<operation>& ops, const check_options& options = {},
                       const std::vector<std::optional<std::string>>* initial_values = nullptr,
                       std::uint64_t* steps = nullptr);

/// Readable report: the verdict; for a violation, the key and the witness
/// table (with the file's line numbers if given, one per history operation).
std::string format_result(const check_result& result, const std::vector<operation>& history,
                          const std::vector<std::size_t>* line_numbers = nullptr);

}  // namespace actraft::lincheck
