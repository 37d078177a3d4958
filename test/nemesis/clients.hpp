// The load: client threads that put, get, delete and compare-and-set random
// keys through random members for as long as the faults go on. Every
// operation goes into the history (kv_client.hpp records it); each client
// also counts its outcomes and errors and notes the answers that came later
// than the deadline from a member that was not paused.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kv_client.hpp"
#include "lincheck/history.hpp"
#include "options.hpp"
#include "process_cluster.hpp"
#include "stall_detector.hpp"

namespace actraft::nemesis {

struct client_stats {
  std::uint64_t ops = 0, ok = 0, failed = 0, unknown = 0;
  std::map<std::string, std::uint64_t> errors;
  std::vector<std::string> late;  // answers past the deadline from a node that was not paused
  std::uint64_t late_in_stall = 0;  // ...while the machine itself stalled
  // Answers during a rolling restart or a member's replacement that a
  // client may not simply retry (anything but a connection error or a 503).
  std::vector<std::string> not_retryable;
};

/// Client `id`: sends operations until `stop`, its own seeded choices drawn
/// from the run's seed. Runs on a thread of its own.
void run_client(int id, const options& o, cluster& c, lincheck::history_recorder& rec,
                stall_detector& stalls, const std::vector<endpoint>& eps, std::atomic<bool>& stop,
                client_stats& out);

/// Every client's stats added up.
client_stats add_up(const std::vector<client_stats>& stats);

}  // namespace actraft::nemesis
