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

}  // namespace actraft::actors
