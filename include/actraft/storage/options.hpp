// Tuning knobs and test seams of the storage layer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace actraft::storage {

/// An injected write failure (test seam): the write stores `written` bytes
/// of the requested size (never more), then fails with `error` (an errno).
struct write_fault {
  std::size_t written = 0;
  int error = 0;
};

struct storage_options {
  /// A segment is closed and a new one started once adding a record would
  /// take it past this size (a single larger record still gets a segment).
  std::uint64_t segment_size = 64ull << 20;
  /// Allocates each WAL segment's whole size when it is created, so the
  /// fdatasync after an append does not also have to commit a new file size
  /// to the file system's journal (on ext4 here: a third less time per sync
  /// for one writer; for three at once a quarter less and half the p99).
  /// The unwritten rest reads as zeros, which recovery tells from a torn
  /// write. Best effort: where fallocate fails (unsupported, disk full)
  /// writes extend the file as without it.
  bool preallocate = true;
  /// While a snapshot file is written, every this many bytes are handed to
  /// the disk at once (sync_file_range), and the writer waits until the
  /// bytes handed before are on it. So no more than about twice this much of
  /// a snapshot is ever waiting to be written: the log's fdatasync never
  /// queues behind tens of megabytes of snapshot (RocksDB's bytes_per_sync),
  /// and the final fsync has little left to do. 0: the file system decides.
  std::uint64_t snapshot_bytes_per_sync = 1ull << 20;
  /// Files the log no longer needs (old snapshots, compacted segments) are
  /// renamed `*.retired` and deleted on a thread of the engine's, by cutting
  /// this many bytes off at a time, 10 ms apart: deleting a large file at
  /// once frees (and, on a file system mounted with `discard`, trims) all
  /// its blocks in the journal commit the log's next fdatasync waits for.
  /// 0: unlinked at once, on the caller's thread. Retired files a crash
  /// left behind are deleted when the engine opens.
  std::uint64_t reclaim_chunk_bytes = 8ull << 20;
  /// Entries before a compaction point that are kept anyway (and the whole
  /// segments holding them), so slightly lagging followers can be served
  /// from the log instead of a snapshot.
  std::uint64_t keep_entries = 0;
  /// Reads every snapshot byte on open to check its checksum. Turning this
  /// off defers the data check to the reader (which reports corruption at
  /// the end of the stream).
  bool verify_snapshot_on_open = true;
  /// Receives warnings (for example "torn tail truncated"); they are also
  /// kept in `engine::warnings()`.
  std::function<void(const std::string&)> on_warning;
  /// Test seam: consulted before every data write with the file path and the
  /// size about to be written. Returning a fault makes the write fail as if
  /// the disk had filled up (or failed) after `written` bytes.
  std::function<std::optional<write_fault>(const std::string& path, std::size_t size)> fault;
};

}  // namespace actraft::storage
