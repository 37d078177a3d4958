#include "peer_proxy.hpp"

#include <algorithm>
#include <set>

#include "actraft/address.hpp"
#include "transport.hpp"

namespace actraft::actors {

namespace {

using self_ptr = peer_proxy_actor::stateful_pointer<peer_state>;

void schedule_retry(self_ptr self) {
  auto& st = self->state;
  st.backoff = std::clamp(st.backoff * 2, st.opts.reconnect_min, st.opts.reconnect_max);
  self->delayed_send(self, st.backoff, retry_signal{st.generation});
}

void on_connected(self_ptr self, peer_interface remote) {
  auto& s = self->state;
  s.remote = std::move(remote);
  self->monitor(s.remote);
  s.backoff = std::chrono::milliseconds(0);
  if (s.reported_unreachable) s.logger->info("node {} at {} is reachable again", s.id, s.address);
  s.reported_unreachable = false;
  self->send(s.node, peer_up_signal{s.id, s.remote});
}

void connect(self_ptr self) {
  auto& st = self->state;
  if (st.connecting || st.remote) return;
  if (st.directory) {
    if (auto remote = st.directory->find(st.address))
      on_connected(self, std::move(remote));
    else
      schedule_retry(self);
    return;
  }
  st.connecting = true;
  const auto gen = st.generation;
  // The transport dials, runs TLS and the hellos, and answers a stub
  // standing for the member's node once it proved to be member `id`.
  self->request(st.transport, st.opts.request_timeout, dial_request{st.address, st.id})
      .then(
          [self, gen](peer_interface& stub) {
            auto& s = self->state;
            if (gen != s.generation) {
              caf::anon_send_exit(stub, caf::exit_reason::user_shutdown);
              return;
            }
            s.connecting = false;
            on_connected(self, std::move(stub));
          },
          [self, gen](const caf::error& err) {
            auto& s = self->state;
            if (gen != s.generation) return;
            s.connecting = false;
            if (!s.reported_unreachable)
              s.logger->warn("node {} at {} is unreachable ({}); retrying with backoff", s.id,
                             s.address, self->home_system().render(err));
            s.reported_unreachable = true;
            schedule_retry(self);
          });
}

}  // namespace

peer_proxy_actor::behavior_type peer_proxy_impl(peer_proxy_actor::stateful_pointer<peer_state> self,
                                                std::uint64_t id, std::string address,
                                                node_actor node, options opts,
                                                std::shared_ptr<spdlog::logger> logger,
                                                std::shared_ptr<peer_directory> directory,
                                                caf::actor transport) {
  auto& st = self->state;
  st.id = id;
  st.address = address;
  st.node = std::move(node);
  st.opts = opts;
  st.logger = std::move(logger);
  st.directory = std::move(directory);
  st.transport = std::move(transport);
  // Addresses are names the directory knows; nothing to parse then.
  st.valid = st.directory || parse_stored_address(address).has_value();
  if (!st.valid) st.logger->error("node {} has an invalid address '{}'; not connecting", id, address);
  self->set_down_handler([self](const caf::down_msg& dm) {
    auto& s = self->state;
    if (!s.remote || dm.source != s.remote.address()) return;
    s.remote = nullptr;
    if (!dm.reason || dm.reason == caf::exit_reason::normal)
      s.logger->info("node {} at {} stopped", s.id, s.address);
    else
      s.logger->warn("lost connection to node {} at {} ({})", s.id, s.address,
                   self->home_system().render(dm.reason));
    s.reported_unreachable = true;
    self->send(s.node, peer_down_signal{s.id});
    schedule_retry(self);
  });
  if (st.valid) connect(self);
  return {
      [self](retry_signal r) {
        auto& s = self->state;
        if (r.generation == s.generation && s.valid) connect(self);
      },
      [self](stop_signal) {
        auto& s = self->state;
        ++s.generation;  // ignore answers and timers of earlier attempts
        if (s.remote) {
          self->demonitor(s.remote.address());
          // A stub's end closes its connection (a directory's node is the
          // member itself, not ours to stop).
          if (!s.directory) caf::anon_send_exit(s.remote, caf::exit_reason::user_shutdown);
        }
        self->quit();
      },
  };
}

}  // namespace actraft::actors
