// A store larger than memory, end to end in two processes: a leader grows
// its state to N MiB and snapshots it; a member that joins receives the
// snapshot in chunks and restores it, streaming all the way. Each process
// reports its peak resident memory (VmHWM), which stays far below N.
//
//   file_store lead DATA-DIR STATE-MIB READY-FILE    (prints when ready, serves until stdin closes)
//   file_store join DATA-DIR PEER-ADDR TOKEN INDEX SIZE HASH
//
// test/e2e/large_state_test.sh runs both (make bench-large-state STATE_MB=2048).
#include <actraft/raft.hpp>
#include <actraft/typed.hpp>
#include <caf/all.hpp>

#include <chrono>
#include <fstream>
#include <iostream>
#include <string>
#include <thread>

#include "file_store.hpp"

using namespace std::chrono_literals;
using file_demo::digest;
using file_demo::grow;

namespace {

/// Peak resident set size of this process, in KiB.
std::uint64_t peak_rss_kib() {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6));
  return 0;
}

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

actraft::options options_for(const std::string& dir) {
  actraft::options o;
  o.data_dir = dir + "/raft";
  o.request_timeout = 120s;  // a digest of gigabytes takes seconds
  o.snapshot_idle_timeout = 120s;
  // The joiner must catch up through the snapshot, not the log.
  o.snapshot_keep_entries = 0;
  return o;
}

int fail(caf::actor_system& sys, const char* what, const caf::error& e) {
  std::cerr << "file_store: " << what << ": " << sys.render(e) << "\n";
  return 1;
}

int lead(caf::actor_system& sys, const std::string& dir, std::uint64_t mib, const std::string& ready) {
  actraft::raft node{sys, "127.0.0.1:0", std::make_unique<file_demo::file_store>(dir + "/state"),
                     options_for(dir)};
  node.lead();
  auto t = std::chrono::steady_clock::now();
  const std::uint64_t step = 32ull << 20;
  for (std::uint64_t done = 0, i = 0; done < (mib << 20); done += step, ++i) {
    auto size = actraft::propose<std::uint64_t>(node, grow{std::min(step, (mib << 20) - done), i + 1});
    if (!size) return fail(sys, "grow", size.error());
  }
  std::cout << "grew the state to " << mib << " MiB in " << seconds_since(t) << " s" << std::endl;
  t = std::chrono::steady_clock::now();
  auto index = node.snapshot_now();
  if (!index) return fail(sys, "snapshot", index.error());
  std::cout << "snapshot at index " << *index << " in " << seconds_since(t) << " s" << std::endl;
  auto d = actraft::query<digest>(node, file_demo::read_digest{});
  if (!d) return fail(sys, "digest", d.error());
  {
    std::ofstream out(ready + ".tmp");
    out << node.address() << " " << node.join_token() << " " << *index << " " << d->size << " " << d->hash
        << "\n";
  }
  std::rename((ready + ".tmp").c_str(), ready.c_str());
  std::string line;
  while (std::getline(std::cin, line)) {
  }
  std::cout << "leader peak RSS " << peak_rss_kib() / 1024 << " MiB" << std::endl;
  return 0;
}

int join(caf::actor_system& sys, const std::string& dir, const std::string& peer, const std::string& token,
         std::uint64_t index, std::uint64_t size, std::uint64_t hash) {
  actraft::raft node{sys, "127.0.0.1:0", std::make_unique<file_demo::file_store>(dir + "/state"),
                     options_for(dir)};
  const auto t = std::chrono::steady_clock::now();
  node.join(peer, token);
  for (;;) {
    auto s = node.status();
    if (s && s->applied_index >= index) break;
    if (seconds_since(t) > 600) {
      std::cerr << "file_store: not caught up after 600 s\n";
      return 1;
    }
    std::this_thread::sleep_for(100ms);
  }
  std::cout << "caught up (snapshot received and restored) in " << seconds_since(t) << " s" << std::endl;
  auto d = actraft::query_stale<digest>(node, file_demo::read_digest{});
  if (!d) return fail(sys, "digest", d.error());
  if (d->size != size || d->hash != hash) {
    std::cerr << "file_store: the restored state differs: " << d->size << " bytes, hash " << d->hash
              << "; expected " << size << " bytes, hash " << hash << "\n";
    return 1;
  }
  std::cout << "restored state matches the leader's (" << size << " bytes)" << std::endl;
  std::cout << "joiner peak RSS " << peak_rss_kib() / 1024 << " MiB" << std::endl;
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  caf::actor_system_config cfg;
  actraft::add_types(cfg);
  caf::actor_system sys{cfg};
  const std::string mode = argc > 1 ? argv[1] : "";
  try {
    if (mode == "lead" && argc == 5) return lead(sys, argv[2], std::stoull(argv[3]), argv[4]);
    if (mode == "join" && argc == 8)
      return join(sys, argv[2], argv[3], argv[4], std::stoull(argv[5]), std::stoull(argv[6]),
                  std::stoull(argv[7]));
  } catch (const std::exception& e) {
    std::cerr << "file_store: " << e.what() << "\n";
    return 1;
  }
  std::cerr << "usage: file_store lead DATA-DIR STATE-MIB READY-FILE\n"
               "       file_store join DATA-DIR PEER-ADDR TOKEN INDEX SIZE HASH\n";
  return 2;
}
