// A snapshot sender streams the leader's snapshot file to one follower in
// chunks, a window of them in flight: the follower writes the chunks in the
// order they were sent and answers each once it is written, and the sender
// sends the next chunk for each answer. So a slow disk or link slows the
// sender down instead of filling memory (at most window x chunk bytes are
// on their way), and the link's round trip is not paid once per chunk. Any
// failure (a lost connection, a timeout, a refused chunk) ends the transfer;
// the node tells the core, which offers the snapshot again later, and the
// next transfer starts from offset 0.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include <spdlog/logger.h>

#include "actraft/storage/snapshot_reader.hpp"
#include "metrics_registry.hpp"
#include "protocol.hpp"

namespace actraft::actors {

struct snapshot_sender_state {
  static inline const char* name = "actraft.snapshot_sender";
  std::optional<storage::snapshot_reader> reader;
  core::message header;  ///< the InstallSnapshot message the data belongs to
  peer_interface remote;
  node_actor node;
  std::size_t chunk_bytes = 0;
  std::size_t window = 1;     ///< chunks in flight at most
  caf::timespan timeout{};
  std::uint64_t offset = 0;   ///< acknowledged: the follower wrote the data up to here
  std::uint64_t sent = 0;     ///< the data up to here is on its way
  std::size_t in_flight = 0;  ///< chunks sent and not yet answered
  bool last_sent = false;
  std::chrono::steady_clock::time_point started;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<metrics_registry> metrics;
  std::shared_ptr<transfer_progress> progress;
};

struct snapshot_transfer {
  std::string path;       ///< the snapshot file in force on the leader
  core::message header;   ///< describes exactly that file's snapshot
  peer_interface remote;  ///< the follower's node actor
  node_actor node;        ///< told how the transfer ended (sent_signal)
  std::size_t chunk_bytes = 0;
  std::size_t window = 1;   ///< chunks in flight at most
  caf::timespan timeout{};  ///< per chunk
  std::shared_ptr<metrics_registry> metrics;
  std::shared_ptr<transfer_progress> progress;  ///< for the leader's status
};

snapshot_sender_actor::behavior_type snapshot_sender_impl(
    snapshot_sender_actor::stateful_pointer<snapshot_sender_state> self, snapshot_transfer t,
    std::shared_ptr<spdlog::logger> logger);

}  // namespace actraft::actors
