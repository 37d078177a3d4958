// The Raft safety properties (Raft paper, Figure 3) as checks the simulator
// runs after every step, plus a few the simulator adds (commit agreement,
// apply order, exactly-once apply; the clients' checks are in clients.hpp).
//
// Every check is a named function that returns an empty string when the
// property holds and otherwise a description of the violation. The
// `invariant_checker` keeps the history they need (every leader ever seen,
// every entry ever committed or applied) and a shadow of every node's log with
// a prefix hash chain, so checks cost O(changed entries), not O(log).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "actraft/core/node.hpp"
#include "actraft/core/types.hpp"

namespace actraft::sim {

/// Names of the properties, as they appear in reports.
namespace invariant {
inline constexpr const char* election_safety = "Election Safety";
inline constexpr const char* leader_append_only = "Leader Append-Only";
inline constexpr const char* log_matching = "Log Matching";
inline constexpr const char* leader_completeness = "Leader Completeness";
inline constexpr const char* state_machine_safety = "State Machine Safety";
inline constexpr const char* commit_agreement = "Commit Agreement";
inline constexpr const char* apply_order = "Apply Order";
inline constexpr const char* exactly_once = "Exactly-Once Apply";
inline constexpr const char* exactly_once_answer = "Exactly-Once Answer";
inline constexpr const char* answer_integrity = "Answer Integrity";
inline constexpr const char* linearizable_read = "Linearizable Read";
inline constexpr const char* answer_by_deadline = "Answer by Deadline";
inline constexpr const char* internal_invariant = "Internal Invariant";
inline constexpr const char* acknowledged_durable = "Acknowledged Proposals Survive";
inline constexpr const char* liveness = "Liveness";
inline constexpr const char* core_contract = "Core Contract";
inline constexpr const char* snapshot_safety = "Snapshot Safety";
}  // namespace invariant

struct violation {
  std::string invariant;
  std::string description;
};

/// What the checker remembers of one log entry.
struct shadow_entry {
  core::raft_term term;
  core::entry_kind kind = core::entry_kind::normal;
  core::payload data;
};

/// A copy of a log's (term, kind, payload) sequence with a prefix hash chain:
/// hash(i) covers entries 1..i, so two logs agree on a whole prefix iff the
/// hashes at its end agree.
class shadow_log {
 public:
  shadow_log();
  explicit shadow_log(const std::vector<core::entry>& entries);

  [[nodiscard]] std::uint64_t last() const { return entries_.size() - 1; }
  [[nodiscard]] const shadow_entry& at(std::uint64_t i) const { return entries_[i]; }
  [[nodiscard]] core::raft_term term(std::uint64_t i) const { return entries_[i].term; }
  [[nodiscard]] std::uint64_t hash(std::uint64_t i) const { return hashes_[i]; }

  /// Makes this shadow equal to `log`. Returns the first index that changed
  /// (an entry replaced or removed, or one appended), or 0 if nothing did.
  /// Entries a snapshot covers are taken from `committed` (a snapshot holds
  /// committed entries only); if it does not reach that far, `error` says so.
  std::uint64_t sync(const core::raft_log& log, const shadow_log& committed, std::string& error);
  /// Appends one entry at last() + 1.
  void push(core::raft_term term, core::entry_kind kind, const core::payload& data);
  /// Keeps entries 1..n.
  void truncate(std::uint64_t n);

