// The identity file: the common 32-byte file header (kind identity,
// sequence = node id), then
//  32  length   u32      payload bytes
//  36  crc      u32      CRC-32C of the payload
//  40  payload           node_identity, cereal portable binary
// Written once, to a temp file that is fsynced and renamed into place.
#include "actraft/storage/identity.hpp"

#include <fcntl.h>

#include <cerrno>
#include <cstdio>
#include <filesystem>

#include "codec.hpp"
#include "file.hpp"
#include "file_header.hpp"

namespace actraft::storage {

namespace {

constexpr std::size_t length_offset = detail::file_header_size;
constexpr std::size_t payload_offset = detail::file_header_size + 8;

std::string identity_path(const std::string& dir) { return dir + "/identity"; }

}  // namespace

result<std::optional<node_identity>> load_identity(const std::string& dir) {
  const auto path = identity_path(dir);
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) return std::optional<node_identity>{};
  auto content = detail::read_file(path);
  if (!content) return content.error();
  const auto& buf = *content;
  if (buf.size() < payload_offset)
    return detail::corruption("identity file is too short", path, 0);
  auto header = detail::check_file_header(buf.data(), detail::file_kind::identity, path);
  if (!header) return header.error();
  const auto length = detail::get_u32(buf.data() + length_offset);
  if (buf.size() != payload_offset + length)
    return detail::corruption("identity file has the wrong length", path, length_offset);
  const std::span<const std::uint8_t> payload(buf.data() + payload_offset, length);
  if (detail::crc32c(payload.data(), payload.size()) != detail::get_u32(buf.data() + length_offset + 4))
    return detail::corruption("identity checksum mismatch", path, payload_offset);
  auto id = detail::decode_exact<node_identity>(payload);
  if (!id || id->id == core::no_node || id->id.value != *header)
    return detail::corruption("identity payload is malformed", path, payload_offset);
  return std::optional<node_identity>{std::move(*id)};
}

result<void> save_identity(const std::string& dir, const node_identity& identity) {
  detail::byte_vector payload;
  detail::encode_append(payload, identity);
  detail::byte_vector buf(payload_offset);
  detail::encode_file_header(buf.data(), detail::file_kind::identity, identity.id.value);
  detail::put_u32(buf.data() + length_offset, static_cast<std::uint32_t>(payload.size()));
  detail::put_u32(buf.data() + length_offset + 4, detail::crc32c(payload.data(), payload.size()));
  buf.insert(buf.end(), payload.begin(), payload.end());

  const auto path = identity_path(dir);
  const auto tmp = path + ".tmp";
  {
    auto f = detail::file::open(tmp, O_WRONLY | O_CREAT | O_TRUNC, nullptr);
    if (!f) return f.error();
    if (auto w = f->write_all(buf.data(), buf.size()); !w) return w.error();
    if (auto s = f->sync(); !s) return s.error();
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return detail::sys_error(errno, "cannot rename the identity file into place", tmp);
  return detail::sync_dir(dir);
}

}  // namespace actraft::storage
