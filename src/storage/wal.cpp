#include "wal.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <filesystem>

#include <fcntl.h>
#include <unistd.h>

#include "file_header.hpp"

namespace actraft::storage::detail {

namespace fs = std::filesystem;

namespace {

/// "wal-000000000000002a.log" -> 42; nothing for other names.
std::optional<std::uint64_t> parse_segment_name(const std::string& name) {
  if (name.size() != 24 || name.compare(0, 4, "wal-") != 0 || name.compare(20, 4, ".log") != 0)
    return std::nullopt;
  std::uint64_t v = 0;
  for (std::size_t i = 4; i < 20; ++i) {
    char c = name[i];
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0) return std::nullopt;
    v = v * 16 + static_cast<std::uint64_t>(d);
  }
  return v;
}

}  // namespace

std::string wal::segment_path(std::uint64_t seq) const {
  char name[32];
  std::snprintf(name, sizeof name, "wal-%016" PRIx64 ".log", seq);
  return dir_ + "/" + name;
}

result<std::unique_ptr<wal>> wal::open(const std::string& dir, const storage_options* opts,
                                       const replay_fn& replay,
                                       std::vector<std::string>& warnings) {
  std::unique_ptr<wal> w{new wal(dir, opts)};
  std::vector<std::uint64_t> seqs;
  std::error_code ec;
  for (const auto& de : fs::directory_iterator(dir, ec))
    if (auto s = parse_segment_name(de.path().filename().string())) seqs.push_back(*s);
  if (ec) return sys_error(ec.value(), "cannot list directory", dir);
  std::sort(seqs.begin(), seqs.end());
  for (std::size_t i = 1; i < seqs.size(); ++i)
    if (seqs[i] != seqs[i - 1] + 1)
      return corruption("WAL segment missing before this one", w->segment_path(seqs[i]));

  bool sealed = false;
  for (std::size_t i = 0; i < seqs.size(); ++i) {
    const bool final_segment = i + 1 == seqs.size();
    segment seg{seqs[i], w->segment_path(seqs[i]), 0, 0, false};
    auto image = read_written(seg.path);
    if (!image) return image.error();
    // Nothing written at all, or not even a whole header. (A zero header
    // before data is damage, refused below.)
    const bool no_header = image->size() < file_header_size ||
                           std::all_of(image->begin(), image->end(), [](auto b) { return b == 0; });
    if (no_header) {
      if (!final_segment) return corruption("segment has no header", seg.path, 0);
      // Created (and perhaps preallocated) but its header never reached the
      // disk: a crash during a roll. Nothing in it was acknowledged, since
      // the fdatasync that would have made data in it durable makes the
      // header durable too.
      warnings.push_back("removed torn WAL segment " + seg.path + " (" +
                         std::to_string(image->size()) + " bytes, header not written)");
      if (::unlink(seg.path.c_str()) != 0) return sys_error(errno, "cannot remove", seg.path);
      if (auto r = sync_dir(dir); !r) return r.error();
      w->next_seq_ = seg.seq;
      break;
    }
    auto seq = check_file_header(image->data(), file_kind::wal_segment, seg.path);
    if (!seq) return seq.error();
    if (*seq != seg.seq) return corruption("segment header names sequence " + std::to_string(*seq), seg.path, 16);

    std::size_t records = 0;
    auto visit = [&](record_type t, std::span<const std::uint8_t> payload,
                     std::size_t offset) -> result<void> {
      auto max = replay(t, payload, seg.path, offset);
      if (!max) return max.error();
      seg.max_index = std::max(seg.max_index, *max);
      if (t == record_type::hard_state) {
        auto framed = std::span<const std::uint8_t>(*image).subspan(offset, record_header_size + payload.size());
        w->head_state_.assign(framed.begin(), framed.end());
      }
      // The head hard state copied into a new segment is not "body".
      if (!(records == 0 && t == record_type::hard_state)) seg.body = true;
      ++records;
      return {};
    };
    auto scan = scan_records(*image, file_header_size, final_segment, seg.path, visit);
    if (!scan) return scan.error();
    if (!final_segment && !scan->sealed)
      return corruption("segment ends without its seal but is not the last", seg.path,
                        scan->valid_end);
    seg.size = scan->valid_end;
    if (scan->torn) {
      // Cut off, not overwritten in place: appends after a shorter record
      // must not leave the torn write's remains behind them.
      warnings.push_back("truncated torn tail of " + seg.path + " at offset " +
                         std::to_string(scan->valid_end) + " (" +
                         std::to_string(scan->torn_end - scan->valid_end) +
                         " bytes of an incomplete write dropped)");
      auto f = file::open(seg.path, O_WRONLY, opts);
      if (!f) return f.error();
      if (auto r = f->truncate(scan->valid_end); !r) return r.error();
      if (auto r = f->datasync(); !r) return r.error();
    }
    sealed = scan->sealed;
    w->segments_.push_back(seg);
    w->next_seq_ = seg.seq + 1;
  }
  if (!w->segments_.empty() && !sealed) {
    auto& last = w->segments_.back();
    auto f = file::open(last.path, O_WRONLY, opts);
    if (!f) return f.error();
    if (auto r = f->seek(last.size); !r) return r.error();
    w->active_ = std::move(*f);
    w->preallocate();
  }
  return w;
}

wal::batch wal::take() {
  batch b = std::move(pending_);
  pending_ = batch{};
  return b;
}

