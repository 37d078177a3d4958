// Notices when this machine stops running processes: a 20 ms sleep that
// takes far longer. On a loaded machine (a shared CI runner) nothing can
// answer in time then, so late answers during a stall are not the nodes'
// fault; they are counted apart instead of failing the run.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "lincheck/history.hpp"

namespace actraft::nemesis {

class stall_detector {
 public:
  explicit stall_detector(lincheck::history_recorder& rec)
      : rec_(rec), thread_([this] { run(); }) {}
  ~stall_detector() {
    stop_ = true;
    thread_.join();
  }
  /// Whether a stall overlapped [from - margin, to].
  bool stalled_during(std::int64_t from, std::int64_t to);
  std::vector<std::pair<std::int64_t, std::int64_t>> stalls();
  static constexpr std::int64_t threshold_ns = 400'000'000;
  static constexpr std::int64_t margin_ns = 2'000'000'000;

 private:
  void run();
  lincheck::history_recorder& rec_;
  std::mutex mu_;
  std::vector<std::pair<std::int64_t, std::int64_t>> stalls_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace actraft::nemesis
