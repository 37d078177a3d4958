// The HTTP server that kv_store runs inside its actor system, driven over
// raw loopback sockets: keep-alive and pipelining in order, asynchronous
// answers, and hostile or broken input (malformed requests, oversized
// headers and bodies, a flood of pipelined requests, silent clients,
// handlers that never answer), which must get a clear answer and never
// take the server down.
#define BOOST_TEST_MODULE http_server
#include <boost/test/unit_test.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "../../examples/common/http_server.hpp"

namespace http = actraft::examples::http;
using namespace std::chrono_literals;

namespace {

using reply_atom = caf::atom_constant<caf::atom("reply")>;

/// Answers a message after `delay` (on a thread of its own): stands in for
/// a node that takes a while.
caf::behavior slow_echo(caf::event_based_actor*) {
  return {[](reply_atom, const std::string& body, caf::timespan delay) {
    std::this_thread::sleep_for(delay);
    return body;
  }};
}

struct answer {
  int status = 0;
  std::string body;
  bool close = false;
};

/// A blocking client socket with a small HTTP/1.1 answer reader.
class client {
 public:
  explicit client(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    BOOST_REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~client() { ::close(fd_); }
  client(const client&) = delete;
  client& operator=(const client&) = delete;

  void send(const std::string& bytes) {
    std::size_t off = 0;
    while (off < bytes.size()) {
      auto n = ::send(fd_, bytes.data() + off, bytes.size() - off, MSG_NOSIGNAL);
      if (n <= 0) return;  // the server may close on us: the reader sees it
      off += static_cast<std::size_t>(n);
    }
  }

  /// The next answer; status 0 if the connection closed or nothing came in time.
  answer next(std::chrono::milliseconds timeout = 5000ms) {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (true) {
      auto head_end = buf_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        answer a;
        a.status = std::stoi(buf_.substr(9, 3));
        const std::string head = buf_.substr(0, head_end);
        std::size_t length = 0;
        if (auto p = head.find("Content-Length: "); p != std::string::npos)
          length = std::stoul(head.substr(p + 16));
        a.close = head.find("Connection: close") != std::string::npos;
        if (buf_.size() >= head_end + 4 + length) {
          a.body = buf_.substr(head_end + 4, length);
          buf_.erase(0, head_end + 4 + length);
          return a;
        }
      }
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return {};
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return {};
      char chunk[65536];
      auto n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return {};
      buf_.append(chunk, static_cast<std::size_t>(n));
    }
  }

  /// True if the server closed the connection within `timeout`.
  bool closed_within(std::chrono::milliseconds timeout) {
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
    char c;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  int fd_ = -1;
  std::string buf_;
};

/// An actor system with a server whose handler answers
///   /sync/...          at once, with the path;
///   /slow/...?ms=N     after N ms, through another actor, with the body;
///   /never             never.
struct fixture {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::actor server;
  std::uint16_t port = 0;

