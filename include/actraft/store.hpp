// The one interface a user implements: a deterministic state machine.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

namespace actraft {

using bytes = std::vector<std::uint8_t>;

/// A replicated state machine. actraft calls `apply` once per committed
/// command, in log order, on every member; the result of the call on the
/// member that answers the proposal goes back to the proposer.
///
/// Thrown by the default store::query: the caller gets `not_supported`.
class query_not_supported : public std::logic_error {
 public:
  query_not_supported() : std::logic_error("this store does not answer queries") {}
};

/// The methods are never called concurrently, but not always on one
/// thread:
/// - `apply` runs on the store's thread (options::apply_on_own_thread, the
///   default), or on the node's thread when that option is off;
/// - `query` runs where `apply` runs, between two applies: it sees the
///   state after some whole number of commands, never half of one;
/// - `snapshot` and `restore` run on a helper thread of the store's, while
///   applies wait;
/// - the `restore` of a restarting member's newest snapshot runs on the
///   thread that calls raft::lead() or raft::join(), before anything else.
class store {
 public:
  virtual ~store() = default;

  /// Applies a committed command. Must be deterministic: same state and
  /// command, same new state and result on every member. If it throws, the
  /// proposer gets an `apply_failed` error and the node keeps running (the
  /// command counts as applied; it throws on every member alike).
  virtual bytes apply(const bytes& command) = 0;

  /// The whole state, as bytes that `restore` accepts.
  virtual bytes snapshot() = 0;

  /// Replaces the whole state with one produced by `snapshot`.
  virtual void restore(const bytes& snapshot) = 0;

  /// Answers a read-only request from the state as it is. Optional: the
  /// default throws query_not_supported (the caller gets `not_supported`);
  /// anything else it throws becomes `query_failed`. Must not change the
  /// state. raft::query calls it once this member has applied every command
  /// committed before the query was asked (linearizable: it sees every
  /// write acknowledged before, on any member); raft::query_stale calls it
  /// at once, on whatever this member has applied.
  virtual bytes query(const bytes& request) const {
    (void)request;
    throw query_not_supported();
  }
};

}  // namespace actraft
