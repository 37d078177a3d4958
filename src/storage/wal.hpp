// The segmented write-ahead log: an append-only sequence of framed records
// spread over files wal-<sequence>.log in the data directory. It knows
// records, segments and durability, not Raft: `storage` gives the records
// their meaning. Internal to src/storage.
//
// Writing is split in three steps so a group commit can let appenders keep
// adding records while one thread writes and syncs: add() encodes into the
// pending batch, take() hands that batch over, write() stores and syncs it.
// add/take/give_back touch only the pending batch; write/remove_through only
// the files; the caller serialises each group but may overlap the two.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "actraft/storage/error.hpp"
#include "actraft/storage/options.hpp"
#include "file.hpp"
#include "reclaimer.hpp"
#include "record.hpp"

namespace actraft::storage::detail {

class wal {
 public:
  /// Encoded records not yet in a file.
  struct batch {
    struct record {
      std::size_t offset = 0;
      std::size_t size = 0;
      record_type type = record_type::entry;
      std::uint64_t max_index = 0;  ///< highest entry index it carries (0: none)
    };
    byte_vector data;
    std::vector<record> records;
    [[nodiscard]] bool empty() const { return records.empty(); }
  };

  /// Called for every record found on open, in order; returns the highest
  /// entry index the record carries (0 if none) or an error naming it.
  using replay_fn = std::function<result<std::uint64_t>(
      record_type, std::span<const std::uint8_t> payload, const std::string& path, std::size_t offset)>;

  /// Scans every segment of `dir`, truncating a torn tail of the last one.
  static result<std::unique_ptr<wal>> open(const std::string& dir, const storage_options* opts,
                                           const replay_fn& replay,
                                           std::vector<std::string>& warnings);

  template <class T>
  void add(record_type type, const T& value, std::uint64_t max_index) {
    auto start = pending_.data.size();
    append_record(pending_.data, type, value);
    pending_.records.push_back({start, pending_.data.size() - start, type, max_index});
  }

  [[nodiscard]] bool has_pending() const { return !pending_.empty(); }
  [[nodiscard]] std::size_t pending_bytes() const { return pending_.data.size(); }
  /// Hands the pending records over to the caller (for write()).
  batch take();
  /// Puts records that write() could not store back in front of the pending ones.
  void give_back(batch&& b);

  /// Appends `b` to the segments (rolling as needed) and makes it durable.
  /// On a write failure (e.g. ENOSPC) the files are cut back to whole
  /// records and `b` keeps exactly the records that are not in a file, so
  /// the log stays consistent and the write can be retried. A failed fsync
  /// cannot be retried safely (the kernel may have dropped the dirty pages):
  /// the wal then refuses all further writes.
  result<void> write(batch& b);

  /// Deletes the oldest segments (never the one being written) whose entries
  /// all have index <= `index`. Returns how many were deleted.
  result<std::size_t> remove_through(std::uint64_t index);
  /// Where remove_through's segments go to be deleted (null: unlinked at once).
  void set_reclaimer(reclaimer* r) { reclaimer_ = r; }

  [[nodiscard]] std::size_t segment_count() const { return segments_.size(); }
  [[nodiscard]] bool broken() const { return broken_; }

 private:
  struct segment {
    std::uint64_t seq = 0;
    std::string path;
    std::uint64_t size = 0;
    std::uint64_t max_index = 0;
    bool body = false;  ///< holds records beyond the header and head hard state
  };

  wal(std::string dir, const storage_options* opts) : dir_(std::move(dir)), opts_(opts) {}
  [[nodiscard]] std::string segment_path(std::uint64_t seq) const;
  result<void> create_segment();
  result<void> seal_active();
  void cut_back(std::uint64_t size);
  /// Allocates the active segment's full size (storage_options::preallocate).
  void preallocate();

  std::string dir_;
  const storage_options* opts_;
  reclaimer* reclaimer_ = nullptr;
  std::vector<segment> segments_;  // oldest first; the last one is active_ if that is open
  file active_;
  std::uint64_t next_seq_ = 1;
  byte_vector head_state_;  // the newest framed hard_state record, copied into each new segment
  bool dir_dirty_ = false;  // a segment was created since the last directory fsync
  bool broken_ = false;
  batch pending_;
};

}  // namespace actraft::storage::detail
