#include "actraft/error.hpp"

namespace actraft {

std::string_view to_string(errc e) {
  switch (e) {
    case errc::not_leader: return "not_leader";
    case errc::timeout: return "timeout";
    case errc::dropped: return "dropped";
    case errc::shutting_down: return "shutting_down";
    case errc::apply_failed: return "apply_failed";
    case errc::removed: return "removed";
    case errc::membership_refused: return "membership_refused";
    case errc::storage_failure: return "storage_failure";
    case errc::bad_request: return "bad_request";
    case errc::not_started: return "not_started";
    case errc::unauthorized: return "unauthorized";
    case errc::overloaded: return "overloaded";
    case errc::not_supported: return "not_supported";
    case errc::query_failed: return "query_failed";
  }
  return "unknown";
}

}  // namespace actraft
