// Byte-level helpers shared by the storage files: little-endian integers,
// CRC-32C, and cereal (portable binary) encoding to and from byte buffers.
// Internal to src/storage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <istream>
#include <optional>
#include <ostream>
#include <span>
#include <streambuf>
#include <vector>

#include "actraft/bounded_cereal.hpp"
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

#include "crc32c.hpp"

namespace actraft::storage::detail {

using byte_vector = std::vector<std::uint8_t>;

// The formats are little-endian on every platform: written byte by byte so
// neither alignment nor host byte order matter.
inline void put_u32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline void put_u64(std::uint8_t* p, std::uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline std::uint32_t get_u32(const std::uint8_t* p) {
  std::uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= std::uint32_t{p[i]} << (8 * i);
  return v;
}
inline std::uint64_t get_u64(const std::uint8_t* p) {
  std::uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v |= std::uint64_t{p[i]} << (8 * i);
  return v;
}

/// A streambuf appending to a byte vector, so cereal writes straight into
/// the WAL's pending buffer without an intermediate string.
class vector_sink : public std::streambuf {
 public:
  explicit vector_sink(byte_vector& out) : out_(out) {}

 protected:
  int_type overflow(int_type ch) override {
    if (ch != traits_type::eof()) out_.push_back(static_cast<std::uint8_t>(ch));
    return ch;
  }
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    out_.insert(out_.end(), reinterpret_cast<const std::uint8_t*>(s),
                reinterpret_cast<const std::uint8_t*>(s) + n);
    return n;
  }

 private:
  byte_vector& out_;
};

/// A read-only streambuf over a byte span (no copy).
class span_source : public std::streambuf {
 public:
  explicit span_source(std::span<const std::uint8_t> in) {
    auto* b = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
    setg(b, b, b + in.size());
  }
};

/// Appends the portable-binary encoding of `value` to `out`.
template <class T>
void encode_append(byte_vector& out, const T& value) {
  vector_sink sink{out};
  std::ostream os{&sink};
  cereal::PortableBinaryOutputArchive ar{os};
  ar(value);
}

/// Decodes a value that must use up `in` exactly; nothing on malformed input
/// (cereal throws on short input; we never let that escape).
template <class T>
std::optional<T> decode_exact(std::span<const std::uint8_t> in) {
  try {
    actraft::detail::decode_scope bounded(in.size());
    span_source src{in};
    std::istream is{&src};
    cereal::PortableBinaryInputArchive ar{is};
    T value;
    ar(value);
    if (is.peek() != std::istream::traits_type::eof()) return std::nullopt;
    return value;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace actraft::storage::detail
