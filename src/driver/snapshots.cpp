// The replica's snapshots: taking one when enough was applied, sending the
// one in force to a follower that needs it, and installing one a leader
// sent. See docs/architecture.md, "Life of a snapshot".
#include <algorithm>
#include <cmath>
#include <utility>

#include "actraft/core/invariant.hpp"
#include "actraft/driver/replica.hpp"

namespace actraft::driver {

namespace {

/// The largest snapshot chunk a follower writes.
constexpr std::size_t max_chunk_bytes = 64u * 1024 * 1024;

/// How far past its thresholds snapshot_log_ratio may hold a snapshot back.
constexpr double max_deferral = 4;

/// Spreads members' first snapshots: the fractional parts of id * this are
/// as far apart as any n points can be (the golden ratio's).
constexpr double golden = 0.6180339887498949;

}  // namespace

// --- Taking one --------------------------------------------------------------------

/// Takes a snapshot once enough was applied since the last one. The state
/// machine captures and writes it off this thread; the disk only puts it in
/// force: proposals keep flowing.
void replica::maybe_snapshot() {
  if (snapshotting_ || phase_ != phase::running) return;
  const auto since = applied_.value - std::min(applied_.value, snapshot_.index.value);
  // Members apply the same log: left alone, they would all write their
  // snapshots at the same index, at the same time (and on one disk, or for
  // the leader's quorum, all slow down together). Until a member has taken
  // a snapshot of its own, its thresholds stretch by a share its id sets
  // (0-100 %); then each counts from its own last one, so they stay apart
  // and a majority keeps syncing at full speed while one member writes.
  const double scale =
      own_cadence_ ? 1.0 : 1.0 + std::fmod(static_cast<double>(core_->id().value) * golden, 1.0);
  // (In floating point: `times` a large threshold must not wrap around.)
  const auto reached = [scale](std::uint64_t n, std::uint64_t threshold, double times = 1.0) {
    return threshold > 0 && static_cast<double>(n) >= times * scale * static_cast<double>(threshold);
  };
  const bool by_count = reached(since, opts_.snapshot_entries);
  const bool by_size = reached(bytes_since_snapshot_, opts_.snapshot_bytes);
  // A state much larger than what changed since is not rewritten yet.
  const bool small_change =
      static_cast<double>(bytes_since_snapshot_) <
      opts_.snapshot_log_ratio * static_cast<double>(last_snapshot_bytes_);
  const bool held_long_enough = reached(since, opts_.snapshot_entries, max_deferral) ||
                                reached(bytes_since_snapshot_, opts_.snapshot_bytes, max_deferral);
  const bool due = (by_count || by_size) && (!small_change || held_long_enough);
  if (!due && !snapshot_asked_) return;
  if (io_.clock->now() < snapshot_retry_after_ && !snapshot_asked_) return;
  snapshotting_ = true;
  snapshot_asked_ = false;
  bytes_since_snapshot_ = 0;
  io_.machine->take_snapshot();
}

std::optional<core::snapshot_meta> replica::describe_snapshot(core::log_index applied) const {
  if (!core_ || phase_ == phase::stopped || phase_ == phase::removed) return std::nullopt;
  auto meta = core_->snapshot_meta_at(applied);
  if (!meta || meta->index <= snapshot_.index) return std::nullopt;
  return meta;
}

void replica::on_snapshot_written(const core::snapshot_meta& meta, const std::string& location,
                                  std::uint64_t size) {
  if (phase_ == phase::stopped) return;
  last_snapshot_bytes_ = size;
  io_.storage->install(meta, location);
}

void replica::on_snapshot_failed(const std::string& why) {
  snapshotting_ = false;
  if (why.empty()) {  // nothing new to take
    answer_snapshot_requests(std::nullopt, {});
    return;
  }
  answer_snapshot_requests(errc::storage_failure, "cannot take a snapshot: " + why);
  snapshot_retry_after_ = io_.clock->now() + std::chrono::seconds(1);
  log(severity::warning, "cannot take a snapshot (" + why + "); retrying later");
}

/// A snapshot file is durable and in force: the core forgets the log behind
/// it, but for the trailing entries kept for briefly lagging followers.
void replica::snapshot_in_force(const core::snapshot_meta& meta, const std::string& location) {
  snapshot_ = meta;
  snapshot_location_ = location;
  if (!core_ || meta.index.value <= opts_.snapshot_keep_entries) return;
  const core::log_index point{meta.index.value - opts_.snapshot_keep_entries};
  if (point > core_->log().snapshot().index) core_->compact(point);
}

void replica::on_installed(const core::snapshot_meta& meta, const std::string& location,
                           core::log_index in_force) {
  if (installing_ && location == installing_location_) {
    // The leader's snapshot: in force first, then the core hears of it,
    // which makes the state machine restore it and the leader be answered.
    const core::message header = *installing_;
    installing_.reset();
    if (phase_ != phase::installing) return;  // removed or stopped meanwhile
    phase_ = phase::running;
    if (in_force == meta.index) {
      snapshot_in_force(meta, location);
      own_cadence_ = false;  // at the leader's index now: spread apart again
      log(severity::info, "installed the snapshot at index " + std::to_string(meta.index.value) +
                              " from node " + std::to_string(header.from.value));
      ++stats_.snapshots_installed;
      auto e = event_of(event_kind::snapshot_installed);
      e.index = meta.index.value;
      notify(std::move(e));
      core_->step(header);
      // The disk holds the snapshot now: the core's log must start there too.
      ACTRAFT_INVARIANT(core_->log().snapshot().index >= meta.index ||
                            core_->log().matches(meta.index, meta.term),
                        "the core takes the snapshot the disk put in force");
    }
    drive();
    return;
  }
  // One of our own.
  snapshotting_ = false;
  if (phase_ == phase::stopped) return;
  if (in_force == meta.index) {
    snapshot_in_force(meta, location);
    own_cadence_ = true;
    log(severity::info, "took a snapshot at index " + std::to_string(meta.index.value));
    ++stats_.snapshots_taken;
    auto e = event_of(event_kind::snapshot_taken);
    e.index = meta.index.value;
    notify(std::move(e));
  }
  // (Else a newer one won.) Requests it covers are answered; the others
  // ask for another.
  answer_snapshot_requests(std::nullopt, {});
  maybe_snapshot();
}

void replica::on_install_failed(const core::snapshot_meta& meta, const std::string& location,
                                const std::string& why) {
  if (installing_ && location == installing_location_) {
    installing_.reset();
    if (phase_ != phase::installing) return;
    phase_ = phase::running;
    log(severity::error, "cannot install a received snapshot: " + why);
    drive();
    return;
  }
  snapshotting_ = false;
  snapshot_retry_after_ = io_.clock->now() + std::chrono::seconds(1);
  answer_snapshot_requests(errc::storage_failure, "cannot put the snapshot in force: " + why);
  log(severity::warning, "cannot put the snapshot at index " + std::to_string(meta.index.value) +
                             " in force (" + why + "); retrying later");
}

// --- Sending one --------------------------------------------------------------------

/// Leader: streams the snapshot in force to a follower that needs entries
/// compacted away (§7). The core only says so; the data goes by a transfer,
/// one per follower at a time.
void replica::start_transfer(core::message m) {
  const auto to = m.to;
  if (transfers_.count(to) != 0) return;  // one is on its way already
  if (connected_.count(to) == 0 || snapshot_location_.empty() || snapshot_.index < m.snapshot.index) {
    core_->report_snapshot_failure(to);  // offered again later
    return;
  }
  // The file may be newer than the core's compaction point (the core keeps
  // trailing entries behind it): the message describes the file.
  m.index = snapshot_.index;
  m.log_term = snapshot_.term;
  m.snapshot = snapshot_;
  transfers_.insert(to);
  io_.network->send_snapshot(m, snapshot_location_);
}

void replica::on_snapshot_sent(core::node_id to, bool ok) {
  transfers_.erase(to);
  if (ok || !core_ || phase_ != phase::running) return;
  core_->report_snapshot_failure(to);  // offered again later, from the start
  drive();
}

// --- Installing one ------------------------------------------------------------------

std::string replica::check_snapshot(const core::message& header, std::size_t chunk_bytes) {
  if (!core_ || (phase_ != phase::running && phase_ != phase::installing))
    return "node is not running";
  const auto& meta = header.snapshot;
  if (header.type != core::message_type::snapshot || header.to != core_->id() ||
      header.from == core::no_node || header.from == core_->id() || header.index != meta.index ||
      header.log_term != meta.term || meta.index == core::log_index{0} || meta.term > header.term ||
      meta.config.voter_count() == 0)
    return "malformed snapshot header";
  if (chunk_bytes > max_chunk_bytes) return "snapshot chunk larger than 64 MiB";
  if (header.term < core_->term()) return "snapshot from a leader of an old term";
  // In this member's term only its leader sends snapshots (in a newer term
  // the core learns of the new leader from the message itself).
  if (header.term == core_->term() && core_->leader() != header.from)
    return "snapshot from a member that is not this member's leader";
  if (meta.index <= core_->log().commit()) {
    // Nothing to install, but the leader must learn how far this member
    // is, or it offers the snapshot again and again: the core answers it as
    // it answers an append (the data is not needed for that).
    if (phase_ == phase::running) {
      core_->step(header);
      drive();
    }
    return "snapshot not needed: this member has committed index " +
           std::to_string(core_->log().commit().value);
  }
  // One install at a time (two leaders of different terms could both be
  // sending); the other transfer fails and its leader offers it again.
  if (phase_ == phase::installing) return "another snapshot is being installed";
  // The file of the last one may not go before the state machine has read it.
  if (restoring_) return "the previous snapshot is still being restored";
  return {};
}

bool replica::on_snapshot_received(const core::message& header, const std::string& location) {
  if (!check_snapshot(header, 0).empty()) return false;
  // Nothing may reach the log while it is put in force: the core does not
  // know of it yet, and its entries would land below the snapshot.
  phase_ = phase::installing;
  installing_ = header;
  installing_location_ = location;
  // A write under way (or waiting to be retried, on a full disk) holds
  // entries below the snapshot: it goes to the disk first.
  if (!writing_) io_.storage->install(header.snapshot, location);
  return true;
}

}  // namespace actraft::driver
