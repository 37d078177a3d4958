#include "dir_lock.hpp"

#include <cerrno>

#include <fcntl.h>
#include <sys/file.h>

namespace actraft::storage::detail {

result<dir_lock> dir_lock::acquire(const std::string& dir) {
  const auto path = dir + "/LOCK";
  auto f = file::open(path, O_RDWR | O_CREAT, nullptr);
  if (!f) {
    auto e = f.error();
    if (e.code == storage_errc::permission_denied)
      e.message = "data directory is not writable (" + e.message + ")";
    return e;
  }
  if (::flock(f->fd(), LOCK_EX | LOCK_NB) != 0) {
    if (errno == EWOULDBLOCK) {
      storage_error e;
      e.code = storage_errc::locked;
      e.message = "data directory is already in use by another process or storage instance";
      e.file = path;
      return e;
    }
    return sys_error(errno, "flock failed", path);
  }
  dir_lock l;
  l.lock_file_ = std::move(*f);
  return l;
}

}  // namespace actraft::storage::detail
