// Spawning an event-based actor that runs on the middleman's I/O thread
// instead of the scheduler, the way CAF runs brokers.
//
// Why: on a busy machine every hand-off between threads costs a wake-up and
// a context switch (tens of microseconds on a VM), and the node actor
// exchanges messages with the network (peer messages in and out, HTTP
// requests from brokers) many times per commit. Running it on the thread
// that reads and writes the sockets turns those hand-offs into calls on one
// queue. The actor must never block: it would stall all network I/O.
#pragma once

#include <utility>

#include <caf/actor_system.hpp>
#include <caf/detail/init_fun_factory.hpp>
#include <caf/io/middleman.hpp>
#include <caf/io/network/multiplexer.hpp>

namespace actraft::actors {

/// `Base` (a scheduled actor type) whose every message is handed to the
/// multiplexer: CAF 0.17's default multiplexer runs resumables of subtype
/// `io_actor` itself (queued directly when posted from its own thread, via
/// its pipe from any other), exactly as it does for brokers.
template <class Base>
class io_thread_actor final : public Base {
 public:
  explicit io_thread_actor(caf::actor_config& cfg) : Base(cfg), io_(cfg.host) {}

  void enqueue(caf::mailbox_element_ptr ptr, caf::execution_unit*) override {
    Base::enqueue(std::move(ptr), io_);
  }
  void launch(caf::execution_unit*, bool lazy, bool hide) override {
    Base::launch(io_, lazy, hide);
  }
  [[nodiscard]] caf::resumable::subtype_t subtype() const override {
    return caf::resumable::io_actor;
  }

 private:
  caf::execution_unit* io_;
};

/// Like `sys.spawn(fun, xs...)`, but the actor runs on the I/O thread.
template <class F, class... Ts>
auto spawn_on_io_thread(caf::actor_system& sys, F fun, Ts&&... xs) {
  using impl = io_thread_actor<caf::infer_impl_from_fun_t<F>>;
  caf::actor_config cfg{&sys.middleman().backend()};
  caf::detail::init_fun_factory<impl, F> factory;
  cfg.init_fun = factory(std::move(fun), std::forward<Ts>(xs)...);
  return sys.spawn_impl<impl, caf::no_spawn_options>(cfg);
}

}  // namespace actraft::actors
