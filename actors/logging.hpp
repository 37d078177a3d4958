// Per-node loggers: every line says which node speaks, so a person reading
// a cluster's output sees "node 2 became leader in term 5" and why a peer
// is unreachable. By default on stderr, level from ACTRAFT_LOG (trace,
// debug, info, warn, error, off), info if unset; or through the
// application's own logger (options::logger).
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace actraft::actors {

/// A logger named `name`: a clone of `base` (its sinks, level and
/// formatting), or actraft's own on stderr if `base` is null.
std::shared_ptr<spdlog::logger> make_logger(const std::string& name,
                                            const std::shared_ptr<spdlog::logger>& base = nullptr);

/// Names the calling thread (15 characters at most). CAF 0.17 calls every
/// detached actor's thread "caf.actor"; a detached actor names its own
/// when it starts (its behavior is made on that thread), so top -H, perf
/// and gdb tell the log, snapshot and store helper threads apart.
void name_this_thread(const char* name);

/// Makes the calling thread background work: the lowest CPU priority (nice
/// 19) and the lowest best-effort I/O priority. For the threads that write
/// or read whole snapshots, which must not take the CPU and the disk from
/// the threads a commit waits for (the node, the log's fdatasync): under
/// contention they get a small share, otherwise all that is idle. Best
/// effort (a failure changes nothing).
void make_this_thread_background();

}  // namespace actraft::actors
