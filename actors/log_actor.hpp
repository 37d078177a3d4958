// The log actor owns the durable storage. It runs on its own thread
// (detached): fdatasync blocks, and must never stall the scheduler that
// serves the node and its peers. One persist request is one batch and one
// sync: the node sends the next batch only after this one is durable, and
// everything proposed meanwhile goes into it (group commit).
#pragma once

#include <memory>

#include <spdlog/logger.h>

#include "actraft/storage/engine.hpp"
#include "metrics_registry.hpp"
#include "protocol.hpp"

namespace actraft::actors {

struct log_state {
  static inline const char* name = "actraft.log";
  std::shared_ptr<storage::engine> disk;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<metrics_registry> metrics;
};

log_actor::behavior_type log_actor_impl(log_actor::stateful_pointer<log_state> self,
                                        std::shared_ptr<storage::engine> engine,
                                        std::shared_ptr<spdlog::logger> logger,
                                        std::shared_ptr<metrics_registry> metrics);

}  // namespace actraft::actors
