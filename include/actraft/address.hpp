// "host:port" addresses as users write them and as the cluster stores them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace actraft {

struct endpoint {
  /// A host name, an IPv4 address or an IPv6 address (without brackets).
  std::string host;
  std::uint16_t port = 0;

  /// "host:port", an IPv6 host in brackets ("[::1]:9000"): the form every
  /// address is shown and stored in, and what parse_address reads back.
  [[nodiscard]] std::string to_string() const;
};

/// Parses "host:port" (port 0 allowed only if `allow_any_port`); nothing if
/// malformed. IPv6 hosts go in brackets, "[2001:db8::1]:9000", and come out
/// in their canonical form (RFC 5952: "[2001:db8:0::1]" reads as
/// "2001:db8::1"). Without brackets an IPv6 host is read only where the
/// text before the last colon is an IPv6 address ("::1:9000", as earlier
/// builds stored it). A host name is letters, digits, '-', '_' and '.'.
std::optional<endpoint> parse_address(const std::string& text, bool allow_any_port = false);

/// True for the addresses that mean "every interface" (0.0.0.0, ::, and
/// their other spellings): a member may listen on one, but nobody can dial it.
bool is_wildcard(const std::string& host);

}  // namespace actraft
