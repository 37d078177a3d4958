#include "reclaimer.hpp"

#include <cerrno>
#include <cstdio>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "file.hpp"

namespace actraft::storage::detail {

reclaimer::reclaimer(std::uint64_t chunk_bytes, std::chrono::milliseconds pause)
    : chunk_bytes_(chunk_bytes), pause_(pause) {}

reclaimer::~reclaimer() {
  {
    std::lock_guard lock{mutex_};
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (const auto& path : queue_) ::unlink(path.c_str());
}

void reclaimer::add(std::string path) {
  {
    std::lock_guard lock{mutex_};
    queue_.push_back(std::move(path));
    if (!thread_.joinable()) thread_ = std::thread([this] { run(); });
  }
  wake_.notify_all();
}

void reclaimer::drain() {
  std::unique_lock lock{mutex_};
  idle_.wait(lock, [this] { return queue_.empty() && !busy_; });
}

void reclaimer::run() {
  std::unique_lock lock{mutex_};
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;  // the destructor deletes the rest
    const std::string path = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    lock.unlock();
    reclaim(path);
    lock.lock();
    busy_ = false;
    if (queue_.empty()) idle_.notify_all();
  }
}

void reclaimer::reclaim(const std::string& path) {
  // Errors change nothing: the file is unlinked anyway, and a file left
  // behind (a crash) is removed when the engine next opens the directory.
  const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd >= 0) {
    struct stat st {};
    auto size = ::fstat(fd, &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
    while (size > chunk_bytes_) {
      size -= chunk_bytes_;
      if (::ftruncate(fd, static_cast<off_t>(size)) != 0) break;
      std::unique_lock lock{mutex_};
      if (wake_.wait_for(lock, pause_, [this] { return stopping_; })) break;
    }
    ::close(fd);
  }
  ::unlink(path.c_str());
}

result<void> retire(const std::string& path, reclaimer* r) {
  if (r == nullptr) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return sys_error(errno, "cannot remove", path);
    return {};
  }
  std::string retired = path + retired_suffix;
  if (std::rename(path.c_str(), retired.c_str()) != 0) {
    if (errno == ENOENT) return {};  // gone already, as an unlink would have found it
    return sys_error(errno, "cannot retire", path);
  }
  r->add(std::move(retired));
  return {};
}

}  // namespace actraft::storage::detail
