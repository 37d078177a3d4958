// Errors a proposal, a join or a leave can end with (codes are stable: new
// ones are added at the end).
#pragma once

#include <cstdint>
#include <string_view>

namespace actraft {

enum class errc : std::uint8_t {
  /// No leader was known before the request's deadline (an election is
  /// going on, or this member is cut off from the majority).
  not_leader = 1,
  /// The request was accepted but not committed before its deadline: it may
  /// still be applied later (the outcome is unknown to the caller).
  timeout,
  /// The entry was overwritten by a new leader and will never be applied.
  dropped,
  /// The node is shutting down; the request was not (or may not have been)
  /// carried out.
  shutting_down,
  /// The store's apply threw on this command (on every member alike).
  apply_failed,
  /// This node has been removed from the cluster.
  removed,
  /// A membership change or a leadership transfer was refused (see the
  /// error's text).
  membership_refused,
  /// Storage failed (disk full, I/O error); the node stops accepting writes.
  storage_failure,
  /// A malformed request (e.g. an undecodable typed command or result).
  bad_request,
  /// The node has not started yet: lead() or join() has not returned, or a
  /// joining node has no id yet.
  not_started,
  /// The sender is not allowed to ask this: not an authenticated member of
  /// this cluster, or not the member it claims to be.
  unauthorized,
  /// The member has as many requests open as options::max_pending_requests
  /// allows: certainly not carried out; retry after a while (backpressure).
  overloaded,
  /// The store does not answer queries (it does not override store::query).
  not_supported,
  /// The store's query threw on this request; nothing changed.
  query_failed,
};

std::string_view to_string(errc e);

}  // namespace actraft
