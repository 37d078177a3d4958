// Clusters of real nodes in one process: one CAF actor system per node,
// talking over loopback sockets through CAF's middleman, each with its own
// data directory.
#pragma once

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/test/unit_test.hpp>
#include <caf/all.hpp>

#include "actraft/raft.hpp"

namespace actraft::test {

using namespace std::chrono_literals;

inline bytes to_bytes(const std::string& s) { return bytes(s.begin(), s.end()); }
inline std::string to_string(const bytes& b) { return std::string(b.begin(), b.end()); }

/// Records every command; apply returns "<n>:<command>" where n counts the
/// commands applied so far, so a reply shows which proposal it belongs to
/// and in what order it was applied. "throw" makes apply throw.
class recording_store : public store {
 public:
  bytes apply(const bytes& command) override {
    std::lock_guard<std::mutex> guard{mutex_};
    if (to_string(command) == "throw") throw std::runtime_error("store refused the command");
    applied_.push_back(to_string(command));
    return to_bytes(std::to_string(applied_.size()) + ":" + to_string(command));
  }
  bytes snapshot() override {
    std::lock_guard<std::mutex> guard{mutex_};
    std::string all;
    for (const auto& c : applied_) all += c + "\n";
    return to_bytes(all);
  }
  void restore(const bytes& snap) override {
    std::lock_guard<std::mutex> guard{mutex_};
    applied_.clear();
    std::string cur;
    for (auto c : snap) {
      if (c == '\n') {
        applied_.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(static_cast<char>(c));
      }
    }
  }
  std::vector<std::string> applied() const {
    std::lock_guard<std::mutex> guard{mutex_};
    return applied_;
  }
  /// "count": how many commands were applied; "throw": throws.
  bytes query(const bytes& q) const override {
    std::lock_guard<std::mutex> guard{mutex_};
    if (to_string(q) == "throw") throw std::runtime_error("store refused the query");
    return to_bytes(std::to_string(applied_.size()));
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> applied_;
};

inline options fast_options(const std::string& dir) {
  options o;
  o.data_dir = dir;
  o.heartbeat_interval = 20ms;
  o.election_timeout = 100ms;
  o.request_timeout = 3s;
  o.reconnect_min = 10ms;
  o.reconnect_max = 200ms;
  return o;
}

/// One member: its own actor system, store and raft handle.
struct member_process {
  std::string dir;
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  recording_store* store = nullptr;  // owned by the node
  std::unique_ptr<raft> node;

  /// `s`: a recording_store of another kind (default: a plain one).
  explicit member_process(std::string data_dir, std::string listen = "127.0.0.1:0",
                          std::function<void(options&)> tweak = {}, std::unique_ptr<recording_store> s = nullptr)
      : dir(std::move(data_dir)) {
    cfg = std::make_unique<caf::actor_system_config>();
    add_types(*cfg);
    cfg->set("scheduler.policy", caf::atom("sharing"));
    cfg->set("scheduler.max-threads", 2);
    sys = std::make_unique<caf::actor_system>(*cfg);
    if (!s) s = std::make_unique<recording_store>();
    store = s.get();
    auto o = fast_options(dir);
    if (tweak) tweak(o);
    node = std::make_unique<raft>(*sys, std::move(listen), std::move(s), o);
  }
  ~member_process() {
    if (node) node->shutdown();
    node.reset();
    sys.reset();
  }
  member_process(const member_process&) = delete;
  member_process& operator=(const member_process&) = delete;
};

/// A temporary directory tree, removed at the end of the test.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    static int counter = 0;
    path = std::filesystem::temp_directory_path() /
           ("actraft-test-" + std::to_string(::getpid()) + "-" + std::to_string(++counter));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  [[nodiscard]] std::string sub(const std::string& name) const { return (path / name).string(); }
};

/// Waits until `pred` holds, checking every 10 ms, for at most `limit`.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    if (pred()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return pred();
}

/// The member that considers itself leader, if exactly one does.
inline member_process* find_leader(const std::vector<member_process*>& ms) {
  member_process* found = nullptr;
  for (auto* m : ms) {
    if (!m->node) continue;
    auto st = m->node->status();
    if (st && st->role == node_role::leader) {
      if (found != nullptr) return nullptr;
      found = m;
    }
  }
  return found;
}

inline std::string expect_ok(caf::expected<bytes> r, caf::actor_system& sys) {
  BOOST_REQUIRE_MESSAGE(r, "proposal failed: " << (r ? "" : sys.render(r.error())));
  return to_string(*r);
}

/// `first` leads a new cluster, the others join through it; returns once
/// all are voters.
inline void form_cluster(member_process& first, const std::vector<member_process*>& others) {
  first.node->lead();
  for (auto* m : others) m->node->join(first.node->address(), first.node->join_token());
  const auto size = others.size() + 1;
  BOOST_REQUIRE(eventually([&] {
    auto st = first.node->status();
    if (!st || st->members.size() != size) return false;
    return std::all_of(st->members.begin(), st->members.end(), [](const auto& m) { return m.voter; });
  }));
}

/// Snapshot files in a data directory.
inline std::vector<std::string> snapshot_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".snap") out.push_back(e.path().filename().string());
  return out;
}

}  // namespace actraft::test
