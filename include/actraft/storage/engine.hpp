// Durable Raft state in one data directory: the log (a segmented WAL), the
// hard state (term, vote, commit; stored as WAL records so it becomes
// durable in the same fdatasync as the entries of the same ready batch) and
// snapshot files. See docs/storage.md for the on-disk format and the
// recovery rules.
//
// One owner drives it (the log actor): append/save/truncate only buffer,
// sync() makes everything so far durable with one write and one fdatasync.
// `group_commit` lets many threads share those fsyncs.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "actraft/core/node.hpp"
#include "actraft/core/types.hpp"
#include "actraft/storage/error.hpp"
#include "actraft/storage/options.hpp"
#include "actraft/storage/snapshot_reader.hpp"
#include "actraft/storage/snapshot_writer.hpp"

namespace actraft::storage {

namespace detail {
class wal;
class dir_lock;
class reclaimer;
}  // namespace detail

class group_commit;

/// The storage engine of one node: see the top of this file.
class engine {
 public:
  /// Opens (creating if needed) the data directory and recovers from it. A
  /// missing or empty directory is a new node. Fails with `locked` if the
  /// directory is in use, `corruption` (naming file and offset) for damaged
  /// data, `unsupported_version`, or `permission_denied`.
  static result<std::unique_ptr<engine>> open(const std::string& dir, storage_options opts = {});

  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;
  /// Closes without syncing: whatever sync() did not confirm may be lost,
  /// exactly as in a crash.
  ~engine();

  /// What a node restarts from: hard state, the snapshot in force and the
  /// entries after it. Reflects everything appended so far (not only the
  /// durable part): right after open that is the recovered state.
  [[nodiscard]] core::persisted_state state() const;
  /// Warnings from recovery (torn tails truncated, leftovers removed).
  [[nodiscard]] const std::vector<std::string>& warnings() const { return warnings_; }

  // --- Writes: buffered until sync() --------------------------------------

  /// Appends consecutive entries. If the first index is at or below
  /// last_index(), the stored suffix from that index on is replaced (§5.3).
  /// Fails with `invalid_argument` for gaps, non-consecutive indexes or
  /// entries the snapshot already covers.
  result<void> append(std::span<const core::entry> entries);
  /// Records a new hard state.
  result<void> save(const core::hard_state& hs);
  /// Removes the entries from `from` on (a no-op beyond last_index()).
  result<void> truncate_suffix(core::log_index from);
  /// Writes everything buffered and fdatasyncs; returns durable_index().
  /// On `no_space` nothing buffered is lost: free space and call it again.
  result<core::log_index> sync();

  // --- Snapshots ----------------------------------------------------------

  /// Starts streaming a snapshot (not below the current snapshot's index).
  /// The writer must not outlive this engine.
  result<snapshot_writer> begin_snapshot(const core::snapshot_meta& meta);
  /// Puts a finished snapshot in force: completes its file durably, then,
  /// unless the log holds the snapshot's last entry with the same term (in
  /// which case the entries after it stay, §7), discards the log; syncs;
  /// removes the older snapshot file. Does not compact: see compact().
  result<void> commit_snapshot(snapshot_writer& writer);
  /// The bookkeeping half of commit_snapshot, for a writer finished
  /// elsewhere (another thread wrote and synced the file, `finish` returned
  /// `path`): puts it in force exactly as commit_snapshot does. A finished
  /// file is already what recovery would pick up after a crash.
  result<void> adopt_snapshot(const core::snapshot_meta& meta, const std::string& path);
  /// begin_snapshot + one write + commit_snapshot.
  result<void> save_snapshot(const core::snapshot_meta& meta, std::span<const std::uint8_t> data);
  /// Reads the snapshot in force (`not_found` if there is none).
  [[nodiscard]] result<snapshot_reader> open_snapshot() const;
  /// Forgets entries up to `upto` (at most the snapshot's index) but the
  /// last `keep_entries` of them, deleting every WAL segment that holds only
  /// forgotten entries. Returns the number of segments deleted.
  result<std::size_t> compact(core::log_index upto);

  // --- Reads ----------------------------------------------------------------

  /// Oldest entry still held (compaction point + 1).
  [[nodiscard]] core::log_index first_index() const { return base_ + 1; }
  [[nodiscard]] core::log_index last_index() const { return base_ + log_.size(); }
  /// Everything up to here is on disk (and still part of the log).
  [[nodiscard]] core::log_index durable_index() const { return durable_; }
  /// Term of the entry at `i`, the snapshot's term at its index, else nothing.
  [[nodiscard]] std::optional<core::raft_term> term_at(core::log_index i) const;
  /// Entries in [lo, hi]; `not_found` if the range is not held.
  [[nodiscard]] result<std::vector<core::entry>> entries(core::log_index lo, core::log_index hi) const;
  [[nodiscard]] const core::hard_state& current_hard_state() const { return hs_; }
  [[nodiscard]] const core::snapshot_meta& snapshot() const { return snap_; }
  /// The file of the snapshot in force; empty if there is none.
  [[nodiscard]] const std::string& snapshot_path() const { return snap_path_; }
  [[nodiscard]] bool has_pending() const;
  [[nodiscard]] std::size_t segment_count() const;
  [[nodiscard]] const std::string& dir() const { return dir_; }
  [[nodiscard]] const storage_options& options() const { return opts_; }
  /// Waits until the files retired so far are deleted
  /// (storage_options::reclaim_chunk_bytes; for tests).
  void wait_reclaimed();

 private:
  friend class group_commit;
  struct sync_job;
  struct sync_job_deleter {
    void operator()(sync_job* job) const;
  };
  using sync_job_ptr = std::unique_ptr<sync_job, sync_job_deleter>;

  engine(std::string dir, storage_options opts);
  result<void> recover();
  void warn(std::string msg);
  /// Removes entries from `from` on in memory and lowers the durable mark.
  void drop_from(core::log_index from);
  void reset_to(core::log_index base);

  // The three steps of sync(), split for group_commit: begin and end run
  // under its lock; write runs outside it, touching files only.
  sync_job_ptr begin_sync();
  result<void> write_sync(sync_job& job);
  void end_sync(sync_job& job, bool ok);

  std::string dir_;
  storage_options opts_;
  std::unique_ptr<detail::dir_lock> lock_;
  std::unique_ptr<detail::reclaimer> reclaimer_;  // null: files are unlinked at once
  std::unique_ptr<detail::wal> wal_;
  std::vector<std::string> warnings_;

  core::hard_state hs_;
  core::snapshot_meta snap_;
  std::string snap_path_;          // empty: no snapshot file yet
  std::deque<core::entry> log_;    // entries base_+1 .. last_index()
  core::log_index base_;
  core::log_index durable_;
  core::log_index sync_floor_;     // lowest truncation point since begin_sync
};

}  // namespace actraft::storage
