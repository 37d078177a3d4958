// A closed-loop HTTP load generator for kv_store and, for comparison, etcd's
// v3 JSON gateway: N client threads, each with one kept-alive connection,
// each sending its next request as soon as the previous one is answered.
//
//   loadgen --target=kv|etcd --urls=127.0.0.1:8001[,host:port...] [--clients=64]
//           [--payload=256] [--keys=10000] [--seconds=10] [--warmup=2]
//           [--op=put|get|mixed] [--prefill] [--timeout-ms=10000]
//
// Client i talks to endpoint i mod (number of endpoints). kv: PUT /kv/{key}
// (body = value) and GET /kv/{key} (linearizable). etcd: POST /v3/kv/put and
// POST /v3/kv/range with base64 keys and values in JSON (etcd 3.4's gRPC
// gateway; reads are linearizable by default there too). `mixed` is half puts,
// half gets. Only requests that start and finish inside the measured window
// count; a GET answered 404 (kv) or with no kvs (etcd) is a success. Clients
// open their connections one after the other during the warm-up.
//
// Prints a human summary and one machine-readable line starting with RESULT.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <httplib.h>

#include "loadgen_histogram.hpp"

namespace {

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;
using actraft::bench::latency_histogram;

enum class target_kind { kv, etcd };
enum class op_kind { put, get, mixed };

struct endpoint {
  std::string host;
  int port = 0;
};

struct options {
  target_kind target = target_kind::kv;
  std::vector<endpoint> urls;
  int clients = 1;
  std::size_t payload = 256;
  std::uint64_t keys = 10000;
  double seconds = 10;
  double warmup = 2;
  op_kind op = op_kind::put;
  bool prefill = false;
  int timeout_ms = 10000;
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "loadgen: " << why << "\n"
            << "usage: loadgen --target=kv|etcd --urls=host:port[,host:port...] [--clients=N]\n"
               "               [--payload=BYTES] [--keys=N] [--seconds=S] [--warmup=S]\n"
               "               [--op=put|get|mixed] [--prefill] [--timeout-ms=MS]\n";
  std::exit(2);
}

std::vector<endpoint> parse_urls(std::string_view list) {
  std::vector<endpoint> out;
  while (!list.empty()) {
    auto comma = list.find(',');
    std::string_view item = list.substr(0, comma);
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (item.starts_with("http://")) item.remove_prefix(7);
    while (item.ends_with('/')) item.remove_suffix(1);
    auto colon = item.rfind(':');
    if (colon == std::string_view::npos || colon == 0) usage("bad endpoint '" + std::string(item) + "'");
    endpoint e{std::string(item.substr(0, colon)), 0};
    try {
      e.port = std::stoi(std::string(item.substr(colon + 1)));
    } catch (const std::exception&) {
      usage("bad port in '" + std::string(item) + "'");
    }
    out.push_back(e);
  }
  return out;
}

options parse(int argc, char** argv) {
  options o;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    std::string name = a.substr(0, eq);
    std::string value = eq == std::string::npos ? "" : a.substr(eq + 1);
    try {
      if (name == "--target") {
        if (value == "kv") o.target = target_kind::kv;
        else if (value == "etcd") o.target = target_kind::etcd;
        else usage("--target must be kv or etcd");
      } else if (name == "--urls") {
        o.urls = parse_urls(value);
      } else if (name == "--clients") {
        o.clients = std::stoi(value);
      } else if (name == "--payload") {
        o.payload = std::stoul(value);
      } else if (name == "--keys") {
        o.keys = std::stoull(value);
      } else if (name == "--seconds") {
        o.seconds = std::stod(value);
      } else if (name == "--warmup") {
        o.warmup = std::stod(value);
      } else if (name == "--op") {
        if (value == "put") o.op = op_kind::put;
        else if (value == "get") o.op = op_kind::get;
        else if (value == "mixed") o.op = op_kind::mixed;
        else usage("--op must be put, get or mixed");
      } else if (name == "--prefill") {
        o.prefill = true;
      } else if (name == "--timeout-ms") {
        o.timeout_ms = std::stoi(value);
      } else if (name == "--help" || name == "-h") {
        usage("help");
      } else {
        usage("unknown option " + a);
      }
    } catch (const std::invalid_argument&) {
      usage("bad value in " + a);
    } catch (const std::out_of_range&) {
      usage("value out of range in " + a);
    }
  }
  if (o.urls.empty()) usage("--urls is required");
  if (o.clients < 1 || o.keys < 1 || o.seconds <= 0 || o.warmup < 0 || o.timeout_ms < 1)
    usage("--clients, --keys, --seconds and --timeout-ms must be positive");
  return o;
}

