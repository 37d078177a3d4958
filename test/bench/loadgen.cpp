// A closed-loop HTTP load generator for kv_store and, for comparison, etcd's
// v3 JSON gateway: N clients, each with one kept-alive connection, each
// sending its next request as soon as the previous one is answered.
//
//   loadgen --target=kv|etcd --urls=127.0.0.1:8001[,host:port...] [--clients=64]
//           [--payload=256] [--keys=10000] [--seconds=10] [--warmup=2]
//           [--op=put|get|mixed] [--read-pct=50] [--stale] [--prefill]
//           [--timeout-ms=10000] [--threads=1] [--timeline=FILE] [--cpu-pids=PID,...]
//
// Client i talks to endpoint i mod (number of endpoints). kv: PUT /kv/{key}
// (body = value) and GET /kv/{key} (linearizable; --stale: ?stale=true). etcd:
// POST /v3/kv/put and POST /v3/kv/range with base64 keys and values in JSON
// (etcd 3.4's gRPC gateway; reads are linearizable by default there too,
// --stale: serializable). `mixed` is --read-pct percent gets, the rest puts.
// Only requests that start and finish inside the measured window count; a
// GET answered 404 (kv) or with no kvs (etcd) is a success. Clients open
// their connections one after the other during the warm-up.
//
// Clients are callback state machines on Boost.Asio event loops (--threads, clients dealt
// round-robin), not a thread each: loadgen shares the cores with the servers it measures.
//
// --timeline=FILE writes, per 100 ms of the measured window (by the time a request ended),
// the requests that ended ok in it, their largest latency and how many took over 10 ms:
// periodic stalls show there (gnuplot reads the file as it is).
//
// --cpu-pids=PID[,PID...] (the servers' processes) adds the CPU time they used during the
// measured window (utime + stime from /proc/PID/stat) and that time per request that ended ok:
// server_cpu_s= and cpu_us_per_op= in the RESULT line.
//
// Prints a human summary and one machine-readable line starting with RESULT.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <vector>

#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>

#include "loadgen_histogram.hpp"

