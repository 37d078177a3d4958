#include "actraft/core/invariant.hpp"

namespace actraft::core {

void invariant_failed(const std::string& what, const char* file, int line) {
  std::string where(file);
  if (auto slash = where.rfind('/'); slash != std::string::npos) where.erase(0, slash + 1);
  throw invariant_error("internal invariant broken at " + where + ":" + std::to_string(line) + ": " +
                        what);
}

}  // namespace actraft::core
