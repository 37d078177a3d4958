// The member transport's insides, shared by its files: a connection's
// state, the broker's, and the helpers that write to, answer on and end a
// connection (transport_io.cpp). Not part of any interface.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "transport.hpp"

namespace actraft::actors::detail {

/// Frames before a connection is open (hellos, refusals) and every frame
/// of a joiner: small.
inline constexpr std::size_t max_small_frame = 256 * 1024;
/// Room a connection keeps for its frames once nothing is left to read.
inline constexpr std::size_t idle_buffer_bytes = 1024 * 1024;

struct dialed {
  std::uint64_t key = 0;
  int fd = -1;
  std::string error;
};
struct deadline_signal {
  std::uint64_t connection = 0;
};
struct sweep_signal {};
using clock = std::chrono::steady_clock;

enum class phase { handshake, hello, open };

struct connection {
  bool inbound = true;
  std::unique_ptr<net::tls_session> tls;  ///< null: plaintext
  phase at = phase::handshake;
  std::vector<char> plain;  ///< received, not yet a whole frame
  std::string remote;       ///< host:port of the socket, for logs
  // Who the peer is, once its hello is in.
  std::uint64_t member = 0;
  std::string address;
  /// A joiner: may only ask to join (by the token's secret, or by an
  /// operator's certificate that names no member).
  bool joiner = false;
  bool joining = false;    ///< a joiner whose join request is being served
  // Outbound only: what the connection is for.
  std::uint64_t expected = 0;  ///< the member we dialed (0: any, for a join)
  caf::response_promise dial;  ///< answers the stub
  std::optional<net::join_body> join;
  std::string join_cluster;  ///< the token's cluster id
  caf::response_promise join_rp;
  caf::actor stub;
  // What the peer has not read yet: a peer that stops reading (paused,
  // cut off) is dropped instead of buffered for without end.
  std::uint64_t unsent = 0;
  bool overflowed = false;  ///< too much unsent: being closed
  clock::time_point last_progress;
};

struct pending_dial {
  dial_request what;
  std::shared_ptr<net::tls_context> tls;
  caf::response_promise rp;
  std::optional<guest_join_request> join;
};

struct transport_state {
  static inline const char* name = "actraft.transport";
  transport_identity me;
  transport_limits limits;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<metrics_registry> metrics;
  peer_interface node;  ///< null until serve_signal
  std::map<std::uint64_t, connection> conns;
  std::map<std::uint64_t, pending_dial> dials;
  std::uint64_t next_dial = 1;
  roster_signal roster;

  /// Removed from the cluster, by a committed configuration.
  [[nodiscard]] bool retired(std::uint64_t member) const {
    return member != 0 && member <= roster.max_assigned &&
           std::find(roster.members.begin(), roster.members.end(), member) == roster.members.end();
  }
};

using broker_ptr = caf::io::stateful_broker<transport_state>*;
using namespace std::chrono_literals;


caf::io::connection_handle handle_of(std::uint64_t id);
std::string who(const connection& c);
/// Bytes on the wire, counted against what the peer has not read yet.
void write_raw(broker_ptr self, std::uint64_t id, const std::vector<char>& bytes);
void flush_tls(broker_ptr self, std::uint64_t id, connection& c);
void send_frame(broker_ptr self, std::uint64_t id, connection& c, const std::vector<char>& frame);
/// Ends a connection: everyone waiting on it hears why (as `code`).
void drop(broker_ptr self, std::uint64_t id, const std::string& why, errc code = errc::timeout);
/// Tells the peer why, then ends the connection.
void refuse(broker_ptr self, std::uint64_t id, const std::string& why);
caf::error as_error(const net::response& r);
net::response failure_of(std::uint64_t id, const caf::error& err, caf::actor_system& sys);
net::response failure_of(std::uint64_t id, errc code, std::string why);
/// Answers a request of op `kind` on connection `id`, if it is still there.
void answer(broker_ptr self, std::uint64_t id, net::op kind, const net::response& r);

/// A request from a peer on an open connection (transport_requests.cpp).
void serve_request(broker_ptr self, std::uint64_t id, net::request q);

}  // namespace actraft::actors::detail

CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::detail::dialed)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::detail::deadline_signal)
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(actraft::actors::detail::sweep_signal)
