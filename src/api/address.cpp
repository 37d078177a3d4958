#include "actraft/address.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <charconv>

namespace actraft {

namespace {

bool is_host_name(const std::string& host) {
  if (host.empty() || host.size() > 253) return false;
  return std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
  });
}

/// The canonical text of an IPv6 address (an optional "%zone" kept as is),
/// or nothing if `text` is not one.
std::optional<std::string> canonical_ipv6(const std::string& text) {
  const auto percent = text.find('%');
  const std::string address = text.substr(0, percent);
  const std::string zone = percent == std::string::npos ? std::string() : text.substr(percent);
  if (!zone.empty() && !is_host_name(zone.substr(1))) return std::nullopt;
  in6_addr raw{};
  if (::inet_pton(AF_INET6, address.c_str(), &raw) != 1) return std::nullopt;
  char out[INET6_ADDRSTRLEN];
  if (::inet_ntop(AF_INET6, &raw, out, sizeof out) == nullptr) return std::nullopt;
  return std::string(out) + zone;
}

std::optional<endpoint> parse(const std::string& text, bool allow_any_port, bool unbracketed_v6) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.front() == '[' || host.back() == ']') {
    if (host.size() < 3 || host.front() != '[' || host.back() != ']') return std::nullopt;
    auto v6 = canonical_ipv6(host.substr(1, host.size() - 2));
    if (!v6) return std::nullopt;
    host = std::move(*v6);
  } else if (host.find(':') != std::string::npos) {
    if (!unbracketed_v6) return std::nullopt;
    auto v6 = canonical_ipv6(host);
    if (!v6) return std::nullopt;
    host = std::move(*v6);
  } else if (!is_host_name(host)) {
    return std::nullopt;
  }
  unsigned long port = 0;
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || port > 65535 || (port == 0 && !allow_any_port))
    return std::nullopt;
  return endpoint{std::move(host), static_cast<std::uint16_t>(port)};
}

}  // namespace

std::string endpoint::to_string() const {
  const auto p = std::to_string(port);
  return host.find(':') != std::string::npos ? "[" + host + "]:" + p : host + ":" + p;
}

std::optional<endpoint> parse_address(const std::string& text, bool allow_any_port) {
  return parse(text, allow_any_port, false);
}

std::optional<endpoint> parse_stored_address(const std::string& text) { return parse(text, false, true); }

bool is_wildcard(const std::string& host) {
  // inet_aton reads what the resolver reads as IPv4: "0", "0x0", "0.0.0".
  in_addr v4{};
  if (::inet_aton(host.c_str(), &v4) != 0) return v4.s_addr == INADDR_ANY;
  in6_addr v6{};
  const std::string address = host.substr(0, host.find('%'));
  if (::inet_pton(AF_INET6, address.c_str(), &v6) != 1) return false;
  if (IN6_IS_ADDR_UNSPECIFIED(&v6)) return true;
  // ::ffff:0.0.0.0
  return IN6_IS_ADDR_V4MAPPED(&v6) && v6.s6_addr[12] == 0 && v6.s6_addr[13] == 0 &&
         v6.s6_addr[14] == 0 && v6.s6_addr[15] == 0;
}

}  // namespace actraft
