// Internal to the node actor: the parts of its implementation that live in
// more than one file (node_actor.cpp: requests, the ready cycle, the
// behavior; node_snapshots.cpp: taking, sending and installing snapshots).
#pragma once

#include <cstdint>
#include <string>

#include "node_actor.hpp"

namespace actraft::actors::node_impl {

using self_ptr = node_actor::stateful_pointer<node_state>;

// node_actor.cpp
/// Takes and carries out the core's ready batches while none is being written.
void drive(self_ptr self);
/// Answers everything waiting with `code` (the node cannot serve it).
void fail_everything(self_ptr self, errc code, const std::string& why);
/// Stops the node and its actors.
void stop(self_ptr self);
/// This member's removal was applied: it stops serving and says so.
void enter_removed(self_ptr self);

// node_snapshots.cpp
/// Leader: streams the snapshot in force to follower `m.to`.
void start_transfer(self_ptr self, core::message m);
/// A sender reported the end of a transfer.
void on_sent(self_ptr self, core::node_id to, bool ok);
/// Takes a snapshot if enough was applied since the last one.
void maybe_snapshot(self_ptr self);
/// Follower: one chunk of a leader's snapshot arrived.
caf::result<std::uint64_t> on_chunk(self_ptr self, core::message header, std::uint64_t offset,
                                    bytes data, bool last);
/// A received snapshot is in force: the store becomes it before any later entry.
void restore_store(self_ptr self, const core::snapshot_meta& meta);

}  // namespace actraft::actors::node_impl
