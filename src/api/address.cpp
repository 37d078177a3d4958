#include "actraft/address.hpp"

#include <charconv>

namespace actraft {

std::optional<endpoint> parse_address(const std::string& text, bool allow_any_port) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 >= text.size()) return std::nullopt;
  std::string host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']') return std::nullopt;
    host = host.substr(1, host.size() - 2);
  }
  unsigned long port = 0;
  const char* first = text.data() + colon + 1;
  const char* last = text.data() + text.size();
  auto [end, ec] = std::from_chars(first, last, port);
  if (ec != std::errc{} || end != last || port > 65535 || (port == 0 && !allow_any_port))
    return std::nullopt;
  return endpoint{std::move(host), static_cast<std::uint16_t>(port)};
}

}  // namespace actraft
