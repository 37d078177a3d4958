// Writing to, answering on and ending the member transport's connections.
#include "transport_state.hpp"

namespace actraft::actors::detail {

using caf::io::connection_handle;

connection_handle handle_of(std::uint64_t id) {
  return connection_handle::from_int(static_cast<std::int64_t>(id));
}

std::string who(const connection& c) {
  if (c.member != 0) return "member " + std::to_string(c.member) + " (" + c.remote + ")";
  return c.remote;
}

void write_raw(broker_ptr self, std::uint64_t id, const std::vector<char>& bytes) {
  if (bytes.empty()) return;
  auto it = self->state.conns.find(id);
  if (it != self->state.conns.end()) {
    auto& c = it->second;
    if (c.overflowed) return;  // closing: nothing more is queued for it
    if (c.unsent == 0) c.last_progress = clock::now();
    c.unsent += bytes.size();
    if (c.unsent > 2 * self->state.limits.max_frame_bytes + max_small_frame) {
      self->state.logger->warn("dropping the connection with {}: {} bytes it has not read", who(c), c.unsent);
      // Closed by a message to ourselves, not here: the callers still hold
      // the connection.
      c.overflowed = true;
      self->send(self, close_request{id, "the peer does not read"});
      return;
    }
  }
  const auto hdl = handle_of(id);
  self->write(hdl, bytes.size(), bytes.data());
  self->flush(hdl);
}

/// Puts what TLS produced (handshake records, encrypted frames) on the wire.
void flush_tls(broker_ptr self, std::uint64_t id, connection& c) {
  if (!c.tls) return;
  std::vector<char> out;
  c.tls->take_output(out);
  write_raw(self, id, out);
}

void send_frame(broker_ptr self, std::uint64_t id, connection& c, const std::vector<char>& frame) {
  // A frame: its length (4 bytes), then its kind.
  if (frame.size() > 4) {
    const auto kind = static_cast<std::uint8_t>(frame[4]) % self->state.metrics->frame_bytes_sent.size();
    self->state.metrics->frame_bytes_sent[kind].fetch_add(frame.size(), std::memory_order_relaxed);
  }
  if (c.tls) {
    c.tls->send(frame.data(), frame.size());
    flush_tls(self, id, c);
  } else {
    write_raw(self, id, frame);
  }
}

/// Ends a connection: everyone waiting on it hears why.
void drop(broker_ptr self, std::uint64_t id, const std::string& why, errc code) {
  auto it = self->state.conns.find(id);
  if (it == self->state.conns.end()) return;
  auto c = std::move(it->second);
  self->state.conns.erase(it);
  self->close(handle_of(id));
  if (c.stub) self->send(c.stub, connection_lost{why});
  if (c.dial.pending()) c.dial.deliver(make_error(code, why));
  if (c.join_rp.pending()) c.join_rp.deliver(make_error(code, why));
}

/// Tells the peer why, then ends the connection.
void refuse(broker_ptr self, std::uint64_t id, const std::string& why) {
  auto it = self->state.conns.find(id);
  if (it == self->state.conns.end()) return;
  self->state.logger->warn("refused {}: {}", who(it->second), why);
  if (it->second.at != phase::handshake) send_frame(self, id, it->second, net::encode_refuse(why));
  drop(self, id, why);
}

caf::error as_error(const net::response& r) {
  return make_error(r.code >= 1 && r.code <= static_cast<std::uint8_t>(errc::unauthorized)
                        ? static_cast<errc>(r.code)
                        : errc::bad_request,
                    r.why);
}

net::response failure_of(std::uint64_t id, const caf::error& err, caf::actor_system& sys) {
  net::response r;
  r.id = id;
  r.ok = false;
  if (auto code = code_of(err)) {
    r.code = static_cast<std::uint8_t>(*code);
    if (err.context().match_elements<std::string>()) r.why = err.context().get_as<std::string>(0);
  } else {
    r.code = static_cast<std::uint8_t>(errc::timeout);
    r.why = sys.render(err);
  }
  return r;
}

net::response failure_of(std::uint64_t id, errc code, std::string why) {
  net::response r;
  r.id = id;
  r.code = static_cast<std::uint8_t>(code);
  r.why = std::move(why);
  return r;
}

/// Answers request `req_id` of op `kind` on connection `id`, if it is still there.
void answer(broker_ptr self, std::uint64_t id, net::op kind, const net::response& r) {
  auto it = self->state.conns.find(id);
  if (it == self->state.conns.end()) return;
  send_frame(self, id, it->second, net::encode(r, kind));
}

}  // namespace actraft::actors::detail
