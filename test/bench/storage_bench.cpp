// Storage throughput: appends/s, fsyncs/s and bytes/s for one writer that
// syncs every append, and for 64 threads sharing fsyncs through
// group_commit; plus the machine's raw fdatasync latency for comparison.
//
//   storage_bench [--dir DIR] [--seconds S]
//
// DIR (default /tmp) decides which disk is measured.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include "actraft/storage/group_commit.hpp"
#include "actraft/storage/engine.hpp"

using namespace actraft;
using clock_type = std::chrono::steady_clock;

namespace {

// Out of line: GCC 12 reports a bogus -Wfree-nonheap-object when this is
// inlined into the callers.
[[gnu::noinline]] core::payload make_payload(std::size_t size, std::uint8_t fill) {
  core::bytes b(size);
  for (auto& c : b) c = fill;
  return core::payload{std::move(b)};
}

double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

std::string fresh_dir(const std::string& base, const std::string& name) {
  auto d = base + "/actraft-storage-bench-" + name + "-" + std::to_string(::getpid());
  std::filesystem::remove_all(d);
  return d;
}

void raw_fdatasync(const std::string& base, std::size_t size, double secs) {
  auto path = base + "/actraft-fdatasync-probe-" + std::to_string(::getpid());
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    std::perror("open");
    std::exit(1);
  }
  std::vector<char> buf(size, 'x');
  std::vector<double> lat;
  auto t0 = clock_type::now();
  while (seconds_since(t0) < secs) {
    auto t = clock_type::now();
    if (::write(fd, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size()) || ::fdatasync(fd) != 0) {
      std::perror("write/fdatasync");
      std::exit(1);
    }
    lat.push_back(seconds_since(t) * 1e6);
  }
  ::close(fd);
  ::unlink(path.c_str());
  std::sort(lat.begin(), lat.end());
  double sum = 0;
  for (double v : lat) sum += v;
  std::printf("raw write(%zu B)+fdatasync: %zu ops, mean %.0f us, p50 %.0f us, p99 %.0f us, %.0f ops/s\n",
              size, lat.size(), sum / static_cast<double>(lat.size()), lat[lat.size() / 2],
              lat[lat.size() * 99 / 100], static_cast<double>(lat.size()) / secs);
}

void report(const char* what, std::size_t size, std::uint64_t appends, std::uint64_t syncs, double secs) {
  std::printf("%-34s %5zu B: %9.0f appends/s %8.0f fsyncs/s %8.2f MB/s  (%.1f appends/fsync)\n", what, size,
              static_cast<double>(appends) / secs, static_cast<double>(syncs) / secs,
              static_cast<double>(appends * size) / secs / 1e6,
              syncs ? static_cast<double>(appends) / static_cast<double>(syncs) : 0.0);
}

std::unique_ptr<storage::engine> open_or_die(const std::string& dir) {
  auto s = storage::engine::open(dir);
  if (!s) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), s.error().what().c_str());
    std::exit(1);
  }
  return std::move(*s);
}

void single_writer(const std::string& base, std::size_t size, double secs) {
  auto dir = fresh_dir(base, "single");
  {
    auto s = open_or_die(dir);
    auto data = make_payload(size, 0xab);
    std::uint64_t n = 0;
    auto t0 = clock_type::now();
    while (seconds_since(t0) < secs) {
      core::entry e{core::raft_term{1}, core::log_index{n + 1}, core::entry_kind::normal, data};
      if (auto r = s->append(std::span<const core::entry>(&e, 1)); !r) std::exit(1);
      if (auto r = s->sync(); !r) {
        std::fprintf(stderr, "sync: %s\n", r.error().what().c_str());
        std::exit(1);
      }
      ++n;
    }
    report("1 writer, fdatasync per append", size, n, n, seconds_since(t0));
  }
  std::filesystem::remove_all(dir);
}

void group_writers(const std::string& base, std::size_t size, double secs, int threads) {
  auto dir = fresh_dir(base, "group");
  {
    auto s = open_or_die(dir);
    storage::group_commit gc{*s};
    auto data = make_payload(size, 0xcd);
    std::atomic<bool> stop{false};
    std::atomic<bool> failed{false};
    std::vector<std::thread> ts;
    auto t0 = clock_type::now();
    for (int i = 0; i < threads; ++i)
      ts.emplace_back([&] {
        while (!stop.load(std::memory_order_relaxed))
          if (!gc.append(core::raft_term{1}, std::span<const core::payload>(&data, 1))) failed = true;
      });
    std::this_thread::sleep_for(std::chrono::duration<double>(secs));
    stop = true;
    for (auto& t : ts) t.join();
    auto elapsed = seconds_since(t0);
    if (failed) std::fprintf(stderr, "some appends failed\n");
    auto st = gc.statistics();
    char what[64];
    std::snprintf(what, sizeof what, "%d writers, group commit", threads);
    report(what, size, st.appends, st.syncs, elapsed);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace

int main(int argc, char** argv) {
  std::string base = "/tmp";
  double secs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--dir") == 0) base = argv[i + 1];
    else if (std::strcmp(argv[i], "--seconds") == 0) secs = std::atof(argv[i + 1]);
    else {
      std::fprintf(stderr, "usage: %s [--dir DIR] [--seconds S]\n", argv[0]);
      return 2;
    }
  }
  std::printf("storage_bench: dir %s, %.1f s per case, %u hardware threads\n", base.c_str(), secs,
              std::thread::hardware_concurrency());
  raw_fdatasync(base, 100, secs);
  raw_fdatasync(base, 4096, secs);
  for (std::size_t size : {std::size_t{100}, std::size_t{4096}}) {
    single_writer(base, size, secs);
    group_writers(base, size, secs, 64);
  }
  return 0;
}
