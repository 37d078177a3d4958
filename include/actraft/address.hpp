// "host:port" addresses as users write them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace actraft {

struct endpoint {
  std::string host;
  std::uint16_t port = 0;

  [[nodiscard]] std::string to_string() const { return host + ":" + std::to_string(port); }
};

/// Parses "host:port" (port 0 allowed only if `allow_any_port`); nothing if
/// malformed. IPv6 hosts go in brackets: "[::1]:9000".
std::optional<endpoint> parse_address(const std::string& text, bool allow_any_port = false);

}  // namespace actraft
