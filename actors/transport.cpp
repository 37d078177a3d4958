// The member transport's broker (see transport.hpp): connections, TLS,
// hellos, frames, and the checks that bind what arrives to the member that
// sent it. Requests are served in transport_requests.cpp.
#include <unistd.h>

#include <algorithm>

#include "actraft/address.hpp"
#include "dial.hpp"
#include "transport_state.hpp"

namespace actraft::actors {

namespace {

using namespace detail;
using caf::io::connection_handle;

// --- hellos ----------------------------------------------------------------------------

net::hello my_hello(const transport_state& st) {
  net::hello h;
  h.cluster_id = st.me.cluster_id;
  h.member = st.me.member;
  h.address = st.me.address;
  return h;
}

/// A peer's hello on a connection it opened to us.
void inbound_hello(broker_ptr self, std::uint64_t id, const net::hello& h) {
  auto& st = self->state;
  auto& c = st.conns.at(id);
  if (h.version != net::wire_version)
    return refuse(self, id, "speaks wire version " + std::to_string(h.version) + ", this member " +
                                std::to_string(net::wire_version));
  if (!st.node) return refuse(self, id, "this member is still starting");
  // A joiner names the cluster its token is for; one with an operator's
  // certificate (or on an insecure cluster) learns the id from our hello.
  const bool learns_id = h.member == 0 && h.cluster_id.empty() &&
                         (!c.tls || c.tls->peer().has_certificate);
  if (h.cluster_id != st.me.cluster_id && !learns_id)
    return refuse(self, id, "belongs to another cluster (" + (h.cluster_id.empty() ? "none" : h.cluster_id) +
                                "; this is cluster " + st.me.cluster_id + ")");
  if (c.tls) {
    const auto& peer = c.tls->peer();
    if (peer.has_certificate && peer.member != 0) {
      // A certificate of the cluster CA names its member and cluster.
      if (peer.organization != net::cluster_organization(st.me.cluster_id))
        return refuse(self, id, "holds a certificate of another cluster");
      if (h.member != peer.member)
        return refuse(self, id, "claims to be member " + std::to_string(h.member) +
                                    " with the certificate of member " + std::to_string(peer.member));
    }
    if (!peer.has_certificate && h.member != 0)
      return refuse(self, id, "claims to be member " + std::to_string(h.member) + " without a certificate");
  }
  if (st.retired(h.member))
    return refuse(self, id, "is member " + std::to_string(h.member) + ", which was removed from the cluster");
  c.member = h.member;
  c.address = h.address;
  c.joiner = h.member == 0;
  if (h.address.size() > 1024 || (!c.joiner && !parse_stored_address(h.address)))
    return refuse(self, id, "has an invalid address");
  c.at = phase::open;
  send_frame(self, id, c, net::encode(my_hello(st)));
}

/// The peer's hello on a connection we opened.
void outbound_hello(broker_ptr self, std::uint64_t id, const net::hello& h) {
  auto& st = self->state;
  auto& c = st.conns.at(id);
  if (h.version != net::wire_version) return refuse(self, id, "speaks another wire version");
  const auto& ours = c.join ? c.join_cluster : st.me.cluster_id;
  if (!ours.empty() && h.cluster_id != ours)
    return refuse(self, id, "belongs to another cluster (" + h.cluster_id + ")");
  if (c.expected != 0 && h.member != c.expected)
    return refuse(self, id, "is member " + std::to_string(h.member) + ", not member " +
                                std::to_string(c.expected) + " (the address now belongs to another member)");
  if (c.tls && c.tls->peer().member != 0 && c.tls->peer().member != h.member)
    return refuse(self, id, "claims another member's id than its certificate's");
  c.member = h.member;
  c.address = h.address;
  c.at = phase::open;
  if (c.join) {
    net::request q;
    q.id = 1;
    q.kind = net::op::join;
    q.join = *c.join;
    send_frame(self, id, c, net::encode(q));
    return;
  }
  c.stub = caf::actor_cast<caf::actor>(spawn_stub(self->system(), caf::actor_cast<caf::actor>(self), id,
                                                   st.logger));
  c.dial.deliver(caf::actor_cast<peer_interface>(c.stub));
}

// --- frames ----------------------------------------------------------------------------

void on_frame(broker_ptr self, std::uint64_t id, const char* body, std::size_t n) {
  auto& st = self->state;
  auto& c = st.conns.at(id);
  const auto kind = net::kind_of(body, n);
  if (!kind) return refuse(self, id, "sent a frame of an unknown kind");
  st.metrics->frame_bytes_received[static_cast<std::size_t>(*kind)].fetch_add(n, std::memory_order_relaxed);
  if (*kind == net::frame_kind::refuse) {
    auto why = net::decode_refuse(body, n);
    st.logger->warn("{} refused this member: {}", who(c), why ? *why : "(no reason)");
    // A joiner's caller is told the reason itself.
    if (c.join_rp.pending()) c.join_rp.deliver(make_error(errc::unauthorized, why ? *why : "refused"));
    return drop(self, id, why ? *why : "refused");
  }
  if (c.at == phase::hello) {
    auto h = *kind == net::frame_kind::hello ? net::decode_hello(body, n) : std::nullopt;
    if (!h) return refuse(self, id, "sent something else than a hello first");
    return c.inbound ? inbound_hello(self, id, *h) : outbound_hello(self, id, *h);
  }
  if (!c.inbound) {
    if (*kind != net::frame_kind::response) return refuse(self, id, "sent a frame a server does not send");
    if (c.stub) {
      self->send(c.stub, response_in{std::vector<char>(body, body + n)});
      return;
    }
    auto r = net::decode_response(body, n, net::op::join);
    if (!r) return refuse(self, id, "sent a malformed join answer");
    if (r->ok)
      c.join_rp.deliver(std::move(r->join));
    else
      c.join_rp.deliver(as_error(*r));
    return drop(self, id, "join answered");
  }
  if (st.retired(c.member)) {
    // Removed since it connected: nothing it sends reaches the node any
    // more, but the connection stays, so that answers still owed to it
    // (its own leave's) reach it.
    if (*kind == net::frame_kind::request)
      if (auto q = net::decode_request(body, n))
        answer(self, id, q->kind, failure_of(q->id, errc::removed, "this member was removed from the cluster"));
    return;
  }
  switch (*kind) {
    case net::frame_kind::raft: {
      if (c.joiner) return refuse(self, id, "a joiner sent Raft messages");
      auto ms = net::decode_raft(body, n);
      if (!ms) return refuse(self, id, "sent malformed Raft messages");
      for (const auto& m : *ms) {
        if (m.from.value != c.member)
          return refuse(self, id, "sent a Raft message from member " + std::to_string(m.from.value));
        for (const auto& e : m.entries)
          if (e.data.size() > st.limits.max_entry_bytes)
            return refuse(self, id, "sent an entry of " + std::to_string(e.data.size()) +
                                        " bytes (max_command_bytes is " + std::to_string(st.limits.max_entry_bytes) + ")");
      }
      self->send(st.node, raft_atom::value, c.address, std::move(*ms));
      return;
    }
    case net::frame_kind::request: {
      auto q = net::decode_request(body, n);
      if (!q) return refuse(self, id, "sent a malformed request");
      return serve_request(self, id, std::move(*q));
    }
    default: return refuse(self, id, "sent a frame a client does not send");
  }
}

/// Cuts whole frames out of the plaintext received so far.
void on_plain(broker_ptr self, std::uint64_t id) {
  auto& st = self->state;
  auto it = st.conns.find(id);
  if (it == st.conns.end()) return;
  // Taken out of the connection: handling a frame may end it.
  std::vector<char> buf = std::move(it->second.plain);
  it->second.plain.clear();
  std::size_t at = 0;
  for (;;) {
    it = st.conns.find(id);
    if (it == st.conns.end()) return;
    auto& c = it->second;
    const std::size_t left = buf.size() - at;
    if (left < net::frame_header_bytes) break;
    const std::size_t len = net::frame_length(buf.data() + at);
    const std::size_t limit = (c.at == phase::open && !c.joiner) ? st.limits.max_frame_bytes : max_small_frame;
    if (len > limit)
      return refuse(self, id, "sent a frame of " + std::to_string(len) + " bytes (the limit is " +
                                  std::to_string(limit) + ")");
    if (left < net::frame_header_bytes + len) break;
    const char* body = buf.data() + at + net::frame_header_bytes;
    at += net::frame_header_bytes + len;
    on_frame(self, id, body, len);
  }
  // What is left, a frame still arriving, goes back without a copy: a
  // frame of many megabytes arrives in thousands of reads, and copying the
  // part that has arrived at each of them made its cost grow with the
  // square of its size.
  // A connection that is idle again does not keep the room of its largest
  // frame.
  if (at > 0) buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(at));
  if (buf.empty() && buf.capacity() > idle_buffer_bytes) buf = std::vector<char>{};
  it->second.plain = std::move(buf);
}

void on_data(broker_ptr self, std::uint64_t id, const std::vector<char>& buf) {
  auto& st = self->state;
  auto it = st.conns.find(id);
  if (it == st.conns.end()) return;
  auto& c = it->second;
  if (c.tls) {
    const bool was = c.tls->established();
    const bool ok = c.tls->receive(buf.data(), buf.size(), c.plain);
    flush_tls(self, id, c);
    if (!ok) {
      st.logger->log(c.at == phase::open ? spdlog::level::info : spdlog::level::warn,
                     "connection with {} ended: {}", who(c), c.tls->error());
      // A handshake that fails is an authentication that failed.
      return drop(self, id, c.tls->error(),
                  c.at == phase::handshake ? errc::unauthorized : errc::timeout);
    }
    if (!was && c.tls->established()) {
      if (c.inbound && !st.me.tls->server()) return drop(self, id, "not serving yet");
      c.at = phase::hello;
    }
    if (c.at == phase::handshake) return;
  } else {
    c.plain.insert(c.plain.end(), buf.begin(), buf.end());
  }
  on_plain(self, id);
}

/// A connection, ours or a peer's, from its first byte.
void adopt(broker_ptr self, connection_handle hdl, connection c,
           const std::shared_ptr<net::tls_context>& tls) {
  auto& st = self->state;
  const auto id = static_cast<std::uint64_t>(hdl.id());
  c.remote = endpoint{self->remote_addr(hdl), self->remote_port(hdl)}.to_string();
  if (tls) {
    c.tls = std::make_unique<net::tls_session>(
        tls, c.inbound ? net::tls_session::side::server : net::tls_session::side::client);
    c.at = phase::handshake;
  } else {
    c.at = phase::hello;
  }
  self->configure_read(hdl, caf::io::receive_policy::at_most(64 * 1024));
  self->ack_writes(hdl, true);
  auto& placed = st.conns.emplace(id, std::move(c)).first->second;
  // The peer's hello is answered; ours opens a connection we made.
  if (!placed.inbound) {
    auto h = my_hello(st);
    if (placed.join) h.cluster_id = placed.join_cluster;
    send_frame(self, id, placed, net::encode(h));
  }
  else flush_tls(self, id, placed);
  self->delayed_send(self, st.limits.handshake_timeout, deadline_signal{id});
}

void start_dial(broker_ptr self, pending_dial d) {
  auto& st = self->state;
  auto parsed = parse_stored_address(d.what.address);
  if (!parsed) {
    d.rp.deliver(make_error(errc::bad_request, "invalid address '" + d.what.address + "'"));
    return;
  }
  const auto key = st.next_dial++;
  st.dials.emplace(key, std::move(d));
  auto broker = caf::actor_cast<caf::actor>(self);
  const auto timeout = st.limits.connect_timeout;
  // The connect blocks: on a thread of its own, never on the I/O thread.
  self->spawn<caf::detached>([broker, key, host = parsed->host, port = parsed->port,
                              timeout](caf::event_based_actor*) -> caf::behavior {
    dialed r;
    r.key = key;
    r.fd = net::dial(host, port, timeout, r.error);
    caf::anon_send(broker, std::move(r));
    return {};
  });
}

caf::behavior transport_impl(caf::io::stateful_broker<transport_state>* self,
                             caf::io::doorman_ptr door, transport_identity identity,
                             transport_limits limits, std::shared_ptr<spdlog::logger> logger,
                             std::shared_ptr<metrics_registry> metrics) {
  auto& st = self->state;
  st.me = std::move(identity);
  st.limits = limits;
  st.logger = std::move(logger);
  st.metrics = std::move(metrics);
  self->add_doorman(std::move(door));
  self->set_down_handler([](const caf::down_msg&) {});
  self->send(self, sweep_signal{});
  return {
      [self](const caf::io::data_transferred_msg& msg) {
        auto it = self->state.conns.find(static_cast<std::uint64_t>(msg.handle.id()));
        if (it == self->state.conns.end()) return;
        it->second.unsent = msg.remaining;
        it->second.last_progress = clock::now();
      },
      [self](sweep_signal) {
        auto& s = self->state;
        const auto now = clock::now();
        std::vector<std::uint64_t> stalled;
        for (const auto& [id, c] : s.conns)
          if (c.unsent > 0 && now - c.last_progress > s.limits.stall_timeout) stalled.push_back(id);
        for (auto id : stalled) {
          s.logger->info("dropped the connection with {}: it read nothing for {} ms (paused or cut off)",
                         who(s.conns.at(id)), s.limits.stall_timeout.count());
          drop(self, id, "the peer stopped reading");
        }
        self->delayed_send(self, s.limits.stall_timeout / 4, sweep_signal{});
      },
      [self](const caf::io::new_connection_msg& msg) {
        auto& s = self->state;
        // Nobody is let in before the member knows who it is, nor beyond
        // the connection limit.
        if (!s.node || s.conns.size() >= s.limits.max_connections ||
            (s.me.tls && !s.me.tls->server())) {
          self->close(msg.handle);
          return;
        }
        connection c;
        c.inbound = true;
        adopt(self, msg.handle, std::move(c), s.me.tls);
      },
      [self](const caf::io::new_data_msg& msg) {
        on_data(self, static_cast<std::uint64_t>(msg.handle.id()), msg.buf);
      },
      [self](const caf::io::connection_closed_msg& msg) {
        const auto id = static_cast<std::uint64_t>(msg.handle.id());
        auto it = self->state.conns.find(id);
        if (it != self->state.conns.end() && it->second.at == phase::open)
          self->state.logger->debug("connection with {} closed", who(it->second));
        drop(self, id, "connection closed");
      },
      [](const caf::io::acceptor_closed_msg&) {},
      [self](deadline_signal d) {
        // By now a connection is open, and a joiner's is asking to join.
        auto it = self->state.conns.find(d.connection);
        if (it == self->state.conns.end()) return;
        const auto& c = it->second;
        if (c.at == phase::open && !(c.inbound && c.joiner && !c.joining)) return;
        self->state.logger->info("closed the connection from {}: no handshake within {} ms", it->second.remote,
                                 self->state.limits.handshake_timeout.count());
        drop(self, d.connection, "no handshake in time");
      },
      [self](serve_signal& s) {
        self->state.node = std::move(s.node);
        self->state.me = std::move(s.identity);
      },
      [self](roster_signal& r) {
        // Connections of a member removed since are refused at their next
        // frame (answers still owed to it, such as its own leave, go out).
        self->state.roster = std::move(r);
      },
      [self](dial_request& r) {
        pending_dial d;
        d.what = std::move(r);
        d.tls = self->state.me.tls;
        d.rp = self->make_response_promise();
        auto rp = d.rp;
        start_dial(self, std::move(d));
        return rp;
      },
      [self](guest_join_request& r) {
        pending_dial d;
        d.what.address = r.address;
        d.tls = r.tls;
        d.rp = self->make_response_promise();
        auto rp = d.rp;
        d.join = std::move(r);
        start_dial(self, std::move(d));
        return rp;
      },
      [self](dialed& r) {
        auto& s = self->state;
        auto it = s.dials.find(r.key);
        if (it == s.dials.end()) {
          if (r.fd >= 0) ::close(r.fd);
          return;
        }
        auto d = std::move(it->second);
        s.dials.erase(it);
        if (r.fd < 0) {
          d.rp.deliver(make_error(errc::timeout, "cannot connect to " + d.what.address + ": " + r.error));
          return;
        }
        auto hdl = self->add_scribe(r.fd);
        connection c;
        c.inbound = false;
        c.expected = d.what.member;
        if (d.join) {
          c.join = d.join->body;
          c.join_cluster = d.join->cluster_id;
          c.join_rp = d.rp;
        } else {
          c.dial = d.rp;
        }
        adopt(self, hdl, std::move(c), d.tls);
      },
      [self](frame_out& f) {
        auto it = self->state.conns.find(f.connection);
        if (it == self->state.conns.end() || it->second.at != phase::open) return;
        send_frame(self, f.connection, it->second, f.frame);
      },
      [self](close_request& c) {
        drop(self, c.connection, c.why.empty() ? std::string("closed by this member") : c.why);
      },
      [self](stop_signal) {
        for (auto& [id, c] : self->state.conns)
          if (c.stub) self->send(c.stub, connection_lost{"shutting down"});
        self->state.conns.clear();
        self->close_all();
        self->quit();
      },
  };
}

}  // namespace

caf::expected<caf::actor> spawn_transport(caf::actor_system& sys, const std::string& host,
                                          std::uint16_t& port, transport_identity identity,
                                          transport_limits limits,
                                          std::shared_ptr<spdlog::logger> logger,
                                          std::shared_ptr<metrics_registry> metrics) {
  // SO_REUSEADDR: a restarted node gets its port back although connections
  // of its previous life linger in TIME_WAIT; a live listener still refuses.
  auto door = sys.middleman().backend().new_tcp_doorman(port, host.c_str(), true);
  if (!door) return door.error();
  port = (*door)->port();
  return sys.middleman().spawn_broker(transport_impl, std::move(*door), std::move(identity), limits,
                                      std::move(logger), std::move(metrics));
}

}  // namespace actraft::actors
