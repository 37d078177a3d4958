#include "actraft/options.hpp"

#include "actraft/core/options.hpp"

namespace actraft {

std::string options::validate() const {
  using std::chrono::milliseconds;
  if (data_dir.empty()) return "data_dir must be set";
  if (heartbeat_interval < milliseconds(1)) return "heartbeat_interval must be at least 1 ms";
  if (election_timeout < 2 * heartbeat_interval)
    return "election_timeout must be at least twice the heartbeat_interval (got " +
           std::to_string(election_timeout.count()) + " ms and " +
           std::to_string(heartbeat_interval.count()) + " ms)";
  if (request_timeout < election_timeout)
    return "request_timeout must be at least the election_timeout";
  if (max_batch_bytes < 1024) return "max_batch_bytes must be at least 1024";
  if (max_inflight < 1) return "max_inflight must be at least 1";
  if (segment_bytes < 64 * 1024) return "segment_bytes must be at least 64 KiB";
  if (snapshot_chunk_bytes < 4096 || snapshot_chunk_bytes > 64 * 1024 * 1024)
    return "snapshot_chunk_bytes must be between 4 KiB and 64 MiB";
  if (snapshot_chunks_in_flight < 1 || snapshot_chunks_in_flight > 64)
    return "snapshot_chunks_in_flight must be between 1 and 64";
  if (reconnect_min < milliseconds(1) || reconnect_max < reconnect_min)
    return "reconnect_min must be at least 1 ms and reconnect_max at least reconnect_min";
  const int files = !tls_ca_file.empty() + !tls_cert_file.empty() + !tls_key_file.empty();
  if (files != 0 && files != 3)
    return "tls_ca_file, tls_cert_file and tls_key_file go together (all three or none)";
  if (insecure && files != 0) return "insecure and TLS files exclude each other";
  if (handshake_timeout < milliseconds(100)) return "handshake_timeout must be at least 100 ms";
  // Storage takes entries of up to 512 MiB; a larger command could never be
  // written, and would be retried for ever.
  if (max_command_bytes < 1 || max_command_bytes > 256 * 1024 * 1024)
    return "max_command_bytes must be between 1 and 256 MiB";
  if (max_pending_requests < 1) return "max_pending_requests must be at least 1";
  if (max_pending_reads < 1) return "max_pending_reads must be at least 1";
  if (max_message_bytes < max_command_bytes + 64 * 1024)
    return "max_message_bytes must exceed max_command_bytes by 64 KiB (an entry travels whole)";
  if (max_message_bytes < max_batch_bytes + 64 * 1024 ||
      max_message_bytes < snapshot_chunk_bytes + 64 * 1024)
    return "max_message_bytes must exceed max_batch_bytes and snapshot_chunk_bytes by 64 KiB";
  if (max_message_bytes > 1024ull * 1024 * 1024) return "max_message_bytes must be at most 1 GiB";
  if (peer_stall_timeout < election_timeout)
    return "peer_stall_timeout must be at least the election_timeout";
  if (!(snapshot_log_ratio >= 0 && snapshot_log_ratio <= 1000))
    return "snapshot_log_ratio must be between 0 and 1000";
  if (max_snapshot_bytes < snapshot_chunk_bytes) return "max_snapshot_bytes must be at least snapshot_chunk_bytes";
  if (snapshot_idle_timeout < request_timeout)
    return "snapshot_idle_timeout must be at least the request_timeout";
  if (max_connections < 4) return "max_connections must be at least 4";
  if (lease_reads) {
    if (!(max_clock_drift >= 0 && max_clock_drift < 0.5))
      return "max_clock_drift must be between 0 and 0.5";
    const int ticks = static_cast<int>(election_timeout / heartbeat_interval);
    if (core::lease_margin_ticks(ticks, max_clock_drift) >= ticks)
      return "lease_reads need an election_timeout of more heartbeat intervals (" +
             std::to_string(ticks) + " leave no lease with max_clock_drift " +
             std::to_string(max_clock_drift) + ")";
  }
  return {};
}

}  // namespace actraft
