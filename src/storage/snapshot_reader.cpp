#include "actraft/storage/snapshot_reader.hpp"

#include <fcntl.h>

#include "codec.hpp"
#include "file.hpp"
#include "file_header.hpp"
#include "snapshot_format.hpp"

namespace actraft::storage {

using namespace detail;

struct snapshot_reader::impl {
  file in;
  core::snapshot_meta meta;
  std::uint64_t data_offset = 0;
  std::uint64_t size = 0;
  std::uint64_t pos = 0;  // data bytes read so far
  std::uint32_t expected_crc = 0;
  crc32c_state crc;
};

snapshot_reader::snapshot_reader(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
snapshot_reader::snapshot_reader(snapshot_reader&&) noexcept = default;
snapshot_reader& snapshot_reader::operator=(snapshot_reader&&) noexcept = default;
snapshot_reader::~snapshot_reader() = default;

const core::snapshot_meta& snapshot_reader::meta() const { return impl_->meta; }
std::uint64_t snapshot_reader::size() const { return impl_->size; }
std::uint64_t snapshot_reader::remaining() const { return impl_->size - impl_->pos; }
const std::string& snapshot_reader::path() const { return impl_->in.path(); }

result<snapshot_reader> snapshot_reader::open(const std::string& path) {
  auto p = std::make_unique<impl>();
  auto f = file::open(path, O_RDONLY, nullptr);
  if (!f) return f.error();
  p->in = std::move(*f);
  auto fsize = p->in.size();
  if (!fsize) return fsize.error();
  const auto min_size = file_header_size + snapshot_meta_prefix + snapshot_footer_size;
  if (*fsize < min_size) return corruption("snapshot file too short", path, *fsize);

  std::uint8_t head[file_header_size + snapshot_meta_prefix];
  if (auto r = p->in.read_at(0, head, sizeof head); !r) return r.error();
  if (auto r = check_file_header(head, file_kind::snapshot, path); !r) return r.error();
  auto meta_len = get_u32(head + file_header_size);
  if (meta_len > *fsize - min_size)
    return corruption("snapshot metadata length exceeds the file", path, file_header_size);
  byte_vector meta(meta_len);
  if (auto r = p->in.read_at(sizeof head, meta.data(), meta.size()); !r) return r.error();
  if (crc32c(meta.data(), meta.size()) != get_u32(head + file_header_size + 4))
    return corruption("snapshot metadata checksum mismatch", path, sizeof head);
  auto decoded = decode_exact<core::snapshot_meta>(meta);
  if (!decoded) return corruption("snapshot metadata cannot be decoded", path, sizeof head);
  p->meta = std::move(*decoded);

  std::uint8_t footer[snapshot_footer_size];
  const auto footer_at = *fsize - snapshot_footer_size;
  if (auto r = p->in.read_at(footer_at, footer, sizeof footer); !r) return r.error();
  if (std::memcmp(footer, snapshot_footer_magic, 8) != 0 || get_u32(footer + 28) != crc32c(footer, 28))
    return corruption("snapshot footer missing or damaged", path, footer_at);
  p->data_offset = sizeof head + meta_len;
  p->size = get_u64(footer + 8);
  if (p->data_offset + p->size != footer_at)
    return corruption("snapshot size in footer does not match the file size", path, footer_at);
  p->expected_crc = get_u32(footer + 16);
  return snapshot_reader{std::move(p)};
}

result<std::size_t> snapshot_reader::read(std::span<std::uint8_t> out) {
  auto& p = *impl_;
  auto n = static_cast<std::size_t>(std::min<std::uint64_t>(out.size(), p.size - p.pos));
  if (n == 0) {
    // An empty snapshot has nothing to read; its (empty) checksum still counts.
    if (p.size == 0 && p.crc.checksum() != p.expected_crc)
      return corruption("snapshot data checksum mismatch", p.in.path(), p.data_offset);
    return std::size_t{0};
  }
  auto r = p.in.read_at(p.data_offset + p.pos, out.data(), n);
  if (!r) return r.error();
  if (*r != n) return corruption("snapshot file shrank while reading", p.in.path(), p.data_offset + p.pos + *r);
  p.crc.process_bytes(out.data(), n);
  p.pos += n;
  if (p.pos == p.size && p.crc.checksum() != p.expected_crc)
    return corruption("snapshot data checksum mismatch", p.in.path(), p.data_offset);
  return n;
}

result<void> snapshot_reader::verify() {
  // In 1 MiB steps, whatever the snapshot's size; even an empty one goes
  // through read() so its checksum is checked.
  core::bytes buf(static_cast<std::size_t>(std::min<std::uint64_t>(remaining(), 1 << 20)));
  while (true) {
    auto r = read(buf);
    if (!r) return r.error();
    if (*r == 0) return {};
  }
}

result<core::bytes> snapshot_reader::read_all() {
  core::bytes out(static_cast<std::size_t>(remaining()));
  std::size_t done = 0;
  // Even an empty snapshot goes through read() so its checksum is checked.
  while (true) {
    auto r = read(std::span<std::uint8_t>(out).subspan(done));
    if (!r) return r.error();
    if (*r == 0) break;
    done += *r;
  }
  return out;
}

}  // namespace actraft::storage
