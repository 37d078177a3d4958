// Per-node loggers: every line says which node speaks, so a person reading
// a cluster's output sees "node 2 became leader in term 5" and why a peer
// is unreachable. Level from ACTRAFT_LOG (trace, debug, info, warn, error,
// off); info by default.
#pragma once

#include <memory>
#include <string>

#include <spdlog/spdlog.h>

namespace actraft::actors {

std::shared_ptr<spdlog::logger> make_logger(const std::string& name);

/// Names the calling thread (15 characters at most). CAF 0.17 calls every
/// detached actor's thread "caf.actor"; a detached actor names its own
/// when it starts (its behavior is made on that thread), so top -H, perf
/// and gdb tell the log, snapshot and store helper threads apart.
void name_this_thread(const char* name);

}  // namespace actraft::actors
