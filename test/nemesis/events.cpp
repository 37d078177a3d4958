#include "events.hpp"

#include <signal.h>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <mutex>

namespace actraft::nemesis {

namespace {

std::mutex log_mu;
std::ofstream event_log;  // the run directory's events.log
const lincheck::history_recorder* clock_source = nullptr;

std::atomic<bool> interrupt_seen{false};
void on_signal(int) { interrupt_seen = true; }

}  // namespace

void open_event_log(const std::string& path, const lincheck::history_recorder& clock) {
  event_log.open(path);
  clock_source = &clock;
}

void say(const std::string& line) {
  std::lock_guard lock(log_mu);
  const double t = clock_source != nullptr ? static_cast<double>(clock_source->now()) / 1e9 : 0.0;
  char prefix[32];
  std::snprintf(prefix, sizeof prefix, "[%8.3f] ", t);
  std::cout << prefix << line << std::endl;
  if (event_log.is_open())
    event_log << prefix << line << " (t=" << (clock_source ? clock_source->now() : 0) << ")"
              << std::endl;
}

void catch_interrupts() {
  struct sigaction sa {};
  sa.sa_handler = on_signal;
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGHUP, &sa, nullptr);
  std::signal(SIGPIPE, SIG_IGN);
}

bool interrupted() { return interrupt_seen; }

}  // namespace actraft::nemesis
