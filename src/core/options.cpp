#include "actraft/core/options.hpp"

namespace actraft::core {

std::string options::validate() const {
  if (id == no_node) return "node id must be non-zero";
  if (heartbeat_ticks < 1) return "heartbeat_ticks must be at least 1";
  if (election_ticks <= heartbeat_ticks)
    return "election_ticks must be greater than heartbeat_ticks";
  if (max_batch_bytes == 0) return "max_batch_bytes must be positive";
  if (max_inflight == 0) return "max_inflight must be positive";
  return {};
}

}  // namespace actraft::core
