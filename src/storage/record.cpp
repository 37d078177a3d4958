#include "record.hpp"

#include <algorithm>

#include "file.hpp"

namespace actraft::storage::detail {

namespace {

bool all_zero(std::span<const std::uint8_t> s) {
  return std::all_of(s.begin(), s.end(), [](std::uint8_t b) { return b == 0; });
}

bool known_type(std::uint8_t t) { return t >= 1 && t <= 5; }

/// Whether some sector that bytes [from, to) of `image` touch was never
/// written: from `from` (or the sector's start) to the sector's end, all
/// zeros. At least 8 bytes: a record header's first 8 (length, type,
/// reserved) are never all zero, so a written header is never mistaken for
/// an unwritten sector.
bool touches_unwritten_sector(std::span<const std::uint8_t> image, std::size_t from, std::size_t to) {
  to = std::min(to, image.size());
  for (auto s = from - from % sector_size; s < to; s += sector_size) {
    const auto begin = std::max(from, s);
    const auto end = std::min(s + sector_size, image.size());
    if (end - begin >= 8 && all_zero(image.subspan(begin, end - begin))) return true;
  }
  return false;
}

/// One past the last non-zero byte of `image` (at least `from`).
std::size_t written_end(std::span<const std::uint8_t> image, std::size_t from) {
  auto end = image.size();
  while (end > from && image[end - 1] == 0) --end;
  return end;
}

}  // namespace

result<scan_result> scan_records(std::span<const std::uint8_t> image, std::size_t start,
                                 bool final_segment, const std::string& path,
                                 const record_visitor& visit) {
  scan_result out;
  std::size_t pos = start;
  // A crash can only leave the end of the final segment incomplete; a record
  // that is complete but wrong was acknowledged (or followed by acknowledged
  // data) and must not be dropped silently.
  auto torn_or = [&](const char* what, bool torn) -> result<scan_result> {
    if (final_segment && torn) {
      out.valid_end = pos;
      out.torn = true;
      out.torn_end = written_end(image, pos);
      return out;
    }
    return corruption(std::string{what} + (final_segment ? "" : " in a segment that is not the last"),
                      path, pos);
  };
  while (pos < image.size()) {
    auto rest = image.subspan(pos);
    // Unwritten space: the preallocated rest of the segment being written,
    // or of a sealed one (it rolled before filling its allocation).
    if ((final_segment || out.sealed) && all_zero(rest)) break;
    if (out.sealed) return corruption("data after the seal record", path, pos);
    if (rest.size() < record_header_size) return torn_or("incomplete record header", true);
    const std::uint8_t* h = rest.data();
    if (get_u32(h + 12) != crc32c(h, 12))
      return torn_or("record header checksum mismatch",
                     touches_unwritten_sector(image, pos, pos + record_header_size));
    auto len = get_u32(h);
    if (!known_type(h[4]) || len > max_record_size)
      return corruption("invalid record header (type " + std::to_string(h[4]) + ", length " +
                            std::to_string(len) + ")",
                        path, pos);
    if (rest.size() - record_header_size < len) return torn_or("incomplete record", true);
    auto payload = rest.subspan(record_header_size, len);
    if (get_u32(h + 8) != crc32c(payload.data(), payload.size()))
      return torn_or("record checksum mismatch",
                     all_zero(rest.subspan(record_header_size)) ||
                         touches_unwritten_sector(image, pos, pos + record_header_size + len));
    auto type = static_cast<record_type>(h[4]);
    if (type == record_type::seal) out.sealed = true;
    if (auto r = visit(type, payload, pos); !r) return r.error();
    pos += record_header_size + len;
  }
  out.valid_end = pos;
  return out;
}

}  // namespace actraft::storage::detail
