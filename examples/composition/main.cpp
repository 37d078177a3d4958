// Composing with other CAF actors: an ordinary actor of the application (a
// "ticket office") uses a node's mailbox with the typed actraft::propose (a
// request whose answer comes back decoded) and reads with actraft::query
// (linearizable, no log write), keeps serving while requests are in flight,
// and handles every error actraft can answer with. Another actor subscribes
// to the node's events and prints them. Runs a single-member cluster in a
// temporary directory.
#include <actraft/raft.hpp>
#include <actraft/typed.hpp>
#include <caf/all.hpp>

#include <filesystem>
#include <iostream>

namespace {

using namespace std::chrono_literals;

// The replicated state: how many tickets are left.
struct reserve {
  int count = 0;
  template <class A> void serialize(A& a) { a(count); }
};
struct outcome {
  bool granted = false;
  int left = 0;
  template <class A> void serialize(A& a) { a(granted, left); }
};

struct how_many {  // a query
  template <class A> void serialize(A&) {}
};

struct tickets : actraft::typed_store<reserve, outcome, how_many, int> {
  int left = 10;
  int read(const how_many&) const override { return left; }
  outcome execute(const reserve& r) override {
    if (r.count <= 0) throw std::invalid_argument("count must be positive");
    if (r.count > left) return {false, left};
    left -= r.count;
    return {true, left};
  }
  actraft::bytes snapshot() override { return actraft::encode(left); }
  void restore(const actraft::bytes& s) override { left = actraft::decode_or_throw<int>(s); }
};

using buy_atom = caf::atom_constant<caf::atom("buy")>;
using left_atom = caf::atom_constant<caf::atom("left")>;

/// The application's own actor: forwards purchases to the cluster. Its
/// own requests wait longer than the node's request_timeout (5 s), so the
/// node's answer (an actraft error saying what happened) always comes first.
caf::behavior office(caf::event_based_actor* self, actraft::mailbox cluster) {
  return {
      [=](buy_atom, int count) {
        auto rp = self->make_response_promise<std::string>();
        actraft::propose<outcome>(
            self, cluster, reserve{count}, 6s,
            [rp](const outcome& o) mutable {
              rp.deliver(std::string(o.granted ? "granted" : "refused") + ", " +
                         std::to_string(o.left) + " left");
            },
            [rp](const caf::error& err) mutable {
              // Each actraft error says what to do next.
              std::string what;
              switch (actraft::code_of(err).value_or(actraft::errc::timeout)) {
                case actraft::errc::apply_failed: what = "rejected by the store"; break;
                case actraft::errc::not_leader: what = "no leader now, retry later"; break;
                case actraft::errc::timeout: what = "outcome unknown (timed out)"; break;
                default: what = "failed";
              }
              rp.deliver(what + ": " + caf::to_string(err));
            });
        return rp;
      },
      [=](left_atom) {
        auto rp = self->make_response_promise<std::string>();
        actraft::query<int>(
            self, cluster, how_many{}, 6s,
            [rp](int left) mutable { rp.deliver(std::to_string(left) + " left"); },
            [rp](const caf::error& err) mutable { rp.deliver("unknown: " + caf::to_string(err)); });
        return rp;
      },
  };
}

/// Subscribes to the node's events and prints each: the first says how
/// things stand, the next ones what changed (leader, role, membership,
/// snapshots), in order. The node forgets it when it goes down.
caf::behavior watcher(caf::event_based_actor* self, actraft::mailbox cluster) {
  self->send(cluster, actraft::subscribe_atom_v, caf::actor_cast<caf::actor>(self));
  return {
      [](const actraft::event& e) {
        std::cout << "event: " << e.kind << " (node " << e.id << ", " << e.role << ", term " << e.term
                  << ", leader " << e.leader_id;
        if (e.kind == actraft::event_kind::snapshot_taken) std::cout << ", index " << e.index;
        std::cout << ")\n";
      },
  };
}

}  // namespace

int main() {
  caf::actor_system_config cfg;
  actraft::add_types(cfg);
  caf::actor_system sys{cfg};
  auto dir = std::filesystem::temp_directory_path() / ("actraft-composition-" + std::to_string(::getpid()));
  actraft::options opts;
  opts.data_dir = dir.string();
  int status = 0;
  {
    actraft::raft node{sys, "127.0.0.1:0", std::make_unique<tickets>(), opts};
    node.lead();
    auto events = sys.spawn(watcher, node.mailbox());
    auto shop = sys.spawn(office, node.mailbox());
    caf::scoped_actor self{sys};
    for (int count : {3, 4, 5, -1, 2}) {
      self->request(shop, 10s, buy_atom::value, count)
          .receive([&](const std::string& s) { std::cout << "buy " << count << ": " << s << "\n"; },
                   [&](const caf::error& e) {
                     std::cout << "buy " << count << ": " << sys.render(e) << "\n";
                     status = 1;
                   });
    }
    self->request(shop, 10s, left_atom::value)
        .receive([&](const std::string& s) { std::cout << "now: " << s << "\n"; },
                 [&](const caf::error& e) {
                   std::cout << "now: " << sys.render(e) << "\n";
                   status = 1;
                 });
    // An operator's request on the same mailbox: a snapshot now (the
    // watcher hears of it too).
    self->request(node.mailbox(), 10s, actraft::snapshot_atom_v)
        .receive([&](std::uint64_t index) { std::cout << "snapshot at index " << index << "\n"; },
                 [&](const caf::error& e) {
                   std::cout << "snapshot: " << sys.render(e) << "\n";
                   status = 1;
                 });
    self->send_exit(shop, caf::exit_reason::user_shutdown);
    self->send_exit(events, caf::exit_reason::user_shutdown);
  }
  std::filesystem::remove_all(dir);
  return status;
}
