// The replica's ports, carried out by the node actor: peers over CAF's
// network (node_transport.cpp), the log, store and snapshot io actors, and
// the clients' response promises (node_ports.cpp). Every completion comes
// back as a response to the node actor and is handed to the replica there.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>

#include <spdlog/logger.h>

#include "actraft/driver/ports.hpp"
#include "node_actor.hpp"

namespace actraft::actors {

using bytes_promise = caf::typed_response_promise<bytes>;
using join_promise = caf::typed_response_promise<std::uint64_t, std::vector<member_status>>;
using id_promise = caf::typed_response_promise<std::uint64_t>;
/// A client's response promise, kept until the replica answers its request.
using any_promise = std::variant<bytes_promise, join_promise, id_promise>;

class node_ports final : public driver::clock_port,
                         public driver::transport,
                         public driver::disk,
                         public driver::state_machine,
                         public driver::clients,
                         public driver::logger,
                         public driver::observer {
 public:
  using self_ptr = node_actor::stateful_pointer<node_state>;

  node_ports(self_ptr self, const node_setup& setup);
  driver::ports all() { return {this, this, this, this, this, this, this}; }

  // --- for the node actor's handlers ---------------------------------------------
  /// The node knows its id and address.
  void start(core::node_id id, const std::string& address);
  /// A new client request: its id, the promise kept until it is answered.
  driver::request_id remember(any_promise p, driver::request_kind kind);
  /// The replica's status, with what only the node's actors know.
  [[nodiscard]] node_status status();
  [[nodiscard]] node_metrics metrics();
  /// Event subscribers (the mailbox's subscribe).
  void subscribe(const caf::actor& listener);
  void unsubscribe(const caf::actor_addr& listener);
  /// Forgets a subscriber that went down; false if `a` was none.
  bool subscriber_down(const caf::actor_addr& a);
  void peer_up(std::uint64_t id, peer_interface remote);
  void peer_down(std::uint64_t id);
  void snapshot_sent(std::uint64_t to);
  /// A chunk of a leader's snapshot: checked, written, and once the last is
  /// durable, put in force; answered when that is done.
  caf::result<std::uint64_t> receive_chunk(core::message header, std::uint64_t offset, bytes data,
                                           bool last);
  /// Stops the peer proxies, snapshot senders, log, store and snapshot io.
  void stop_all();
  /// After a replica call: a node whose replica stopped stops its actors.
  void settle();
  /// Answers every promise still kept (a node that failed).
  void fail_all(errc code, const std::string& why);
  [[nodiscard]] spdlog::logger& log() { return *logger_; }
  /// Whether `a` is one of the node's own storage actors.
  [[nodiscard]] std::optional<std::string> storage_actor_name(const caf::actor_addr& a) const;

  // --- the ports -------------------------------------------------------------------
  [[nodiscard]] driver::time_point now() const override;
  void connect(const std::map<core::node_id, std::string>& peers) override;
  void send(std::vector<core::message> messages) override;
  void forward(driver::request_id id, const driver::request& r, core::node_id leader) override;
  void send_snapshot(const core::message& header, const std::string& location) override;
  void write(const driver::write_batch& batch) override;
  void install(const core::snapshot_meta& meta, const std::string& location) override;
  void record_removal() override;
  void apply(std::vector<core::entry> entries, std::vector<driver::answer_slot> answers) override;
  void query(driver::request_id id, core::payload q) override;
  void restore(const core::snapshot_meta& meta, const std::string& location) override;
  void take_snapshot() override;
  void answer(driver::request_id id, driver::reply r) override;
  void log(driver::severity level, const std::string& text) override;
  void notify(const event& e) override;

 private:
  struct peer_link {
    std::string address;
    peer_proxy_actor proxy;
    peer_interface remote;  ///< the peer's node actor, while connected
  };
  /// The last chunk's promise, answered once its snapshot is in force.
  struct awaited_install {
    std::string path;
    std::uint64_t size = 0;
    id_promise promise;
  };

  driver::replica& replica();
  struct kept_promise {
    any_promise promise;
    driver::request_kind kind;
  };
  /// Groups messages by connected peer: one batch per destination.
  std::vector<peer_batch> batches(std::vector<core::message> messages) const;
  /// Tells the transport who the members are once a configuration commits.
  void publish_roster();
  /// A failed request to another actor, as the replica's reply.
  driver::reply reply_of(const caf::error& err) const;

  self_ptr self_;
  const options opts_;
  std::string address_;
  log_actor log_;
  store_actor store_;
  snapshot_io_actor snapshot_io_;
  std::shared_ptr<peer_directory> directory_;
  caf::actor transport_;
  core::log_index roster_index_;  ///< of the configuration the transport knows
  std::shared_ptr<spdlog::logger> logger_;
  std::map<core::node_id, peer_link> peers_;
  std::map<core::node_id, snapshot_sender_actor> senders_;
  std::map<driver::request_id, kept_promise> promises_;
  std::shared_ptr<metrics_registry> metrics_;
  /// Answers by request kind and outcome (0: ok, else the errc), indexed
  /// as metrics_registry::store_failures is.
  metrics_registry::by_kind_and_code<std::uint64_t> answered_{};
  std::map<core::node_id, std::shared_ptr<transfer_progress>> transfers_;
  std::vector<caf::actor> subscribers_;
  std::uint64_t dir_bytes_ = 0;  ///< the data directory's size, as last walked
  std::optional<driver::time_point> dir_bytes_at_;
  driver::request_id next_request_ = 0;
  std::optional<awaited_install> install_;
};

}  // namespace actraft::actors
