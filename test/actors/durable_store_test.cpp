// A store that keeps its own state (store::last_applied_index): a restart
// skips the replay where the log allows, restores the snapshot where the
// store is too old for the log, and refuses a store that does not belong to
// the data directory.
#include <boost/test/unit_test.hpp>

#include <atomic>
#include <fstream>

#include "fixture.hpp"

using namespace actraft;
using namespace actraft::test;

namespace {

/// What the store keeps "on disk": it outlives the raft objects, as files do.
struct durable_files {
  std::mutex mutex;
  std::vector<std::string> commands;
  std::uint64_t index = 0;  ///< applying_index() of the last command
};

/// Keeps its state in `files`; counts what this instance was asked to do.
class durable_store : public store {
 public:
  explicit durable_store(std::shared_ptr<durable_files> f) : files_(std::move(f)) {}
  bytes apply(const bytes& command) override {
    std::lock_guard<std::mutex> guard{files_->mutex};
    files_->commands.push_back(to_string(command));
    files_->index = applying_index();
    ++applies;
    return to_bytes(std::to_string(files_->commands.size()));
  }
  bytes snapshot() override {
    std::lock_guard<std::mutex> guard{files_->mutex};
    std::string all;
    for (const auto& c : files_->commands) all += c + "\n";
    return to_bytes(all);
  }
  void restore(const bytes& snap) override {
    std::lock_guard<std::mutex> guard{files_->mutex};
    files_->commands.clear();
    std::string cur;
    for (auto c : snap) {
      if (c == '\n') {
        files_->commands.push_back(cur);
        cur.clear();
      } else {
        cur.push_back(static_cast<char>(c));
      }
    }
    files_->index = applying_index();  // the snapshot's
    ++restores;
  }
  [[nodiscard]] std::uint64_t last_applied_index() const override {
    std::lock_guard<std::mutex> guard{files_->mutex};
    return files_->index;
  }
  std::atomic<std::uint64_t> applies{0}, restores{0};

