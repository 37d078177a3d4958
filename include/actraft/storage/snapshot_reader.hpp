// Streams a snapshot's data back in chunks. Metadata, size and footer are
// checked when the reader is opened; the data checksum is checked when the
// last byte has been read, so a damaged snapshot is reported as corruption
// before a reader could mistake its end for success.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "actraft/core/types.hpp"
#include "actraft/storage/error.hpp"

namespace actraft::storage {

class snapshot_reader {
 public:
  snapshot_reader(snapshot_reader&&) noexcept;
  snapshot_reader& operator=(snapshot_reader&&) noexcept;
  snapshot_reader(const snapshot_reader&) = delete;
  snapshot_reader& operator=(const snapshot_reader&) = delete;
  ~snapshot_reader();

  /// Opens a snapshot file and checks everything but the data checksum.
  static result<snapshot_reader> open(const std::string& path);

  [[nodiscard]] const core::snapshot_meta& meta() const;
  /// Total data bytes.
  [[nodiscard]] std::uint64_t size() const;
  /// Data bytes not read yet.
  [[nodiscard]] std::uint64_t remaining() const;
  [[nodiscard]] const std::string& path() const;

  /// Reads up to `out.size()` bytes; 0 once everything was read. The call
  /// that reads the last byte fails with `corruption` if the data checksum
  /// does not match.
  result<std::size_t> read(std::span<std::uint8_t> out);
  /// The remaining data in one buffer (for small snapshots).
  result<core::bytes> read_all();
  /// Reads the remaining data and drops it: checks the checksum of a
  /// snapshot of any size in little memory.
  result<void> verify();

 private:
  struct impl;
  explicit snapshot_reader(std::unique_ptr<impl> p);
  std::unique_ptr<impl> impl_;
};

}  // namespace actraft::storage
