// Exclusive ownership of a data directory: flock(2) on its LOCK file. The
// lock belongs to the open file description, so it also keeps out a second
// storage in the same process, and the kernel drops it when the process dies
// (no stale lock files after a crash). Internal to src/storage.
#pragma once

#include <string>

#include "actraft/storage/error.hpp"
#include "file.hpp"

namespace actraft::storage::detail {

class dir_lock {
 public:
  static result<dir_lock> acquire(const std::string& dir);

 private:
  file lock_file_;
};

}  // namespace actraft::storage::detail
