// Streams a snapshot into the data directory. The bytes go to a temporary
// file; only `engine::commit_snapshot` makes it the snapshot in force
// (fsync, rename, directory fsync), so a crash while writing leaves the
// previous snapshot untouched.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "actraft/core/types.hpp"
#include "actraft/storage/error.hpp"
#include "actraft/storage/options.hpp"

namespace actraft::storage {

class snapshot_writer {
 public:
  snapshot_writer(snapshot_writer&&) noexcept;
  snapshot_writer& operator=(snapshot_writer&&) noexcept;
  snapshot_writer(const snapshot_writer&) = delete;
  snapshot_writer& operator=(const snapshot_writer&) = delete;
  /// Removes the temporary file unless the snapshot was committed.
  ~snapshot_writer();

  /// Appends a chunk of snapshot data (buffered; any size). After an error
  /// the writer is unusable: drop it and start again (e.g. once space is freed).
  result<void> write(std::span<const std::uint8_t> chunk);

  [[nodiscard]] const core::snapshot_meta& meta() const;
  /// Data bytes written so far.
  [[nodiscard]] std::uint64_t size() const;

  /// Creates a writer for `dir` without a storage. `finish` then completes
  /// the file; engine::commit_snapshot does both that and the bookkeeping.
  /// Two writers of the same snapshot at once (a member's own, and one a
  /// leader sends) need distinct `tmp_prefix`es for their temporary files.
  static result<snapshot_writer> create(const std::string& dir, const core::snapshot_meta& meta,
                                        const storage_options* opts, const std::string& tmp_prefix = "");
  /// Writes the footer, fsyncs, renames into place, fsyncs the directory.
  /// Returns the final path.
  result<std::string> finish();

 private:
  struct impl;
  explicit snapshot_writer(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace actraft::storage
