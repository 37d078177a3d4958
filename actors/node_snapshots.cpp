// The node actor's snapshots: taking one when enough was applied, sending
// the leader's to a follower that needs it (a detached sender per
// follower, chunk by chunk), and installing one that arrives. See
// docs/architecture.md, "Life of a snapshot".
#include <algorithm>
#include <utility>

#include "logging.hpp"
#include "node_parts.hpp"
#include "snapshot_sender.hpp"

namespace actraft::actors::node_impl {

namespace {

/// A snapshot file is durable and in force: the core forgets the log behind
/// it, but for the trailing entries kept for briefly lagging followers.
void snapshot_in_force(self_ptr self, const core::snapshot_meta& meta, const std::string& path) {
  auto& st = self->state;
  st.snapshot = meta;
  st.snapshot_path = path;
  if (!st.core || meta.index.value <= st.opts.snapshot_keep_entries) return;
  const core::log_index point{meta.index.value - st.opts.snapshot_keep_entries};
  if (point > st.core->log().snapshot().index) st.core->compact(point);
}

void snapshot_failed(self_ptr self, const caf::error& err) {
  auto& st = self->state;
  st.snapshotting = false;
  st.snapshot_retry_after = clock::now() + std::chrono::seconds(1);
  st.log_->warn("cannot take a snapshot ({}); retrying later", caf::to_string(err));
}

/// What a follower checks before writing a chunk of a leader's snapshot.
std::string check_chunk(const node_state& st, const core::message& h, const bytes& data) {
  const auto& meta = h.snapshot;
  if (h.type != core::message_type::snapshot || h.to != st.core->id() || h.index != meta.index ||
      h.log_term != meta.term || meta.index == core::log_index{0} || meta.term > h.term ||
      meta.config.voter_count() == 0)
    return "malformed snapshot header";
  if (data.size() > 64u * 1024 * 1024) return "snapshot chunk larger than 64 MiB";
  if (h.term < st.core->term()) return "snapshot from a leader of an old term";
  if (meta.index <= st.core->log().commit())
    return "snapshot not needed: this member has committed index " +
           std::to_string(st.core->log().commit().value);
  return {};
}

/// The last chunk made the received snapshot durable: put it in force, then
/// let the core know (which makes it restore the store and answer the leader).
void install_received(self_ptr self, core::message header, std::string path, std::uint64_t size,
                      caf::typed_response_promise<std::uint64_t> rp) {
  auto& st = self->state;
  st.installing = true;
  self->request(st.log, caf::infinite, install_atom::value, header.snapshot, path)
      .then(
          [self, header, path, size, rp](std::uint64_t in_force) mutable {
            auto& s = self->state;
            s.installing = false;
            if (s.mode != node_mode::running || !s.core) {
              rp.deliver(make_error(errc::shutting_down, "node is shutting down"));
              return;
            }
            if (in_force == header.snapshot.index.value) {
              snapshot_in_force(self, header.snapshot, path);
              s.log_->info("installed the snapshot at index {} ({} bytes) from node {}", in_force,
                           size, header.from.value);
              s.core->step(header);
            }
            drive(self);
            rp.deliver(size);
          },
          [self, rp](const caf::error& err) mutable {
            auto& s = self->state;
            s.installing = false;
            s.log_->error("cannot install a received snapshot: {}", caf::to_string(err));
            rp.deliver(err);
            drive(self);
          });
}

}  // namespace

/// Leader: streams the snapshot in force to a follower that needs entries
/// compacted away (§7). The core only says so; the data goes in chunks.
void start_transfer(self_ptr self, core::message m) {
  auto& st = self->state;
  const auto to = m.to;
  if (st.transfers.count(to) != 0) return;  // one is on its way already
  auto it = st.peers.find(to);
  if (it == st.peers.end() || !it->second.remote || st.snapshot_path.empty() ||
      st.snapshot.index < m.snapshot.index) {
    st.core->report_snapshot_failure(to);  // offered again later
    return;
  }
  // The file may be newer than the core's compaction point (the core keeps
  // trailing entries behind it): the message describes the file.
  m.index = st.snapshot.index;
  m.log_term = st.snapshot.term;
  m.snapshot = st.snapshot;
  snapshot_transfer t;
  t.path = st.snapshot_path;
  t.header = std::move(m);
  t.remote = it->second.remote;
  t.node = caf::actor_cast<node_actor>(self);
  t.chunk_bytes = st.opts.snapshot_chunk_bytes;
  t.timeout = std::max<caf::timespan>(st.opts.request_timeout, std::chrono::seconds(10));
  st.transfers.emplace(to, self->spawn<caf::detached>(snapshot_sender_impl, std::move(t), st.log_));
}

void on_sent(self_ptr self, core::node_id to, bool ok) {
  auto& s = self->state;
  s.transfers.erase(to);
  if (!ok && s.core) {
    s.core->report_snapshot_failure(to);  // offered again later, from offset 0
    drive(self);
  }
}

/// Takes a snapshot once enough was applied since the last one. The store
/// serializes on its thread, the snapshot io actor writes on its own, and
/// the log actor only renames it into force: proposals keep flowing.
void maybe_snapshot(self_ptr self) {
  auto& st = self->state;
  if (st.snapshotting || st.installing || !st.core || st.mode != node_mode::running) return;
  const auto since = st.applied_index - std::min(st.applied_index, st.snapshot.index.value);
  const bool by_count = st.opts.snapshot_entries > 0 && since >= st.opts.snapshot_entries;
  const bool by_size = st.opts.snapshot_bytes > 0 && st.bytes_since_snapshot >= st.opts.snapshot_bytes;
  if ((!by_count && !by_size) || clock::now() < st.snapshot_retry_after) return;
  st.snapshotting = true;
  st.bytes_since_snapshot = 0;
  auto on_error = [self](const caf::error& err) { snapshot_failed(self, err); };
  self->request(st.store, caf::infinite, snap_atom::value)
      .then(
          [self, on_error](std::uint64_t index, bytes& data) {
            auto& s = self->state;
            std::optional<core::snapshot_meta> meta;
            if (s.core && s.mode == node_mode::running)
              meta = s.core->snapshot_meta_at(core::log_index{index});
            if (!meta || meta->index <= s.snapshot.index) {
              s.snapshotting = false;
              return;
            }
            const auto size = data.size();
            self->request(s.snapshot_io, caf::infinite, write_atom::value, *meta, std::move(data))
                .then(
                    [self, meta = *meta, size, on_error](std::string& path) {
                      self->request(self->state.log, caf::infinite, install_atom::value, meta, path)
                          .then(
                              [self, meta, path, size](std::uint64_t in_force) {
                                auto& st2 = self->state;
                                st2.snapshotting = false;
                                if (in_force != meta.index.value) return;  // a newer one won
                                snapshot_in_force(self, meta, path);
                                st2.log_->info("took a snapshot at index {} ({} bytes)", in_force, size);
                              },
                              on_error);
                    },
                    on_error);
          },
          on_error);
}

caf::result<std::uint64_t> on_chunk(self_ptr self, core::message header, std::uint64_t offset,
                                    bytes data, bool last) {
  auto& s = self->state;
  if (s.mode != node_mode::running || !s.core)
    return make_error(errc::shutting_down, "node is not running");
  if (auto why = check_chunk(s, header, data); !why.empty())
    return make_error(errc::bad_request, std::move(why));
  // One install at a time (two leaders of different terms could both be
  // sending); the other sender fails and its leader offers it again.
  if (s.installing) return make_error(errc::bad_request, "another snapshot is being installed");
  auto rp = self->make_response_promise<std::uint64_t>();
  self->request(s.snapshot_io, caf::infinite, chunk_atom::value, header, offset, std::move(data),
                last)
      .then(
          [self, header, rp](std::uint64_t next, std::string& path) mutable {
            if (path.empty())
              rp.deliver(next);
            else
              install_received(self, std::move(header), std::move(path), next, rp);
          },
          [rp](const caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

void restore_store(self_ptr self, const core::snapshot_meta& meta) {
  auto& st = self->state;
  // The snapshot is already durable and in force on disk (it was installed
  // before the core heard of it): the store becomes that snapshot before any
  // later entry is applied (the store actor handles its messages in order).
  const auto index = meta.index.value;
  self->request(st.store, caf::infinite, restore_atom::value, st.snapshot_path, index)
      .then(
          // Applied once the store holds it (status must not run ahead of
          // what the store can answer); later entries' results come after.
          [self](std::uint64_t restored) {
            auto& s = self->state;
            s.applied_index = std::max(s.applied_index, restored);
            if (s.removal_index && s.applied_index >= *s.removal_index) enter_removed(self);
          },
          [self](const caf::error& err) {
            self->state.log_->error("cannot restore the store from the snapshot ({}); stopping",
                                    caf::to_string(err));
            fail_everything(self, errc::storage_failure, "cannot restore the store");
            stop(self);
          });
  st.bytes_since_snapshot = 0;
  // Membership: the snapshot's configuration is the one in force there.
  if (meta.config.find(st.core->id()) != nullptr)
    st.was_member = true;
  else if (st.was_member)
    st.removal_index = index;
}

}  // namespace actraft::actors::node_impl
