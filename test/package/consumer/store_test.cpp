// A store's test built against an installed actraft: the kit
// (actraft::testing) runs the store on every member of the simulated
// cluster under faults, and catches a store that is not deterministic.
//   store_test        (exit code 0 only if the good store passes and the bad one is caught)
#include <actraft/testing.hpp>

#include <chrono>
#include <iostream>
#include <map>
#include <string>

namespace {

/// Counts each word; the result is the new count, the snapshot the counts.
struct word_count : actraft::store {
  std::map<std::string, std::uint64_t> counts;
  actraft::bytes apply(const actraft::bytes& c) override {
    const auto n = ++counts[std::string(c.begin(), c.end())];
    return actraft::bytes(reinterpret_cast<const std::uint8_t*>(&n),
                          reinterpret_cast<const std::uint8_t*>(&n) + sizeof n);
  }
  actraft::bytes snapshot() override {
    std::string s;
    for (const auto& [w, n] : counts) s += w + " " + std::to_string(n) + "\n";
    return actraft::bytes(s.begin(), s.end());
  }
  void restore(const actraft::bytes& b) override {
    counts.clear();
    std::string s(b.begin(), b.end());
    for (std::size_t at = 0; at < s.size();) {
      const auto sp = s.find(' ', at), nl = s.find('\n', sp);
      counts[s.substr(at, sp - at)] = std::stoull(s.substr(sp + 1, nl - sp - 1));
      at = nl + 1;
    }
  }
};

/// The same, but its result carries the time: differs on every member.
struct timed_word_count : word_count {
  actraft::bytes apply(const actraft::bytes& c) override {
    auto r = word_count::apply(c);
    const auto t = std::chrono::steady_clock::now().time_since_epoch().count();
    r.push_back(static_cast<std::uint8_t>(t));
    r.push_back(static_cast<std::uint8_t>(t >> 8));
    return r;
  }
};

actraft::bytes word(std::mt19937_64& rng) {
  const std::string w = "w" + std::to_string(rng() % 10);
  return actraft::bytes(w.begin(), w.end());
}

}  // namespace

int main() {
  actraft::testing::check_options o;
  o.seeds = 20;
  const auto good = actraft::testing::check_store<word_count>(word, o);
  std::cout << good << "\n";
  const auto bad = actraft::testing::check_store<timed_word_count>(word, o);
  std::cout << "a store that reads the clock: " << (bad.ok ? "not caught" : "caught") << "\n";
  return good.ok && !bad.ok && bad.failure.find("apply is not deterministic") != std::string::npos ? 0 : 1;
}
