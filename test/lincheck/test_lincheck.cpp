// test_lincheck: the linearizability checker rejects known-bad histories,
// accepts known-good concurrent ones, and shrinks violations to short witnesses.
#define BOOST_TEST_MODULE lincheck
#include <boost/test/unit_test.hpp>

#include "test_util.hpp"

using namespace lincheck_test;

namespace {

/// The witness on its own must be non-linearizable too (the shrinker only
/// weakens), and it must mention the given history indices.
void check_witness(const std::vector<operation>& h, const check_result& r, std::size_t max_size) {
  BOOST_TEST_REQUIRE(r.result == verdict::not_linearizable);
  BOOST_TEST(!r.witness.empty());
  BOOST_TEST(r.witness.size() <= max_size);
  std::vector<operation> w;
  for (const auto& op : r.witness) w.push_back(op.op);
  BOOST_TEST(check_register(w, {}, r.witness_initial_values ? &*r.witness_initial_values : nullptr) ==
             verdict::not_linearizable);
  BOOST_TEST_MESSAGE(format_result(r, h));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(rejects)

BOOST_AUTO_TEST_CASE(stale_read) {
  // b overwrote a before the read began; the read still sees a.
  const std::vector<operation> h{put(1, "a", 0, 10), put(2, "b", 20, 30), get(3, "a", 40, 50)};
  const auto r = check(h);
  check_witness(h, r, 3);
  BOOST_TEST(*r.bad_key == "x");
}

BOOST_AUTO_TEST_CASE(lost_write) {
  // An acknowledged put, then reads that never see it.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), get(2, std::nullopt, 20, 30)}) == verdict::not_linearizable);
  // Two acknowledged puts in sequence; the later one is lost.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), put(1, "b", 20, 30), get(2, "a", 40, 50), get(3, "a", 60, 70)}) ==
             verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(read_of_never_written_value) {
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), get(2, "zzz", 5, 15)}) == verdict::not_linearizable);
  BOOST_TEST(verdict_of({get(2, "zzz", 5, 15)}) == verdict::not_linearizable);
  // A failed put never happened: its value cannot be read.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10, outcome::failed), get(2, "a", 20, 30)}) == verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(read_from_the_future) {
  // The read completed before the write was even invoked.
  BOOST_TEST(verdict_of({get(2, "a", 0, 10), put(1, "a", 20, 30)}) == verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(non_monotonic_reads) {
  // The register goes a -> b; a reader sees b then a again.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), put(1, "b", 20, 100), get(2, "b", 30, 40), get(2, "a", 50, 60)}) ==
             verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(cas_anomalies) {
  // Both swap from a, one after the other: the second must have seen b.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), cas(2, "a", "b", 20, 30), cas(3, "a", "c", 40, 50)}) ==
             verdict::not_linearizable);
  // Both swap from a concurrently: still only one can.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), cas(2, "a", "b", 20, 50), cas(3, "a", "c", 20, 50)}) ==
             verdict::not_linearizable);
  // "Must not exist" swapped although the key definitely existed.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), cas(2, std::nullopt, "b", 20, 30)}) == verdict::not_linearizable);
  // Not swapped although the key definitely held the expected value.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), cas(2, "a", "b", 20, 30, false)}) == verdict::not_linearizable);
  // Swapped, but a later read still sees the old value.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), cas(2, "a", "b", 20, 30), get(3, "a", 40, 50)}) ==
             verdict::not_linearizable);
  // Swapped from a value nobody wrote.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), cas(2, "q", "b", 5, 30)}) == verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(read_your_writes_across_clients) {
  // Client 1 writes b and (say) tells client 2, which then reads the old value.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), put(1, "b", 20, 30), get(2, "a", 31, 40)}) ==
             verdict::not_linearizable);
  // The same within one client.
  BOOST_TEST(verdict_of({put(1, "b", 0, 10), get(1, std::nullopt, 11, 20)}) == verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(delete_anomalies) {
  // Deleted, then the value is back.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), del(2, 20, 30), get(3, "a", 40, 50)}) == verdict::not_linearizable);
  // "Did not exist" although it definitely did, and vice versa.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), del(2, 20, 30, false)}) == verdict::not_linearizable);
  BOOST_TEST(verdict_of({del(2, 20, 30, true)}) == verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(unknown_write_cannot_take_effect_before_its_call) {
  BOOST_TEST(verdict_of({get(1, "a", 0, 10), put_unknown(2, "a", 20)}) == verdict::not_linearizable);
  // Once seen and then overwritten by a later write, it cannot come back.
  BOOST_TEST(verdict_of({put_unknown(2, "a", 0), get(1, "a", 10, 20), put(3, "b", 30, 40),
                         get(1, "a", 50, 60)}) == verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(first_bad_key_is_reported) {
  const std::vector<operation> h{on("y", put(1, "a", 0, 10)), on("z", put(1, "a", 0, 10)),
                                 on("z", get(2, std::nullopt, 20, 30)), on("y", get(2, "a", 20, 30)),
                                 on("w", get(3, "q", 0, 5))};
  const auto r = check(h);
  BOOST_TEST_REQUIRE(r.result == verdict::not_linearizable);
  BOOST_TEST(*r.bad_key == "z");
  BOOST_TEST(r.keys.size() == 3u);
  BOOST_TEST(r.keys[0].result == verdict::linearizable);
  BOOST_TEST(r.keys[2].result == verdict::not_linearizable);
  for (const auto& w : r.witness) BOOST_TEST(h[w.index].key == "z");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(accepts)

BOOST_AUTO_TEST_CASE(empty_and_trivial) {
  BOOST_TEST(verdict_of({}) == verdict::linearizable);
  BOOST_TEST(verdict_of({get(1, std::nullopt, 0, 1)}) == verdict::linearizable);
  BOOST_TEST(verdict_of({put(1, "a", 0, 1), get(1, "a", 2, 3)}) == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(overlapping_writes_read_in_either_order) {
  for (const char* seen : {"a", "b"}) {
    BOOST_TEST(verdict_of({put(1, "a", 0, 10), put(2, "b", 0, 10), get(3, seen, 20, 30), get(4, seen, 40, 50)}) ==
               verdict::linearizable);
  }
  // Reads during the writes may see both, in either order.
  BOOST_TEST(verdict_of({put(1, "a", 0, 100), put(2, "b", 0, 100), get(3, "b", 10, 20), get(3, "a", 30, 40)}) ==
             verdict::linearizable);
  BOOST_TEST(verdict_of({put(1, "a", 0, 100), put(2, "b", 0, 100), get(3, "a", 10, 20), get(3, "b", 30, 40)}) ==
             verdict::linearizable);
  // A read overlapping a write sees the old or the new value.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), put(2, "b", 20, 40), get(3, "a", 30, 50)}) == verdict::linearizable);
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), put(2, "b", 20, 40), get(3, "b", 30, 50)}) == verdict::linearizable);
  // Operations that touch in time count as concurrent.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), get(2, std::nullopt, 10, 20)}) == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(unknown_writes_late_or_never) {
  // Never took effect.
  BOOST_TEST(verdict_of({put_unknown(1, "a", 0), get(2, std::nullopt, 10, 20), get(2, std::nullopt, 1000, 1010)}) ==
             verdict::linearizable);
  // Took effect much later than its call.
  BOOST_TEST(verdict_of({put_unknown(1, "a", 0), get(2, std::nullopt, 10, 20), get(2, "a", 1000, 1010)}) ==
             verdict::linearizable);
  // Took effect after a later acknowledged write.
  BOOST_TEST(verdict_of({put_unknown(1, "a", 0), put(2, "b", 10, 20), get(3, "b", 30, 40), get(3, "a", 50, 60)}) ==
             verdict::linearizable);
  // Unknown delete and unknown cas may each apply or not.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), del(2, 20, 0, std::nullopt, outcome::unknown), get(3, "a", 30, 40),
                         get(3, std::nullopt, 50, 60)}) == verdict::linearizable);
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), cas(2, "a", "b", 20, 0, true, outcome::unknown),
                         get(3, "a", 30, 40)}) == verdict::linearizable);
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), cas(2, "a", "b", 20, 0, true, outcome::unknown),
                         get(3, "b", 30, 40)}) == verdict::linearizable);
  // A get with unknown outcome observed nothing.
  auto lost_read = get(3, std::nullopt, 30, 0);
  lost_read.result = outcome::unknown;
  lost_read.complete.reset();
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), lost_read}) == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(failed_operations_never_happened) {
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), put(2, "b", 20, 30, outcome::failed), get(3, "a", 40, 50)}) ==
             verdict::linearizable);
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), del(2, 20, 30, std::nullopt, outcome::failed), get(3, "a", 40, 50)}) ==
             verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(delete_racing_a_put) {
  for (const std::optional<std::string>& seen : {std::optional<std::string>("a"), std::optional<std::string>()}) {
    BOOST_TEST(verdict_of({put(1, "a", 0, 10), del(2, 0, 10), get(3, seen, 20, 30)}) == verdict::linearizable);
  }
  // The delete reports whether it found the key: both consistent with some order.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), del(2, 0, 10, true), get(3, std::nullopt, 20, 30)}) ==
             verdict::linearizable);
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), del(2, 0, 10, false), get(3, "a", 20, 30)}) == verdict::linearizable);
  // ...but not if the delete found the key and the put still won: the key was empty before.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), del(2, 0, 10, true), get(3, "a", 20, 30)}) ==
             verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(concurrent_cas) {
  // Two racing cas from a: one swaps, the other sees b.
  BOOST_TEST(verdict_of({put(1, "a", 0, 10), cas(2, "a", "b", 20, 50), cas(3, "a", "c", 20, 50, false),
                         get(4, "b", 60, 70)}) == verdict::linearizable);
  BOOST_TEST(verdict_of({cas(2, std::nullopt, "b", 0, 50), cas(3, std::nullopt, "c", 0, 50, false),
                         get(4, "b", 60, 70)}) == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(independent_keys) {
  BOOST_TEST(verdict_of({on("p", put(1, "a", 0, 10)), on("q", put(1, "b", 20, 30)), on("p", get(2, "a", 40, 50)),
                         on("q", get(2, "b", 40, 50)), on("r", get(2, std::nullopt, 40, 50))}) ==
             verdict::linearizable);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(search)

BOOST_AUTO_TEST_CASE(budget_gives_undecided_not_a_hang) {
  // Many concurrent writes and a late read: the search needs more than 10 steps.
  std::vector<operation> h;
  for (int i = 0; i < 12; ++i) h.push_back(put(static_cast<std::uint64_t>(i), "v" + std::to_string(i), 0, 100));
  h.push_back(get(99, "v3", 200, 210));
  check_options tiny;
  tiny.max_steps = 10;
  BOOST_TEST(check(h, tiny).result == verdict::undecided);
  BOOST_TEST(check(h).result == verdict::linearizable);
  // A violation on another key still wins over undecided.
  h.push_back(on("other", get(1, "nope", 0, 1)));
  BOOST_TEST(check(h, tiny).result == verdict::not_linearizable);
}

BOOST_AUTO_TEST_CASE(memo_budget_gives_undecided) {
  std::vector<operation> h;
  for (int i = 0; i < 20; ++i) h.push_back(put(static_cast<std::uint64_t>(i), "v" + std::to_string(i), 0, 100));
  h.push_back(get(99, "nope", 200, 210));
  check_options tiny;
  tiny.max_memo_bytes = 64 * 1024;
  BOOST_TEST(check(h, tiny).result == verdict::undecided);
}

BOOST_AUTO_TEST_CASE(memoization_keeps_wide_concurrency_feasible) {
  // 14 concurrent writes then an impossible read: without the memo the search
  // would try all 14! (8.7e10) orders; with it, each (set of puts, last put)
  // is explored once: at most 14 * 2^13 configurations.
  std::vector<operation> h;
  for (int i = 0; i < 14; ++i) h.push_back(put(static_cast<std::uint64_t>(i), "v" + std::to_string(i), 0, 100));
  h.push_back(get(99, "nope", 200, 210));
  const auto r = check(h);
  BOOST_TEST(r.result == verdict::not_linearizable);
  BOOST_TEST(r.steps < 2'000'000u);
  BOOST_TEST_MESSAGE("14 concurrent puts + impossible read: " << r.steps << " steps");
}

BOOST_AUTO_TEST_CASE(long_sequential_history_needs_no_recursion) {
  // 200,000 sequential operations on one key: the explicit stack grows to the
  // history length; a recursive search would need as many frames.
  std::vector<operation> h;
  for (int i = 0; i < 100'000; ++i) {
    h.push_back(put(1, "v" + std::to_string(i), 4 * i, 4 * i + 1));
    h.push_back(get(2, "v" + std::to_string(i), 4 * i + 2, 4 * i + 3));
  }
  BOOST_TEST(check(h).result == verdict::linearizable);
  h.back().value = "v0";
  const auto r = check(h);
  BOOST_TEST(r.result == verdict::not_linearizable);
  BOOST_TEST(r.witness.size() <= 3u);
}

BOOST_AUTO_TEST_CASE(shrinks_to_the_offending_operations) {
  // A stale read buried in a long history of the same key.
  std::vector<operation> h;
  std::int64_t t = 0;
  for (int i = 0; i < 50; ++i, t += 10) h.push_back(put(1, "a" + std::to_string(i), t, t + 5));
  h.push_back(put(2, "b", t, t + 5));
  h.push_back(put(2, "c", t + 10, t + 15));
  h.push_back(get(3, "b", t + 20, t + 25));
  for (int i = 0; i < 50; ++i, t += 10) h.push_back(get(4, "c", t + 30, t + 35));
  const auto r = check(h);
  // The read of b after c was written (b, the whole earlier history: cut off).
  check_witness(h, r, 2);
  BOOST_TEST_REQUIRE(r.witness.size() == 2u);
  BOOST_TEST(r.witness[0].index == 51u);
  BOOST_TEST(r.witness[1].index == 52u);
  BOOST_TEST_REQUIRE(r.witness_initial_values.has_value());
  BOOST_TEST(r.witness_initial_values->size() == 51u);  // a0..a49, b; not absent
}

BOOST_AUTO_TEST_CASE(witness_marks_operations_cut_at_the_window_edge) {
  // A long-running put straddles the start of the window that shows the violation.
  const std::vector<operation> h{put(1, "a", 0, 10), put(2, "z", 5, 1000), put(1, "b", 20, 30),
                                 put(1, "c", 40, 50), get(3, "b", 60, 70)};
  const auto r = check(h);
  check_witness(h, r, 4);
  const std::string text = format_result(r, h);
  BOOST_TEST(text.find("key x") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(no_shrink_reports_the_whole_key) {
  const std::vector<operation> h{put(1, "a", 0, 10), put(2, "b", 20, 30), get(3, "a", 40, 50),
                                 on("y", put(1, "q", 0, 1))};
  check_options opt;
  opt.shrink = false;
  const auto r = check(h, opt);
  BOOST_TEST_REQUIRE(r.result == verdict::not_linearizable);
  BOOST_TEST(r.witness.size() == 3u);
  BOOST_TEST(!r.witness_start.has_value());
}

BOOST_AUTO_TEST_CASE(malformed_operations_throw) {
  auto p = put(1, "a", 0, 10);
  p.value.reset();
  BOOST_CHECK_THROW(check({p}), bad_history);
  BOOST_CHECK_THROW(check({put(1, "a", 10, 5)}), bad_history);
}

BOOST_AUTO_TEST_SUITE_END()