 private:
  std::vector<shadow_entry> entries_;  // [0] is a sentinel for index 0
  std::vector<std::uint64_t> hashes_;
};

/// A payload holding `text` (out of line: GCC 12 misreports
/// -Wfree-nonheap-object when payload(std::string) is inlined with a literal).
core::payload command(const std::string& text);

bool same_entry(const shadow_entry& a, const core::entry& b);
bool same_entry(const shadow_entry& a, const shadow_entry& b);
/// `(7,t3 "p12")` for reports.
std::string describe(std::uint64_t index, const shadow_entry& e);
std::string describe(const core::entry& e);

// ---------------------------------------------------------------------------
// The named checks. Each returns "" when the property holds.

/// At most one leader per term: `leaders` remembers every (term -> leader).
std::string check_election_safety(std::map<core::raft_term, core::node_id>& leaders,
                                  core::node_id node, core::role role, core::raft_term term);

/// A leader never overwrites or deletes entries of its log while it stays
/// leader in a term. `first_changed` is what shadow_log::sync returned,
/// `old_last` the last index before the step.
std::string check_leader_append_only(core::node_id node, bool was_leader_same_term,
                                     core::raft_term term, std::uint64_t first_changed,
                                     std::uint64_t old_last);

/// If two logs hold an entry with the same index and term, they are identical
/// in all entries up through that index. Checked at the highest index where
/// the terms agree: equal prefix hashes there cover every lower index.
std::string check_log_matching(core::node_id a_id, const shadow_log& a, core::node_id b_id,
                               const shadow_log& b);

/// A leader holds every entry committed in an earlier term. `committed` is
/// the cluster-wide committed prefix; `upto` the last index of it committed
/// in a term before `term`.
std::string check_leader_completeness(core::node_id leader, core::raft_term term,
                                      const shadow_log& leader_log, const shadow_log& committed,
                                      std::uint64_t upto = ~std::uint64_t{0});

/// A node's commit index covers the same entries as every other node's:
/// `committed` is the cluster-wide committed prefix (extended here when the
/// node has committed further).
std::string check_commit_agreement(core::node_id node, std::uint64_t commit,
                                   const shadow_log& node_log, shadow_log& committed);

/// No two nodes apply different entries at one index: `first_applied[i]` is
/// the first entry anyone applied at index i (extended here).
std::string check_state_machine_safety(core::node_id node, const core::entry& e,
                                       std::vector<shadow_entry>& first_applied);

/// Entries are applied in index order without gaps.
std::string check_apply_order(core::node_id node, std::uint64_t last_applied,
                              const core::entry& e);

// ---------------------------------------------------------------------------

/// Drives the checks with the cluster's history. The cluster calls it after
/// every step with the nodes that step touched.
class invariant_checker {
 public:
  explicit invariant_checker(int nodes);

  /// After a step: re-reads the touched nodes (nullptr = down) and checks.
  std::optional<violation> after_step(const std::vector<int>& touched,
                                      const std::vector<const core::node*>& nodes);
  /// A node applies `e`; `last_applied` is its state machine's last index.
  std::optional<violation> on_apply(core::node_id node, std::uint64_t last_applied,
                                    const core::entry& e);
  /// A node's state machine is restored from a snapshot holding `data`
  /// (the entries applied up to its index): they must be what was applied.
  std::optional<violation> on_restore(core::node_id node, const std::vector<core::entry>& data);
  void on_crash(core::node_id node);

  [[nodiscard]] const shadow_log& committed() const { return committed_; }
  [[nodiscard]] const shadow_log& log_of(core::node_id n) const;
  [[nodiscard]] const std::map<core::raft_term, core::node_id>& leaders() const { return leaders_; }
  /// The entry first applied at index `i` by any node (nullptr if none yet).
  [[nodiscard]] const shadow_entry* first_applied(std::uint64_t i) const;

 private:
  struct node_state {
    shadow_log log;
    bool up = true;
    core::role role = core::role::follower;
    core::raft_term term;
  };
  std::vector<node_state> nodes_;  // [k] is node id k + 1
  std::map<core::raft_term, core::node_id> leaders_;
  shadow_log committed_;
  std::vector<core::raft_term> commit_terms_;  // [i - 1]: the term index i was committed in
  std::vector<shadow_entry> first_applied_;  // [i - 1] for index i
  std::unordered_map<std::string, std::uint64_t> applied_payload_index_;
};

}  // namespace actraft::sim
