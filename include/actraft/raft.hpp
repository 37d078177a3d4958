// The node handle: start a member with lead() or join(), talk to it through
// mailbox(), stop it with shutdown().
//
//   caf::actor_system_config cfg;
//   actraft::add_types(cfg);
//   caf::actor_system sys{cfg};
//   actraft::raft node{sys, "127.0.0.1:9001", std::make_unique<my_store>(), opts};
//   peer.empty() ? node.lead() : node.join(peer);
//   auto mailbox = node.mailbox();
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>

#include <caf/expected.hpp>
#include <caf/fwd.hpp>

#include "actraft/mailbox.hpp"
#include "actraft/options.hpp"
#include "actraft/store.hpp"

namespace actraft {

/// A node could not start: bad options or address, the port is in use, the
/// data directory is locked, unreadable or corrupt, or joining failed. The
/// message says which, in words an operator can act on.
class startup_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class raft {
 public:
  /// `listen_address` is "host:port" (port 0 picks a free one). Nothing
  /// starts before lead() or join().
  raft(caf::actor_system& sys, std::string listen_address, std::unique_ptr<store> s,
       options opts);
  ~raft();
  raft(const raft&) = delete;
  raft& operator=(const raft&) = delete;

  /// Starts a new single-member cluster, or resumes the member whose state
  /// is in the data directory. Throws startup_error.
  void lead();
  /// Joins the cluster through any member ("host:port"): the leader gives
  /// this node a fresh id and adds it as a learner; it becomes a voter once
  /// caught up. Resumes instead if the data directory holds a member.
  /// Throws startup_error.
  void join(const std::string& peer_address);
  /// The same with the join token of a cluster that runs its own CA (what
  /// join_token() answers on any member).
  void join(const std::string& peer_address, const std::string& token);

  /// The handle any actor sends propose, leave and status to.
  [[nodiscard]] actraft::mailbox mailbox() const;
  /// The port the node listens on (useful with port 0).
  [[nodiscard]] std::uint16_t port() const;
  /// "host:port" as the other members reach this node.
  [[nodiscard]] std::string address() const;
  /// This member's id (0 before lead() or join()).
  [[nodiscard]] std::uint64_t id() const;
  /// The token a new member passes to join() (`actraft-join-1....`): the
  /// cluster's id, its CA's fingerprint and the secret that admits members.
  /// Empty with operator certificates or `insecure`. Keep it secret.
  [[nodiscard]] std::string join_token() const;
  /// The cluster's id, fixed by lead() (empty before lead() or join()).
  [[nodiscard]] std::string cluster_id() const;

  /// Blocking helpers for code that is not an actor (an HTTP worker, main):
  /// each waits for its answer. Not for use inside an actor: it would block
  /// the actor's thread, and with it possibly the answer; an actor sends to
  /// mailbox() instead. Should it happen anyway, the helper gives up with
  /// `timeout` shortly after the request's own deadline. Before lead() or
  /// join(): `not_started`.
  caf::expected<bytes> propose(const bytes& command);
  /// store::query, linearizable (see the mailbox's query) ...
  caf::expected<bytes> query(const bytes& request);
  /// ... or at once on this member's state, which may be stale.
  caf::expected<bytes> query_stale(const bytes& request);
  caf::expected<node_status> status();
  caf::expected<std::uint64_t> leave();
  /// Removes another member (one that is gone for good, say); answers its id.
  caf::expected<std::uint64_t> remove_member(std::uint64_t id);
  /// Hands leadership to member `to` (0: the most caught-up voter); answers
  /// the new leader's id once this member sees it lead.
  caf::expected<std::uint64_t> transfer_leadership(std::uint64_t to = 0);
  /// Snapshots this member's store now; answers the snapshot's index.
  caf::expected<std::uint64_t> snapshot_now();
  caf::expected<node_metrics> metrics();
  /// `listener` receives actraft::event messages (mailbox.hpp: subscribe).
  /// Does not block: usable from an actor too.
  void subscribe(const caf::actor& listener);
  void unsubscribe(const caf::actor& listener);

  /// Answers pending requests with shutting_down, stops the node's actors
  /// and closes the data directory. Idempotent; also run by the destructor.
  void shutdown();

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace actraft
