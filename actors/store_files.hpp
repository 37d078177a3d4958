// The user's store and the snapshot files: a snapshot streamed out of the
// store into a new file, a file streamed back into the store (checksum
// first), and where the store starts when its node does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <spdlog/logger.h>

#include "actraft/core/types.hpp"
#include "actraft/storage/engine.hpp"
#include "actraft/storage/options.hpp"
#include "actraft/store.hpp"

namespace actraft::actors {

/// Where the store's own snapshots are written.
struct snapshot_files {
  std::string dir;
  storage::storage_options opts;
};

/// Replaces the user's store by the snapshot in the file at `path`: its
/// checksum is checked first, then it is streamed into store::read_snapshot
/// chunk by chunk (applying_index() is the snapshot's). With `index`, the
/// file must hold the snapshot at that index. Answers the data's size, or a
/// storage_failure naming what went wrong.
caf::expected<std::uint64_t> restore_from_file(store& s, const std::string& path,
                                               std::optional<std::uint64_t> index = std::nullopt);

/// Streams the store's state (store::write_snapshot, applying_index() the
/// snapshot's) into a new snapshot file with `meta`: durable, renamed, not
/// in force yet. Answers its path.
caf::expected<std::string> snapshot_to_file(store& s, const snapshot_files& files,
                                            const core::snapshot_meta& meta);

/// The store's capture_snapshot at `meta`'s index (run where apply runs):
/// null if the store has none; what it throws becomes a storage_failure.
caf::expected<std::shared_ptr<snapshot_capture>> capture_state(store& s, const core::snapshot_meta& meta);

/// Like snapshot_to_file, with what `capture` holds (snapshot_capture::write).
caf::expected<std::string> capture_to_file(snapshot_capture& capture, const snapshot_files& files,
                                           const core::snapshot_meta& meta);

/// Where a starting member's store starts: from its own state
/// (store::last_applied_index) where the log in `disk` allows, else from the
/// snapshot in force, restored (a store with nothing of its own and no
/// snapshot starts empty). Answers the index it starts at; throws
/// startup_error saying why it cannot start.
std::uint64_t start_store(caf::actor_system& sys, store& s, const storage::engine& disk,
                          const std::string& data_dir, spdlog::logger& logger);

}  // namespace actraft::actors
