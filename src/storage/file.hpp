// A thin RAII wrapper over a POSIX file descriptor whose failures come back
// as storage_errors naming the file. Internal to src/storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

#include "actraft/storage/error.hpp"
#include "actraft/storage/options.hpp"
#include "codec.hpp"

namespace actraft::storage::detail {

/// A storage_error for a failed system call: ENOSPC becomes no_space,
/// EACCES/EPERM/EROFS permission_denied, everything else io_error.
storage_error sys_error(int err, const std::string& what, const std::string& path,
                        std::uint64_t offset = storage_error::no_offset);

storage_error corruption(const std::string& what, const std::string& path,
                         std::uint64_t offset = storage_error::no_offset);

class file {
 public:
  file() = default;
  file(file&& other) noexcept;
  file& operator=(file&& other) noexcept;
  file(const file&) = delete;
  file& operator=(const file&) = delete;
  ~file();

  /// open(2) with the given flags (O_CLOEXEC is added).
  static result<file> open(const std::string& path, int flags, const storage_options* opts);

  [[nodiscard]] bool is_open() const { return fd_ >= 0; }
  [[nodiscard]] int fd() const { return fd_; }
  [[nodiscard]] const std::string& path() const { return path_; }

  /// Writes everything at the current position, retrying short writes. On
  /// failure some prefix may have been written: the caller truncates back.
  result<void> write_all(const std::uint8_t* data, std::size_t n);
  /// Reads exactly `n` bytes at `offset` (fewer only at end of file).
  result<std::size_t> read_at(std::uint64_t offset, std::uint8_t* out, std::size_t n) const;
  result<std::uint64_t> size() const;
  result<void> truncate(std::uint64_t size);
  /// fallocate(2), mode 0: makes the file at least `size` bytes long with all
  /// its blocks allocated; the new bytes read as zeros.
  result<void> allocate(std::uint64_t size);
  result<void> seek(std::uint64_t offset);
  /// Writeback of [offset, offset + n) (sync_file_range): started without
  /// waiting, or waited for. Neither makes the data durable (no metadata,
  /// no disk cache flush): only sync() and datasync() do. Best effort, as
  /// any error shows again at the fsync.
  void start_writeback(std::uint64_t offset, std::uint64_t n);
  void wait_writeback(std::uint64_t offset, std::uint64_t n);
  result<void> datasync();
  result<void> sync();
  void close();

 private:
  int fd_ = -1;
  std::string path_;
  const storage_options* opts_ = nullptr;
};

/// fsync on a directory: makes created, renamed and deleted names durable.
result<void> sync_dir(const std::string& dir);

/// The whole file (for small files and tests).
result<byte_vector> read_file(const std::string& path);
/// The file up to where only a hole follows: allocated space never written
/// (fallocate) reads as zeros, so there is no need to read it.
result<byte_vector> read_written(const std::string& path);

}  // namespace actraft::storage::detail
