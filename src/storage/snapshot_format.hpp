// Layout of a snapshot file (after the common 32-byte file header whose
// sequence field is the snapshot index):
//
//   32  meta_length  u32
//   36  meta_crc     u32  CRC-32C of the metadata
//   40  metadata     cereal portable binary of core::snapshot_meta
//   ..  data         the store's bytes, any length
//   -32 footer:  magic "ACTREND\0" | u64 data_size | u32 data_crc |
//                8 bytes reserved | u32 CRC-32C of the footer's first 28 bytes
//
// The footer is written last, so a file is complete only if it is there and
// agrees with the file size. Files are named
// snap-<index:016x>-<term:016x>.snap. Internal to src/storage.
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace actraft::storage::detail {

inline constexpr std::size_t snapshot_meta_prefix = 8;  // meta_length + meta_crc
inline constexpr std::size_t snapshot_footer_size = 32;
inline constexpr const char* snapshot_footer_magic = "ACTREND";  // + NUL: 8 bytes

inline std::string snapshot_file_name(std::uint64_t index, std::uint64_t term) {
  char name[64];
  std::snprintf(name, sizeof name, "snap-%016" PRIx64 "-%016" PRIx64 ".snap", index, term);
  return name;
}

struct snapshot_name {
  std::uint64_t index = 0;
  std::uint64_t term = 0;
};

inline std::optional<snapshot_name> parse_snapshot_name(const std::string& name) {
  if (name.size() != 43 || name.compare(0, 5, "snap-") != 0 || name[21] != '-' ||
      name.compare(38, 5, ".snap") != 0)
    return std::nullopt;
  auto hex = [&](std::size_t from, std::uint64_t& out) {
    out = 0;
    for (std::size_t i = from; i < from + 16; ++i) {
      char c = name[i];
      int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
      if (d < 0) return false;
      out = out * 16 + static_cast<std::uint64_t>(d);
    }
    return true;
  };
  snapshot_name n;
  if (!hex(5, n.index) || !hex(22, n.term)) return std::nullopt;
  return n;
}

}  // namespace actraft::storage::detail
