// The snapshot io actor writes the snapshot arriving from a leader on its
// own thread (detached), so it never stalls the log actor's writes. It
// finishes the file (data, footer, fsync, rename, directory fsync) and
// answers its path; putting the file in force is the log actor's job
// (storage::engine::adopt_snapshot). The member's own snapshots are written
// by the store actor's helper thread, which streams the store into the file.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <caf/actor_clock.hpp>
#include <spdlog/logger.h>

#include "actraft/storage/options.hpp"
#include "actraft/storage/snapshot_writer.hpp"
#include "protocol.hpp"

namespace actraft::actors {

/// Bounds of a snapshot arriving from a leader: its total size, and how
/// long it may pause between two chunks before its partial file is deleted.
struct transfer_limits {
  std::uint64_t max_bytes = 64ull << 30;
  std::chrono::milliseconds idle_timeout{60'000};
};

struct snapshot_io_state {
  static inline const char* name = "actraft.snapshot_io";
  std::string dir;
  storage::storage_options opts;
  std::shared_ptr<spdlog::logger> logger;
  // The one transfer arriving from a leader, if any. A new transfer (a chunk
  // at offset 0) replaces an unfinished one, whose temporary file goes.
  std::optional<storage::snapshot_writer> incoming;
  core::message incoming_header;
  std::uint64_t expected = 0;  ///< offset of the next chunk
  transfer_limits limits;
  /// Of the transfer under way, on the actor clock the idle checks run on
  /// (simulated time under CAF's test coordinator).
  caf::actor_clock::time_point last_chunk;
  bool watching = false;  ///< an idle check is pending
};

snapshot_io_actor::behavior_type snapshot_io_impl(
    snapshot_io_actor::stateful_pointer<snapshot_io_state> self, std::string dir,
    storage::storage_options opts, std::shared_ptr<spdlog::logger> logger, transfer_limits limits);

}  // namespace actraft::actors
