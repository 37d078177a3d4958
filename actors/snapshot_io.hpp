// The snapshot io actor writes snapshot files on its own thread (detached),
// so neither a large snapshot of this member's store nor one arriving from
// the leader ever stalls the log actor's writes. It finishes a file (data,
// footer, fsync, rename, directory fsync) and answers its path; putting the
// file in force is the log actor's job (storage::engine::adopt_snapshot).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "actraft/storage/options.hpp"
#include "actraft/storage/snapshot_writer.hpp"
#include "protocol.hpp"

namespace actraft::actors {

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
};

snapshot_io_actor::behavior_type snapshot_io_impl(
    snapshot_io_actor::stateful_pointer<snapshot_io_state> self, std::string dir,
    storage::storage_options opts, std::shared_ptr<spdlog::logger> logger);

}  // namespace actraft::actors
