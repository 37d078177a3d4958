// Client histories of the replicated key-value store: one record per
// operation, written and read as JSON lines (schema: docs/testing.md,
// "Linearizability checker").
//
//   {"client":3,"op":"put","key":"k1","value":"v7","invoke":1200,"complete":1900,"outcome":"ok"}
//   {"client":4,"op":"get","key":"k1","value":"v7","invoke":2000,"complete":2300,"outcome":"ok"}
//   {"client":4,"op":"get","key":"k2","found":false,"invoke":2400,"complete":2500,"outcome":"ok"}
//   {"client":5,"op":"cas","key":"k1","expected":"v7","value":"v8","swapped":false,...}
//   {"client":6,"op":"delete","key":"k1","existed":true,...}
//   {"client":7,"op":"put","key":"k1","value":"v9","invoke":2600,"outcome":"unknown"}
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace actraft::lincheck {

enum class op_kind : std::uint8_t { put, get, del, cas };

/// ok: the client got an answer. failed: definitely not applied (it never
/// happened). unknown: timeout or lost connection; it may have taken effect at
/// any time after its invocation, or never.
enum class outcome : std::uint8_t { ok, failed, unknown };

const char* to_string(op_kind k);
const char* to_string(outcome o);
std::ostream& operator<<(std::ostream& out, op_kind k);
std::ostream& operator<<(std::ostream& out, outcome o);

/// One client operation. Times are integers on one monotonic clock (the
/// recorder uses nanoseconds); only their order matters to the checker.
struct operation {
  std::uint64_t client = 0;
  op_kind kind = op_kind::get;
  std::string key;
  /// put, cas: the value written. get with outcome ok: the value read, or
  /// nullopt when the key was not found. Otherwise unused.
  std::optional<std::string> value;
  /// cas: the value the key must hold; nullopt: the key must not exist.
  std::optional<std::string> expected;
  /// cas with outcome ok: whether it swapped (false: the answer was "the
  /// current value is not `expected`", e.g. HTTP 412).
  bool swapped = true;
  /// delete with outcome ok: whether the key existed (HTTP 204 / 404), when the
  /// client knows it; nullopt: not recorded.
  std::optional<bool> existed;
  std::int64_t invoke = 0;
  /// Completion time. For outcome unknown it is only informational (when the
  /// client gave up) and may be absent: the checker treats it as +infinity.
  std::optional<std::int64_t> complete;
  outcome result = outcome::ok;

  friend bool operator==(const operation&, const operation&) = default;
};

/// Human-readable one-line form: `put k1="v7"`, `get k1 -> "v7"`,
/// `cas k1 "v7"->"v8" (not swapped)`, `delete k1 (existed)`.
std::string describe(const operation& op);

/// Malformed input: the line (1-based; 0 if not from a file) and what is wrong.
class bad_history : public std::runtime_error {
 public:
  bad_history(std::size_t line, const std::string& what);
  std::size_t line() const noexcept { return line_; }

 private:
  std::size_t line_;
};

/// One JSON line (no trailing newline) and back. parse_line throws bad_history
/// (with line 0) on anything that does not follow the schema.
std::string to_json_line(const operation& op);
operation parse_line(std::string_view line);

/// Reads a whole JSON-lines history; blank lines are skipped. `line_numbers`,
/// if given, receives the 1-based line of each operation returned.
std::vector<operation> read_history(std::istream& in,
                                    std::vector<std::size_t>* line_numbers = nullptr);
/// Same, from a file; throws bad_history (line 0) if it cannot be opened.
std::vector<operation> read_history_file(const std::string& path,
                                         std::vector<std::size_t>* line_numbers = nullptr);
void write_history(std::ostream& out, const std::vector<operation>& ops);

/// Thread-safe recorder for a load generator: every client thread calls
/// invoke() right before sending a request and one of the completion calls
/// when the answer (or the give-up) arrives. Operations still pending when the
/// history is taken are written with outcome unknown.
///
///   auto t = rec.invoke_put(client, "k1", "v7");
///   ... send, wait ...
///   ok ? rec.ok(t) : timed_out ? rec.unknown(t) : rec.failed(t);
class history_recorder {
 public:
  using ticket = std::size_t;
  using clock_fn = std::function<std::int64_t()>;

  /// Times are nanoseconds of std::chrono::steady_clock since construction.
  history_recorder();
  /// Times come from `clock` (must be monotonic; handy for tests/simulations).
  explicit history_recorder(clock_fn clock);

  std::int64_t now() const;

  ticket invoke_put(std::uint64_t client, std::string key, std::string value);
  ticket invoke_get(std::uint64_t client, std::string key);
  ticket invoke_delete(std::uint64_t client, std::string key);
  ticket invoke_cas(std::uint64_t client, std::string key, std::optional<std::string> expected,
                    std::string value);

  /// put, delete (existence not known), cas that swapped.
  void ok(ticket t);
  /// get: the value read, nullopt = not found.
  void ok_get(ticket t, std::optional<std::string> value);
  void ok_cas(ticket t, bool swapped);
  void ok_delete(ticket t, bool existed);
  /// Definitely not applied (e.g. rejected before it reached the log).
  void failed(ticket t);
  /// Timeout, connection lost: may or may not have been applied.
  void unknown(ticket t);

  /// Appends a complete record as is (times already filled in).
  void record(operation op);

  /// Every operation in invocation order; pending ones as outcome unknown.
  std::vector<operation> history() const;
  std::size_t size() const;
  void write_jsonl(std::ostream& out) const;
  /// Throws std::runtime_error if the file cannot be written.
  void write_jsonl(const std::string& path) const;

 private:
  ticket start(operation op);
  operation& pending(ticket t);  // requires mu_
  void finish(ticket t, outcome o);

  clock_fn clock_;
  mutable std::mutex mu_;
  std::vector<operation> ops_;
  std::vector<bool> done_;
};

}  // namespace actraft::lincheck