  explicit fixture(http::server_options opts = {}) {
    cfg.load<caf::io::middleman>();
    cfg.set("scheduler.max-threads", 1);
    sys = std::make_unique<caf::actor_system>(cfg);
    auto echo = sys->spawn<caf::detached>(slow_echo);
    auto door = http::bind(*sys, "127.0.0.1", 0);
    BOOST_REQUIRE(door);
    port = (*door)->port();
    server = http::serve(*sys, std::move(*door),
                         [echo](caf::io::broker* self, http::request req, http::responder done) {
                           if (req.path.rfind("/sync/", 0) == 0) {
                             done(http::text(200, req.path));
                           } else if (req.path.rfind("/slow/", 0) == 0) {
                             const auto ms = std::stoi(req.param("ms").empty() ? "0" : req.param("ms"));
                             self->request(echo, caf::infinite, reply_atom::value, req.body,
                                           caf::timespan{std::chrono::milliseconds(ms)})
                                 .then([done](const std::string& b) { done(http::text(200, b)); });
                           } else if (req.path != "/never") {
                             done(http::text(404, "no\n"));
                           }
                         },
                         opts);
  }
  ~fixture() {
    caf::anon_send_exit(server, caf::exit_reason::user_shutdown);
    sys.reset();
  }
};

std::string put(const std::string& path, const std::string& body) {
  return "PUT " + path + " HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(body.size()) +
         "\r\n\r\n" + body;
}

}  // namespace

BOOST_AUTO_TEST_CASE(pipelined_requests_are_answered_in_order_even_when_answered_out_of_order) {
  fixture f;
  client c{f.port};
  // The first answer takes longest; the answers must still come in order.
  c.send(put("/slow/a?ms=200", "first") + put("/slow/b?ms=50", "second") +
         "GET /sync/third HTTP/1.1\r\nHost: x\r\n\r\n");
  auto a = c.next(), b = c.next(), d = c.next();
  BOOST_TEST(a.status == 200);
  BOOST_TEST(a.body == "first");
  BOOST_TEST(b.body == "second");
  BOOST_TEST(d.body == "/sync/third");
  // Still open (keep-alive): another request on the same connection.
  c.send("GET /sync/again HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST(c.next().body == "/sync/again");
}

BOOST_AUTO_TEST_CASE(a_flood_of_pipelined_requests_answered_at_once_does_not_take_the_server_down) {
  fixture f;
  client c{f.port};
  // While a slow request is in flight, 20,000 more arrive; all are answered
  // at once when it ends (this used to recurse once per request).
  std::string flood = put("/slow/x?ms=300", "slow");
  for (int i = 0; i < 20000; ++i) flood += "GET /sync/" + std::to_string(i) + " HTTP/1.1\r\n\r\n";
  c.send(flood);
  BOOST_TEST(c.next().body == "slow");
  int in_order = 0;
  for (int i = 0; i < 20000; ++i)
    if (c.next().body == "/sync/" + std::to_string(i)) ++in_order;
  BOOST_TEST(in_order == 20000);
  client other{f.port};
  other.send("GET /sync/alive HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST(other.next().body == "/sync/alive");
}

BOOST_AUTO_TEST_CASE(malformed_and_oversized_requests_get_a_clear_answer_and_a_closed_connection) {
  http::server_options opts;
  opts.max_body_bytes = 1024;
  opts.max_header_bytes = 2048;
  fixture f{opts};
  {
    client c{f.port};
    c.send("GARBAGE\r\n\r\n");
    auto a = c.next();
    BOOST_TEST(a.status == 400);
    BOOST_TEST(a.close);
    BOOST_TEST(c.closed_within(2000ms));
  }
  {
    client c{f.port};
    c.send("GET /sync/%zz HTTP/1.1\r\nHost: x\r\n\r\n");  // bad percent escape
    BOOST_TEST(c.next().status == 400);
  }
  {
    client c{f.port};
    c.send("GET /sync/x HTTP/1.1\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
    BOOST_TEST(c.next().status == 431);
  }
  {
    client c{f.port};
    c.send(put("/sync/x", std::string(2000, 'b')));
    BOOST_TEST(c.next().status == 413);
  }
  {
    // A header that never ends is refused once it passes the limit.
    client c{f.port};
    c.send("GET /sync/x HTTP/1.1\r\nX-Endless: " + std::string(8192, 'c'));
    BOOST_TEST(c.next().status == 431);
  }
  client fine{f.port};
  fine.send("GET /sync/ok HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST(fine.next().body == "/sync/ok");
}

BOOST_AUTO_TEST_CASE(expect_100_continue_and_http_1_0_are_honoured) {
  fixture f;
  client c{f.port};
  c.send("PUT /slow/x HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n");
  BOOST_TEST(c.next().status == 100);
  c.send("hello");
  BOOST_TEST(c.next().body == "hello");
  client old{f.port};
  old.send("GET /sync/old HTTP/1.0\r\n\r\n");  // no keep-alive: closed after the answer
  auto a = old.next();
  BOOST_TEST(a.body == "/sync/old");
  BOOST_TEST(a.close);
  BOOST_TEST(old.closed_within(2000ms));
}

BOOST_AUTO_TEST_CASE(an_unanswered_request_gets_504_and_idle_connections_are_closed) {
  http::server_options opts;
  opts.answer_timeout = 300ms;
  opts.idle_timeout = 400ms;
  fixture f{opts};
  client c{f.port};
  c.send("GET /never HTTP/1.1\r\nHost: x\r\n\r\n");
  auto a = c.next();
  BOOST_TEST(a.status == 504);
  // The connection stays usable after a 504 ...
  c.send("GET /sync/after HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST(c.next().body == "/sync/after");
  // ... until it sits idle, as does one that never sends anything.
  client silent{f.port};
  BOOST_TEST(c.closed_within(3000ms));
  BOOST_TEST(silent.closed_within(3000ms));
}

BOOST_AUTO_TEST_CASE(slow_clients_are_cut_off_by_deadlines_not_kept_alive_by_trickles) {
  http::server_options opts;
  opts.header_timeout = 400ms;
  opts.body_timeout = 600ms;
  opts.idle_timeout = 10s;  // trickled bytes keep a connection from idling: only the deadlines act
  fixture f{opts};
  client header{f.port}, body{f.port}, piped{f.port};
  header.send("GET /sync/x HTTP/1.1\r\n");
  body.send("PUT /sync/x HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
  // A complete request, then the start of another that never ends.
  piped.send("GET /sync/first HTTP/1.1\r\nHost: x\r\n\r\nGET /sync/second HTTP/1.1\r\n");
  BOOST_TEST(piped.next().body == "/sync/first");
  for (int i = 0; i < 8; ++i) {  // a byte every 100 ms, for 800 ms
    std::this_thread::sleep_for(100ms);
    header.send("X");
    body.send("y");
    piped.send("Z");
  }
  BOOST_TEST(header.next(2000ms).status == 408);
  BOOST_TEST(body.next(2000ms).status == 408);
  BOOST_TEST(piped.next(2000ms).status == 408);
  client fine{f.port};
  fine.send("GET /sync/ok HTTP/1.1\r\nHost: x\r\n\r\n");
  BOOST_TEST(fine.next().body == "/sync/ok");
}

BOOST_AUTO_TEST_CASE(chunk_lines_trailers_and_transfer_encodings_are_bounded) {
  http::server_options opts;
  opts.max_chunk_line_bytes = 1024;
  fixture f{opts};
  {
    // A chunk-size line that never ends.
    client c{f.port};
    c.send("PUT /sync/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;" +
           std::string(64 * 1024, 'e'));
    auto a = c.next();
    BOOST_TEST(a.status == 400);
    BOOST_TEST(a.body.find("chunk line") != std::string::npos);
  }
  {
    // A trailer that never ends.
    client c{f.port};
    c.send("PUT /sync/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: " +
           std::string(64 * 1024, 't'));
    BOOST_TEST(c.next().status == 400);
  }
  {
    // Anything but exactly "chunked": no guessing where the body ends.
    client c{f.port};
    c.send("PUT /sync/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
           "GET /sync/smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
    auto a = c.next();
    BOOST_TEST(a.status == 400);
    BOOST_TEST(a.close);
    BOOST_TEST(c.next(500ms).status == 0);  // the smuggled request is never answered
  }
  {
    // A proper chunked body is fine.
    client c{f.port};
    c.send("PUT /slow/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n0\r\n\r\n");
    BOOST_TEST(c.next().body == "hello");
  }
}

BOOST_AUTO_TEST_CASE(header_values_with_control_characters_are_left_out) {
  http::response r = http::text(503, "no leader\n");
  r.headers.emplace_back("X-Raft-Leader", "10.0.0.1:9001\r\nSet-Cookie: evil=1");
  r.headers.emplace_back("X-Raft-Error", "not_leader");
  const auto out = http::format_response(r, false);
  BOOST_TEST(out.find("Set-Cookie") == std::string::npos);
  BOOST_TEST(out.find("X-Raft-Leader") == std::string::npos);
  BOOST_TEST(out.find("X-Raft-Error: not_leader\r\n") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_port_in_use_is_a_clear_error) {
  fixture f;
  auto again = http::bind(*f.sys, "127.0.0.1", f.port);
  BOOST_TEST(!again);
}

BOOST_AUTO_TEST_CASE(targets_are_split_and_percent_decoded) {
  auto t = http::split_target("/kv/a%20b?stale=true&x=1+2&flag");
  BOOST_REQUIRE(t);
  BOOST_TEST(t->first == "/kv/a b");
  BOOST_TEST(t->second.at("stale") == "true");
  BOOST_TEST(t->second.at("x") == "1 2");
  BOOST_TEST(t->second.count("flag") == 1u);
  BOOST_TEST(!http::split_target("relative"));
  BOOST_TEST(!http::split_target("/kv/%4"));
  BOOST_TEST(!http::split_target("/kv/x?a=%g1"));
  BOOST_TEST(*http::percent_decode("%41%2f", false) == "A/");
}
