// cereal's portable binary input, unable to allocate more than it was given.
//
// cereal reads a string's or a vector's length and resizes to it before
// reading the elements: 13 bytes claiming a 3 GiB string make it zero 3 GiB
// (on every replica that applies such a command, again at every replay).
// These overloads, more specialized than cereal's own, check every length
// against the size of the input being decoded (set by decode_scope) first:
// no element takes less than a byte, so a longer length is a lie.
// actraft's decoders (typed.hpp's decode, configuration entries, storage
// records) set the scope; include this header before decoding with
// cereal::PortableBinaryInputArchive yourself, and set a decode_scope.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/vector.hpp>

namespace actraft::detail {

/// The size of the input being decoded on this thread (unbounded outside a scope).
inline thread_local std::size_t decode_budget = SIZE_MAX;

/// Bounds every length read while it lives by `input_bytes`.
class decode_scope {
 public:
  explicit decode_scope(std::size_t input_bytes) : saved_(decode_budget) { decode_budget = input_bytes; }
  ~decode_scope() { decode_budget = saved_; }
  decode_scope(const decode_scope&) = delete;
  decode_scope& operator=(const decode_scope&) = delete;

 private:
  std::size_t saved_;
};

inline void check_decoded_length(std::uint64_t n) {
  if (n > decode_budget) throw cereal::Exception("a length longer than the input it was read from");
}

}  // namespace actraft::detail

namespace cereal {

template <class CharT, class Traits, class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& ar, std::basic_string<CharT, Traits, Alloc>& str) {
  size_type size = 0;
  ar(make_size_tag(size));
  actraft::detail::check_decoded_length(size);
  str.resize(static_cast<std::size_t>(size));
  ar(binary_data(const_cast<CharT*>(str.data()), static_cast<std::size_t>(size) * sizeof(CharT)));
}

template <class T, class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& ar, std::vector<T, Alloc>& vec) {
  size_type size = 0;
  ar(make_size_tag(size));
  actraft::detail::check_decoded_length(size);
  vec.resize(static_cast<std::size_t>(size));
  if constexpr (std::is_arithmetic_v<T>) {
    ar(binary_data(vec.data(), static_cast<std::size_t>(size) * sizeof(T)));
  } else {
    for (auto& v : vec) ar(v);
  }
}

template <class Alloc>
void CEREAL_LOAD_FUNCTION_NAME(PortableBinaryInputArchive& ar, std::vector<bool, Alloc>& vec) {
  size_type size = 0;
  ar(make_size_tag(size));
  actraft::detail::check_decoded_length(size);
  vec.resize(static_cast<std::size_t>(size));
  for (auto&& v : vec) {
    bool b = false;
    ar(b);
    v = b;
  }
}

}  // namespace cereal