 private:
  std::shared_ptr<durable_files> files_;
};

/// One member in its own actor system, with a durable store.
struct durable_member {
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  durable_store* store = nullptr;
  std::unique_ptr<raft> node;
  durable_member(const std::string& dir, std::shared_ptr<durable_files> files,
                 const std::function<void(options&)>& tweak = {}) {
    cfg = std::make_unique<caf::actor_system_config>();
    add_types(*cfg);
    sys = std::make_unique<caf::actor_system>(*cfg);
    auto s = std::make_unique<durable_store>(std::move(files));
    store = s.get();
    auto o = fast_options(dir);
    if (tweak) tweak(o);
    node = std::make_unique<raft>(*sys, "127.0.0.1:0", std::move(s), o);
  }
  ~durable_member() {
    node->shutdown();
    node.reset();
    sys.reset();
  }
};

std::vector<std::string> numbered(int from, int to) {
  std::vector<std::string> v;
  for (int i = from; i < to; ++i) v.push_back("c" + std::to_string(i));
  return v;
}

/// Snapshots every 10 entries, none kept behind.
void snapshots(options& o) {
  o.snapshot_entries = 10;
  o.snapshot_keep_entries = 0;
}

/// A single-member cluster in `dir` proposes c0..c<n-1>, waits for a
/// snapshot, and stops.
void run_with_a_snapshot(const std::string& dir, const std::shared_ptr<durable_files>& files, int n) {
  durable_member m{dir, files, snapshots};
  m.node->lead();
  for (const auto& c : numbered(0, n)) expect_ok(m.node->propose(to_bytes(c)), *m.sys);
  BOOST_REQUIRE(eventually([&] { return m.node->status()->snapshot_index > 0; }));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(durable_stores)

BOOST_AUTO_TEST_CASE(a_restart_applies_only_what_the_store_does_not_hold) {
  temp_dir tmp;
  auto files = std::make_shared<durable_files>();
  std::uint64_t held = 0;
  {
    durable_member m{tmp.sub("a"), files};
    m.node->lead();
    for (const auto& c : numbered(0, 20)) expect_ok(m.node->propose(to_bytes(c)), *m.sys);
    held = m.store->last_applied_index();
  }
  BOOST_REQUIRE(held >= 20u);  // 20 commands after the configuration entry
  durable_member again{tmp.sub("a"), files};
  again.node->lead();
  // Nothing restored, nothing applied again, and status says where it is.
  auto st = again.node->status();
  BOOST_REQUIRE(st);
  BOOST_TEST(st->applied_index >= held);
  BOOST_TEST(st->commit_index >= held);
  expect_ok(again.node->propose(to_bytes("c20")), *again.sys);
  BOOST_TEST(again.store->applies.load() == 1u);
  BOOST_TEST(again.store->restores.load() == 0u);
  std::lock_guard<std::mutex> guard{files->mutex};
  BOOST_TEST(files->commands == numbered(0, 21), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_store_older_than_the_snapshot_restores_it) {
  temp_dir tmp;
  auto files = std::make_shared<durable_files>();
  auto old = std::make_shared<durable_files>();  // the store's files as saved long ago
  {
    durable_member m{tmp.sub("a"), files, snapshots};
    m.node->lead();
    for (const auto& c : numbered(0, 5)) expect_ok(m.node->propose(to_bytes(c)), *m.sys);
    {
      std::lock_guard<std::mutex> guard{files->mutex};
      old->commands = files->commands;
      old->index = files->index;
    }
    for (const auto& c : numbered(5, 40)) expect_ok(m.node->propose(to_bytes(c)), *m.sys);
    BOOST_REQUIRE(eventually([&] { return m.node->status()->snapshot_index > old->index; }));
    // One more at the last command, so that the restart below restores it
    // and has no command after it to apply (the automatic ones are spread
    // by the member's id and need not land there).
    auto at = m.node->snapshot_now();
    BOOST_REQUIRE(static_cast<bool>(at));
  }
  durable_member again{tmp.sub("a"), old, snapshots};
  again.node->lead();
  BOOST_TEST(again.store->restores.load() == 1u);
  BOOST_TEST(again.store->last_applied_index() == again.node->status()->snapshot_index);
  expect_ok(again.node->propose(to_bytes("c40")), *again.sys);
  std::lock_guard<std::mutex> guard{old->mutex};
  BOOST_TEST(old->commands == numbered(0, 41), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_store_newer_than_the_log_restores_the_snapshot) {
  // The data directory is older than the store's files (another backup):
  // the store holds an index the log does not reach.
  temp_dir tmp;
  auto files = std::make_shared<durable_files>();
  run_with_a_snapshot(tmp.sub("a"), files, 25);
  {
    std::lock_guard<std::mutex> guard{files->mutex};
    files->commands.push_back("from the future");
    files->index += 1000;
  }
  durable_member again{tmp.sub("a"), files, snapshots};
  again.node->lead();
  BOOST_TEST(again.store->restores.load() == 1u);
  expect_ok(again.node->propose(to_bytes("c25")), *again.sys);
  std::lock_guard<std::mutex> guard{files->mutex};
  BOOST_TEST(files->commands == numbered(0, 26), boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_damaged_snapshot_is_found_though_nothing_is_restored) {
  temp_dir tmp;
  auto files = std::make_shared<durable_files>();
  run_with_a_snapshot(tmp.sub("a"), files, 15);
  const auto snaps = snapshot_files(tmp.sub("a"));
  BOOST_REQUIRE(snaps.size() == 1u);
  {
    // One bit of the data flipped (a byte past the header and metadata).
    const auto path = tmp.sub("a") + "/" + snaps.front();
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(-40, std::ios::end);
    char c = 0;
    f.get(c);
    f.seekp(-40, std::ios::end);
    f.put(static_cast<char>(c ^ 1));
  }
  durable_member again{tmp.sub("a"), files, snapshots};
  try {
    again.node->lead();
    BOOST_ERROR("started with a damaged snapshot");
  } catch (const startup_error& e) {
    BOOST_TEST(std::string(e.what()).find("is damaged") != std::string::npos, e.what());
  }
}

BOOST_AUTO_TEST_CASE(a_store_that_does_not_belong_to_the_directory_is_refused) {
  temp_dir tmp;
  auto files = std::make_shared<durable_files>();
  files->commands = numbered(0, 50);
  files->index = 51;  // from another directory: this one is empty
  durable_member m{tmp.sub("a"), files};
  try {
    m.node->lead();
    BOOST_ERROR("a store holding index 51 started with an empty log");
  } catch (const startup_error& e) {
    const std::string what = e.what();
    BOOST_TEST(what.find("holds state up to index 51") != std::string::npos, what);
    BOOST_TEST(what.find("do not belong together") != std::string::npos, what);
  }
  BOOST_TEST(m.store->applies.load() == 0u);  // nothing was applied on top of it
}

BOOST_AUTO_TEST_SUITE_END()
