#include "http_server.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <optional>
#include <unordered_map>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

namespace actraft::examples::http {

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
  std::string in;  ///< received, not yet given to the reader
  std::unique_ptr<request_reader> reader;
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
  bool close_after = false;
  auto req = c.reader->take(close_after);
  if (!req) {
    refuse(self, hdl, 400, "malformed request target");
    return;
  }
  c.busy = true;
  c.close_after = close_after;
  c.serial = self->state.next_serial++;
  c.deadline = clock::now() + self->state.opts.answer_timeout;
  const auto serial = c.serial;
  self->state.serve(self, std::move(*req), [self, hdl, serial](response r) {
    finish(self, hdl, serial, std::move(r));
  });
}

/// Feeds what the connection received to its reader; runs every complete
/// request, one at a time.
void parse_more(server_actor* self, caf::io::connection_handle hdl) {
  auto it = self->state.conns.find(hdl);
  if (it == self->state.conns.end()) return;
  auto& c = it->second;
  const auto& opts = self->state.opts;
  if (!c.reader)
    c.reader = std::make_unique<request_reader>(
        request_reader::limits{opts.max_header_bytes, opts.max_body_bytes, opts.max_chunk_line_bytes});
  c.parsing = true;
  std::size_t pos = 0;  // consumed; erased once at the end (pipelined requests stay O(n))
  while (!c.busy && pos < c.in.size()) {
    // A request begins (maybe pipelined behind the last): its header's clock.
    if (c.reader->between_requests() && !c.read_deadline)
      c.read_deadline = clock::now() + opts.header_timeout;
    const auto r = c.reader->put(c.in.data() + pos, c.in.size() - pos);
    pos += r.used;
    if (r.what == request_reader::state::refused) return refuse(self, hdl, r.status, r.why);
    if (r.header_now) {
      c.read_deadline = clock::now() + opts.body_timeout;
      if (c.reader->body_pending()) {
        if (c.reader->expects_continue()) send_bytes(self, hdl, "HTTP/1.1 100 Continue\r\n\r\n");
        const auto length = c.reader->content_length();
        if (!length || *length > small_reads) set_read_size(self, hdl, c, true);
      }
    }
    if (r.what == request_reader::state::more) break;
    set_read_size(self, hdl, c, false);
    c.read_deadline.reset();
    dispatch(self, hdl, c);
    // dispatch may have answered (and closed) at once.
    if (self->state.conns.count(hdl) == 0) return;
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

}  // namespace

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
