#include "stall_detector.hpp"

#include <chrono>

using namespace std::chrono_literals;

namespace actraft::nemesis {

bool stall_detector::stalled_during(std::int64_t from, std::int64_t to) {
  std::lock_guard lock(mu_);
  for (const auto& [a, b] : stalls_)
    if (a <= to && b >= from - margin_ns) return true;
  return false;
}

std::vector<std::pair<std::int64_t, std::int64_t>> stall_detector::stalls() {
  std::lock_guard lock(mu_);
  return stalls_;
}

void stall_detector::run() {
  while (!stop_) {
    const auto t0 = rec_.now();
    std::this_thread::sleep_for(20ms);
    const auto t1 = rec_.now();
    if (t1 - t0 > threshold_ns) {
      std::lock_guard lock(mu_);
      stalls_.emplace_back(t0, t1);
    }
  }
}

}  // namespace actraft::nemesis
