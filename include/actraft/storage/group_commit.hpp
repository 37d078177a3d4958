// Lets many threads append to one storage and share fdatasyncs: whoever
// finds no sync running writes and syncs everything queued so far while the
// others keep queueing; those then go together into the next sync. One
// fsync thus confirms as many appends as arrived during the previous one.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <span>
#include <utility>

#include "actraft/core/types.hpp"
#include "actraft/storage/error.hpp"
#include "actraft/storage/engine.hpp"

namespace actraft::storage {

class group_commit {
 public:
  struct stats {
    std::uint64_t syncs = 0;    ///< write + fdatasync rounds
    std::uint64_t appends = 0;  ///< append calls
  };

  /// `s` must outlive this object; while it is in use, touch `s` only
  /// through exclusive().
  explicit group_commit(engine& s) : s_(s) {}

  /// Appends entries the caller indexed (see engine::append) and returns
  /// once they are durable, with the last index appended.
  result<core::log_index> append(std::span<const core::entry> entries);
  /// Appends one entry per payload at the next free indexes, in `term`, and
  /// returns once they are durable, with the index of the last one.
  result<core::log_index> append(core::raft_term term, std::span<const core::payload> data,
                                 core::entry_kind kind = core::entry_kind::normal);

  /// Runs `f(engine&)` while no sync is in flight and no append can start
  /// (for snapshots, compaction, reads).
  template <class F>
  decltype(auto) exclusive(F&& f) {
    std::unique_lock lk{mu_};
    cv_.wait(lk, [this] { return !syncing_; });
    return std::forward<F>(f)(s_);
  }

  [[nodiscard]] stats statistics() const {
    std::lock_guard lk{mu_};
    return stats_;
  }

 private:
  /// Waits until the append numbered `ticket` is durable, running syncs
  /// itself whenever nobody else is.
  result<core::log_index> await(std::unique_lock<std::mutex>& lk, std::uint64_t ticket,
                                core::log_index last);

  engine& s_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool syncing_ = false;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t durable_ticket_ = 0;  // every append up to this one is durable
  std::uint64_t failed_ticket_ = 0;   // appends up to this one were in a failed sync
  std::optional<storage_error> last_error_;
  stats stats_;
};

}  // namespace actraft::storage