std::string base64(std::string_view in) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const auto n = (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16) |
                   (static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8) |
                   static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 2]));
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += alphabet[(n >> 6) & 63];
    out += alphabet[n & 63];
  }
  if (i < in.size()) {
    auto n = static_cast<std::uint32_t>(static_cast<unsigned char>(in[i])) << 16;
    if (i + 1 < in.size()) n |= static_cast<std::uint32_t>(static_cast<unsigned char>(in[i + 1])) << 8;
    out += alphabet[(n >> 18) & 63];
    out += alphabet[(n >> 12) & 63];
    out += i + 1 < in.size() ? alphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

/// xorshift64*: cheap, per thread, good enough to pick keys and operations.
struct rng {
  std::uint64_t s;
  explicit rng(std::uint64_t seed) : s(seed * 0x9E3779B97F4A7C15ull + 1) {}
  std::uint64_t next() {
    s ^= s >> 12;
    s ^= s << 25;
    s ^= s >> 27;
    return s * 0x2545F4914F6CDD1Dull;
  }
};

std::string key_name(std::uint64_t k) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "key-%08llu", static_cast<unsigned long long>(k));
  return buf;
}

/// One request's outcome: ok, or the name of an error class for the report.
struct outcome {
  bool ok = false;
  std::string error;  // "http 503", "conn Read", ...
};

/// One client: a connection to one endpoint and the request builders.
class client {
public:
  client(const options& o, const endpoint& e) : opts_(o), http_(e.host, e.port) {
    http_.set_keep_alive(true);
    http_.set_tcp_nodelay(true);
    const auto t = std::chrono::milliseconds(o.timeout_ms);
    http_.set_connection_timeout(t);
    http_.set_read_timeout(t);
    http_.set_write_timeout(t);
  }

  outcome put(const std::string& key, const std::string& value) {
    if (opts_.target == target_kind::kv)
      return judge(http_.Put("/kv/" + key, value, "application/octet-stream"), 204, false);
    std::string body = R"({"key":")" + base64(key) + R"(","value":")" + base64(value) + R"("})";
    return judge(http_.Post("/v3/kv/put", body, "application/json"), 200, false);
  }

  outcome get(const std::string& key) {
    if (opts_.target == target_kind::kv) return judge(http_.Get("/kv/" + key), 200, true);
    std::string body = R"({"key":")" + base64(key) + R"("})";
    return judge(http_.Post("/v3/kv/range", body, "application/json"), 200, false);
  }

private:
  static outcome judge(const httplib::Result& r, int expected, bool not_found_ok) {
    if (!r) return {false, "conn " + httplib::to_string(r.error())};
    if (r->status == expected || (not_found_ok && r->status == 404)) return {true, {}};
    return {false, "http " + std::to_string(r->status)};
  }

  const options& opts_;
  httplib::Client http_;
};

enum phase : int { warming = 0, measuring = 1, stopping = 2 };

struct per_thread {
  latency_histogram hist;
  std::map<std::string, std::uint64_t> errors;
  std::uint64_t warmup_errors = 0;
};

std::string make_value(std::size_t n, std::uint64_t seed) {
  std::string v(n, 'x');
  rng r(seed);
  for (auto& c : v) c = static_cast<char>('a' + r.next() % 26);
  return v;
}

void prefill(const options& o) {
  std::vector<std::thread> ts;
  std::atomic<std::uint64_t> failed{0};
  const int n = std::min<int>(o.clients, 64);
  for (int t = 0; t < n; ++t)
    ts.emplace_back([&, t] {
      client c(o, o.urls[static_cast<std::size_t>(t) % o.urls.size()]);
      const std::string value = make_value(o.payload, static_cast<std::uint64_t>(t) + 7);
      for (std::uint64_t k = static_cast<std::uint64_t>(t); k < o.keys; k += static_cast<std::uint64_t>(n))
        if (!c.put(key_name(k), value).ok) ++failed;
    });
  for (auto& t : ts) t.join();
  if (failed > 0) std::cerr << "loadgen: prefill: " << failed << " puts failed\n";
}

}  // namespace

