// A compact record of what the simulator did: fixed-size events in a ring
// buffer (the last N), formatted only when somebody reads them. A running
// fingerprint over every event lets tests assert that a seed replays exactly.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "actraft/core/message.hpp"
#include "actraft/core/node.hpp"

namespace actraft::sim {

enum class trace_kind : std::uint8_t {
  tick,        ///< node ticked and had something to do
  deliver,     ///< message delivered: peer -> node
  drop,        ///< message lost by the network (random loss)
  duplicate,   ///< message sent twice
  lost_down,   ///< message arrived at a crashed node
  cut,         ///< message blocked by a partition
  unreachable, ///< message to a peer the sender has no connection to
  take_ready,  ///< node hands a write to its disk (durability window opens)
  persist,     ///< the write is durable; the messages that waited for it are sent
  apply,       ///< the state machine applied n entries, up to index
  request,     ///< a client request sent to node (text says what)
  answer,      ///< node answered a client request (text says how)
  campaign,    ///< node told to start an election
  transfer,    ///< leader told to hand leadership to peer
  role,        ///< node changed role / term
  crash,       ///< node crashed (unpersisted work lost)
  restart,     ///< node restarted from its disk
  fault,       ///< partition / network / disk change (text)
  note,        ///< free text from a driver
};

struct trace_event {
  std::uint64_t step = 0;
  std::uint64_t time = 0;
  trace_kind kind = trace_kind::note;
  std::uint8_t node = 0;
  std::uint8_t peer = 0;
  core::message_type mtype = core::message_type::heartbeat;
  core::role role = core::role::follower;
  bool reject = false;
  std::uint32_t n = 0;        ///< entries carried / persisted / applied
  std::uint64_t term = 0;
  std::uint64_t index = 0;
  std::uint64_t log_term = 0;
  std::uint64_t commit = 0;
  std::uint64_t extra = 0;    ///< kind-specific (vote, applied, last index...)
  std::string text;           ///< rare events only (faults, notes)
};

/// One line, e.g. `#812 t=1530 n2 <- n1 append t3 prev=(5,3) +2 commit=5`.
std::string format(const trace_event& e);

class trace_ring {
 public:
  explicit trace_ring(std::size_t capacity = 512) : capacity_(capacity == 0 ? 1 : capacity) {}

  void push(trace_event e);
  [[nodiscard]] std::size_t size() const { return events_.size(); }
  [[nodiscard]] std::uint64_t total() const { return total_; }
  /// Hash over every event ever pushed (not only those still held).
  [[nodiscard]] std::uint64_t fingerprint() const { return fingerprint_; }
  /// Oldest first.
  void for_each(const std::function<void(const trace_event&)>& f) const;
  /// The held events, one per line.
  [[nodiscard]] std::string dump() const;

 private:
  std::size_t capacity_;
  std::vector<trace_event> events_;
  std::size_t head_ = 0;  // next slot to overwrite once full
  std::uint64_t total_ = 0;
  std::uint64_t fingerprint_ = 0xcbf29ce484222325ULL;
};

}  // namespace actraft::sim
