#include "file.hpp"

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace actraft::storage::detail {

storage_error sys_error(int err, const std::string& what, const std::string& path,
                        std::uint64_t offset) {
  storage_errc code = storage_errc::io_error;
  if (err == ENOSPC || err == EDQUOT) code = storage_errc::no_space;
  else if (err == EACCES || err == EPERM || err == EROFS) code = storage_errc::permission_denied;
  storage_error e;
  e.code = code;
  e.message = what + ": " + std::strerror(err);
  e.file = path;
  e.offset = offset;
  e.sys_errno = err;
  return e;
}

storage_error corruption(const std::string& what, const std::string& path, std::uint64_t offset) {
  storage_error e;
  e.code = storage_errc::corruption;
  e.message = what;
  e.file = path;
  e.offset = offset;
  return e;
}

file::file(file&& other) noexcept
    : fd_(other.fd_), path_(std::move(other.path_)), opts_(other.opts_) {
  other.fd_ = -1;
}

file& file::operator=(file&& other) noexcept {
  if (this != &other) {
    close();
    fd_ = other.fd_;
    path_ = std::move(other.path_);
    opts_ = other.opts_;
    other.fd_ = -1;
  }
  return *this;
}

file::~file() { close(); }

void file::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

result<file> file::open(const std::string& path, int flags, const storage_options* opts) {
  int fd = ::open(path.c_str(), flags | O_CLOEXEC, 0644);
  if (fd < 0) return sys_error(errno, "cannot open", path);
  file f;
  f.fd_ = fd;
  f.path_ = path;
  f.opts_ = opts;
  return f;
}

result<void> file::write_all(const std::uint8_t* data, std::size_t n) {
  std::size_t limit = n;
  int injected = 0;
  if (opts_ != nullptr && opts_->fault) {
    if (auto f = opts_->fault(path_, n)) {
      limit = std::min(f->written, n);
      injected = f->error;
    }
  }
  std::size_t done = 0;
  while (done < limit) {
    ssize_t w = ::write(fd_, data + done, limit - done);
    if (w < 0) {
      if (errno == EINTR) continue;
      return sys_error(errno, "write failed", path_);
    }
    done += static_cast<std::size_t>(w);
  }
  if (injected != 0) return sys_error(injected, "write failed (injected)", path_);
  return {};
}

result<std::size_t> file::read_at(std::uint64_t offset, std::uint8_t* out, std::size_t n) const {
  std::size_t done = 0;
  while (done < n) {
    ssize_t r = ::pread(fd_, out + done, n - done, static_cast<off_t>(offset + done));
    if (r < 0) {
      if (errno == EINTR) continue;
      return sys_error(errno, "read failed", path_, offset + done);
    }
    if (r == 0) break;
    done += static_cast<std::size_t>(r);
  }
  return done;
}

result<std::uint64_t> file::size() const {
  struct stat st {};
  if (::fstat(fd_, &st) != 0) return sys_error(errno, "fstat failed", path_);
  return static_cast<std::uint64_t>(st.st_size);
}

result<void> file::truncate(std::uint64_t size) {
  if (::ftruncate(fd_, static_cast<off_t>(size)) != 0)
    return sys_error(errno, "ftruncate failed", path_, size);
  return seek(size);
}

result<void> file::allocate(std::uint64_t size) {
  if (::fallocate(fd_, 0, 0, static_cast<off_t>(size)) != 0)
    return sys_error(errno, "fallocate failed", path_, size);
  return {};
}

result<void> file::seek(std::uint64_t offset) {
  if (::lseek(fd_, static_cast<off_t>(offset), SEEK_SET) < 0)
    return sys_error(errno, "lseek failed", path_, offset);
  return {};
}

void file::start_writeback(std::uint64_t offset, std::uint64_t n) {
  (void)::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(n), SYNC_FILE_RANGE_WRITE);
}

void file::wait_writeback(std::uint64_t offset, std::uint64_t n) {
  (void)::sync_file_range(fd_, static_cast<off_t>(offset), static_cast<off_t>(n),
                          SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
}

result<void> file::datasync() {
  if (::fdatasync(fd_) != 0) return sys_error(errno, "fdatasync failed", path_);
  return {};
}

result<void> file::sync() {
  if (::fsync(fd_) != 0) return sys_error(errno, "fsync failed", path_);
  return {};
}

result<void> sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return sys_error(errno, "cannot open directory", dir);
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) return sys_error(err, "directory fsync failed", dir);
  return {};
}

namespace {

result<byte_vector> read_prefix(const std::string& path, bool skip_final_hole) {
  auto f = file::open(path, O_RDONLY, nullptr);
  if (!f) return f.error();
  auto sz = f->size();
  if (!sz) return sz.error();
  if (skip_final_hole) {
    // A file system that keeps no holes puts the only one at the end: all is read.
    const auto hole = ::lseek(f->fd(), 0, SEEK_HOLE);
    if (hole >= 0 && static_cast<std::uint64_t>(hole) < *sz &&
        ::lseek(f->fd(), hole, SEEK_DATA) < 0 && errno == ENXIO)
      *sz = static_cast<std::uint64_t>(hole);
  }
  byte_vector buf(*sz);
  auto r = f->read_at(0, buf.data(), buf.size());
  if (!r) return r.error();
  buf.resize(*r);
  return buf;
}

}  // namespace

result<byte_vector> read_file(const std::string& path) { return read_prefix(path, false); }

result<byte_vector> read_written(const std::string& path) { return read_prefix(path, true); }

}  // namespace actraft::storage::detail
