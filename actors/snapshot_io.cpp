#include "snapshot_io.hpp"
#include "logging.hpp"

namespace actraft::actors {

namespace {

caf::error storage_failure(const storage::storage_error& e) {
  return make_error(errc::storage_failure, e.what());
}

/// Chunks of one transfer share the leader, its term and the snapshot.
bool same_transfer(const core::message& a, const core::message& b) {
  return a.from == b.from && a.term == b.term && a.snapshot == b.snapshot;
}

/// How often an unfinished transfer is checked for idleness.
std::chrono::milliseconds idle_step(const transfer_limits& l) {
  return std::min(l.idle_timeout, std::chrono::milliseconds(500));
}

}  // namespace

snapshot_io_actor::behavior_type snapshot_io_impl(
    snapshot_io_actor::stateful_pointer<snapshot_io_state> self, std::string dir,
    storage::storage_options opts, std::shared_ptr<spdlog::logger> logger, transfer_limits limits) {
  name_this_thread("actraft.snapio");
  self->state.limits = limits;
  self->state.dir = std::move(dir);
  self->state.opts = std::move(opts);
  self->state.logger = std::move(logger);
  return {
      [self](const chunk_request& req) -> caf::result<std::uint64_t, std::string> {
        auto& st = self->state;
        const auto& header = req.header;
        const auto offset = req.offset;
        const auto& data = req.data;
        if (offset == 0) {
          st.incoming.reset();  // a new transfer, or this one restarted
          auto w = storage::snapshot_writer::create(st.dir, header.snapshot, &st.opts);
          if (!w) return storage_failure(w.error());
          st.incoming.emplace(std::move(*w));
          st.incoming_header = header;
          st.expected = 0;
        } else if (!st.incoming || !same_transfer(header, st.incoming_header) ||
                   offset != st.expected) {
          // A chunk of a transfer that was replaced or never started here:
          // the sender starts again from offset 0.
          return make_error(errc::bad_request,
                            "snapshot chunk at offset " + std::to_string(offset) +
                                " does not continue the transfer under way");
        }
        // Bounded before a byte is written: the leader's snapshot is never
        // larger than this (its store is held in memory), an endless one is.
        if (st.expected + data.size() > st.limits.max_bytes) {
          st.incoming.reset();  // its temporary file goes
          st.logger->warn("refused a snapshot from node {}: larger than {} bytes", header.from.value,
                          st.limits.max_bytes);
          return make_error(errc::bad_request, "snapshot larger than " + std::to_string(st.limits.max_bytes) +
                                                   " bytes (the member's limit)");
        }
        if (auto r = st.incoming->write(data); !r) {
          st.incoming.reset();  // full disk: the next attempt starts afresh
          return storage_failure(r.error());
        }
        st.expected += data.size();
        if (!req.last) {
          // A transfer that stops here is dropped after a while, file and
          // all. Checked in short steps, not with one timer of the whole
          // timeout: a pending timer keeps this actor alive, and a node
          // that stops waits for it.
          st.last_chunk = self->clock().now();
          if (!st.watching) {
            st.watching = true;
            self->delayed_send(self, idle_step(st.limits), transfer_idle_signal{});
          }
          return {st.expected, std::string{}};
        }
        auto path = st.incoming->finish();
        st.incoming.reset();
        if (!path) return storage_failure(path.error());
        return {st.expected, std::move(*path)};
      },
      [self](transfer_idle_signal) {
        auto& st = self->state;
        st.watching = false;
        if (!st.incoming) return;
        if (self->clock().now() - st.last_chunk < st.limits.idle_timeout) {
          st.watching = true;
          self->delayed_send(self, idle_step(st.limits), transfer_idle_signal{});
          return;
        }
        st.logger->info("dropped the unfinished snapshot from node {}: no chunk for {} ms",
                        st.incoming_header.from.value, st.limits.idle_timeout.count());
        st.incoming.reset();
      },
      [self](stop_signal) {
        self->state.incoming.reset();
        self->quit();
      },
  };
}

}  // namespace actraft::actors
