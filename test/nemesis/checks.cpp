#include "checks.hpp"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <set>

#include <httplib.h>

#include "events.hpp"
#include "lincheck/checker.hpp"
#include "prng.hpp"

using namespace std::chrono_literals;
using actraft::lincheck::outcome;

namespace actraft::nemesis {

void check_leader(cluster& c, std::vector<std::string>& failures) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  bool agreed = false;
  while (!agreed && !interrupted() && std::chrono::steady_clock::now() < deadline) {
    std::set<std::uint64_t> leaders;
    const auto members = c.members();
    std::size_t answered = 0;
    for (int i : members)
      if (auto s = c.get_status(i)) {
        ++answered;
        leaders.insert(s->leader_id);
      }
    agreed = answered == members.size() && leaders.size() == 1 && *leaders.begin() != 0;
    if (!agreed) wait_for(c, 200ms);
  }
  if (!agreed) failures.push_back("no leader followed by every member within 30 s of healing");
}

key_values final_reads(const options& o, cluster& c, lincheck::history_recorder& rec,
                       const std::vector<endpoint>& eps, std::vector<std::string>& failures) {
  key_values final_values;
  kv_client reader(rec, static_cast<std::uint64_t>(o.clients), eps,
                   std::chrono::milliseconds(o.request_timeout_ms + 5000));
  prng r{o.seed ^ 0xF17A1ull};
  for (int k = 0; k < o.keys && !interrupted(); ++k) {
    const std::string key = "k" + std::to_string(k);
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    bool done = false;
    while (!done && !interrupted() && std::chrono::steady_clock::now() < deadline) {
      auto a = reader.get(r.next() % eps.size(), key);
      if (a.outcome == outcome::ok) {
        final_values[key] = a.value;
        done = true;
      } else {
        wait_for(c, 100ms);
      }
    }
    if (!done) {
      failures.push_back("the final read of " + key + " got no answer within 30 s");
      break;
    }
  }
  return final_values;
}

namespace {

/// What member i holds differently from `final_values` (read from its
/// applied state with ?stale=true); empty if nothing.
std::string state_difference(std::size_t i, const endpoint& ep, const key_values& final_values) {
  httplib::Client h(ep.host, ep.port);
  h.set_read_timeout(2s);
  for (const auto& [key, value] : final_values) {
    auto g = h.Get(("/kv/" + key + "?stale=true").c_str());
    std::optional<std::string> got;
    if (!g || (g->status != 200 && g->status != 404))
      return "n" + std::to_string(i + 1) + " did not answer a stale read of " + key;
    if (g->status == 200) got = g->body;
    if (got != value)
      return "n" + std::to_string(i + 1) + " holds " + key + "=" +
             (got ? "\"" + *got + "\"" : "absent") + " but the final linearizable read returned " +
             (value ? "\"" + *value + "\"" : "absent");
  }
  return {};
}

std::string to_text(const std::vector<std::uint64_t>& ids) {
  std::string t;
  for (auto id : ids) t += (t.empty() ? "" : ",") + std::to_string(id);
  return "{" + t + "}";
}

}  // namespace

