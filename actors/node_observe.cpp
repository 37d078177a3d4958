// What an operator sees of a node: its status, its metrics, and the events
// its subscribers receive.
#include <algorithm>
#include <filesystem>
#include <system_error>

#include "actraft/core/message.hpp"
#include "node_ports.hpp"

namespace actraft::actors {

namespace {

/// The size of the files under `dir` (0 if it cannot be read).
std::uint64_t bytes_under(const std::string& dir) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::uint64_t total = 0;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code size_ec;
    if (it->is_regular_file(size_ec)) {
      const auto n = it->file_size(size_ec);
      if (!size_ec) total += n;
    }
  }
  return total;
}

}  // namespace

node_status node_ports::status() {
  auto s = replica().current_status();
  // Walked at most once a second: status is asked often (kv_store asks it
  // for every 503's leader hint), and on the node's thread.
  const auto now = driver::clock::now();
  if (!dir_bytes_at_ || now - *dir_bytes_at_ >= std::chrono::seconds(1)) {
    dir_bytes_ = bytes_under(opts_.data_dir);
    dir_bytes_at_ = now;
  }
  s.data_dir_bytes = dir_bytes_;
  for (auto& f : s.followers) {
    auto it = transfers_.find(core::node_id{f.id});
    if (it == transfers_.end()) continue;
    if (senders_.count(core::node_id{f.id}) == 0) {
      transfers_.erase(it);  // the transfer ended
      continue;
    }
    f.snapshot_sent_bytes = it->second->sent.load(std::memory_order_relaxed);
    f.snapshot_total_bytes = it->second->total.load(std::memory_order_relaxed);
  }
  return s;
}

node_metrics node_ports::metrics() {
  auto& r = replica();
  const auto s = r.current_status();
  node_metrics m;
  m.id = s.id;
  m.role = s.role;
  m.term = s.term;
  m.leader_id = s.leader_id;
  m.commit_index = s.commit_index;
  m.applied_index = s.applied_index;
  m.last_index = s.last_index;
  m.snapshot_index = s.snapshot_index;
  m.members = s.members.size();
  m.voters = static_cast<std::uint64_t>(
      std::count_if(s.members.begin(), s.members.end(), [](const member_status& x) { return x.voter; }));
  m.pending_requests = s.pending_requests;
  m.subscribers = subscribers_.size();
  // The store actor answers proposals and reads itself: those that failed
  // there move from "ok" to their outcome.
  auto answered = answered_;
  for (std::size_t k = 0; k < answered.size(); ++k)
    for (std::size_t code = 1; code < answered[k].size(); ++code) {
      const auto n = metrics_->store_failures[k][code].load(std::memory_order_relaxed);
      answered[k][0] -= std::min(answered[k][0], n);
      answered[k][code] += n;
    }
  for (std::size_t k = 0; k < answered.size(); ++k)
    for (std::size_t code = 0; code < answered[k].size(); ++code) {
      if (answered[k][code] == 0) continue;
      m.requests.push_back(request_count{
          std::string(to_string(static_cast<driver::request_kind>(k))),
          code == 0 ? "ok" : std::string(to_string(static_cast<errc>(code))), answered[k][code]});
    }
  const auto& c = r.stats();
  m.entries_committed = c.entries_committed;
  m.elections_started = c.elections_started;
  m.elections_won = c.elections_won;
  m.leader_changes = c.leader_changes;
  m.snapshots_taken = c.snapshots_taken;
  m.snapshots_installed = c.snapshots_installed;
  m.reads_ok = c.reads_ok;
  m.reads_failed = c.reads_failed;
  m.storage_errors = c.storage_errors;
  if (const auto* core = r.core()) m.read_rounds = core->read_rounds();
  for (std::size_t t = 0; t <= static_cast<std::size_t>(core::message_type::read_index_response); ++t) {
    m.messages.push_back(message_count{std::string(core::to_string(static_cast<core::message_type>(t))),
                                       c.sent[t], c.received[t]});
  }
  metrics_->fill(m);
  return m;
}

// --- events ------------------------------------------------------------------------

void node_ports::subscribe(const caf::actor& listener) {
  if (!listener) return;
  if (std::find(subscribers_.begin(), subscribers_.end(), listener) != subscribers_.end()) return;
  subscribers_.push_back(listener);
  self_->monitor(listener);
  auto first = replica().current_status();
  event e;
  e.kind = event_kind::subscribed;
  e.id = first.id;
  e.role = first.role;
  e.term = first.term;
  e.leader_id = first.leader_id;
  e.leader_address = first.leader_address;
  e.index = first.applied_index;
  e.members = std::move(first.members);
  caf::anon_send(listener, std::move(e));
}

void node_ports::unsubscribe(const caf::actor_addr& listener) {
  auto it = std::find_if(subscribers_.begin(), subscribers_.end(),
                         [&](const caf::actor& a) { return a.address() == listener; });
  if (it == subscribers_.end()) return;
  self_->demonitor(*it);
  subscribers_.erase(it);
}

bool node_ports::subscriber_down(const caf::actor_addr& a) {
  const auto before = subscribers_.size();
  std::erase_if(subscribers_, [&](const caf::actor& s) { return s.address() == a; });
  return subscribers_.size() != before;
}

void node_ports::notify(const event& e) {
  for (const auto& s : subscribers_) caf::anon_send(s, e);
}

}  // namespace actraft::actors
