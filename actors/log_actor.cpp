#include "log_actor.hpp"

#include <cstdio>

#include "actraft/storage/identity.hpp"
#include "logging.hpp"

namespace actraft::actors {

log_actor::behavior_type log_actor_impl(log_actor::stateful_pointer<log_state> self,
                                        std::shared_ptr<storage::engine> engine,
                                        std::shared_ptr<spdlog::logger> logger,
                                        std::shared_ptr<metrics_registry> metrics) {
  name_this_thread("actraft.log");
  self->state.disk = std::move(engine);
  self->state.logger = std::move(logger);
  self->state.metrics = std::move(metrics);
  return {
      [self](persist_request& req) -> caf::result<std::uint64_t> {
        auto& disk = *self->state.disk;
        const auto started = std::chrono::steady_clock::now();
        if (!req.entries.empty()) {
          if (auto r = disk.append(req.entries); !r)
            return make_error(errc::storage_failure, r.error().what());
        }
        if (req.state) {
          if (auto r = disk.save(*req.state); !r) return make_error(errc::storage_failure, r.error().what());
        }
        auto synced = disk.sync();
        if (!synced) return make_error(errc::storage_failure, synced.error().what());
        auto& m = *self->state.metrics;
        m.fsync_seconds.record(nanos_since(started));
        m.fsync_entries.record(req.entries.size());
        std::uint64_t data = 0;
        for (const auto& e : req.entries) data += e.data.size();
        m.log_bytes_written.fetch_add(data, std::memory_order_relaxed);
        for (auto& b : req.after_sync)
          self->send(b.to, raft_atom::value, req.from_address, std::move(b.messages));
        return synced->value;
      },
      [self](const install_request& req) -> caf::result<std::uint64_t> {
        auto& disk = *self->state.disk;
        if (req.meta.index < disk.snapshot().index) {
          // A newer one is in force already: this file is of no use.
          if (req.path != disk.snapshot_path()) std::remove(req.path.c_str());
          return disk.snapshot().index.value;
        }
        if (auto r = disk.adopt_snapshot(req.meta, req.path); !r)
          return make_error(errc::storage_failure, r.error().what());
        // The WAL behind the snapshot goes, but for the trailing entries the
        // storage options keep (whole segments only).
        if (auto r = disk.compact(req.meta.index); !r)
          self->state.logger->warn("cannot compact the log: {}", r.error().what());
        return req.meta.index.value;
      },
      [self](removed_request) -> caf::result<bool> {
        const auto& dir = self->state.disk->dir();
        auto id = storage::load_identity(dir);
        if (id && *id && !(*id)->removed) {
          (*id)->removed = true;
          if (auto r = storage::save_identity(dir, **id); !r) id = r.error();
        }
        if (!id) {
          self->state.logger->error("cannot record the removal in '{}': {}", dir, id.error().what());
          return make_error(errc::storage_failure, id.error().what());
        }
        return true;
      },
      [self](stop_signal) {
        // Closing the storage releases the data directory's lock.
        self->state.disk.reset();
        self->quit();
      },
  };
}

}  // namespace actraft::actors
