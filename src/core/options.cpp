#include "actraft/core/options.hpp"

#include <algorithm>
#include <cmath>

namespace actraft::core {

int lease_margin_ticks(int election_ticks, double drift) {
  // Lease L ticks of up to 1.25 intervals each, the last one partial: it
  // lasts at most 1.25 * L intervals of the leader's clock. A voter keeps
  // its promise for election_ticks - 1 intervals of its own, at least
  // (election_ticks - 1) / (1 + drift) of the leader's.
  const double e = election_ticks;
  const double longest = (e - 1) / (1.25 * (1 + std::max(drift, 0.0)));
  const int lease = static_cast<int>(std::floor(longest));
  return std::max(2, election_ticks - lease);
}

std::string options::validate() const {
  if (id == no_node) return "node id must be non-zero";
  if (heartbeat_ticks < 1) return "heartbeat_ticks must be at least 1";
  if (election_ticks <= heartbeat_ticks)
    return "election_ticks must be greater than heartbeat_ticks";
  if (max_batch_bytes == 0) return "max_batch_bytes must be positive";
  if (max_inflight == 0) return "max_inflight must be positive";
  if (max_pending_reads == 0) return "max_pending_reads must be positive";
  if (reads == read_mode::lease) {
    // §6.4.1: without check-quorum nothing stops a new leader from being
    // elected while the old one still serves reads from its lease.
    if (!check_quorum) return "lease reads need check_quorum";
    if (lease_margin_ticks < 2 || lease_margin_ticks >= election_ticks)
      return "lease_margin_ticks must be at least 2 and less than election_ticks";
  }
  return {};
}

}  // namespace actraft::core
