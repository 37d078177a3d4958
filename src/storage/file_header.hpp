// The 32-byte header every storage file starts with:
//
//   0  magic     8 bytes  "ACTRWAL\0" (segment), "ACTRSNP\0" (snapshot), "ACTRIDN\0" (identity)
//   8  version   u32      format_version
//  12  flags     u32      0 (reserved)
//  16  sequence  u64      segment number / snapshot index
//  24  reserved  u32      0
//  28  crc       u32      CRC-32C of bytes 0..27
//
// Every future version keeps this layout, so the version check below can
// tell "written by a newer actraft" from "damaged". Internal to src/storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "actraft/storage/error.hpp"

namespace actraft::storage::detail {

inline constexpr std::size_t file_header_size = 32;
inline constexpr std::uint32_t format_version = 1;

enum class file_kind : std::uint8_t { wal_segment, snapshot, identity };

void encode_file_header(std::uint8_t* out, file_kind kind, std::uint64_t sequence);

/// Checks magic, checksum and version (in that order: a flipped version bit
/// is damage, a consistent header with another version is a newer format).
/// Returns the sequence field.
result<std::uint64_t> check_file_header(const std::uint8_t* in, file_kind kind,
                                        const std::string& path);

/// unsupported_version if the header `in` (consistent) is of another
/// format version, naming both versions and `path`.
std::optional<storage_error> other_version(const std::uint8_t* in, const std::string& path);

/// Refuses `dir` (unsupported_version) if any file in it has a consistent
/// actraft header ("ACTR" magic, valid checksum) of another format version,
/// whatever its name or kind (a newer build may add kinds). Run before recovery
/// removes or cuts anything: a directory of a newer format is left exactly
/// as it was. Headers that fail their checks are recovery's to judge (a
/// torn segment, damage).
result<void> check_directory_version(const std::string& dir);

}  // namespace actraft::storage::detail
