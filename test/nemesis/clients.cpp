#include "clients.hpp"

#include <chrono>
#include <optional>
#include <thread>

#include "prng.hpp"

using actraft::lincheck::outcome;

namespace actraft::nemesis {

void run_client(int id, const options& o, cluster& c, lincheck::history_recorder& rec,
                stall_detector& stalls, const std::vector<endpoint>& eps, std::atomic<bool>& stop,
                client_stats& out) {
  const auto client_timeout =
      std::chrono::milliseconds(o.request_timeout_ms + 2 * o.slack_ms + 2000);
  kv_client kv(rec, static_cast<std::uint64_t>(id), eps, client_timeout);
  kv.reads_from_local_state(o.stale_reads);
  prng r{o.seed * 1000003 + static_cast<std::uint64_t>(id)};
  std::map<std::string, std::optional<std::string>> last_seen;
  std::uint64_t seq = 0;
  const std::int64_t deadline_ns =
      static_cast<std::int64_t>(o.request_timeout_ms + o.slack_ms) * 1'000'000;
  while (!stop) {
    const std::size_t n = r.next() % eps.size();
    const std::string key = "k" + std::to_string(r.next() % static_cast<std::uint64_t>(o.keys));
    const std::string value = "c" + std::to_string(id) + "-" + std::to_string(++seq);
    const int dice = static_cast<int>(r.next() % 100);
    answer a;
    const char* op = "";
    if (dice < 30) {
      op = "put";
      a = kv.put(n, key, value);
      if (a.outcome == outcome::ok) last_seen[key] = value;
    } else if (dice < 70) {
      op = "get";
      a = kv.get(n, key);
      if (a.outcome == outcome::ok) last_seen[key] = a.value;
    } else if (dice < 80) {
      op = "delete";
      a = kv.del(n, key);
      if (a.outcome == outcome::ok) last_seen[key] = std::nullopt;
    } else {
      op = "cas";
      // Mostly what this client saw last (often still there), sometimes "absent".
      std::optional<std::string> expected;
      if (auto it = last_seen.find(key); it != last_seen.end() && r.next() % 4 != 0)
        expected = it->second;
      a = kv.cas(n, key, expected, value);
      if (a.outcome == outcome::ok && a.swapped) last_seen[key] = value;
    }
    ++out.ops;
    switch (a.outcome) {
      case outcome::ok: ++out.ok; break;
      case outcome::failed: ++out.failed; break;
      case outcome::unknown: ++out.unknown; break;
    }
    if (!a.error.empty()) ++out.errors[a.error];
    if (a.complete - a.invoke > deadline_ns && !c.paused_during(n, a.invoke, a.complete)) {
      if (stalls.stalled_during(a.invoke, a.complete)) {
        ++out.late_in_stall;
      } else {
        out.late.push_back(std::string(op) + " " + key + " on node " + std::to_string(n + 1) +
                           " by client " + std::to_string(id) + ": " +
                           std::to_string((a.complete - a.invoke) / 1'000'000) + " ms (" +
                           (a.error.empty() ? "answered" : a.error) + "), invoked at t=" +
                           std::to_string(a.invoke));
      }
    }
    // What operators are promised for a rolling restart or a replacement:
    // only errors to retry (on another member): a connection refused or
    // closed by a member going down, a 503 (not_leader), a 504 from a
    // member shutting down. Asked during the operation: a request asked
    // before may be answered late for the fault before it.
    const bool retryable = a.error.rfind("conn ", 0) == 0 || a.error.rfind("http 503", 0) == 0 ||
                           a.error == "http 504 shutting_down";
    if (a.outcome != outcome::ok && !retryable && c.in_operation(a.invoke) &&
        !stalls.stalled_during(a.invoke, a.complete))
      out.not_retryable.push_back(std::string(op) + " " + key + " on node " + std::to_string(n + 1) +
                                  " by client " + std::to_string(id) + ": " + a.error +
                                  ", invoked at t=" + std::to_string(a.invoke));
    // A refused connection or a leaderless cluster answers at once: do not spin.
    if (a.outcome != outcome::ok)
      std::this_thread::sleep_for(std::chrono::milliseconds(20 + r.next() % 30));
  }
}

client_stats add_up(const std::vector<client_stats>& stats) {
  client_stats total;
  for (const auto& s : stats) {
    total.ops += s.ops;
    total.ok += s.ok;
    total.failed += s.failed;
    total.unknown += s.unknown;
    for (const auto& [k, v] : s.errors) total.errors[k] += v;
    total.late.insert(total.late.end(), s.late.begin(), s.late.end());
    total.late_in_stall += s.late_in_stall;
    total.not_retryable.insert(total.not_retryable.end(), s.not_retryable.begin(), s.not_retryable.end());
  }
  return total;
}

}  // namespace actraft::nemesis
