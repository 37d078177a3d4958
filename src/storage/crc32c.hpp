// CRC-32C (Castagnoli), the checksum of every record and file in the data
// directory. Computed with the CPU's crc32 instruction (SSE 4.2) where there
// is one, with Boost.CRC's table otherwise; both give the same values.
// Internal to src/storage.
#pragma once

#include <cstddef>
#include <cstdint>

#include <boost/crc.hpp>

namespace actraft::storage::detail {

/// Boost's description of the algorithm: the reference for both ways.
using crc32c_boost = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

/// Whether this CPU computes CRC-32C itself (checked once).
bool crc32c_in_hardware();

/// A checksum over data that arrives in pieces.
class crc32c_state {
 public:
  void process_bytes(const void* data, std::size_t n);
  [[nodiscard]] std::uint32_t checksum() const;

 private:
  bool hardware_ = crc32c_in_hardware();
  std::uint32_t reg_ = 0xFFFFFFFF;  // hardware: the reflected register
  crc32c_boost soft_;
};

inline std::uint32_t crc32c(const void* data, std::size_t n) {
  crc32c_state c;
  c.process_bytes(data, n);
  return c.checksum();
}

/// Both ways, for tests: the hardware one only where crc32c_in_hardware().
std::uint32_t crc32c_hardware(const void* data, std::size_t n);
std::uint32_t crc32c_software(const void* data, std::size_t n);

}  // namespace actraft::storage::detail
