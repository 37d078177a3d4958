#include "crc32c.hpp"

#include <cstring>

#if defined(__x86_64__)
#include <nmmintrin.h>
#endif

namespace actraft::storage::detail {

namespace {

#if defined(__x86_64__)
// Eight bytes per instruction; the register is the reflected CRC, as in
// Boost's reflected algorithm, so the two agree bit for bit.
__attribute__((target("sse4.2"))) std::uint32_t update_hardware(std::uint32_t reg,
                                                                const void* data,
                                                                std::size_t n) {
  auto p = static_cast<const unsigned char*>(data);
  std::uint64_t r = reg;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, 8);  // little-endian: the byte order the algorithm reads
    r = _mm_crc32_u64(r, word);
  }
  auto r32 = static_cast<std::uint32_t>(r);
  for (; n > 0; --n, ++p) r32 = _mm_crc32_u8(r32, *p);
  return r32;
}
#else
std::uint32_t update_hardware(std::uint32_t reg, const void*, std::size_t) { return reg; }
#endif

}  // namespace

bool crc32c_in_hardware() {
#if defined(__x86_64__)
  static const bool yes = __builtin_cpu_supports("sse4.2");
  return yes;
#else
  return false;
#endif
}

void crc32c_state::process_bytes(const void* data, std::size_t n) {
  if (hardware_)
    reg_ = update_hardware(reg_, data, n);
  else
    soft_.process_bytes(data, n);
}

std::uint32_t crc32c_state::checksum() const { return hardware_ ? ~reg_ : soft_.checksum(); }

std::uint32_t crc32c_hardware(const void* data, std::size_t n) {
  return ~update_hardware(0xFFFFFFFF, data, n);
}

std::uint32_t crc32c_software(const void* data, std::size_t n) {
  crc32c_boost c;
  c.process_bytes(data, n);
  return c.checksum();
}

}  // namespace actraft::storage::detail
