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

}  // namespace

snapshot_io_actor::behavior_type snapshot_io_impl(
    snapshot_io_actor::stateful_pointer<snapshot_io_state> self, std::string dir,
    storage::storage_options opts, std::shared_ptr<spdlog::logger> log) {
  name_this_thread("actraft.snapio");
  self->state.dir = std::move(dir);
  self->state.opts = std::move(opts);
  self->state.log_ = std::move(log);
  return {
      [self](write_atom, const core::snapshot_meta& meta,
             const bytes& data) -> caf::result<std::string> {
        auto& st = self->state;
        auto w = storage::snapshot_writer::create(st.dir, meta, &st.opts);
        if (!w) return storage_failure(w.error());
        if (auto r = w->write(data); !r) return storage_failure(r.error());
        auto path = w->finish();
        if (!path) return storage_failure(path.error());
        return *path;
      },
      [self](chunk_atom, const core::message& header, std::uint64_t offset, const bytes& data,
             bool last) -> caf::result<std::uint64_t, std::string> {
        auto& st = self->state;
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
        if (auto r = st.incoming->write(data); !r) {
          st.incoming.reset();  // full disk: the next attempt starts afresh
          return storage_failure(r.error());
        }
        st.expected += data.size();
        if (!last) return {st.expected, std::string{}};
        auto path = st.incoming->finish();
        st.incoming.reset();
        if (!path) return storage_failure(path.error());
        return {st.expected, std::move(*path)};
      },
      [self](stop_atom) {
        self->state.incoming.reset();
        self->quit();
      },
  };
}

}  // namespace actraft::actors
