// A client of the member transport for tests: it dials a member, runs TLS
// (or not) and speaks frames of the peer protocol, as a stranger, a joiner
// or a member would. Blocking, with deadlines.
#pragma once

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <optional>
#include <string>
#include <vector>

#include "dial.hpp"
#include "tls.hpp"
#include "wire.hpp"

namespace actraft::test {

/// A whole (small) file; empty if it cannot be read.
inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// The TLS identity a member keeps in `<data_dir>/tls` (its certificate, key
/// and the cluster's CA); null if the files do not make one.
inline std::shared_ptr<net::tls_context> member_tls(const std::string& data_dir) {
  const auto dir = data_dir + "/tls/";
  auto made = net::tls_context::make(
      {read_file(dir + "ca.crt"), read_file(dir + "member.crt"), read_file(dir + "member.key")});
  return made.index() == 0 ? std::get<0>(made) : nullptr;
}

class wire_client {
 public:
  /// `tls` null: plaintext.
  wire_client(const std::string& host, std::uint16_t port, std::shared_ptr<net::tls_context> tls) {
    fd_ = net::dial(host, port, std::chrono::seconds(5), error);
    if (fd_ >= 0 && tls) {
      tls_ = std::make_unique<net::tls_session>(tls, net::tls_session::side::client);
      flush();
    }
  }
  ~wire_client() {
    if (fd_ >= 0) ::close(fd_);
  }
  wire_client(const wire_client&) = delete;
  wire_client& operator=(const wire_client&) = delete;

  [[nodiscard]] bool connected() const { return fd_ >= 0; }

  /// Until TLS is established (true) or fails or the peer closes (false).
  bool handshake(std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    if (!tls_) return connected();
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!tls_->established()) {
      if (!pump(deadline)) return false;
    }
    return true;
  }

  void send(const std::vector<char>& frame) {
    if (tls_) {
      tls_->send(frame.data(), frame.size());
      flush();
    } else {
      write_all(frame.data(), frame.size());
    }
  }
  /// Raw bytes, as they are (for plaintext garbage).
  void send_raw(const std::string& bytes) { write_all(bytes.data(), bytes.size()); }

  /// The body of the next frame; nothing if the connection ended first
  /// (`closed` then says so) or the deadline passed.
  std::optional<std::vector<char>> receive(std::chrono::milliseconds limit = std::chrono::seconds(5)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      if (plain_.size() >= net::frame_header_bytes) {
        const std::size_t n = net::frame_length(plain_.data());
        if (plain_.size() >= net::frame_header_bytes + n) {
          std::vector<char> body(plain_.begin() + net::frame_header_bytes,
                                 plain_.begin() + static_cast<std::ptrdiff_t>(net::frame_header_bytes + n));
          plain_.erase(plain_.begin(), plain_.begin() + static_cast<std::ptrdiff_t>(net::frame_header_bytes + n));
          return body;
        }
      }
      if (!pump(deadline)) return std::nullopt;
    }
  }

  /// Whether the peer closed the connection within `limit`.
  bool closed_within(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (!closed) {
      if (!pump(deadline) && !closed) return false;
    }
    return true;
  }

  bool closed = false;
  std::string error;

 private:
  /// Reads once; false at the deadline, on close or on a TLS failure.
  bool pump(std::chrono::steady_clock::time_point deadline) {
    if (fd_ < 0 || closed) return false;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
    char buf[65536];
    const auto n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) {
      closed = true;
      return false;
    }
    if (!tls_) {
      plain_.insert(plain_.end(), buf, buf + n);
      return true;
    }
    const bool ok = tls_->receive(buf, static_cast<std::size_t>(n), plain_);
    flush();
    if (!ok) {
      error = tls_->error();
      return false;
    }
    return true;
  }
  void flush() {
    std::vector<char> out;
    tls_->take_output(out);
    write_all(out.data(), out.size());
  }
  void write_all(const char* p, std::size_t n) {
    while (n > 0 && fd_ >= 0) {
      const auto w = ::send(fd_, p, n, MSG_NOSIGNAL);
      if (w <= 0) return;
      p += w;
      n -= static_cast<std::size_t>(w);
    }
  }

  int fd_ = -1;
  std::unique_ptr<net::tls_session> tls_;
  std::vector<char> plain_;
};

}  // namespace actraft::test