void wal::give_back(batch&& b) {
  if (b.empty()) return;
  auto shift = b.data.size();
  for (auto rec : pending_.records) {
    rec.offset += shift;
    b.records.push_back(rec);
  }
  b.data.insert(b.data.end(), pending_.data.begin(), pending_.data.end());
  pending_ = std::move(b);
}

void wal::cut_back(std::uint64_t size) {
  // Appending after a partial record would bury it mid-file, where recovery
  // rightly calls it corruption: if it cannot be cut off, stop writing.
  if (!active_.truncate(size)) {
    broken_ = true;
    return;
  }
  preallocate();
}

void wal::preallocate() {
  // Best effort: it only spares the file system work. A disk too full for
  // the allocation still takes writes until it is really full.
  if (opts_->preallocate && active_.is_open()) (void)active_.allocate(opts_->segment_size);
}

result<void> wal::create_segment() {
  segment seg{next_seq_, segment_path(next_seq_), 0, 0, false};
  auto f = file::open(seg.path, O_WRONLY | O_CREAT | O_TRUNC, opts_);
  if (!f) return f.error();
  dir_dirty_ = true;
  byte_vector head(file_header_size);
  encode_file_header(head.data(), file_kind::wal_segment, seg.seq);
  // The newest hard state goes first so that deleting older segments never
  // loses it.
  head.insert(head.end(), head_state_.begin(), head_state_.end());
  if (auto r = f->write_all(head.data(), head.size()); !r) {
    f->close();
    ::unlink(seg.path.c_str());
    return r.error();
  }
  seg.size = head.size();
  active_ = std::move(*f);
  segments_.push_back(seg);
  ++next_seq_;
  // Recovery removes a final segment whose header never reached the disk,
  // preallocated or not.
  preallocate();
  return {};
}

result<void> wal::seal_active() {
  auto& seg = segments_.back();
  byte_vector rec;
  append_record(rec, record_type::seal, next_seq_);
  if (auto r = active_.write_all(rec.data(), rec.size()); !r) {
    cut_back(seg.size);
    return r.error();
  }
  seg.size += rec.size();
  // The next segment must not become visible before this one is complete:
  // recovery treats only the last segment's tail as possibly torn.
  if (auto r = active_.datasync(); !r) {
    broken_ = true;
    return r.error();
  }
  active_.close();
  return {};
}

result<void> wal::write(batch& b) {
  if (broken_) {
    storage_error e;
    e.code = storage_errc::failed;
    e.message = "an earlier fsync failed; reopen the storage";
    e.file = dir_;
    return e;
  }
  const auto limit = opts_->segment_size;
  std::size_t i = 0;
  auto keep_unwritten = [&](std::size_t from) {
    // Drop records [0, from) that are now in a file; keep the rest.
    if (from == 0) return;
    auto cut = from < b.records.size() ? b.records[from].offset : b.data.size();
    b.data.erase(b.data.begin(), b.data.begin() + static_cast<std::ptrdiff_t>(cut));
    b.records.erase(b.records.begin(), b.records.begin() + static_cast<std::ptrdiff_t>(from));
    for (auto& rec : b.records) rec.offset -= cut;
  };
  while (i < b.records.size()) {
    if (!active_.is_open()) {
      if (auto r = create_segment(); !r) {
        keep_unwritten(i);
        return r.error();
      }
    }
    auto& seg = segments_.back();
    // Take as many records as fit; one oversized record still gets written.
    std::size_t j = i;
    std::uint64_t size = seg.size;
    while (j < b.records.size() &&
           (size + b.records[j].size <= limit || (j == i && !seg.body))) {
      size += b.records[j].size;
      ++j;
    }
    if (j == i) {
      if (auto r = seal_active(); !r) {
        keep_unwritten(i);
        return r.error();
      }
      continue;
    }
    auto begin = b.records[i].offset;
    auto end = b.records[j - 1].offset + b.records[j - 1].size;
    if (auto r = active_.write_all(b.data.data() + begin, end - begin); !r) {
      cut_back(seg.size);
      keep_unwritten(i);
      return r.error();
    }
    for (std::size_t k = i; k < j; ++k) {
      const auto& rec = b.records[k];
      seg.max_index = std::max(seg.max_index, rec.max_index);
      if (rec.type == record_type::hard_state)
        head_state_.assign(b.data.begin() + static_cast<std::ptrdiff_t>(rec.offset),
                           b.data.begin() + static_cast<std::ptrdiff_t>(rec.offset + rec.size));
    }
    seg.size = size;
    seg.body = true;
    i = j;
  }
  b = batch{};
  if (active_.is_open()) {
    if (auto r = active_.datasync(); !r) {
      broken_ = true;
      return r.error();
    }
  }
  if (dir_dirty_) {
    if (auto r = sync_dir(dir_); !r) {
      broken_ = true;
      return r.error();
    }
    dir_dirty_ = false;
  }
  return {};
}

result<std::size_t> wal::remove_through(std::uint64_t index) {
  std::size_t n = 0;
  // Oldest first, so a crash part-way leaves a contiguous run of segments.
  while (segments_.size() > 1 && segments_.front().max_index <= index) {
    const auto& path = segments_.front().path;
    if (auto r = retire(path, reclaimer_); !r) return r.error();
    segments_.erase(segments_.begin());
    ++n;
  }
  if (n > 0) {
    if (auto r = sync_dir(dir_); !r) return r.error();
  }
  return n;
}

}  // namespace actraft::storage::detail
