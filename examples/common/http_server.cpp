#include "http_server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/http/string_body.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>

namespace actraft::examples::http {

namespace beast_http = boost::beast::http;
using sweep_atom = caf::atom_constant<caf::atom("sweep")>;
using clock = std::chrono::steady_clock;

namespace {

/// While a request is with the handler, a client may send ahead at most
/// this much (a pipelining client); more is taken as abuse.
constexpr std::size_t max_read_ahead = 1024 * 1024;
/// CAF's scribe zero-fills its read buffer up to the configured size before
/// every read: a small chunk for the common small request (64 KiB cost 2 %
/// of the machine at 6,000 requests/s), a large one while a big body comes.
constexpr std::size_t small_reads = 4 * 1024;
constexpr std::size_t large_reads = 64 * 1024;

struct connection {
  std::string in;  ///< received, not yet given to the parser
  std::optional<beast_http::request_parser<beast_http::string_body>> parser;
  bool busy = false;           ///< a request is with the handler
  bool close_after = false;    ///< the client asked to close after the answer
  bool large_reads = false;    ///< reading a large body: read in large chunks
  bool parsing = false;        ///< parse_more is running for it (answers at once loop there)
  std::uint64_t serial = 0;    ///< the request in flight: a late answer to an earlier one, or
                               ///< to a closed connection whose handle (fd) was reused, is dropped
  clock::time_point last_active;
  clock::time_point deadline;  ///< of the request in flight
  /// Of the request being received (header, then body); none between requests.
  std::optional<clock::time_point> read_deadline;
};

struct server_state {
  handler serve;
  server_options opts;
  std::unordered_map<caf::io::connection_handle, connection> conns;
  std::uint64_t next_serial = 1;
  std::chrono::milliseconds sweep_every{1000};
  static inline const char* name = "http_server";
};

using server_actor = caf::stateful_actor<server_state, caf::io::broker>;

void drop(server_actor* self, caf::io::connection_handle hdl) {
  self->close(hdl);
  self->state.conns.erase(hdl);
}

void send_bytes(server_actor* self, caf::io::connection_handle hdl, const std::string& bytes) {
  self->write(hdl, bytes.size(), bytes.data());
  self->flush(hdl);
}

/// Answers a request we could not parse, then closes: after a framing error
/// nothing later on the connection can be trusted.
void refuse(server_actor* self, caf::io::connection_handle hdl, int status, std::string why) {
  send_bytes(self, hdl, format_response(text(status, std::move(why) + "\n"), true));
  drop(self, hdl);
}

void parse_more(server_actor* self, caf::io::connection_handle hdl);

void set_read_size(server_actor* self, caf::io::connection_handle hdl, connection& c, bool large) {
  if (c.large_reads == large) return;
  c.large_reads = large;
  self->configure_read(hdl, caf::io::receive_policy::at_most(large ? large_reads : small_reads));
}

void finish(server_actor* self, caf::io::connection_handle hdl, std::uint64_t serial,
            response r) {
  auto it = self->state.conns.find(hdl);
  if (it == self->state.conns.end() || it->second.serial != serial || !it->second.busy) return;
  auto& c = it->second;
  send_bytes(self, hdl, format_response(r, c.close_after));
  if (c.close_after) {
    drop(self, hdl);
    return;
  }
  c.busy = false;
  c.last_active = clock::now();
  // Answered at once, from inside parse_more: its loop goes on with the
  // next request (no recursion, however many requests are pipelined).
  if (!c.parsing) parse_more(self, hdl);
}

/// Hands a complete request to the handler.
void dispatch(server_actor* self, caf::io::connection_handle hdl, connection& c) {
  auto msg = c.parser->release();
  c.parser.reset();
  auto target = split_target(std::string_view(msg.target().data(), msg.target().size()));
  if (!target) {
    refuse(self, hdl, 400, "malformed request target");
    return;
  }
  c.busy = true;
  c.close_after = !msg.keep_alive();
  c.serial = self->state.next_serial++;
  c.deadline = clock::now() + self->state.opts.answer_timeout;
  request req;
  req.method = std::string(msg.method_string());
  req.path = std::move(target->first);
  req.query = std::move(target->second);
  req.body = std::move(msg.body());
  if (auto auth = msg.find(boost::beast::http::field::authorization); auth != msg.end())
    req.authorization = std::string(auth->value().data(), auth->value().size());
  const auto serial = c.serial;
  self->state.serve(self, std::move(req), [self, hdl, serial](response r) {
    finish(self, hdl, serial, std::move(r));
  });
}

/// Feeds what the connection received to the parser; runs every complete
/// request, one at a time.
void parse_more(server_actor* self, caf::io::connection_handle hdl) {
  auto it = self->state.conns.find(hdl);
  if (it == self->state.conns.end()) return;
  auto& c = it->second;
  const auto& opts = self->state.opts;
  c.parsing = true;
  std::size_t pos = 0;  // consumed; erased once at the end (pipelined requests stay O(n))
  while (!c.busy && pos < c.in.size()) {
    if (!c.parser) {
      // A request begins (maybe pipelined behind the last): its header's clock.
      if (!c.read_deadline) c.read_deadline = clock::now() + opts.header_timeout;
      c.parser.emplace();
      c.parser->eager(true);
      c.parser->header_limit(static_cast<std::uint32_t>(opts.max_header_bytes));
      c.parser->body_limit(opts.max_body_bytes);
    }
    const bool had_header = c.parser->is_header_done();
    boost::system::error_code ec;
    const auto used = c.parser->put(boost::asio::buffer(c.in.data() + pos, c.in.size() - pos), ec);
    pos += used;
    if (ec == beast_http::error::need_more) {
      // An incomplete header needs more bytes than it was given; so does a
      // chunk-size line, its extensions or the trailer, within a body (the
      // parser takes body data as it comes). Either way: wait for the next
      // read, up to a limit.
      const std::size_t held = c.in.size() - pos;
      if (!c.parser->is_header_done() && held > opts.max_header_bytes)
        return refuse(self, hdl, 431, "request header too large");
      if (c.parser->is_header_done() && held > opts.max_chunk_line_bytes)
        return refuse(self, hdl, 400, "chunk line or trailer too long");
      break;
    }
    if (ec == beast_http::error::header_limit)
      return refuse(self, hdl, 431, "request header too large");
    if (ec == beast_http::error::body_limit)
      return refuse(self, hdl, 413, "request body too large");
    if (ec) return refuse(self, hdl, 400, "malformed request: " + ec.message());
    if (!had_header && c.parser->is_header_done()) {
      const auto& head = c.parser->get();
      // Anything but exactly "chunked" would leave the body's end to
      // guesswork (request smuggling): refused.
      const auto te = head[beast_http::field::transfer_encoding];
      if (!te.empty() && !boost::beast::iequals(te, "chunked"))
        return refuse(self, hdl, 400, "unsupported Transfer-Encoding (only 'chunked')");
      c.read_deadline = clock::now() + opts.body_timeout;
    }
    if (!had_header && c.parser->is_header_done() && !c.parser->is_done()) {
      const auto& head = c.parser->get();
      if (boost::beast::iequals(head[beast_http::field::expect], "100-continue"))
        send_bytes(self, hdl, "HTTP/1.1 100 Continue\r\n\r\n");
      const auto length = c.parser->content_length();
      if (!length || *length > small_reads) set_read_size(self, hdl, c, true);
    }
    if (c.parser->is_done()) {
      set_read_size(self, hdl, c, false);
      c.read_deadline.reset();
      dispatch(self, hdl, c);
      // dispatch may have answered (and closed) at once.
      if (self->state.conns.count(hdl) == 0) return;
    } else if (used == 0) {
      break;
    }
  }
  c.parsing = false;
  c.in.erase(0, pos);
}

caf::behavior server_impl(server_actor* self, caf::io::doorman_ptr door, handler h,
                          server_options opts) {
  self->add_doorman(std::move(door));
  self->state.serve = std::move(h);
  self->state.opts = opts;
  self->state.sweep_every = std::max(
      std::chrono::milliseconds(10),
      std::min({opts.idle_timeout, opts.answer_timeout, opts.header_timeout, opts.body_timeout}) / 4);
  self->delayed_send(self, self->state.sweep_every, sweep_atom::value);
  return {
      [self](const caf::io::new_connection_msg& msg) {
        auto& st = self->state;
        if (st.conns.size() >= st.opts.max_connections) {
          send_bytes(self, msg.handle,
                     format_response(text(503, "too many connections\n"), true));
          self->close(msg.handle);
          return;
        }
        st.conns[msg.handle].last_active = clock::now();
        self->configure_read(msg.handle, caf::io::receive_policy::at_most(small_reads));
      },
      [self](caf::io::new_data_msg& msg) {
        auto it = self->state.conns.find(msg.handle);
        if (it == self->state.conns.end()) return;
        auto& c = it->second;
        c.last_active = clock::now();
        // The first byte of a request starts its header's clock; bytes
        // trickling in later do not stop it.
        if (!c.busy && !c.read_deadline && c.in.empty())
          c.read_deadline = c.last_active + self->state.opts.header_timeout;
        c.in.append(msg.buf.data(), msg.buf.size());
        if (c.busy) {
          if (c.in.size() > max_read_ahead) drop(self, msg.handle);
          return;
        }
        parse_more(self, msg.handle);
      },
      [self](const caf::io::connection_closed_msg& msg) { self->state.conns.erase(msg.handle); },
      [](const caf::io::acceptor_closed_msg&) {},
      [self](sweep_atom) {
        const auto now = clock::now();
        std::vector<caf::io::connection_handle> idle, slow;
        std::vector<std::pair<caf::io::connection_handle, std::uint64_t>> late;
        for (const auto& [hdl, c] : self->state.conns) {
          if (!c.busy && c.read_deadline && now > *c.read_deadline) slow.push_back(hdl);
          else if (!c.busy && now - c.last_active > self->state.opts.idle_timeout) idle.push_back(hdl);
          if (c.busy && now > c.deadline) late.emplace_back(hdl, c.serial);
        }
        for (auto hdl : idle) drop(self, hdl);
        for (auto hdl : slow) refuse(self, hdl, 408, "request not received in time");
        for (auto [hdl, serial] : late)
          finish(self, hdl, serial, text(504, "no answer in time\n"));
        self->delayed_send(self, self->state.sweep_every, sweep_atom::value);
      },
  };
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%') {
      if (i + 2 >= s.size()) return std::nullopt;
      const int hi = hex_value(s[i + 1]), lo = hex_value(s[i + 2]);
      if (hi < 0 || lo < 0) return std::nullopt;
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (s[i] == '+' && plus_is_space) {
      out += ' ';
    } else {
      out += s[i];
    }
  }
  return out;
}

std::optional<std::pair<std::string, std::map<std::string, std::string>>> split_target(
    std::string_view target) {
  const auto q = target.find('?');
  auto path = percent_decode(target.substr(0, q), false);
  if (!path || path->empty() || path->front() != '/') return std::nullopt;
  std::map<std::string, std::string> query;
  if (q != std::string_view::npos) {
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
      const auto amp = rest.find('&');
      const auto item = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
      if (item.empty()) continue;
      const auto eq = item.find('=');
      auto name = percent_decode(item.substr(0, eq), true);
      auto value = eq == std::string_view::npos ? std::optional<std::string>{""}
                                                : percent_decode(item.substr(eq + 1), true);
      if (!name || !value) return std::nullopt;
      query.emplace(std::move(*name), std::move(*value));
    }
  }
  return std::make_pair(std::move(*path), std::move(query));
}

