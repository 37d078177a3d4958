#include "log_actor.hpp"

namespace actraft::actors {

log_actor::behavior_type log_actor_impl(log_actor::stateful_pointer<log_state> self,
                                        std::shared_ptr<storage::engine> disk,
                                        std::shared_ptr<spdlog::logger> log) {
  self->state.disk = std::move(disk);
  self->state.log_ = std::move(log);
  return {
      [self](persist_atom, bool has_state, const core::hard_state& hs,
             const std::vector<core::entry>& entries) -> caf::result<std::uint64_t> {
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
        return synced->value;
      },
      [self](persist_atom, const core::hard_state& hs) {
        if (auto r = self->state.disk->save(hs); !r)
          self->state.log_->warn("cannot record the commit index: {}", r.error().what());
      },
      [self](stop_atom) {
        // Closing the storage releases the data directory's lock.
        self->state.disk.reset();
        self->quit();
      },
  };
}

}  // namespace actraft::actors
