// Deletes the files the engine no longer needs (old snapshots, compacted WAL
// segments) a slice at a time, on a thread of its own. Internal to
// src/storage.
//
// Deleting a large file at once frees all its blocks in one file-system
// journal commit; on a file system mounted with `discard` that commit also
// trims them, and the log's next fdatasync waits for it (100 ms and more for
// a 160 MB snapshot here). Truncating the file by `chunk_bytes` at a time,
// `pause` apart, spreads the freeing over many commits (RocksDB's
// DeleteScheduler does the same with bytes_max_delete_chunk).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "actraft/storage/error.hpp"

namespace actraft::storage::detail {

/// What a retired file's name ends with until it is deleted.
inline constexpr const char* retired_suffix = ".retired";

class reclaimer {
 public:
  reclaimer(std::uint64_t chunk_bytes, std::chrono::milliseconds pause);
  /// Deletes what is still queued at once, then stops its thread.
  ~reclaimer();
  reclaimer(const reclaimer&) = delete;
  reclaimer& operator=(const reclaimer&) = delete;

  /// Queues `path` for deletion (the thread starts on first use).
  void add(std::string path);
  /// Blocks until every file queued so far is deleted (tests).
  void drain();

 private:
  void run();
  /// Deletes `path`, slice by slice unless stopping.
  void reclaim(const std::string& path);

  const std::uint64_t chunk_bytes_;
  const std::chrono::milliseconds pause_;
  std::mutex mutex_;
  std::condition_variable wake_, idle_;
  std::deque<std::string> queue_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

/// Takes `path` out of use: renamed to `<path>.retired` and queued on `r`,
/// or, without `r`, unlinked at once. The caller makes the directory
/// durable afterwards, as after an unlink.
result<void> retire(const std::string& path, reclaimer* r);

}  // namespace actraft::storage::detail
