#include "log_actor.hpp"

#include <cstdio>

#include "actraft/storage/identity.hpp"
#include "logging.hpp"

namespace actraft::actors {

log_actor::behavior_type log_actor_impl(log_actor::stateful_pointer<log_state> self,
                                        std::shared_ptr<storage::engine> disk,
                                        std::shared_ptr<spdlog::logger> log) {
  name_this_thread("actraft.log");
  self->state.disk = std::move(disk);
  self->state.log_ = std::move(log);
  return {
      [self](persist_atom, bool has_state, const core::hard_state& hs,
             const std::vector<core::entry>& entries,
             std::vector<peer_batch>& after_sync) -> caf::result<std::uint64_t> {
        auto& store = *self->state.disk;
        if (!entries.empty()) {
          if (auto r = store.append(entries); !r)
            return make_error(errc::storage_failure, r.error().what());
        }
        if (has_state) {
          if (auto r = store.save(hs); !r) return make_error(errc::storage_failure, r.error().what());
        }
        auto synced = store.sync();
        if (!synced) return make_error(errc::storage_failure, synced.error().what());
        for (auto& b : after_sync) self->send(b.to, raft_atom::value, std::move(b.messages));
        return synced->value;
      },
      [self](install_atom, const core::snapshot_meta& meta,
             const std::string& path) -> caf::result<std::uint64_t> {
        auto& store = *self->state.disk;
        if (meta.index < store.snapshot().index) {
          // A newer one is in force already: this file is of no use.
          if (path != store.snapshot_path()) std::remove(path.c_str());
          return store.snapshot().index.value;
        }
        if (auto r = store.adopt_snapshot(meta, path); !r)
          return make_error(errc::storage_failure, r.error().what());
        // The WAL behind the snapshot goes, but for the trailing entries the
        // storage options keep (whole segments only).
        if (auto r = store.compact(meta.index); !r)
          self->state.log_->warn("cannot compact the log: {}", r.error().what());
        return meta.index.value;
      },
      [self](removed_atom) -> caf::result<bool> {
        const auto& dir = self->state.disk->dir();
        auto id = storage::load_identity(dir);
        if (id && *id && !(*id)->removed) {
          (*id)->removed = true;
          if (auto r = storage::save_identity(dir, **id); !r) id = r.error();
        }
        if (!id) {
          self->state.log_->error("cannot record the removal in '{}': {}", dir, id.error().what());
          return make_error(errc::storage_failure, id.error().what());
        }
        return true;
      },
      [self](stop_atom) {
        // Closing the storage releases the data directory's lock.
        self->state.disk.reset();
        self->quit();
      },
  };
}

}  // namespace actraft::actors
