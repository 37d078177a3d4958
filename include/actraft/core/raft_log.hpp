// The Raft log as the core sees it: a snapshot boundary followed by the
// entries after it, with the commit index and the durability boundary.
// A value type: copying a node copies its log.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "actraft/core/types.hpp"

namespace actraft::core {

class raft_log {
 public:
  raft_log() = default;
  /// A log restored from storage: everything given is already durable.
  raft_log(snapshot_meta snapshot, std::vector<entry> entries, log_index commit);

  [[nodiscard]] log_index first_index() const { return snapshot_.index + 1; }
  [[nodiscard]] log_index last_index() const { return snapshot_.index + entries_.size(); }
  [[nodiscard]] raft_term last_term() const;
  [[nodiscard]] log_index commit() const { return commit_; }
  [[nodiscard]] const snapshot_meta& snapshot() const { return snapshot_; }

  /// Term of the entry at `i`; the snapshot's term at its index; nothing if
  /// `i` is beyond the log or compacted away.
  [[nodiscard]] std::optional<raft_term> term_at(log_index i) const;
  [[nodiscard]] bool matches(log_index i, raft_term t) const { return term_at(i) == t; }
  /// The entry at `i` (precondition: first_index() <= i <= last_index()).
  [[nodiscard]] const entry& at(log_index i) const;

  /// §5.4.1: a candidate's log is at least as up-to-date as ours if its last
  /// term is higher, or equal with an index at least as high.
  [[nodiscard]] bool is_up_to_date(log_index last, raft_term term) const;

  /// Appends entries that directly follow the log. Returns false (and
  /// changes nothing) if `es` does not start at last_index() + 1.
  bool append(const std::vector<entry>& es);
  /// Removes every entry from `i` on (a conflicting suffix, §5.3).
  /// Never removes committed entries: returns false instead.
  bool truncate_from(log_index i);

  /// Entries in [lo, hi], at most `max_bytes` (but always at least one).
  [[nodiscard]] std::vector<entry> slice(log_index lo, log_index hi, std::size_t max_bytes) const;

  /// Fast backtracking: the largest index <= i whose term is <= t (or the
  /// first available boundary), with its term.
  [[nodiscard]] std::pair<log_index, raft_term> find_conflict_by_term(log_index i, raft_term t) const;

  /// Raises the commit index (never lowers it, never beyond last_index()).
  void commit_to(log_index i);

  /// Forgets the entries up to `meta.index` (committed, covered by a
  /// snapshot the caller has made durable). Returns false if that is not
  /// allowed (not committed, or not beyond the current snapshot).
  bool compact(const snapshot_meta& meta);
  /// Replaces the whole log by a snapshot received from the leader (§7:
  /// "discard the entire log"); everything up to it counts as committed.
  void restore(const snapshot_meta& meta);

  /// Entries at or above this index are not known to be durable.
  [[nodiscard]] log_index unstable_from() const { return unstable_from_; }
  /// The entries a caller must persist next, and marks them handed over.
  std::vector<entry> take_unstable();
  /// Index up to which the log is known durable (updated by mark_durable).
  [[nodiscard]] log_index durable() const { return durable_; }
  void mark_durable(log_index i);

 private:
  snapshot_meta snapshot_;
  std::vector<entry> entries_;  // entries_[k] has index snapshot_.index + 1 + k
  log_index commit_;
  log_index unstable_from_{1};
  log_index durable_;
};

}  // namespace actraft::core