void check_convergence(cluster& c, const std::vector<endpoint>& eps,
                       const key_values& final_values, std::vector<std::string>& failures) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  std::string problem = "members did not converge";
  while (!interrupted()) {
    // The members the operations that succeeded imply: each answers, lists
    // exactly their ids as voters, and has applied what the others have.
    const auto members = c.members();
    std::vector<std::optional<status>> st;
    for (int i : members) st.push_back(c.get_status(i));
    std::vector<std::uint64_t> ids;
    for (const auto& s : st)
      if (s) ids.push_back(s->id);
    std::sort(ids.begin(), ids.end());
    problem.clear();
    const int first = members.front();
    for (std::size_t k = 0; k < members.size() && problem.empty(); ++k) {
      const auto& s = st[k];
      const std::string who = "n" + std::to_string(members[k] + 1);
      auto listed = s ? s->member_ids : std::vector<std::uint64_t>{};
      std::sort(listed.begin(), listed.end());
      if (!s) problem = who + " does not answer /status";
      else if (s->applied != st[0]->applied || s->applied != s->commit)
        problem = "applied indexes differ (n" + std::to_string(first + 1) + " " +
                  std::to_string(st[0]->applied) + ", " + who + " " + std::to_string(s->applied) +
                  " of " + std::to_string(s->commit) + " committed)";
      else if (s->voters != s->members || listed != ids)
        problem = who + " lists " + std::to_string(s->voters) + " voters of " +
                  std::to_string(s->members) + " members, not exactly the " +
                  std::to_string(members.size()) + " members " + to_text(ids);
    }
    if (problem.empty()) {
      // Same applied index everywhere: compare the applied state itself.
      for (std::size_t k = 0; k < members.size() && problem.empty(); ++k) {
        const auto n = static_cast<std::size_t>(members[k]);
        problem = state_difference(n, eps[n], final_values);
      }
      // Nothing may have moved while we compared.
      auto again = c.get_status(first);
      if (problem.empty() && (!again || again->applied != st[0]->applied))
        problem = "applied index moved during the comparison";
    }
    if (problem.empty() || std::chrono::steady_clock::now() > deadline) break;
    wait_for(c, 300ms);
  }
  if (!problem.empty()) failures.push_back("convergence: " + problem);
  else say("members converged: identical state on every member");
}

void check_processes(cluster& c, std::vector<std::string>& failures) {
  c.reap();
  for (const auto& crash : c.crashes()) failures.push_back("crash: " + crash);
  for (const auto& p : c.shutdown()) failures.push_back("shutdown: " + p);
}

void check_answers(const options& o, client_stats& total, stall_detector& stalls,
                   std::vector<std::string>& failures) {
  {
    const auto st = stalls.stalls();
    std::int64_t longest = 0;
    for (const auto& [a, b] : st) longest = std::max(longest, b - a);
    if (!st.empty())
      say("machine stalls (a 20 ms sleep took over " +
          std::to_string(stall_detector::threshold_ns / 1'000'000) + " ms): " +
          std::to_string(st.size()) + ", longest " + std::to_string(longest / 1'000'000) +
          " ms; " + std::to_string(total.late_in_stall) +
          " late answer(s) during them not counted");
  }
  if (!total.late.empty()) {
    std::sort(total.late.begin(), total.late.end(), [](const std::string& a, const std::string& b) {
      return std::stoll(a.substr(a.rfind("t=") + 2)) < std::stoll(b.substr(b.rfind("t=") + 2));
    });
    for (std::size_t i = 0; i < total.late.size() && i < 20; ++i)
      say("late answer: " + total.late[i]);
    failures.push_back(std::to_string(total.late.size()) +
                       " answer(s) later than the request timeout + " +
                       std::to_string(o.slack_ms) +
                       " ms from members that were not paused; first: " + total.late.front());
  }
  if (!total.not_retryable.empty()) {
    for (std::size_t i = 0; i < total.not_retryable.size() && i < 20; ++i)
      say("not retryable during an operation: " + total.not_retryable[i]);
    failures.push_back(std::to_string(total.not_retryable.size()) +
                       " answer(s) during a rolling restart or a replacement were not a "
                       "retryable error; first: " + total.not_retryable.front());
  }
  if (total.ok == 0) failures.push_back("no operation succeeded");
}

history_check check_history(const lincheck::history_recorder& rec, const std::string& file,
                            std::vector<std::string>& failures) {
  const auto history = rec.history();
  rec.write_jsonl(file);
  std::vector<std::size_t> lines(history.size());  // the file has them in this order
  for (std::size_t i = 0; i < lines.size(); ++i) lines[i] = i + 1;
  const auto t_check = std::chrono::steady_clock::now();
  auto verdict = lincheck::check(history);
  const double check_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_check).count();
  if (verdict.result == lincheck::verdict::not_linearizable) {
    failures.push_back("history is NOT linearizable:\n" +
                       lincheck::format_result(verdict, history, &lines));
  } else if (verdict.result == lincheck::verdict::undecided) {
    failures.push_back("history undecided: the checker's budget ran out\n" +
                       lincheck::format_result(verdict, history, &lines));
  }
  return {history.size(), check_s};
}

}  // namespace actraft::nemesis
