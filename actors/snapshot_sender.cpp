#include "snapshot_sender.hpp"
#include "logging.hpp"

#include <algorithm>

namespace actraft::actors {

namespace {

using self_ptr = snapshot_sender_actor::stateful_pointer<snapshot_sender_state>;

void done(self_ptr self, bool ok, const std::string& why = {}) {
  auto& st = self->state;
  const auto to = st.header.to.value;
  if (ok) {
    const auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - st.started).count();
    st.logger->info("sent the snapshot at index {} ({} bytes) to node {} in {:.2f} s ({:.1f} MB/s)",
                  st.header.snapshot.index.value, st.offset, to, secs,
                  secs > 0 ? static_cast<double>(st.offset) / secs / 1e6 : 0.0);
  } else {
    st.logger->warn("sending the snapshot at index {} to node {} failed after {} bytes: {}",
                  st.header.snapshot.index.value, to, st.offset, why);
  }
  self->send(st.node, sent_signal{to, ok});
  self->quit();
}

/// Sends chunks until the window is full or the file is all sent.
void send_more(self_ptr self) {
  auto& st = self->state;
  while (st.in_flight < st.window && !st.last_sent) {
    bytes chunk(static_cast<std::size_t>(std::min<std::uint64_t>(st.chunk_bytes, st.reader->remaining())));
    std::size_t filled = 0;
    while (filled < chunk.size()) {
      auto n = st.reader->read(std::span<std::uint8_t>(chunk).subspan(filled));
      if (!n) return done(self, false, n.error().what());
      if (*n == 0) break;
      filled += *n;
    }
    chunk.resize(filled);
    // The chunk that empties the file is the last (an empty snapshot still
    // travels as one empty last chunk); reading its final byte also checked
    // the data's checksum.
    const bool last = st.reader->remaining() == 0;
    const auto from = st.sent;
    const auto expect = from + filled;
    st.sent = expect;
    st.last_sent = last;
    ++st.in_flight;
    self->request(st.remote, st.timeout, chunk_atom::value, st.header, from, std::move(chunk), last)
        .then(
            [self, from, expect, last](std::uint64_t next) {
              auto& s = self->state;
              // Answers come in the order the chunks went: the follower
              // writes them one after the other.
              if (s.offset != from) return done(self, false, "the follower answered a chunk out of order");
              if (next != expect)
                return done(self, false, "follower expects offset " + std::to_string(next));
              s.metrics->snapshot_bytes_sent.fetch_add(next - s.offset, std::memory_order_relaxed);
              s.progress->sent.store(next, std::memory_order_relaxed);
              s.offset = next;
              --s.in_flight;
              if (last) return done(self, true);
              send_more(self);
            },
            [self](const caf::error& err) { done(self, false, caf::to_string(err)); });
  }
}

}  // namespace

snapshot_sender_actor::behavior_type snapshot_sender_impl(
    snapshot_sender_actor::stateful_pointer<snapshot_sender_state> self, snapshot_transfer t,
    std::shared_ptr<spdlog::logger> logger) {
  name_this_thread("actraft.sender");
  auto& st = self->state;
  st.header = std::move(t.header);
  st.remote = std::move(t.remote);
  st.node = std::move(t.node);
  st.chunk_bytes = t.chunk_bytes;
  st.window = std::max<std::size_t>(t.window, 1);
  st.timeout = t.timeout;
  st.logger = std::move(logger);
  st.metrics = std::move(t.metrics);
  st.progress = std::move(t.progress);
  st.started = std::chrono::steady_clock::now();
  auto reader = storage::snapshot_reader::open(t.path);
  if (!reader) {
    done(self, false, reader.error().what());
    return {[](stop_signal) {}};
  }
  st.reader.emplace(std::move(*reader));
  st.progress->total.store(st.reader->size(), std::memory_order_relaxed);
  st.logger->info("sending the snapshot at index {} ({} bytes) to node {}",
                st.header.snapshot.index.value, st.reader->size(), st.header.to.value);
  send_more(self);
  return {
      [self](stop_signal) { self->quit(); },
  };
}

}  // namespace actraft::actors
