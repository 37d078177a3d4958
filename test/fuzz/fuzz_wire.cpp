// libFuzzer: every decoder of the peer protocol's wire format on arbitrary
// bytes. Refusing is fine; crashing, reading out of bounds, allocating what
// a length claims, or decoding something that does not encode back to the
// same bytes is not.
#include <cstdint>
#include <cstring>
#include <stdexcept>

#include "wire.hpp"

using namespace actraft::net;

namespace {

void same_again(const std::vector<char>& frame, const char* body, std::size_t n) {
  if (frame.size() != n + frame_header_bytes || std::memcmp(frame.data() + frame_header_bytes, body, n) != 0)
    throw std::logic_error("a decoded frame does not encode back to the same bytes");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto* body = reinterpret_cast<const char*>(data);
  (void)kind_of(body, size);
  if (auto h = decode_hello(body, size)) same_again(encode(*h), body, size);
  if (auto r = decode_refuse(body, size)) (void)r;
  if (auto ms = decode_raft(body, size)) same_again(encode_raft(*ms), body, size);
  if (auto q = decode_request(body, size)) same_again(encode(*q), body, size);
  for (auto kind : {op::forward, op::join, op::remove, op::chunk})
    if (auto r = decode_response(body, size, kind)) same_again(encode(*r, kind), body, size);
  if (size >= frame_header_bytes) (void)frame_length(body);
  return 0;
}