std::string format_response(const response& r, bool close) {
  const auto reason = beast_http::obsolete_reason(static_cast<beast_http::status>(r.status));
  std::string out;
  out.reserve(128 + r.body.size());
  out += "HTTP/1.1 ";
  out += std::to_string(r.status);
  out += ' ';
  out.append(reason.data(), reason.size());
  out += "\r\n";
  // 1xx, 204 and 304 answers carry no body and no length (RFC 9110 8.6).
  const bool bodyless = r.status < 200 || r.status == 204 || r.status == 304;
  if (!bodyless) {
    out += "Content-Length: " + std::to_string(r.body.size()) + "\r\n";
    if (!r.body.empty()) out += "Content-Type: " + r.content_type + "\r\n";
  }
  auto clean = [](const std::string& s) {
    return std::none_of(s.begin(), s.end(), [](char ch) {
      const auto u = static_cast<unsigned char>(ch);
      return (u < 0x20 && u != '\t') || u == 0x7f;
    });
  };
  for (const auto& [name, value] : r.headers)
    if (clean(name) && clean(value)) out += name + ": " + value + "\r\n";
  if (close) out += "Connection: close\r\n";
  out += "\r\n";
  if (!bodyless) out += r.body;
  return out;
}

caf::expected<caf::io::doorman_ptr> bind(caf::actor_system& sys, const std::string& host,
                                         std::uint16_t port) {
  return sys.middleman().backend().new_tcp_doorman(port, host.c_str(), true);
}

caf::actor serve(caf::actor_system& sys, caf::io::doorman_ptr port, handler h,
                 server_options opts) {
  // Below the open-file limit (raised to its hard limit first), with a
  // reserve for the data directory, the members' connections and the rest:
  // accept() failing with EMFILE would spin the I/O loop.
  rlimit files{};
  if (::getrlimit(RLIMIT_NOFILE, &files) == 0) {
    if (files.rlim_cur < files.rlim_max) {
      files.rlim_cur = files.rlim_max;
      ::setrlimit(RLIMIT_NOFILE, &files);
      ::getrlimit(RLIMIT_NOFILE, &files);
    }
    constexpr rlim_t reserve = 256;
    const auto room = files.rlim_cur > 2 * reserve ? files.rlim_cur - reserve : files.rlim_cur / 2;
    opts.max_connections = std::min<std::size_t>(opts.max_connections, static_cast<std::size_t>(room));
  }
  return sys.middleman().spawn_broker(server_impl, std::move(port), std::move(h), opts);
}

}  // namespace actraft::examples::http
