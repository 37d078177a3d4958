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

/// Parses "host:port" as a user writes it (port 0 allowed only if
/// `allow_any_port`); nothing if malformed. IPv6 hosts go in brackets,
/// "[2001:db8::1]:9000" (a zone, "%eth0", is letters, digits, '-', '_', '.'),
/// and come out in their canonical form (RFC 5952: "[2001:db8:0::1]" reads
/// as "2001:db8::1"). A host name is letters, digits, '-', '_' and '.'.
std::optional<endpoint> parse_address(const std::string& text, bool allow_any_port = false);

/// The same for an address the cluster stored or a member sent, which
/// earlier builds wrote without brackets for IPv6 ("::1:9000"): read where
/// the text before the last colon is an IPv6 address.
std::optional<endpoint> parse_stored_address(const std::string& text);

/// True for the addresses that mean "every interface" (0.0.0.0, ::, and
/// their other spellings: "0", "0x0", "::ffff:0.0.0.0"): a member may listen
/// on one, but nobody can dial it.
bool is_wildcard(const std::string& host);

}  // namespace actraft
