// The history format: JSON lines both ways, strict reading, the recorder.
#include <boost/test/unit_test.hpp>

#include <sstream>
#include <thread>

#include "test_util.hpp"

using namespace lincheck_test;

BOOST_AUTO_TEST_SUITE(history_format)

BOOST_AUTO_TEST_CASE(schema_examples_parse) {
  const auto p = parse_line(
      R"({"client":3,"op":"put","key":"k1","value":"v7","invoke":123456,"complete":123999,"outcome":"ok"})");
  BOOST_TEST(p.client == 3u);
  BOOST_TEST(p.kind == op_kind::put);
  BOOST_TEST(p.key == "k1");
  BOOST_TEST(*p.value == "v7");
  BOOST_TEST(p.invoke == 123456);
  BOOST_TEST(*p.complete == 123999);
  BOOST_TEST(p.result == outcome::ok);

  const auto g = parse_line(R"({"client":1,"op":"get","key":"k","found":false,"invoke":1,"complete":2,"outcome":"ok"})");
  BOOST_TEST(!g.value.has_value());
  const auto c = parse_line(
      R"({"client":1,"op":"cas","key":"k","value":"b","swapped":false,"invoke":1,"complete":2,"outcome":"ok"})");
  BOOST_TEST(!c.expected.has_value());
  BOOST_TEST(!c.swapped);
  const auto c2 = parse_line(R"({"client":1,"op":"cas","key":"k","expected":"a","value":"b","invoke":1,"complete":2,"outcome":"ok"})");
  BOOST_TEST(*c2.expected == "a");
  BOOST_TEST(c2.swapped);  // absent: swapped
  const auto d = parse_line(R"({"client":1,"op":"delete","key":"k","existed":true,"invoke":1,"complete":2,"outcome":"ok"})");
  BOOST_TEST(*d.existed);
  const auto u = parse_line(R"({"client":1,"op":"put","key":"k","value":"x","invoke":1,"outcome":"unknown"})");
  BOOST_TEST(!u.complete.has_value());
  BOOST_TEST(u.result == outcome::unknown);
  const auto m = parse_line(
      R"({"client":1,"op":"get","key":"k","invoke":1,"complete":9,"outcome":"failed","meta":{"error":"503"}})");
  BOOST_TEST(m.result == outcome::failed);
}

BOOST_AUTO_TEST_CASE(round_trip) {
  const std::vector<operation> ops{put(1, "a \"quoted\"\n", 0, 10), get(2, "a", 5, 15), get(2, std::nullopt, 16, 17),
                                   del(3, 1, 2), del(3, 3, 4, false), cas(4, std::nullopt, "b", 5, 6),
                                   cas(4, "b", "c", 7, 8, false), put_unknown(5, "z", 9),
                                   put(6, "q", 10, 11, outcome::failed)};
  std::stringstream io;
  write_history(io, ops);
  std::vector<std::size_t> lines;
  const auto back = read_history(io, &lines);
  BOOST_TEST_REQUIRE(back.size() == ops.size());
  for (std::size_t i = 0; i < ops.size(); ++i) {
    BOOST_TEST(to_json_line(back[i]) == to_json_line(ops[i]));
    BOOST_TEST(lines[i] == i + 1);
  }
}

BOOST_AUTO_TEST_CASE(blank_lines_skipped_and_line_numbers_kept) {
  std::stringstream io;
  io << "\n" << to_json_line(put(1, "a", 0, 1)) << "\n  \n" << to_json_line(get(1, "a", 2, 3)) << "\n";
  std::vector<std::size_t> lines;
  const auto ops = read_history(io, &lines);
  BOOST_TEST(ops.size() == 2u);
  BOOST_TEST(lines[0] == 2u);
  BOOST_TEST(lines[1] == 4u);
}

