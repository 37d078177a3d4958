#include "record.hpp"

#include <algorithm>

#include "file.hpp"

namespace actraft::storage::detail {

namespace {

bool all_zero(std::span<const std::uint8_t> s) {
  return std::all_of(s.begin(), s.end(), [](std::uint8_t b) { return b == 0; });
}

bool known_type(std::uint8_t t) { return t >= 1 && t <= 5; }

}  // namespace

result<scan_result> scan_records(std::span<const std::uint8_t> image, std::size_t start,
                                 bool final_segment, const std::string& path,
                                 const record_visitor& visit) {
  scan_result out;
  std::size_t pos = start;
  // A crash can only leave the end of the final segment incomplete; a record
  // that is complete but wrong was acknowledged (or followed by acknowledged
  // data) and must not be dropped silently.
  auto torn_or = [&](const char* what) -> result<scan_result> {
    if (final_segment) {
      out.valid_end = pos;
      out.torn = true;
      return out;
    }
    return corruption(std::string{what} + " in a segment that is not the last", path, pos);
  };
  while (pos < image.size()) {
    auto rest = image.subspan(pos);
    if (out.sealed) return corruption("data after the seal record", path, pos);
    if (rest.size() < record_header_size) return torn_or("incomplete record header");
    const std::uint8_t* h = rest.data();
    if (get_u32(h + 12) != crc32c(h, 12)) {
      if (final_segment && all_zero(rest)) return torn_or("unwritten record");
      return corruption("record header checksum mismatch", path, pos);
    }
    auto len = get_u32(h);
    if (!known_type(h[4]) || len > max_record_size)
      return corruption("invalid record header (type " + std::to_string(h[4]) + ", length " +
                            std::to_string(len) + ")",
                        path, pos);
    if (rest.size() - record_header_size < len) return torn_or("incomplete record");
    auto payload = rest.subspan(record_header_size, len);
    if (get_u32(h + 8) != crc32c(payload.data(), payload.size())) {
      if (final_segment && all_zero(rest.subspan(record_header_size)))
        return torn_or("unwritten record payload");
      return corruption("record checksum mismatch", path, pos);
    }
    auto type = static_cast<record_type>(h[4]);
    if (type == record_type::seal) out.sealed = true;
    if (auto r = visit(type, payload, pos); !r) return r.error();
    pos += record_header_size + len;
  }
  out.valid_end = pos;
  return out;
}

}  // namespace actraft::storage::detail
