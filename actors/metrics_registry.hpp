// What the node's actors other than the node itself measure (the log's
// syncs, the store's applies, the transport's bytes, snapshot transfers),
// shared by them and read by the node actor for the mailbox's metrics.
// Each figure has one writer (the actor that measures it) and relaxed
// atomic counters: reading never waits for a writer.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <vector>

#include "actraft/driver/ports.hpp"
#include "actraft/mailbox.hpp"
#include "actraft/metrics.hpp"

namespace actraft::actors {

/// A histogram of non-negative values, recorded in units (a nanosecond, an
/// entry) and reported scaled (to seconds, entries).
class atomic_histogram {
 public:
  /// `bounds` in the reported scale, ascending; `unit` reported per recorded unit.
  atomic_histogram(std::vector<double> bounds, double unit);
  void record(std::uint64_t units);
  [[nodiscard]] histogram read() const;

 private:
  std::vector<double> bounds_;
  std::vector<std::uint64_t> unit_bounds_;
  double unit_;
  std::vector<std::atomic<std::uint64_t>> counts_;
  std::atomic<std::uint64_t> sum_{0};
};

struct metrics_registry {
  metrics_registry();

  atomic_histogram apply_seconds;
  atomic_histogram fsync_seconds;
  atomic_histogram fsync_entries;
  std::atomic<std::uint64_t> entries_applied{0};
  /// Counts by request kind (driver::request_kind's value) and outcome (0:
  /// ok, else the errc's value).
  template <class T>
  using by_kind_and_code = std::array<std::array<T, 32>, 8>;
  /// Requests answered by the store actor that failed there: the node
  /// counted them as ok when it handed them over.
  by_kind_and_code<std::atomic<std::uint64_t>> store_failures{};
  std::atomic<std::uint64_t> log_bytes_written{0};
  std::atomic<std::uint64_t> snapshot_bytes_sent{0};
  std::atomic<std::uint64_t> snapshot_bytes_received{0};
  /// Transport bytes by frame kind (net::frame_kind's value).
  std::array<std::atomic<std::uint64_t>, 8> frame_bytes_sent{};
  std::array<std::atomic<std::uint64_t>, 8> frame_bytes_received{};

  void count_store_failure(driver::request_kind kind, const caf::error& err) {
    const auto code = static_cast<std::uint8_t>(code_of(err).value_or(errc::apply_failed));
    slot(store_failures, kind, code).fetch_add(1, std::memory_order_relaxed);
  }
  template <class T>
  static T& slot(by_kind_and_code<T>& counts, driver::request_kind kind, std::uint8_t code) {
    return counts[static_cast<std::size_t>(kind) % counts.size()][code % counts[0].size()];
  }

  /// Adds to `m` what this registry holds.
  void fill(node_metrics& m) const;
};

/// A snapshot transfer to one follower, as its sender moves it along.
struct transfer_progress {
  std::atomic<std::uint64_t> sent{0};
  std::atomic<std::uint64_t> total{0};
};

/// Nanoseconds since `start`.
inline std::uint64_t nanos_since(std::chrono::steady_clock::time_point start) {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace actraft::actors
