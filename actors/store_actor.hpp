// The store actor owns the user's store and applies committed entries in
// log order: on its own thread, so a slow apply never stalls the node, or
// beside the node on CAF's scheduler (options::apply_on_own_thread).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "actraft/store.hpp"
#include "metrics_registry.hpp"
#include "protocol.hpp"
#include "store_files.hpp"

namespace actraft::actors {

struct store_state {
  static inline const char* name = "actraft.store";
  std::shared_ptr<store> user_store;
  std::uint64_t applied = 0;  ///< last index applied (or restored)
  /// Why the store cannot go on (a restore failed, entries went missing):
  /// then nothing more is applied, queried or snapshotted.
  std::optional<std::string> broken;
  std::shared_ptr<metrics_registry> metrics;
  /// Runs the user's snapshots and restores, which may take long, on a
  /// thread of its own; applies wait meanwhile, so they see one state.
  caf::actor io;
};

/// `applied`: the index the user's store already reflects: the snapshot it
/// restored, or its own state (start_store).
store_actor::behavior_type store_actor_impl(store_actor::stateful_pointer<store_state> self,
                                            std::shared_ptr<store> user_store,
                                            std::uint64_t applied,
                                            std::shared_ptr<metrics_registry> metrics,
                                            snapshot_files files);

}  // namespace actraft::actors
