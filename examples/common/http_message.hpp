// HTTP/1.1 messages without the network: the request and response a
// handler sees, and the reader that turns a connection's bytes into
// requests, one at a time, with the server's limits (Boost.Beast's parser
// and the checks around it). No CAF: the server (http_server.hpp) feeds it,
// and so does the fuzzer (test/fuzz/fuzz_http.cpp).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace actraft::examples::http {

struct request {
  std::string method;  ///< "GET", "PUT", ...
  std::string path;    ///< percent-decoded, without the query
  std::map<std::string, std::string> query;  ///< percent-decoded
  std::string body;
  std::string authorization;  ///< the Authorization header, if any

  [[nodiscard]] bool has_param(const std::string& name) const { return query.count(name) > 0; }
  [[nodiscard]] std::string param(const std::string& name) const {
    auto it = query.find(name);
    return it == query.end() ? std::string{} : it->second;
  }
};

struct response {
  int status = 200;
  std::string body;
  std::string content_type = "text/plain";
  std::vector<std::pair<std::string, std::string>> headers;
};

inline response text(int status, std::string body) {
  return response{status, std::move(body), "text/plain", {}};
}
inline response binary(int status, std::string body) {
  return response{status, std::move(body), "application/octet-stream", {}};
}
inline response json(int status, std::string body) {
  return response{status, std::move(body), "application/json", {}};
}

/// Reads the requests of one connection, one at a time.
class request_reader {
 public:
  struct limits {
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_body_bytes = 16 * 1024 * 1024;
    /// Bytes held back within a body: a chunk-size line, its extensions, a trailer.
    std::size_t max_chunk_line_bytes = 4096;
  };
  enum class state {
    more,     ///< the request is not complete: call again with more bytes
    done,     ///< a whole request: take() it
    refused,  ///< answer `status` with `why`, then close the connection
  };
  struct result {
    state what = state::more;
    std::size_t used = 0;      ///< bytes consumed; the rest is for the next call
    bool header_now = false;   ///< the request's header completed in this call
    int status = 0;
    std::string why;
  };

  explicit request_reader(limits l);
  ~request_reader();
  request_reader(const request_reader&) = delete;
  request_reader& operator=(const request_reader&) = delete;

  result put(const char* data, std::size_t n);
  /// No request begun (none fed since the last take()).
  [[nodiscard]] bool between_requests() const;
  // Once the header is done:
  [[nodiscard]] bool expects_continue() const;
  [[nodiscard]] std::optional<std::uint64_t> content_length() const;
  [[nodiscard]] bool body_pending() const;
  /// The complete request; nothing if its target is malformed. `close_after`:
  /// the client asked to close the connection after the answer.
  std::optional<request> take(bool& close_after);

 private:
  struct impl;
  limits limits_;
  std::unique_ptr<impl> impl_;
};

/// Percent-decodes `s` (and '+' as a space if `plus_is_space`); nothing if
/// an escape is malformed.
std::optional<std::string> percent_decode(std::string_view s, bool plus_is_space);

/// The request line's target split into a decoded path and query.
std::optional<std::pair<std::string, std::map<std::string, std::string>>> split_target(
    std::string_view target);

/// The bytes of a complete HTTP/1.1 answer. A header whose name or value
/// holds a control character (CR, LF, ...) is left out: a value that came
/// from elsewhere (a member's address) cannot end the header early.
std::string format_response(const response& r, bool close);

}  // namespace actraft::examples::http