BOOST_AUTO_TEST_CASE(malformed_lines_rejected_with_their_line) {
  const std::vector<std::string> bad{
      "not json",
      "[1,2]",
      R"({"client":1,"op":"put","key":"k","invoke":1,"complete":2,"outcome":"ok"})",               // no value
      R"({"client":1,"op":"get","key":"k","invoke":1,"complete":2,"outcome":"ok"})",               // no value/found
      R"({"client":1,"op":"get","key":"k","value":"a","found":false,"invoke":1,"complete":2,"outcome":"ok"})",
      R"({"client":1,"op":"put","key":"k","value":"a","invoke":5,"complete":2,"outcome":"ok"})",  // complete < invoke
      R"({"client":1,"op":"put","key":"k","value":"a","invoke":1,"outcome":"ok"})",               // no complete
      R"({"client":1,"op":"put","key":"k","value":"a","invoke":1,"complete":2,"outcome":"maybe"})",
      R"({"client":1,"op":"append","key":"k","value":"a","invoke":1,"complete":2,"outcome":"ok"})",
      R"({"client":-1,"op":"put","key":"k","value":"a","invoke":1,"complete":2,"outcome":"ok"})",
      R"({"client":1,"op":"put","key":7,"value":"a","invoke":1,"complete":2,"outcome":"ok"})",
      R"({"client":1,"op":"put","key":"k","value":"a","invoke":1.5,"complete":2,"outcome":"ok"})",
      R"({"client":1,"op":"put","key":"k","value":"a","invoke":1,"complete":2,"outcome":"ok","swaped":false})",
      R"({"client":1,"op":"cas","key":"k","value":"a","swapped":true,"invoke":1,"outcome":"unknown"})",
      R"({"client":1,"op":"get","key":"k","value":"a","invoke":1,"complete":2,"outcome":"failed"})",
      R"({"client":1,"op":"delete","key":"k","existed":"yes","invoke":1,"complete":2,"outcome":"ok"})",
  };
  for (const auto& line : bad) {
    std::stringstream io;
    io << to_json_line(put(1, "a", 0, 1)) << "\n" << line << "\n";
    try {
      read_history(io);
      BOOST_ERROR("accepted: " << line);
    } catch (const bad_history& e) {
      BOOST_TEST(e.line() == 2u);
      BOOST_TEST_MESSAGE(e.what());
    }
  }
}

BOOST_AUTO_TEST_CASE(recorder_two_phase_and_pending_as_unknown) {
  std::int64_t now = 100;
  history_recorder rec([&] { return now; });
  const auto a = rec.invoke_put(1, "k", "v1");
  now = 110;
  const auto b = rec.invoke_get(2, "k");
  const auto c = rec.invoke_cas(3, "k", std::nullopt, "v2");
  const auto d = rec.invoke_delete(4, "k");
  const auto e = rec.invoke_put(5, "k", "v3");
  now = 120;
  rec.ok(a);
  rec.ok_get(b, "v1");
  rec.ok_cas(c, false);
  rec.failed(d);
  // e never completes (the client died): written as unknown.
  BOOST_CHECK_THROW(rec.ok(a), std::logic_error);
  BOOST_CHECK_THROW(rec.ok_get(c, std::nullopt), std::logic_error);
  const auto h = rec.history();
  BOOST_TEST_REQUIRE(h.size() == 5u);
  BOOST_TEST(h[0].invoke == 100);
  BOOST_TEST(*h[0].complete == 120);
  BOOST_TEST(*h[1].value == "v1");
  BOOST_TEST(!h[2].swapped);
  BOOST_TEST(h[3].result == outcome::failed);
  BOOST_TEST(h[4].result == outcome::unknown);
  BOOST_TEST(!h[4].complete.has_value());
  (void)e;
  std::stringstream io;
  rec.write_jsonl(io);
  BOOST_TEST((read_history(io) == h));
  BOOST_TEST(check(h).result == verdict::linearizable);
}

BOOST_AUTO_TEST_CASE(recorder_is_thread_safe) {
  history_recorder rec;
  std::vector<std::thread> threads;
  for (std::uint64_t c = 0; c < 8; ++c) {
    threads.emplace_back([&rec, c] {
      for (int i = 0; i < 500; ++i) {
        const auto t = rec.invoke_put(c, "k" + std::to_string(c), std::to_string(i));
        rec.ok(t);
        const auto g = rec.invoke_get(c, "k" + std::to_string(c));
        rec.ok_get(g, std::to_string(i));
      }
    });
  }
  for (auto& t : threads) t.join();
  const auto h = rec.history();
  BOOST_TEST(h.size() == 8000u);
  for (const auto& op : h) BOOST_TEST_REQUIRE(*op.complete >= op.invoke);
  BOOST_TEST(check(h).result == verdict::linearizable);
}

BOOST_AUTO_TEST_SUITE_END()