int main(int argc, char** argv) {
  const options o = parse(argc, argv);
  const char* target_name = o.target == target_kind::kv ? "kv" : "etcd";
  const char* op_name = o.op == op_kind::put ? "put" : o.op == op_kind::get ? "get" : "mixed";
  if (o.prefill) prefill(o);

  std::atomic<int> ph{warming};
  // Clients connect one after the other (each waits for the previous one's
  // first answer): 64 simultaneous connects overflow a small listen backlog
  // (cpp-httplib's is 5) and the dropped SYNs come back a second later.
  std::atomic<int> connected{0};
  std::vector<per_thread> results(static_cast<std::size_t>(o.clients));
  std::vector<std::thread> threads;
  threads.reserve(static_cast<std::size_t>(o.clients));
  for (int i = 0; i < o.clients; ++i) {
    threads.emplace_back([&, i] {
      auto& out = results[static_cast<std::size_t>(i)];
      client c(o, o.urls[static_cast<std::size_t>(i) % o.urls.size()]);
      rng r(static_cast<std::uint64_t>(i) + 1);
      const std::string value = make_value(o.payload, static_cast<std::uint64_t>(i) + 1000);
      while (connected.load() < i && ph.load() != stopping) std::this_thread::sleep_for(100us);
      bool first = true;
      while (true) {
        const int started_in = ph.load(std::memory_order_relaxed);
        if (started_in == stopping) break;
        const std::string key = key_name(r.next() % o.keys);
        const bool is_put = o.op == op_kind::put || (o.op == op_kind::mixed && (r.next() & 1) == 0);
        const auto t0 = clk::now();
        outcome res = is_put ? c.put(key, value) : c.get(key);
        const auto t1 = clk::now();
        const int ended_in = ph.load(std::memory_order_relaxed);
        if (first) {
          first = false;
          ++connected;
        }
        if (started_in == measuring && ended_in == measuring) {
          if (res.ok)
            out.hist.record(static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0).count()));
          else
            ++out.errors[res.error];
        } else if (!res.ok) {
          ++out.warmup_errors;
        }
        // A refused or broken connection fails at once: do not spin on it.
        if (!res.ok && res.error.starts_with("conn")) std::this_thread::sleep_for(10ms);
      }
    });
  }

  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  const auto m0 = clk::now();
  ph = measuring;
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  ph = stopping;
  const double elapsed = std::chrono::duration<double>(clk::now() - m0).count();
  for (auto& t : threads) t.join();

  latency_histogram all;
  std::map<std::string, std::uint64_t> errors;
  std::uint64_t error_total = 0, warmup_errors = 0;
  for (const auto& r : results) {
    all.merge(r.hist);
    for (const auto& [k, v] : r.errors) {
      errors[k] += v;
      error_total += v;
    }
    warmup_errors += r.warmup_errors;
  }
  const double ops_per_s = static_cast<double>(all.count()) / elapsed;
  std::string error_list;
  for (const auto& [k, v] : errors) {
    if (!error_list.empty()) error_list += ",";
    std::string name = k;
    std::replace(name.begin(), name.end(), ' ', '_');
    error_list += name + ":" + std::to_string(v);
  }

  std::printf("loadgen: target %s, %zu endpoint(s), %d client(s), op %s, %zu-byte values, %llu keys\n",
              target_name, o.urls.size(), o.clients, op_name, o.payload,
              static_cast<unsigned long long>(o.keys));
  std::printf("  %llu ok in %.2f s = %.0f ops/s (warm-up %.1f s)\n",
              static_cast<unsigned long long>(all.count()), elapsed, ops_per_s, o.warmup);
  std::printf("  latency us: p50 %llu  p90 %llu  p99 %llu  p99.9 %llu  max %llu  mean %.0f\n",
              static_cast<unsigned long long>(all.percentile(50)),
              static_cast<unsigned long long>(all.percentile(90)),
              static_cast<unsigned long long>(all.percentile(99)),
              static_cast<unsigned long long>(all.percentile(99.9)),
              static_cast<unsigned long long>(all.max()), all.mean());
  std::printf("  errors: %llu", static_cast<unsigned long long>(error_total));
  for (const auto& [k, v] : errors) std::printf("  [%s: %llu]", k.c_str(), static_cast<unsigned long long>(v));
  if (warmup_errors > 0)
    std::printf("  (plus %llu during warm-up/drain)", static_cast<unsigned long long>(warmup_errors));
  std::printf("\n");
  std::printf(
      "RESULT target=%s op=%s clients=%d endpoints=%zu payload=%zu seconds=%.2f ops=%llu "
      "ops_per_s=%.0f p50_us=%llu p90_us=%llu p99_us=%llu p999_us=%llu max_us=%llu errors=%llu "
      "error_kinds=%s\n",
      target_name, op_name, o.clients, o.urls.size(), o.payload, elapsed,
      static_cast<unsigned long long>(all.count()), ops_per_s,
      static_cast<unsigned long long>(all.percentile(50)),
      static_cast<unsigned long long>(all.percentile(90)),
      static_cast<unsigned long long>(all.percentile(99)),
      static_cast<unsigned long long>(all.percentile(99.9)),
      static_cast<unsigned long long>(all.max()), static_cast<unsigned long long>(error_total),
      error_list.empty() ? "none" : error_list.c_str());
  return all.count() == 0 ? 1 : 0;
}
