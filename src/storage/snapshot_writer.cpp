#include "actraft/storage/snapshot_writer.hpp"

#include <cstdio>

#include <fcntl.h>
#include <unistd.h>

#include "codec.hpp"
#include "file.hpp"
#include "file_header.hpp"
#include "snapshot_format.hpp"

namespace actraft::storage {

using namespace detail;

namespace {
// Large snapshots are written in big sequential writes, whatever chunk size
// the caller streams with.
constexpr std::size_t write_buffer_size = 1 << 20;
}  // namespace

struct snapshot_writer::impl {
  std::string dir;
  std::string tmp_path;
  std::string final_path;
  core::snapshot_meta meta;
  file out;
  crc32c_state crc;
  std::uint64_t size = 0;
  byte_vector buffer;
  std::uint64_t bytes_per_sync = 0;
  std::uint64_t written = 0;     ///< bytes in the file
  std::uint64_t handed = 0;      ///< bytes whose writeback was started
  std::uint64_t waited = 0;      ///< bytes whose writeback was waited for
  bool failed = false;
  bool finished = false;

  /// The error for any use after a failure or after finish().
  [[nodiscard]] storage_error unusable() const {
    storage_error e;
    e.code = storage_errc::invalid_argument;
    e.message = "snapshot writer already failed or finished";
    e.file = tmp_path;
    return e;
  }

  result<void> flush() {
    if (buffer.empty()) return {};
    auto r = out.write_all(buffer.data(), buffer.size());
    if (!r) {
      buffer.clear();
      failed = true;
      return r;
    }
    written += buffer.size();
    buffer.clear();
    pace();
    return r;
  }

  /// Hands what was written since the last call to the disk once there is
  /// bytes_per_sync of it, after waiting for what was handed before.
  void pace() {
    if (bytes_per_sync == 0 || written - handed < bytes_per_sync) return;
    if (handed > waited) out.wait_writeback(waited, handed - waited);
    waited = handed;
    out.start_writeback(handed, written - handed);
    handed = written;
  }

  ~impl() {
    if (!finished) {
      out.close();
      ::unlink(tmp_path.c_str());
    }
  }
};

snapshot_writer::snapshot_writer(std::unique_ptr<impl> p) : impl_(std::move(p)) {}
snapshot_writer::snapshot_writer(snapshot_writer&&) noexcept = default;
snapshot_writer& snapshot_writer::operator=(snapshot_writer&&) noexcept = default;
snapshot_writer::~snapshot_writer() = default;

const core::snapshot_meta& snapshot_writer::meta() const { return impl_->meta; }
std::uint64_t snapshot_writer::size() const { return impl_->size; }

result<snapshot_writer> snapshot_writer::create(const std::string& dir,
                                                const core::snapshot_meta& meta,
                                                const storage_options* opts,
                                                const std::string& tmp_prefix) {
  auto p = std::make_unique<impl>();
  p->dir = dir;
  p->meta = meta;
  const auto name = snapshot_file_name(meta.index.value, meta.term.value);
  p->final_path = dir + "/" + name;
  // (Any "*.snap.tmp" left by a crash is removed when the engine opens.)
  p->tmp_path = dir + "/" + tmp_prefix + name + ".tmp";
  auto f = file::open(p->tmp_path, O_WRONLY | O_CREAT | O_TRUNC, opts);
  if (!f) {
    p->finished = true;  // nothing to remove
    return f.error();
  }
  p->out = std::move(*f);
  if (opts != nullptr) p->bytes_per_sync = opts->snapshot_bytes_per_sync;
  p->buffer.reserve(write_buffer_size);
  p->buffer.resize(file_header_size + snapshot_meta_prefix);
  encode_file_header(p->buffer.data(), file_kind::snapshot, meta.index.value);
  encode_append(p->buffer, meta);
  auto meta_len = p->buffer.size() - file_header_size - snapshot_meta_prefix;
  put_u32(p->buffer.data() + file_header_size, static_cast<std::uint32_t>(meta_len));
  put_u32(p->buffer.data() + file_header_size + 4,
          crc32c(p->buffer.data() + file_header_size + snapshot_meta_prefix, meta_len));
  return snapshot_writer{std::move(p)};
}

result<void> snapshot_writer::write(std::span<const std::uint8_t> chunk) {
  auto& p = *impl_;
  if (p.failed || p.finished) return p.unusable();
  p.crc.process_bytes(chunk.data(), chunk.size());
  p.size += chunk.size();
  while (!chunk.empty()) {
    auto room = write_buffer_size - std::min(write_buffer_size, p.buffer.size());
    if (room == 0) {
      if (auto r = p.flush(); !r) return r;
      continue;
    }
    auto n = std::min(room, chunk.size());
    p.buffer.insert(p.buffer.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
    chunk = chunk.subspan(n);
  }
  return {};
}

result<std::string> snapshot_writer::finish() {
  auto& p = *impl_;
  if (p.failed || p.finished) return p.unusable();
  std::uint8_t footer[snapshot_footer_size] = {};
  std::memcpy(footer, snapshot_footer_magic, 8);
  put_u64(footer + 8, p.size);
  put_u32(footer + 16, p.crc.checksum());
  put_u32(footer + 28, crc32c(footer, 28));
  p.buffer.insert(p.buffer.end(), footer, footer + snapshot_footer_size);
  if (auto r = p.flush(); !r) return r.error();
  // The data must be durable before the name makes it the snapshot in force.
  if (auto r = p.out.sync(); !r) {
    p.failed = true;
    return r.error();
  }
  p.out.close();
  if (std::rename(p.tmp_path.c_str(), p.final_path.c_str()) != 0) {
    p.failed = true;
    return sys_error(errno, "cannot rename snapshot into place", p.tmp_path);
  }
  p.finished = true;
  if (auto r = sync_dir(p.dir); !r) return r.error();
  return p.final_path;
}

}  // namespace actraft::storage
