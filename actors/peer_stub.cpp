// The stub of one outbound connection: to the node it is the remote member's
// node (a peer_interface); it turns each message into a frame for the
// broker, keeps the promises of requests until their response frames come
// back, and answers every one of them if the connection is lost.
#include <map>
#include <variant>

#include "io_thread.hpp"
#include "node_ports.hpp"
#include "transport.hpp"

namespace actraft::actors {

namespace {

using stub_actor = peer_interface::extend<caf::reacts_to<response_in>, caf::reacts_to<connection_lost>>;

struct stub_state {
  static inline const char* name = "actraft.peer_stub";
  caf::actor broker;
  std::uint64_t connection = 0;
  std::uint64_t next_id = 1;
  struct waiting {
    net::op kind;
    any_promise promise;
  };
  std::map<std::uint64_t, waiting> pending;
  std::shared_ptr<spdlog::logger> logger;
};

using self_ptr = stub_actor::stateful_pointer<stub_state>;

template <class Promise>
Promise send_request(self_ptr self, net::request r, Promise rp) {
  auto& st = self->state;
  r.id = st.next_id++;
  st.pending.emplace(r.id, stub_state::waiting{r.kind, rp});
  caf::anon_send(st.broker, frame_out{st.connection, net::encode(r)});
  return rp;
}

caf::error error_of(const net::response& r) {
  const auto max = static_cast<std::uint8_t>(errc::unauthorized);
  if (r.code < 1 || r.code > max) return make_error(errc::bad_request, "unknown error code from a peer: " + r.why);
  return make_error(static_cast<errc>(r.code), r.why);
}

void on_response(self_ptr self, const std::vector<char>& body) {
  auto& st = self->state;
  auto id = net::response_id(body.data(), body.size());
  auto it = id ? st.pending.find(*id) : st.pending.end();
  if (it == st.pending.end()) return;  // answered already (lost connection) or unknown
  auto p = std::move(it->second);
  st.pending.erase(it);
  auto r = net::decode_response(body.data(), body.size(), p.kind);
  if (!r) {
    caf::error err = make_error(errc::bad_request, "malformed response from a peer");
    std::visit([&](auto& rp) { rp.deliver(err); }, p.promise);
    return;
  }
  if (!r->ok) {
    std::visit([&](auto& rp) { rp.deliver(error_of(*r)); }, p.promise);
    return;
  }
  switch (p.kind) {
    case net::op::forward: std::get<bytes_promise>(p.promise).deliver(std::move(r->value)); break;
    case net::op::join: {
      std::vector<member_status> ms;
      for (const auto& m : r->join.members) ms.push_back({m.id.value, m.address, m.voter});
      std::get<join_promise>(p.promise).deliver(r->join.id, std::move(ms));
      break;
    }
    case net::op::remove:
    case net::op::transfer:
    case net::op::chunk: std::get<id_promise>(p.promise).deliver(r->number); break;
  }
}

stub_actor::behavior_type stub_impl(self_ptr self, caf::actor broker, std::uint64_t connection,
                                    std::shared_ptr<spdlog::logger> logger) {
  auto& st = self->state;
  st.broker = broker;
  st.connection = connection;
  st.logger = std::move(logger);
  // However the stub ends (the proxy stopped it, the node went), its
  // connection goes with it.
  self->attach_functor([broker, connection] { caf::anon_send(broker, close_request{connection, {}}); });
  return {
      [self](raft_atom, const std::string&, const std::vector<core::message>& msgs) {
        caf::anon_send(self->state.broker, frame_out{self->state.connection, net::encode_raft(msgs)});
      },
      [self](fwd_atom, bytes& command) -> caf::result<bytes> {
        net::request r;
        r.kind = net::op::forward;
        r.command = std::move(command);
        return send_request(self, std::move(r), self->make_response_promise<bytes>());
      },
      [self](join_atom, std::string& address)
          -> caf::result<std::uint64_t, std::vector<member_status>> {
        net::request r;
        r.kind = net::op::join;
        r.join.address = std::move(address);
        return send_request(self, std::move(r),
                            self->make_response_promise<std::uint64_t, std::vector<member_status>>());
      },
      [self](remove_atom, std::uint64_t member) -> caf::result<std::uint64_t> {
        net::request r;
        r.kind = net::op::remove;
        r.member = member;
        return send_request(self, std::move(r), self->make_response_promise<std::uint64_t>());
      },
      [self](handover_atom, std::uint64_t to) -> caf::result<std::uint64_t> {
        net::request r;
        r.kind = net::op::transfer;
        r.member = to;
        return send_request(self, std::move(r), self->make_response_promise<std::uint64_t>());
      },
      [self](chunk_atom, core::message& header, std::uint64_t offset, bytes& data,
             bool last) -> caf::result<std::uint64_t> {
        net::request r;
        r.kind = net::op::chunk;
        r.chunk = net::chunk_body{std::move(header), offset, std::move(data), last};
        return send_request(self, std::move(r), self->make_response_promise<std::uint64_t>());
      },
      [self](response_in& in) { on_response(self, in.body); },
      [self](connection_lost& lost) {
        auto& s = self->state;
        caf::error err = make_error(errc::timeout, "connection lost: " + lost.why);
        for (auto& [id, p] : s.pending) std::visit([&](auto& rp) { rp.deliver(err); }, p.promise);
        s.pending.clear();
        self->quit(caf::exit_reason::remote_link_unreachable);
      },
  };
}

}  // namespace

peer_interface spawn_stub(caf::actor_system& sys, caf::actor broker, std::uint64_t connection,
                          std::shared_ptr<spdlog::logger> logger) {
  // On the I/O thread, with the broker and (by default) the node: a message
  // from the node to a peer goes out without a thread hand-off.
  return caf::actor_cast<peer_interface>(
      spawn_on_io_thread(sys, stub_impl, std::move(broker), connection, std::move(logger)));
}

}  // namespace actraft::actors
