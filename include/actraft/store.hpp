// The one interface a user implements: a deterministic state machine.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <vector>

namespace actraft {

using bytes = std::vector<std::uint8_t>;

/// Thrown by the default store::query: the caller gets `not_supported`.
class query_not_supported : public std::logic_error {
 public:
  query_not_supported() : std::logic_error("this store does not answer queries") {}
};

/// Where a store writes a snapshot, chunk by chunk (store::write_snapshot).
class snapshot_sink {
 public:
  virtual ~snapshot_sink() = default;
  /// Appends `chunk` (any size; actraft buffers). Throws std::runtime_error
  /// if it cannot be written (a full disk, say): the snapshot is abandoned.
  virtual void write(std::span<const std::uint8_t> chunk) = 0;
};

/// Where a store reads a snapshot back, chunk by chunk (store::read_snapshot).
/// Its checksum was checked before the store sees a byte.
class snapshot_source {
 public:
  virtual ~snapshot_source() = default;
  /// Fills up to `out.size()` bytes; answers how many, 0 once everything
  /// was read. Throws std::runtime_error if the file cannot be read.
  virtual std::size_t read(std::span<std::uint8_t> out) = 0;
  /// The snapshot's size in bytes.
  [[nodiscard]] virtual std::uint64_t size() const = 0;
  /// Everything not read yet, in one buffer.
  bytes read_all();
};

/// A store's state as it was at one index, captured between two applies by
/// store::capture_snapshot and written while applies go on.
class snapshot_capture {
 public:
  virtual ~snapshot_capture() = default;
  /// Writes the captured state, in the form read_snapshot accepts. Runs on
  /// the store's helper thread at the same time as apply and query: it may
  /// read only what the capture holds (data it shares with the store must
  /// be immutable). Throws as write_snapshot does to abandon the snapshot.
  virtual void write(snapshot_sink& out) = 0;
};

/// A replicated state machine. actraft calls `apply` once per committed
/// command, in log order, on every member; the result of the call on the
/// member that answers the proposal goes back to the proposer.
///
/// The methods are never called concurrently, but not always on one
/// thread:
/// - `apply` runs on the store's thread (options::apply_on_own_thread, the
///   default), or on the node's thread when that option is off;
/// - `query` runs where `apply` runs, between two applies: it sees the
///   state after some whole number of commands, never half of one;
/// - `snapshot` and `restore` (or their streaming forms) run on a helper
///   thread of the store's, while applies wait; `capture_snapshot` runs
///   where `apply` runs, and the capture it returns is written on the
///   helper thread while applies go on;
/// - `last_applied_index`, and the `restore` of a restarting member's
///   newest snapshot, run on the thread that calls raft::lead() or
///   raft::join(), before anything else.
///
/// A store starts empty: a restarting member restores its newest snapshot
/// and applies the log after it again; unless it keeps its state itself
/// (last_applied_index).
///
/// actraft/testing.hpp checks a store under the faults Raft is built for
/// (docs/testing-your-store.md).
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

  /// The streaming forms of snapshot and restore: what actraft calls. The
  /// defaults go through the byte forms above, which hold the whole state
  /// in memory once more; a store larger than memory overrides both (or
  /// derives from streaming_store). What `write_snapshot` writes,
  /// `read_snapshot` must accept.
  virtual void write_snapshot(snapshot_sink& out) { out.write(snapshot()); }
  virtual void read_snapshot(snapshot_source& in) { restore(in.read_all()); }

  /// Optional: a snapshot that does not stop applies. Called where `apply`
  /// runs, between two applies, with applying_index() the snapshot's index.
  /// It must be quick (it delays the applies after it): keep a reference to
  /// an immutable version of the state, or copy what is cheap to copy (keys
  /// and shared pointers to immutable values, say). actraft writes the
  /// capture on the helper thread while applies go on, so a large state no
  /// longer holds up commits (and proposers) while it is serialised and
  /// synced. Null, the default: `write_snapshot` runs while applies wait.
  virtual std::unique_ptr<snapshot_capture> capture_snapshot() { return nullptr; }

