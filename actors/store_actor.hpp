// The store actor owns the user's store and applies committed entries in
// log order: on its own thread, so a slow apply never stalls the node, or
// beside the node on CAF's scheduler (options::apply_on_own_thread).
#pragma once

#include <memory>

#include "actraft/storage/options.hpp"
#include "actraft/store.hpp"
#include "metrics_registry.hpp"
#include "protocol.hpp"

namespace actraft::actors {

struct store_state {
  static inline const char* name = "actraft.store";
  std::shared_ptr<store> user_store;
  std::uint64_t applied = 0;  ///< last index applied (or restored)
  std::shared_ptr<metrics_registry> metrics;
  /// Runs the user's snapshots and restores, which may take long, on a
  /// thread of its own; applies wait meanwhile, so they see one state.
  caf::actor io;
};

/// Where the store's own snapshots are written.
struct snapshot_files {
  std::string dir;
  storage::storage_options opts;
};

/// Replaces the user's store by the snapshot in the file at `path` (its data
/// checksum is checked first), streamed chunk by chunk; answers the data's
/// size, or a storage_failure naming what went wrong. The store actor uses
/// it, and so does a restart, before the actor exists.
caf::expected<std::uint64_t> restore_from_file(store& s, const std::string& path);

/// Streams the store's state into a new snapshot file with `meta` (durable,
/// renamed, not in force yet); answers its path.
caf::expected<std::string> snapshot_to_file(store& s, const snapshot_files& files,
                                            const core::snapshot_meta& meta);

/// `applied`: the index the user's store already reflects (its snapshot's,
/// restored before the actor starts).
store_actor::behavior_type store_actor_impl(store_actor::stateful_pointer<store_state> self,
                                            std::shared_ptr<store> user_store,
                                            std::uint64_t applied,
                                            std::shared_ptr<metrics_registry> metrics,
                                            snapshot_files files);

}  // namespace actraft::actors