namespace {

using namespace std::chrono_literals;
using clk = std::chrono::steady_clock;
using actraft::bench::latency_histogram;
namespace net = boost::asio;
namespace http = boost::beast::http;
using tcp = net::ip::tcp;
using boost::system::error_code;

enum class target_kind { kv, etcd };
enum class op_kind { put, get, mixed };

struct endpoint {
  std::string host;
  int port = 0;
  tcp::endpoint resolved;
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
  int threads = 1;
  int read_pct = 50;   // mixed: reads among the requests, in percent
  bool stale = false;  // reads: kv_store ?stale=true, etcd serializable (not linearizable)
  std::string timeline;  // file for the per-100-ms timeline, or empty
  std::vector<int> cpu_pids;  // processes whose CPU time the window reports
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "loadgen: " << why << "\n"
            << "usage: loadgen --target=kv|etcd --urls=host:port[,host:port...] [--clients=N]\n"
               "               [--payload=BYTES] [--keys=N] [--seconds=S] [--warmup=S]\n"
               "               [--op=put|get|mixed] [--read-pct=N] [--stale] [--prefill] [--timeout-ms=MS]\n"
               "               [--threads=N] [--timeline=FILE] [--cpu-pids=PID,...]\n";
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
    endpoint e{std::string(item.substr(0, colon)), 0, {}};
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
      } else if (name == "--threads") {
        o.threads = std::stoi(value);
      } else if (name == "--read-pct") {
        o.read_pct = std::stoi(value);
        if (o.read_pct < 0 || o.read_pct > 100) usage("--read-pct must be 0..100");
      } else if (name == "--stale") {
        o.stale = true;
      } else if (name == "--timeline") {
        o.timeline = value;
      } else if (name == "--cpu-pids") {
        for (std::string_view rest = value; !rest.empty();) {
          const auto comma = rest.find(',');
          const auto pid = std::stoi(std::string(rest.substr(0, comma)));
          if (pid <= 0) usage("--cpu-pids takes process ids");
          o.cpu_pids.push_back(pid);
          rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
        }
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
  if (o.clients < 1 || o.keys < 1 || o.seconds <= 0 || o.warmup < 0 || o.timeout_ms < 1 ||
      o.threads < 1)
    usage("--clients, --keys, --seconds, --timeout-ms and --threads must be positive");
  o.threads = std::min(o.threads, o.clients);
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

std::string make_value(std::size_t n, std::uint64_t seed) {
  std::string v(n, 'x');
  rng r(seed);
  for (auto& c : v) c = static_cast<char>('a' + r.next() % 26);
  return v;
}

enum phase : int { warming = 0, measuring = 1, stopping = 2 };
std::atomic<int> current_phase{warming};
clk::time_point measure_start;  // written before current_phase becomes measuring

/// One 100 ms slice of the measured window.
struct slice {
  std::uint64_t ok = 0, slow = 0, max_us = 0;
};
constexpr auto slice_length = 100ms;
constexpr std::uint64_t slow_us = 10'000;

class client;

/// One event loop with its clients and what they measured; only its own thread touches it.
struct worker {
  net::io_context ioc{1};
  latency_histogram hist;
  std::vector<slice> timeline;  // filled only with --timeline
  std::map<std::string, std::uint64_t> errors;
  std::uint64_t warmup_errors = 0, prefill_failed = 0;
  std::vector<std::unique_ptr<client>> clients;  // destroyed before ioc
};

/// One closed-loop client: a kept-alive connection to one endpoint, at most one request in
/// flight. In prefill mode it PUTs keys index, index + stride, ... once each, then finishes.
class client {
public:
  client(worker& w, const options& o, const endpoint& e, std::uint64_t index, bool prefill_mode,
         std::uint64_t stride)
      : w_(w), opts_(o), ep_(e.resolved), sock_(w.ioc), watchdog_(w.ioc), retry_(w.ioc),
        timeout_(std::chrono::milliseconds(o.timeout_ms)), rng_(index + 1),
        value_(make_value(o.payload, index + (prefill_mode ? 7 : 1000))), prefill_(prefill_mode),
        next_key_(index), stride_(stride) {
    host_ = " HTTP/1.1\r\nHost: " + e.host + ":" + std::to_string(e.port) + "\r\n";
    if (o.target == target_kind::etcd) value_b64_ = base64(value_);
    arm_watchdog(clk::now() + timeout_);  // also keeps the event loop busy while waiting its turn
  }

  // `next` starts after this client's first answer: 64 simultaneous connects overflow a
  // small listen backlog (cpp-httplib's is 5) and the dropped SYNs come back a second later.
  client* next = nullptr;
  void post_start() { net::post(w_.ioc, [this] { next_request(); }); }

private:
  void next_request() {
    std::string key;
    if (prefill_) {
      if (next_key_ >= opts_.keys) return finish();
      key = key_name(next_key_);
      next_key_ += stride_;
    } else {
      started_in_ = current_phase.load(std::memory_order_relaxed);
      if (started_in_ == stopping) return finish();
      key = key_name(rng_.next() % opts_.keys);
      is_put_ = opts_.op == op_kind::put ||
                (opts_.op == op_kind::mixed && static_cast<int>(rng_.next() % 100) >= opts_.read_pct);
    }
    build_request(key);
    t0_ = clk::now();
    deadline_ = t0_ + timeout_;
    busy_ = true;
    timed_out_ = false;
    if (sock_.is_open()) return send();
    error_code ec;
    buf_.clear();
    sock_.open(ep_.protocol(), ec);
    if (!ec) sock_.set_option(tcp::no_delay(true), ec);
    if (ec) return fail(ec);
    sock_.async_connect(ep_, [this](error_code e) { e ? fail(e) : send(); });
  }

  // Into reused buffers: per request only etcd's base64 key is a new (small) string.
  void build_request(const std::string& key) {
    const bool kv = opts_.target == target_kind::kv;
    std::string_view body;
    if (kv) {
      req_ = is_put_ ? "PUT /kv/" : "GET /kv/";
      req_ += key;
      if (!is_put_ && opts_.stale) req_ += "?stale=true";
      if (is_put_) body = value_;
    } else {
      req_ = is_put_ ? "POST /v3/kv/put" : "POST /v3/kv/range";
      json_.assign(R"({"key":")").append(base64(key));
      if (is_put_) json_.append(R"(","value":")").append(value_b64_);
      json_ += '"';
      if (!is_put_ && opts_.stale) json_ += R"(,"serializable":true)";
      body = json_ += '}';
    }
    req_ += host_;
    if (!kv || is_put_) {
      req_ += kv ? "Content-Type: application/octet-stream\r\n" : "Content-Type: application/json\r\n";
      req_.append("Content-Length: ").append(std::to_string(body.size())).append("\r\n");
    }
    req_.append("\r\n").append(body);
  }

  void send() {
    net::async_write(sock_, net::buffer(req_), [this](error_code ec, std::size_t) {
      if (ec) return fail(ec);
      // The parser borrows the previous response's body buffer; on_response takes it back.
      parser_.emplace(std::piecewise_construct, std::make_tuple(std::move(body_)));
      http::async_read(sock_, buf_, *parser_, [this](error_code e, std::size_t) { on_response(e); });
    });
  }

  void on_response(error_code ec) {
    if (ec) return fail(ec);
    auto& res = parser_->get();
    const unsigned status = res.result_int();
    body_ = std::move(res.body());
    body_.clear();
    if (!res.keep_alive()) close();  // the server ends the connection: the next request reconnects
    const bool kv = opts_.target == target_kind::kv;
    const bool ok = status == (kv && is_put_ ? 204u : 200u) || (kv && !is_put_ && status == 404);
    done(ok ? std::string() : "http " + std::to_string(status));
  }

  void fail(error_code ec) {
    close();
    if (timed_out_) return done("conn timeout");
    if (ec == net::error::connection_refused) return done("conn refused");
    if (ec == http::error::end_of_stream || ec == http::error::partial_message || ec == net::error::eof)
      return done("conn closed");
    if (ec == net::error::connection_reset || ec == net::error::broken_pipe) return done("conn reset");
    done("conn " + ec.message());
  }

  /// Records one finished request; `error` is empty on success, else "http NNN" or "conn ...".
  void done(const std::string& error) {
    const auto t1 = clk::now();
    const int ended_in = current_phase.load(std::memory_order_relaxed);
    busy_ = false;
    start_next();
    if (prefill_) {
      if (!error.empty()) ++w_.prefill_failed;
    } else if (started_in_ == measuring && ended_in == measuring) {
      if (error.empty()) {
        const auto us = static_cast<std::uint64_t>(
            std::chrono::duration_cast<std::chrono::microseconds>(t1 - t0_).count());
        w_.hist.record(us);
        if (!opts_.timeline.empty()) record_slice(us, t1);
      } else
        ++w_.errors[error];
    } else if (!error.empty()) {
      ++w_.warmup_errors;
    }
    if (!error.starts_with("conn")) return next_request();
    // A refused or broken connection fails at once: do not spin on it.
    retry_.expires_after(10ms);
    retry_.async_wait([this](error_code ec) {
      if (!ec) next_request();
    });
  }

  void record_slice(std::uint64_t us, clk::time_point t1) {
    const auto i = static_cast<std::size_t>((t1 - measure_start) / slice_length);
    if (w_.timeline.size() <= i) w_.timeline.resize(i + 1);
    auto& s = w_.timeline[i];
    ++s.ok;
    s.slow += us >= slow_us ? 1 : 0;
    s.max_us = std::max(s.max_us, us);
  }

  void finish() {
    finished_ = true;
    close();
    watchdog_.cancel();
    start_next();
  }

  void start_next() {
    if (next != nullptr) next->post_start();
    next = nullptr;
  }

  void close() {
    error_code ignored;
    sock_.close(ignored);
  }

  // Not re-armed per request (that would cost a cancellation and a timerfd update each
  // time): it wakes at the latest at the current deadline and, if that has moved, sleeps again.
  void arm_watchdog(clk::time_point at) {
    watchdog_.expires_at(at);
    watchdog_.async_wait([this](error_code ec) {
      if (ec || finished_) return;
      const auto now = clk::now();
      if (busy_ && now >= deadline_) {
        timed_out_ = true;
        close();  // the pending connect, write or read completes with operation_aborted
      }
      arm_watchdog(busy_ && now < deadline_ ? deadline_ : now + timeout_);
    });
  }

  worker& w_;
  const options& opts_;
  const tcp::endpoint ep_;
  tcp::socket sock_;
  net::steady_timer watchdog_, retry_;
  const clk::duration timeout_;
  rng rng_;
  const std::string value_;
  std::string value_b64_, host_, req_, json_, body_;
  boost::beast::flat_buffer buf_;
  std::optional<http::response_parser<http::string_body>> parser_;
  const bool prefill_;
  std::uint64_t next_key_;
  const std::uint64_t stride_;
  int started_in_ = warming;
  clk::time_point t0_, deadline_;
  bool is_put_ = true, busy_ = false, timed_out_ = false, finished_ = false;
};

/// Starts the clients one after the other, each after its predecessor's first answer.
void chain(const std::vector<client*>& cs) {
  for (std::size_t i = 0; i + 1 < cs.size(); ++i) cs[i]->next = cs[i + 1];
  cs.front()->post_start();
}

void resolve(std::vector<endpoint>& urls) {
  net::io_context ioc;
  tcp::resolver resolver(ioc);
  for (auto& e : urls) {
    error_code ec;
    const auto found = resolver.resolve(e.host, std::to_string(e.port), ec);
    if (ec || found.empty()) usage("cannot resolve '" + e.host + "': " + ec.message());
    e.resolved = found.begin()->endpoint();
  }
}

void prefill(const options& o) {
  worker w;
  const auto n = static_cast<std::uint64_t>(std::min(o.clients, 64));
  std::vector<client*> cs;
  for (std::uint64_t t = 0; t < n; ++t)
    cs.push_back(w.clients.emplace_back(std::make_unique<client>(w, o, o.urls[t % o.urls.size()], t, true, n))
                     .get());
  chain(cs);
  w.ioc.run();  // returns once every client has finished and cancelled its timer
  if (w.prefill_failed > 0) std::cerr << "loadgen: prefill: " << w.prefill_failed << " puts failed\n";
}

void write_timeline(const std::string& path, const std::vector<std::unique_ptr<worker>>& workers) {
  std::vector<slice> all;
  for (const auto& w : workers) {
    if (all.size() < w->timeline.size()) all.resize(w->timeline.size());
    for (std::size_t i = 0; i < w->timeline.size(); ++i) {
      all[i].ok += w->timeline[i].ok;
      all[i].slow += w->timeline[i].slow;
      all[i].max_us = std::max(all[i].max_us, w->timeline[i].max_us);
    }
  }
  std::FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) {
    std::cerr << "loadgen: cannot write " << path << "\n";
    return;
  }
  std::fprintf(f, "# seconds  ok  max_us  over_%llu_us\n", static_cast<unsigned long long>(slow_us));
  for (std::size_t i = 0; i < all.size(); ++i)
    std::fprintf(f, "%.1f %llu %llu %llu\n", static_cast<double>(i) * 0.1,
                 static_cast<unsigned long long>(all[i].ok), static_cast<unsigned long long>(all[i].max_us),
                 static_cast<unsigned long long>(all[i].slow));
  std::fclose(f);
}

}  // namespace