  /// For a store that keeps its state itself (in its own files) and finds
  /// it again when it is constructed: the index (applying_index()) of the
  /// last command, or snapshot, that state holds. Asked once, before the
  /// node starts. If the data directory's log reaches that index and its
  /// snapshot does not pass it, nothing is restored and only the commands
  /// after it are applied. Otherwise the store restores the snapshot, which
  /// must replace its whole state, and the log after it is applied again:
  /// the store is older than the snapshot, or newer than the log (the data
  /// directory is older than the store's files: back them up and restore
  /// them together); with no snapshot to restore either, the node does not
  /// start. actraft applies a command only once its log write is durable,
  /// so a crash alone never leaves a store ahead of its log. A restore
  /// (`read_snapshot`) must make this answer 0 before it changes the state,
  /// and the snapshot's index only once the state is whole: a restore cut
  /// short must not leave an index over half-replaced data. 0, the
  /// default: the store starts empty.
  [[nodiscard]] virtual std::uint64_t last_applied_index() const { return 0; }

 protected:
  /// Inside `apply`: the log index of the command being applied. Indexes
  /// grow with every command (with gaps where actraft's own entries are),
  /// are the same on every member, and are never reused: a store may keep
  /// them with its data (as versions, or to recognise a command it saw).
  /// Inside `restore`, `read_snapshot`, `snapshot` and `write_snapshot`:
  /// the index the snapshot reflects (which may be that of one of actraft's
  /// own entries, after the last command). A store that keeps its own state
  /// answers it from last_applied_index after a restore, and may after a
  /// snapshot.
  [[nodiscard]] std::uint64_t applying_index() const { return applying_index_; }

 private:
  friend struct store_access;
  std::uint64_t applying_index_ = 0;
};

/// A store whose state is larger than memory: it implements the streaming
/// forms; the byte forms are built on them (for tests and tools, which hold
/// the state in memory).
class streaming_store : public store {
 public:
  void write_snapshot(snapshot_sink& out) override = 0;
  void read_snapshot(snapshot_source& in) override = 0;
  bytes snapshot() final;
  void restore(const bytes& snapshot) final;
};

/// How actraft (and actraft/testing.hpp) drives a store: apply, restore and
/// snapshot with their index (applying_index). Not for stores themselves.
struct store_access {
  static bytes apply(store& s, std::uint64_t index, const bytes& command) {
    s.applying_index_ = index;
    return s.apply(command);
  }
  static void read_snapshot(store& s, std::uint64_t index, snapshot_source& in) {
    s.applying_index_ = index;
    s.read_snapshot(in);
  }
  static void write_snapshot(store& s, std::uint64_t index, snapshot_sink& out) {
    s.applying_index_ = index;
    s.write_snapshot(out);
  }
  static std::unique_ptr<snapshot_capture> capture_snapshot(store& s, std::uint64_t index) {
    s.applying_index_ = index;
    return s.capture_snapshot();
  }
};

// --- inline definitions ---------------------------------------------------------

inline bytes snapshot_source::read_all() {
  // Reserved once for what the source says it holds (actraft's sources are
  // checked before), so one allocation, not a doubling series that peaks
  // near twice the state; filled in steps by what is really there.
  bytes all;
  all.reserve(static_cast<std::size_t>(size()));
  constexpr std::size_t step = 1 << 20;
  for (;;) {
    const auto used = all.size();
    if (all.capacity() == used) {  // all it announced: anything more?
      std::uint8_t more[4096];
      const auto n = read(more);
      if (n == 0) return all;
      all.insert(all.end(), more, more + n);
      continue;
    }
    all.resize(used + std::min(all.capacity() - used, step));
    const auto n = read(std::span<std::uint8_t>(all).subspan(used));
    all.resize(used + n);
    if (n == 0) return all;
  }
}

namespace detail {
struct bytes_sink final : snapshot_sink {
  bytes data;
  void write(std::span<const std::uint8_t> chunk) override {
    data.insert(data.end(), chunk.begin(), chunk.end());
  }
};
struct bytes_source final : snapshot_source {
  explicit bytes_source(const bytes& b) : data(b) {}
  const bytes& data;
  std::size_t at = 0;
  std::size_t read(std::span<std::uint8_t> out) override {
    const auto n = std::min(out.size(), data.size() - at);
    std::copy_n(data.begin() + static_cast<std::ptrdiff_t>(at), n, out.begin());
    at += n;
    return n;
  }
  [[nodiscard]] std::uint64_t size() const override { return data.size(); }
};
}  // namespace detail

inline bytes streaming_store::snapshot() {
  detail::bytes_sink sink;
  write_snapshot(sink);
  return std::move(sink.data);
}

inline void streaming_store::restore(const bytes& snapshot) {
  detail::bytes_source source(snapshot);
  read_snapshot(source);
}

}  // namespace actraft
