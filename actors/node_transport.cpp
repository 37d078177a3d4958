// The replica's transport over CAF's network: a peer proxy per member owns
// the connection; Raft messages go straight to the peer's node, forwarded
// requests are CAF requests with the time left as their timeout, a snapshot
// goes chunk by chunk through a detached sender, and one arriving from a
// leader is written through the snapshot io actor.
#include <algorithm>
#include <cstdio>
#include <utility>

#include "actraft/core/invariant.hpp"
#include "node_ports.hpp"
#include "snapshot_sender.hpp"

namespace actraft::actors {

void node_ports::connect(const std::map<core::node_id, std::string>& peers) {
  for (auto it = peers_.begin(); it != peers_.end();) {
    auto w = peers.find(it->first);
    if (w == peers.end() || w->second != it->second.address) {
      // (The replica forgot the connection when it stopped wanting it.)
      self_->send(it->second.proxy, stop_signal{});
      it = peers_.erase(it);
    } else {
      ++it;
    }
  }
  for (const auto& [id, address] : peers) {
    if (peers_.count(id) != 0) continue;
    auto proxy = self_->spawn(peer_proxy_impl, id.value, address, caf::actor_cast<node_actor>(self_),
                              opts_, logger_, directory_, transport_);
    peers_.emplace(id, peer_link{address, std::move(proxy), {}});
  }
}

void node_ports::peer_up(std::uint64_t id, peer_interface remote) {
  auto it = peers_.find(core::node_id{id});
  if (it == peers_.end()) return;  // no longer wanted
  it->second.remote = std::move(remote);
  logger_->debug("connected to node {} at {}", id, it->second.address);
  replica().on_peer(core::node_id{id}, true);
}

void node_ports::peer_down(std::uint64_t id) {
  auto it = peers_.find(core::node_id{id});
  if (it == peers_.end()) return;
  it->second.remote = nullptr;
  replica().on_peer(core::node_id{id}, false);
}

/// Messages to peers that are not connected are left out: Raft tolerates
/// the loss and retransmits what matters.
std::vector<peer_batch> node_ports::batches(std::vector<core::message> messages) const {
  std::vector<peer_batch> out;
  if (messages.empty()) return out;
  std::map<core::node_id, std::vector<core::message>> by_peer;
  for (auto& m : messages) by_peer[m.to].push_back(std::move(m));
  for (auto& [to, batch] : by_peer) {
    auto it = peers_.find(to);
    if (it == peers_.end() || !it->second.remote) continue;
    out.push_back(peer_batch{it->second.remote, std::move(batch)});
  }
  return out;
}

void node_ports::send(std::vector<core::message> messages) {
  for (auto& b : batches(std::move(messages)))
    self_->send(b.to, raft_atom::value, address_, std::move(b.messages));
}

void node_ports::forward(driver::request_id id, const driver::request& r, core::node_id leader) {
  auto it = peers_.find(leader);
  ACTRAFT_INVARIANT(it != peers_.end() && it->second.remote,
                    "requests are forwarded to a connected leader only");
  const auto left = std::max(r.deadline - now(), driver::clock::duration::zero());
  const auto timeout = std::chrono::duration_cast<std::chrono::milliseconds>(left);
  auto failed = [this, id](const caf::error& err) {
    replica().on_forwarded(id, reply_of(err));
    settle();
  };
  // Removals and transfers are answered with a member id (removed, new leader).
  auto answered_member = [this, id](std::uint64_t member) {
    driver::reply ok;
    ok.member = core::node_id{member};
    replica().on_forwarded(id, std::move(ok));
    settle();
  };
  const auto& remote = it->second.remote;
  switch (r.kind) {
    case driver::request_kind::propose:
      self_->request(remote, timeout, fwd_atom::value, r.command.get())
          .then(
              [this, id](bytes& value) {
                driver::reply ok;
                ok.value = std::move(value);
                replica().on_forwarded(id, std::move(ok));
                settle();
              },
              failed);
      break;
    case driver::request_kind::join:
      self_->request(remote, timeout, join_atom::value, r.address)
          .then(
              [this, id](std::uint64_t member, std::vector<member_status>& ms) {
                driver::reply ok;
                ok.member = core::node_id{member};
                for (const auto& m : ms) ok.members.push_back(core::member{core::node_id{m.id}, m.address, m.voter});
                replica().on_forwarded(id, std::move(ok));
                settle();
              },
              failed);
      break;
    case driver::request_kind::remove:
      self_->request(remote, timeout, remove_atom::value, r.member.value).then(answered_member, failed);
      break;
    case driver::request_kind::transfer:
      self_->request(remote, timeout, handover_atom::value, r.member.value).then(answered_member, failed);
      break;
    case driver::request_kind::query:
    case driver::request_kind::query_local:
    case driver::request_kind::snapshot:
      // A follower serves reads itself (the core asks the leader how far),
      // and snapshots its own store.
      ACTRAFT_INVARIANT(false, "reads and snapshots are never forwarded");
      break;
  }
}

// --- snapshots -----------------------------------------------------------------------

void node_ports::send_snapshot(const core::message& header, const std::string& location) {
  auto it = peers_.find(header.to);
  ACTRAFT_INVARIANT(it != peers_.end() && it->second.remote,
                    "a snapshot goes to a connected follower only");
  snapshot_transfer t;
  t.path = location;
  t.header = header;
  t.remote = it->second.remote;
  t.node = caf::actor_cast<node_actor>(self_);
  t.chunk_bytes = opts_.snapshot_chunk_bytes;
  // What a connection holds unread stays below the transport's bound
  // (twice max_message_bytes) with the window on its way.
  t.window = std::clamp<std::size_t>(opts_.max_message_bytes / (opts_.snapshot_chunk_bytes + 64 * 1024), 1,
                                     opts_.snapshot_chunks_in_flight);
  t.timeout = std::max<caf::timespan>(opts_.request_timeout, std::chrono::seconds(10));
  t.metrics = metrics_;
  t.progress = std::make_shared<transfer_progress>();
  transfers_[header.to] = t.progress;
  senders_[header.to] = self_->spawn<caf::detached>(snapshot_sender_impl, std::move(t), logger_);
}

void node_ports::snapshot_sent(std::uint64_t to) { senders_.erase(core::node_id{to}); }

caf::result<std::uint64_t> node_ports::receive_chunk(core::message header, std::uint64_t offset,
                                                     bytes data, bool last) {
  // Checked before anything is written.
  if (auto why = replica().check_snapshot(header, data.size()); !why.empty())
    return make_error(errc::bad_request, std::move(why));
  metrics_->snapshot_bytes_received.fetch_add(data.size(), std::memory_order_relaxed);
  auto rp = self_->make_response_promise<std::uint64_t>();
  self_->request(snapshot_io_, caf::infinite, chunk_request{header, offset, std::move(data), last})
      .then(
          [this, header, rp](std::uint64_t next, std::string& path) mutable {
            if (path.empty()) {
              rp.deliver(next);
              return;
            }
            // The whole snapshot is durable: the replica puts it in force,
            // and the leader hears of it then.
            if (!replica().on_snapshot_received(header, path)) {
              std::remove(path.c_str());
              rp.deliver(make_error(errc::bad_request, "the snapshot is no longer needed here"));
              settle();
              return;
            }
            install_ = awaited_install{path, next, rp};
            settle();
          },
          [rp](const caf::error& err) mutable { rp.deliver(err); });
  return rp;
}

}  // namespace actraft::actors
