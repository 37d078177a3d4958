// The one interface a user implements: a deterministic state machine.
#pragma once

#include <cstdint>
#include <vector>

namespace actraft {

using bytes = std::vector<std::uint8_t>;

/// A replicated state machine. actraft calls `apply` once per committed
/// command, in log order, on every member; the result of the call on the
/// member that answers the proposal goes back to the proposer.
///
/// The three methods are never called concurrently, but not always on one
/// thread:
/// - `apply` runs on the store's thread (options::apply_on_own_thread, the
///   default), or on the node's thread when that option is off;
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
};

}  // namespace actraft
