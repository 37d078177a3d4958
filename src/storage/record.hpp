// Record framing inside a WAL segment. Each record is
//
//   0  length       u32  payload bytes
//   4  type         u8   record_type
//   5  reserved     3 bytes, 0
//   8  payload_crc  u32  CRC-32C of the payload
//  12  header_crc   u32  CRC-32C of bytes 0..11
//  16  payload      `length` bytes (cereal portable binary)
//
// The header has its own checksum so a damaged length is recognised as
// damage instead of being mistaken for a record cut short by a crash.
// Internal to src/storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>

#include "actraft/storage/error.hpp"
#include "codec.hpp"

namespace actraft::storage::detail {

enum class record_type : std::uint8_t {
  entry = 1,       ///< a core::entry; replaces the stored suffix from its index on
  hard_state = 2,  ///< a core::hard_state; the last one wins
  truncate = 3,    ///< a log_index: entries from it on are removed
  reset = 4,       ///< a log_index base: all entries removed, the next one is base + 1
  seal = 5,        ///< last record of a finished segment (a u64 of the next sequence)
};

inline constexpr std::size_t record_header_size = 16;
/// The unit a disk writes whole (or not at all) on a crash.
inline constexpr std::size_t sector_size = 512;
/// No record is this large; a bigger (checksummed) length means a bug or damage.
inline constexpr std::uint32_t max_record_size = 1u << 30;

/// Appends a framed record whose payload is `value` encoded with cereal.
template <class T>
void append_record(byte_vector& out, record_type type, const T& value) {
  auto start = out.size();
  out.resize(start + record_header_size);
  encode_append(out, value);
  auto len = out.size() - start - record_header_size;
  std::uint8_t* h = out.data() + start;
  put_u32(h, static_cast<std::uint32_t>(len));
  h[4] = static_cast<std::uint8_t>(type);
  h[5] = h[6] = h[7] = 0;
  put_u32(h + 8, crc32c(h + record_header_size, len));
  put_u32(h + 12, crc32c(h, 12));
}

/// How a segment's scan ended. Past `valid_end` there is either nothing,
/// unwritten space (zeros: a preallocated segment's rest), or a torn write.
struct scan_result {
  std::size_t valid_end = 0;  ///< offset just past the last complete record
  bool torn = false;          ///< bytes after valid_end are a torn write (final segment only)
  std::size_t torn_end = 0;   ///< ... up to here (past it, only zeros)
  bool sealed = false;        ///< the segment ends with a seal record
};

using record_visitor =
    std::function<result<void>(record_type, std::span<const std::uint8_t> payload, std::size_t offset)>;

/// Walks the records of a segment image from `start`. Zeros up to the end of
/// the file are unwritten space in the final segment, and after the seal in
/// any other. In the final segment a record that fails its checks is a torn
/// write if it is cut short by the end of the file or if part of it lies in
/// a sector that was never written (all zeros, as etcd's WAL tells them):
/// sectors reach the disk whole or not at all, and a record whose every
/// sector was written is complete. Any other mismatch, anywhere, is
/// corruption.
result<scan_result> scan_records(std::span<const std::uint8_t> image, std::size_t start,
                                 bool final_segment, const std::string& path,
                                 const record_visitor& visit);

}  // namespace actraft::storage::detail
