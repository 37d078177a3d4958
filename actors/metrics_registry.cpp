#include "metrics_registry.hpp"

#include <cmath>
#include <string>

namespace actraft::actors {

namespace {

constexpr auto relaxed = std::memory_order_relaxed;

std::uint64_t load(const std::atomic<std::uint64_t>& x) { return x.load(relaxed); }

const char* frame_name(std::size_t kind) {
  switch (kind) {
    case 1: return "hello";
    case 2: return "refuse";
    case 3: return "raft";
    case 4: return "request";
    case 5: return "response";
    default: return nullptr;
  }
}

}  // namespace

atomic_histogram::atomic_histogram(std::vector<double> bounds, double unit)
    : bounds_(std::move(bounds)), unit_(unit), counts_(bounds_.size() + 1) {
  for (double b : bounds_) unit_bounds_.push_back(static_cast<std::uint64_t>(std::llround(b / unit_)));
}

void atomic_histogram::record(std::uint64_t units) {
  std::size_t i = 0;
  while (i < unit_bounds_.size() && units > unit_bounds_[i]) ++i;
  counts_[i].fetch_add(1, relaxed);
  sum_.fetch_add(units, relaxed);
}

histogram atomic_histogram::read() const {
  histogram h;
  h.bounds = bounds_;
  for (const auto& c : counts_) h.counts.push_back(load(c));
  h.sum = static_cast<double>(load(sum_)) * unit_;
  // The count as the buckets add up (they are read one by one, while the
  // writer may go on): Prometheus wants +Inf's bucket equal to _count.
  h.count = 0;
  for (auto c : h.counts) h.count += c;
  return h;
}

metrics_registry::metrics_registry()
    : apply_seconds({1e-6, 5e-6, 25e-6, 100e-6, 500e-6, 0.0025, 0.01, 0.05, 0.25, 1}, 1e-9),
      fsync_seconds({100e-6, 250e-6, 500e-6, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1, 0.5, 2.5}, 1e-9),
      fsync_entries({1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096}, 1) {}

void metrics_registry::fill(node_metrics& m) const {
  m.apply_seconds = apply_seconds.read();
  m.fsync_seconds = fsync_seconds.read();
  m.fsync_entries = fsync_entries.read();
  m.entries_applied = load(entries_applied);
  m.log_bytes_written = load(log_bytes_written);
  m.snapshot_bytes_sent = load(snapshot_bytes_sent);
  m.snapshot_bytes_received = load(snapshot_bytes_received);
  for (std::size_t k = 0; k < frame_bytes_sent.size(); ++k) {
    const char* name = frame_name(k);
    if (name == nullptr) continue;
    m.traffic.push_back(traffic_count{name, load(frame_bytes_sent[k]), load(frame_bytes_received[k])});
  }
}

}  // namespace actraft::actors
