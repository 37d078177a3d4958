// An HTTP/1.1 server that runs inside the actor system: a CAF broker in the
// middleman's I/O loop, with Boost.Beast's parser. A request handler is
// called on the broker itself, so it can `request(...).then(...)` any actor
// (a node's mailbox, say) and answer when the reply comes, without a thread
// per connection and without blocking anybody.
//
//   auto port = http::bind(sys, "127.0.0.1", 8001);   // fails if the port is taken
//   auto server = http::serve(sys, std::move(*port),
//       [mailbox](caf::io::broker* self, http::request req, http::responder done) {
//         self->request(mailbox, caf::infinite, propose_atom_v, to_bytes(req.body))
//             .then([done](bytes& r) { done({200, to_string(r)}); },
//                   [done](caf::error& e) { done({503, "...\n"}); });
//       });
//
// Connections are kept alive (HTTP/1.1), answered in order, one request at
// a time each, and every request by a deadline; `Expect: 100-continue` is
// honoured. Malformed requests get a 400 (431 for oversized headers, 413
// for oversized bodies, 400 for an overlong chunk line or trailer or a
// Transfer-Encoding other than "chunked", 408 for a header or body not
// received by its deadline) and the connection is closed; idle connections
// are closed after a while; connections stay below the open-file limit.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "http_message.hpp"

#include <caf/actor.hpp>
#include <caf/expected.hpp>
#include <caf/fwd.hpp>
#include <caf/io/broker.hpp>
#include <caf/io/fwd.hpp>

namespace actraft::examples::http {

/// Sends the answer to one request. Call it exactly once, on the server
/// actor (in the handler or in a continuation it set up); an answer for a
/// connection that has closed meanwhile is dropped.
using responder = std::function<void(response)>;
using handler = std::function<void(caf::io::broker* self, request req, responder done)>;

struct server_options {
  std::size_t max_body_bytes = 16 * 1024 * 1024;
  std::size_t max_header_bytes = 16 * 1024;
  /// Connections at once; serve() lowers it below the process's open-file
  /// limit (RLIMIT_NOFILE) minus a reserve for everything else.
  std::size_t max_connections = 4096;
  /// A connection with no request in flight and nothing received for this
  /// long is closed.
  std::chrono::milliseconds idle_timeout{60'000};
  /// A request's header must be complete this long after its first byte,
  /// and its body this long after the header, however slowly bytes trickle
  /// in (a slowloris client is closed with 408).
  std::chrono::milliseconds header_timeout{10'000};
  std::chrono::milliseconds body_timeout{60'000};
  /// Bytes the parser may hold back within a body: a chunk-size line, its
  /// extensions or the trailer longer than this is refused with 400.
  std::size_t max_chunk_line_bytes = 4096;
  /// A request the handler has not answered after this long is answered
  /// 504 by the server (checked every quarter of it), so handlers may wait
  /// on actors without a timeout of their own: each CAF request timeout
  /// costs a timer and a message.
  std::chrono::milliseconds answer_timeout{30'000};
};

/// Binds host:port for a server, or fails with a readable error (the port
/// is in use, say). Separate from serve() so a program can claim its port
/// before it does anything the port failing would leave half done.
caf::expected<caf::io::doorman_ptr> bind(caf::actor_system& sys, const std::string& host,
                                         std::uint16_t port);

/// Serves every request on the bound port with `h`. Stop the server with
/// `caf::anon_send_exit(server, caf::exit_reason::user_shutdown)`.
caf::actor serve(caf::actor_system& sys, caf::io::doorman_ptr port, handler h,
                 server_options opts = {});

}  // namespace actraft::examples::http
