// Errors of the storage layer. Expected failures (a full disk, a locked or
// corrupt data directory) are values, not exceptions: the actor that owns
// the storage decides what to do with them.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace actraft::storage {

enum class storage_errc : std::uint8_t {
  io_error,             ///< an unexpected system call failure
  no_space,             ///< ENOSPC/EDQUOT: nothing was lost, retry once space is freed
  permission_denied,    ///< the data directory (or a file in it) is not writable
  locked,               ///< another process or storage instance holds the directory
  corruption,           ///< on-disk data fails its checksum or is inconsistent
  unsupported_version,  ///< a file was written by a newer (or unknown) format version
  invalid_argument,     ///< the caller broke a precondition (e.g. a gap in the log)
  not_found,            ///< the requested item does not exist (e.g. no snapshot)
  failed,               ///< an earlier fsync failed: the instance must be reopened
};

std::string_view to_string(storage_errc c);
inline std::ostream& operator<<(std::ostream& os, storage_errc c) { return os << to_string(c); }

/// What went wrong, where. `file` and `offset` locate on-disk problems so an
/// operator can inspect them; `sys_errno` is set for system call failures.
struct storage_error {
  static constexpr std::uint64_t no_offset = ~std::uint64_t{0};

  storage_errc code = storage_errc::io_error;
  std::string message;
  std::string file;
  std::uint64_t offset = no_offset;
  int sys_errno = 0;

  /// "corruption: record checksum mismatch (file /d/wal-1.log, offset 96)".
  [[nodiscard]] std::string what() const;
};

/// A value or a `storage_error`; a minimal stand-in for C++23 std::expected.
template <class T>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  result(storage_error err) : v_(std::in_place_index<1>, std::move(err)) {}  // NOLINT

  [[nodiscard]] bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  [[nodiscard]] const storage_error& error() const { return std::get<1>(v_); }

 private:
  std::variant<T, storage_error> v_;
};

template <>
class [[nodiscard]] result<void> {
 public:
  result() = default;
  result(storage_error err) : err_(std::move(err)) {}  // NOLINT: implicit by design

  [[nodiscard]] bool ok() const { return !err_.has_value(); }
  explicit operator bool() const { return ok(); }
  [[nodiscard]] const storage_error& error() const { return *err_; }

 private:
  std::optional<storage_error> err_;
};

}  // namespace actraft::storage
