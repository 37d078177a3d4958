#include "actraft/storage/error.hpp"

namespace actraft::storage {

std::string_view to_string(storage_errc c) {
  switch (c) {
    case storage_errc::io_error: return "io_error";
    case storage_errc::no_space: return "no_space";
    case storage_errc::permission_denied: return "permission_denied";
    case storage_errc::locked: return "locked";
    case storage_errc::corruption: return "corruption";
    case storage_errc::unsupported_version: return "unsupported_version";
    case storage_errc::invalid_argument: return "invalid_argument";
    case storage_errc::not_found: return "not_found";
    case storage_errc::failed: return "failed";
  }
  return "unknown";
}

std::string storage_error::what() const {
  std::string s{to_string(code)};
  s += ": ";
  s += message;
  if (!file.empty()) {
    s += " (file ";
    s += file;
    if (offset != no_offset) {
      s += ", offset ";
      s += std::to_string(offset);
    }
    s += ")";
  }
  return s;
}

}  // namespace actraft::storage
