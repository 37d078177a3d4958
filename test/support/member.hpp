// One running member of the simulated cluster: a driver::replica and the
// simulated ports it talks through. Every port call is carried out later, as
// an event of the cluster's queue tied to this incarnation of the member, so
// a crash loses whatever was not done yet (a write not yet durable, an apply
// not yet made, a snapshot file not yet written).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "support/cluster.hpp"

namespace actraft::sim {

struct cluster::member final : driver::clock_port,
                               driver::transport,
                               driver::disk,
                               driver::state_machine,
                               driver::clients,
                               driver::logger,
                               driver::observer {
  member(cluster& c, slot& s);

  cluster& c;
  const int slot_index;
  driver::replica replica;
  /// The state machine: the entries applied, from index 1 on (a snapshot's
  /// data is the same list up to its index).
  std::vector<core::entry> applied;
  /// The user's store beside it, if the cluster runs one.
  std::unique_ptr<actraft::store> user_store;
  /// The index a durable state machine knows it holds: that of the last
  /// command it applied, or of the snapshot it restored or wrote (as a
  /// store's applying_index() tells it). Its files record the entries up to it.
  std::uint64_t known = 0;
  /// What the transport was asked to connect to, and what it told the
  /// replica is connected.
  std::map<core::node_id, std::string> wanted;
  std::map<core::node_id, bool> connected;
  std::uint64_t files_written = 0;
  std::uint64_t disk_busy = 0;     // when its last disk call completes
  std::uint64_t machine_busy = 0;  // when its last state machine call completes
  std::uint64_t event_term = 0;    // the term of the last event it reported

  slot& me() { return c.slots_[static_cast<std::size_t>(slot_index)]; }
  /// Reports a problem of the user's store as a violation.
  void user_problem(const std::optional<std::string>& problem);
  /// A durable state machine saves its files (always, or by chance).
  void save_store_files(slot& s, bool always);

  // clock_port
  [[nodiscard]] driver::time_point now() const override;
  // transport
  void connect(const std::map<core::node_id, std::string>& peers) override;
  void send(std::vector<core::message> messages) override;
  void forward(driver::request_id id, const driver::request& r, core::node_id leader) override;
  void send_snapshot(const core::message& header, const std::string& location) override;
  // disk
  void write(const driver::write_batch& batch) override;
  void install(const core::snapshot_meta& meta, const std::string& location) override;
  void record_removal() override;
  // state_machine
  void apply(std::vector<core::entry> entries, std::vector<driver::answer_slot> answers) override;
  void restore(const core::snapshot_meta& meta, const std::string& location) override;
  void take_snapshot() override;
  void query(driver::request_id id, core::payload q) override;
  // clients
  void answer(driver::request_id id, driver::reply r) override;
  // logger
  void log(driver::severity level, const std::string& text) override;
  // observer: events must tell the truth (checked against each other)
  void notify(const actraft::event& e) override;

 private:
  /// When the next disk (or state machine) call completes: after the ones
  /// before it, as a real log (or store) carries them out in order.
  std::uint64_t disk_done_at();
  std::uint64_t machine_done_at();
  void store_write(slot& s, const driver::write_batch& batch);
};

/// The replica's settings for a member of a simulated cluster.
options replica_options(const cluster_config& cfg);

}  // namespace actraft::sim