/// The CPU time (utime + stime) the processes have used, in seconds; nothing if one of them
/// cannot be read (gone, or not a process).
std::optional<double> cpu_seconds(const std::vector<int>& pids) {
  static const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  double total = 0;
  for (const int pid : pids) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string line;
    if (!std::getline(in, line)) return std::nullopt;
    // Fields after the command name, which is in parentheses and may hold spaces: state is
    // field 3, utime field 14, stime field 15.
    const auto close = line.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream fields(line.substr(close + 1));
    std::string field;
    unsigned long long utime = 0, stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stoull(field);
      if (i == 15) stime = std::stoull(field);
    }
    if (!fields) return std::nullopt;
    total += static_cast<double>(utime + stime) / ticks;
  }
  return total;
}

int main(int argc, char** argv) {
  options o = parse(argc, argv);
  resolve(o.urls);
  const char* target_name = o.target == target_kind::kv ? "kv" : "etcd";
  const char* op_name = o.op == op_kind::put ? "put" : o.op == op_kind::get ? "get" : "mixed";
  if (o.prefill) prefill(o);

  std::vector<std::unique_ptr<worker>> workers;
  for (int t = 0; t < o.threads; ++t) workers.push_back(std::make_unique<worker>());
  std::vector<client*> order;
  for (int i = 0; i < o.clients; ++i) {
    auto& w = *workers[static_cast<std::size_t>(i % o.threads)];
    const auto& e = o.urls[static_cast<std::size_t>(i) % o.urls.size()];
    order.push_back(w.clients.emplace_back(std::make_unique<client>(w, o, e, i, false, 1)).get());
  }
  chain(order);
  std::vector<std::thread> threads;
  for (auto& w : workers) threads.emplace_back([&ioc = w->ioc] { ioc.run(); });

  std::this_thread::sleep_for(std::chrono::duration<double>(o.warmup));
  const auto m0 = clk::now();
  measure_start = m0;
  current_phase = measuring;
  const auto cpu0 = cpu_seconds(o.cpu_pids);
  std::this_thread::sleep_for(std::chrono::duration<double>(o.seconds));
  current_phase = stopping;
  const auto cpu1 = cpu_seconds(o.cpu_pids);
  const double elapsed = std::chrono::duration<double>(clk::now() - m0).count();
  // Requests still in flight end after the window and would not count anyway.
  for (auto& w : workers) w->ioc.stop();
  for (auto& t : threads) t.join();

  latency_histogram all;
  std::map<std::string, std::uint64_t> errors;
  std::uint64_t error_total = 0, warmup_errors = 0;
  for (const auto& wp : workers) {
    const worker& r = *wp;
    all.merge(r.hist);
    for (const auto& [k, v] : r.errors) {
      errors[k] += v;
      error_total += v;
    }
    warmup_errors += r.warmup_errors;
  }
  const double ops_per_s = static_cast<double>(all.count()) / elapsed;
  if (!o.timeline.empty()) write_timeline(o.timeline, workers);
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
  std::string cpu_fields;
  if (!o.cpu_pids.empty()) {
    if (cpu0 && cpu1 && all.count() > 0) {
      const double used = *cpu1 - *cpu0;
      const double per_op = used * 1e6 / static_cast<double>(all.count());
      std::printf("  servers' CPU: %.2f s in the window, %.1f us per request\n", used, per_op);
      char buf[96];
      std::snprintf(buf, sizeof buf, " server_cpu_s=%.2f cpu_us_per_op=%.1f", used, per_op);
      cpu_fields = buf;
    } else {
      std::printf("  servers' CPU: not measured (a process could not be read)\n");
    }
  }
  std::printf(
      "RESULT target=%s op=%s clients=%d endpoints=%zu payload=%zu seconds=%.2f ops=%llu "
      "ops_per_s=%.0f p50_us=%llu p90_us=%llu p99_us=%llu p999_us=%llu max_us=%llu errors=%llu "
      "error_kinds=%s%s\n",
      target_name, op_name, o.clients, o.urls.size(), o.payload, elapsed,
      static_cast<unsigned long long>(all.count()), ops_per_s,
      static_cast<unsigned long long>(all.percentile(50)),
      static_cast<unsigned long long>(all.percentile(90)),
      static_cast<unsigned long long>(all.percentile(99)),
      static_cast<unsigned long long>(all.percentile(99.9)),
      static_cast<unsigned long long>(all.max()), static_cast<unsigned long long>(error_total),
      error_list.empty() ? "none" : error_list.c_str(), cpu_fields.c_str());
  return all.count() == 0 ? 1 : 0;
}
