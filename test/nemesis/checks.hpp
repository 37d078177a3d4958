// The checks at the end of a run, once the faults are healed and the clients
// stopped. Each adds what it found wrong to `failures`:
//
//   - liveness: one leader that every member follows;
//   - the final reads: one linearizable read of every key, recorded in the
//     history, so that no acknowledged write may be lost;
//   - convergence: every member holds the state the final reads returned,
//     with every member a voter;
//   - the processes: none exited that was not killed on purpose, and each one
//     shuts down cleanly (exit 0 on SIGTERM);
//   - the answers: on time (the server's request timeout plus a slack) from
//     members that were not paused, and some of them ok; during a rolling
//     restart or a member's replacement, only retryable errors;
//   - the history: linearizable (test/lincheck).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "clients.hpp"
#include "kv_client.hpp"
#include "lincheck/history.hpp"
#include "options.hpp"
#include "process_cluster.hpp"
#include "stall_detector.hpp"

namespace actraft::nemesis {

using key_values = std::map<std::string, std::optional<std::string>>;

void check_leader(cluster& c, std::vector<std::string>& failures);

/// Reads every key once through the log, retrying for up to 30 s each; what
/// was read (nullopt: absent).
key_values final_reads(const options& o, cluster& c, lincheck::history_recorder& rec,
                       const std::vector<endpoint>& eps, std::vector<std::string>& failures);

/// Every member applied the same entries and holds the same state as the
/// final reads (which nothing wrote after).
void check_convergence(cluster& c, const std::vector<endpoint>& eps,
                       const key_values& final_values, std::vector<std::string>& failures);

/// No process died by itself; each one shuts down cleanly.
void check_processes(cluster& c, std::vector<std::string>& failures);

/// Reports the machine's stalls and the late answers (sorting total.late by
/// invocation time).
void check_answers(const options& o, client_stats& total, stall_detector& stalls,
                   std::vector<std::string>& failures);

struct history_check {
  std::size_t operations = 0;
  double seconds = 0;  // how long the checker took
};
/// Writes the history to `file` (JSON lines) and checks it.
history_check check_history(const lincheck::history_recorder& rec, const std::string& file,
                            std::vector<std::string>& failures);

}  // namespace actraft::nemesis
