// The simulated clients: every request sent to a member's mailbox, and the
// checks on every answer. The simulated store answers a command with
// "<index>:<command>" (the index it applied it at), so an answer shows which
// entry it belongs to, and a query with "<n>", the number of entries it has
// applied (its state is exactly that prefix of the log).
//   - every request is answered at most once;
//   - an answer that says "applied" carries the result of the request's own
//     entry, which is committed and was applied by some member;
//   - a linearizable read reflects every write acknowledged, and every
//     state another read returned, before it was asked (real-time order),
//     and nothing not committed; a stale read only the latter;
//   - every request is answered by its deadline (a member that crashes ends
//     its clients' requests: they see the connection drop).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "actraft/driver/ports.hpp"
#include "support/invariants.hpp"

namespace actraft::sim {

/// The simulated store's answer to `e` (or nothing: apply fails for it).
std::optional<std::string> store_result(const core::entry& e);
/// A command that makes the simulated store's apply throw, on every member.
bool failing_command(const std::string& text);

class client_log {
 public:
  struct record {
    core::node_id to;                 ///< the member it was sent to
    std::uint64_t incarnation = 0;    ///< of that member
    driver::request_kind kind = driver::request_kind::propose;
    core::payload command;            ///< propose
    core::node_id member;             ///< join: the joiner; remove: the member removed
    std::uint64_t submitted = 0;      ///< time units
    std::uint64_t deadline = 0;
    bool answered = false;
    bool lost = false;  ///< the member went down first: the client saw the connection drop
    driver::reply answer;
    std::uint64_t answered_at = 0;
    /// query: the least state it may return (see add()).
    std::uint64_t floor = 0;
    driver::request_id floor_by = 0;  ///< the request that showed the floor
  };
  struct acked_proposal {
    core::log_index index;
    core::raft_term term;
    core::payload data;
  };

  /// A query's floor is set here: the highest index any client had seen
  /// by then (acknowledged writes, answered reads).
  void add(driver::request_id id, record r);
  /// Checks an answer against the rules above and records it.
  std::optional<violation> on_answer(driver::request_id id, const driver::reply& r,
                                     std::uint64_t now, const invariant_checker& checker);
  /// The member went down: the requests still open there end for their clients.
  void on_crash(core::node_id n, std::uint64_t incarnation, std::uint64_t now);
  /// A request still open `slack` time units after its deadline.
  [[nodiscard]] std::optional<violation> overdue(std::uint64_t now, std::uint64_t slack) const;

  [[nodiscard]] const record* find(driver::request_id id) const;
  /// Proposals a client was told were applied, with their entry.
  [[nodiscard]] const std::vector<acked_proposal>& acknowledged() const { return acked_; }
  [[nodiscard]] std::uint64_t answered() const { return answered_; }

 private:
  std::optional<violation> check_applied(driver::request_id id, const record& rec,
                                         const driver::reply& r, const invariant_checker& checker);
  std::optional<violation> check_read(driver::request_id id, const record& rec,
                                      const driver::reply& r, const invariant_checker& checker);

  std::map<driver::request_id, record> requests_;
  std::map<driver::request_id, std::uint64_t> open_;  // id -> deadline
  std::vector<acked_proposal> acked_;
  std::uint64_t answered_ = 0;
  std::uint64_t seen_ = 0;  // highest index acknowledged or read so far
  std::uint64_t seen_by_ = 0;  // the request that showed it
};

}  // namespace actraft::sim
