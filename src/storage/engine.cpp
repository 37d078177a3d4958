#include "actraft/storage/engine.hpp"

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include <unistd.h>

#include "codec.hpp"
#include "dir_lock.hpp"
#include "file.hpp"
#include "file_header.hpp"
#include "reclaimer.hpp"
#include "record.hpp"
#include "snapshot_format.hpp"
#include "wal.hpp"

namespace actraft::storage {

using namespace detail;
namespace fs = std::filesystem;
using core::log_index;

struct engine::sync_job {
  wal::batch batch;
  log_index last;  // last_index() when the batch was taken
};

namespace {

storage_error invalid(std::string msg) {
  storage_error e;
  e.code = storage_errc::invalid_argument;
  e.message = std::move(msg);
  return e;
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

/// Files are cut this far apart in time while they are deleted.
constexpr std::chrono::milliseconds reclaim_pause{10};

engine::engine(std::string dir, storage_options opts)
    : dir_(std::move(dir)), opts_(std::move(opts)) {
  if (opts_.reclaim_chunk_bytes > 0)
    reclaimer_ = std::make_unique<detail::reclaimer>(opts_.reclaim_chunk_bytes, reclaim_pause);
}

void engine::wait_reclaimed() {
  if (reclaimer_) reclaimer_->drain();
}

engine::~engine() = default;

void engine::warn(std::string msg) {
  if (opts_.on_warning) opts_.on_warning(msg);
  warnings_.push_back(std::move(msg));
}

result<std::unique_ptr<engine>> engine::open(const std::string& dir, storage_options opts) {
  std::error_code ec;
  const bool created = fs::create_directories(dir, ec);
  if (ec) return sys_error(ec.value(), "cannot create data directory", dir);
  if (created) {
    // A new directory's own name must survive a crash too.
    auto parent = fs::absolute(dir).parent_path().string();
    if (auto r = sync_dir(parent); !r) return r.error();
  }
  if (::access(dir.c_str(), W_OK) != 0)
    return sys_error(errno, "data directory is not writable", dir);
  std::unique_ptr<engine> s{new engine(dir, std::move(opts))};
  auto lock = dir_lock::acquire(dir);
  if (!lock) return lock.error();
  s->lock_ = std::make_unique<dir_lock>(std::move(*lock));
  // Every file's format version before recovery changes anything: a
  // directory a newer build wrote is refused as it is (docs/storage.md).
  if (auto r = check_directory_version(dir); !r) return r.error();
  if (auto r = s->recover(); !r) return r.error();
  return s;
}

result<void> engine::recover() {
  // 1. Leftovers of interrupted snapshot writes: never renamed, so never in force.
  std::vector<std::pair<snapshot_name, std::string>> snaps;
  std::error_code ec;
  for (const auto& de : fs::directory_iterator(dir_, ec)) {
    auto name = de.path().filename().string();
    if (ends_with(name, ".snap.tmp")) {
      warn("removed unfinished snapshot " + de.path().string());
      if (::unlink(de.path().c_str()) != 0) return sys_error(errno, "cannot remove", de.path());
    } else if (ends_with(name, detail::retired_suffix)) {  // its deletion was cut short
      if (::unlink(de.path().c_str()) != 0) return sys_error(errno, "cannot remove", de.path());
    } else if (auto n = parse_snapshot_name(name)) {
      snaps.emplace_back(*n, de.path().string());
    }
  }
  if (ec) return sys_error(ec.value(), "cannot list data directory", dir_);

  // 2. The newest snapshot must be intact. Falling back to an older one
  //    could silently lose entries already compacted out of the WAL.
  std::sort(snaps.begin(), snaps.end(), [](const auto& a, const auto& b) {
    return std::tie(a.first.index, a.first.term) > std::tie(b.first.index, b.first.term);
  });
  if (!snaps.empty()) {
    const auto& [name, path] = snaps.front();
    auto reader = snapshot_reader::open(path);
    if (!reader) return reader.error();
    if (reader->meta().index.value != name.index || reader->meta().term.value != name.term)
      return corruption("snapshot metadata does not match its file name", path);
    if (opts_.verify_snapshot_on_open)
      if (auto r = reader->verify(); !r) return r.error();
    snap_ = reader->meta();
    snap_path_ = path;
    for (std::size_t i = 1; i < snaps.size(); ++i) {
      if (::unlink(snaps[i].second.c_str()) != 0)
        return sys_error(errno, "cannot remove old snapshot", snaps[i].second);
    }
  }
  if (auto r = sync_dir(dir_); !r) return r.error();

  // 3. Replay the WAL. Each entry record replaces the suffix from its index
  //    on; the first record found fixes where the log starts.
  std::optional<std::uint64_t> base;
  auto replay = [&](record_type type, std::span<const std::uint8_t> payload,
                    const std::string& path, std::size_t offset) -> result<std::uint64_t> {
    auto undecodable = [&] { return corruption("WAL record cannot be decoded", path, offset); };
    switch (type) {
      case record_type::entry: {
        auto e = decode_exact<core::entry>(payload);
        if (!e || e->index.value == 0) return undecodable();
        const auto i = e->index.value;
        if (!base) base = i - 1;
        const auto last = *base + log_.size();
        if (i > last + 1)
          return corruption("entry " + std::to_string(i) + " follows entry " + std::to_string(last) +
                                ": entries are missing",
                            path, offset);
        if (i <= *base) {
          log_.clear();
          base = i - 1;
        } else {
          log_.resize(i - 1 - *base);
        }
        log_.push_back(std::move(*e));
        return i;
      }
      case record_type::hard_state: {
        auto hs = decode_exact<core::hard_state>(payload);
        if (!hs) return undecodable();
        hs_ = *hs;
        return std::uint64_t{0};
      }
      case record_type::truncate: {
        auto from = decode_exact<log_index>(payload);
        if (!from) return undecodable();
        if (base) {
          if (from->value <= *base) {
            log_.clear();
            base = from->value - 1;
          } else if (from->value - *base - 1 < log_.size()) {
            log_.resize(from->value - *base - 1);
          }
        }
        return std::uint64_t{0};
      }
      case record_type::reset: {
        auto b = decode_exact<log_index>(payload);
        if (!b) return undecodable();
        log_.clear();
        base = b->value;
        return std::uint64_t{0};
      }
      case record_type::seal: {
        if (!decode_exact<std::uint64_t>(payload)) return undecodable();
        return std::uint64_t{0};
      }
    }
    return undecodable();
  };
  std::vector<std::string> wal_warnings;
  auto w = wal::open(dir_, &opts_, replay, wal_warnings);
  for (auto& m : wal_warnings) warn(std::move(m));
  if (!w) return w.error();
  wal_ = std::move(*w);
  wal_->set_reclaimer(reclaimer_.get());

  // 4. Reconcile the log with the snapshot.
  base_ = log_index{base.value_or(snap_.index.value)};
  if (base_ > snap_.index)
    return corruption("the log starts at entry " + std::to_string(base_.value + 1) +
                          " but the snapshot ends at " + std::to_string(snap_.index.value) +
                          ": entries are missing",
                      dir_);
  if (last_index() < snap_.index ||
      (snap_.index > base_ && log_[snap_.index.value - base_.value - 1].term != snap_.term)) {
    // The snapshot supersedes the whole log (it was installed from a leader
    // and the marker saying so did not reach the disk before a crash).
    log_.clear();
    base_ = snap_.index;
  }
  // Keep only what compaction would keep in memory.
  const auto keep_from = snap_.index - opts_.keep_entries;
  while (!log_.empty() && base_ < keep_from) {
    log_.pop_front();
    base_ = base_ + 1;
  }
  durable_ = last_index();
  sync_floor_ = durable_;
  return {};
}

core::persisted_state engine::state() const {
  core::persisted_state ps;
  ps.state = hs_;
  ps.snapshot = snap_;
  for (const auto& e : log_)
    if (e.index > snap_.index) ps.entries.push_back(e);
  return ps;
}

void engine::drop_from(log_index from) {
  if (from <= base_) {
    log_.clear();
    base_ = from - 1;
  } else if (from <= last_index()) {
    log_.resize(from.value - base_.value - 1);
  }
  durable_ = std::min(durable_, from - 1);
  sync_floor_ = std::min(sync_floor_, from - 1);
}

void engine::reset_to(log_index base) {
  log_.clear();
  base_ = base;
  durable_ = std::min(durable_, base);
  sync_floor_ = std::min(sync_floor_, base);
}

result<void> engine::append(std::span<const core::entry> entries) {
  if (entries.empty()) return {};
  const auto first = entries.front().index;
  for (std::size_t i = 1; i < entries.size(); ++i)
    if (entries[i].index != first + i) return invalid("entries to append are not consecutive");
  if (first <= snap_.index || first.value == 0)
    return invalid("entry " + std::to_string(first.value) + " is covered by the snapshot at " +
                   std::to_string(snap_.index.value));
  for (const auto& e : entries)
    if (e.data.size() > max_record_size / 2)
      return invalid("entry " + std::to_string(e.index.value) + " is too large for one WAL record");
  if (first > last_index() + 1)
    return invalid("entry " + std::to_string(first.value) + " would leave a gap after " +
                   std::to_string(last_index().value));
  if (first <= last_index()) drop_from(first);
  for (const auto& e : entries) {
    wal_->add(record_type::entry, e, e.index.value);
    log_.push_back(e);
  }
  return {};
}

result<void> engine::save(const core::hard_state& hs) {
  wal_->add(record_type::hard_state, hs, 0);
  hs_ = hs;
  return {};
}

result<void> engine::truncate_suffix(log_index from) {
  if (from <= snap_.index) return invalid("cannot truncate entries covered by the snapshot");
  if (from > last_index()) return {};
  drop_from(from);
  wal_->add(record_type::truncate, from, 0);
  return {};
}

void engine::sync_job_deleter::operator()(sync_job* job) const { delete job; }

engine::sync_job_ptr engine::begin_sync() {
  sync_job_ptr job{new sync_job};
  job->batch = wal_->take();
  job->last = last_index();
  sync_floor_ = job->last;
  return job;
}

result<void> engine::write_sync(sync_job& job) {
  if (job.batch.empty() && !wal_->broken()) return {};
  return wal_->write(job.batch);
}

void engine::end_sync(sync_job& job, bool ok) {
  if (ok) {
    durable_ = std::max(durable_, std::min(job.last, sync_floor_));
  } else {
    wal_->give_back(std::move(job.batch));
  }
}

result<log_index> engine::sync() {
  auto job = begin_sync();
  auto r = write_sync(*job);
  end_sync(*job, r.ok());
  if (!r) return r.error();
  return durable_;
}

bool engine::has_pending() const { return wal_->has_pending(); }
std::size_t engine::segment_count() const { return wal_->segment_count(); }

std::optional<core::raft_term> engine::term_at(log_index i) const {
  if (i == snap_.index) return snap_.term;
  if (i <= base_ || i > last_index()) return std::nullopt;
  return log_[i.value - base_.value - 1].term;
}

result<std::vector<core::entry>> engine::entries(log_index lo, log_index hi) const {
  if (lo <= base_ || hi > last_index() || lo > hi + 1) {
    storage_error e;
    e.code = storage_errc::not_found;
    e.message = "entries " + std::to_string(lo.value) + ".." + std::to_string(hi.value) +
                " not held (have " + std::to_string(first_index().value) + ".." +
                std::to_string(last_index().value) + ")";
    return e;
  }
  auto b = log_.begin() + static_cast<std::ptrdiff_t>(lo.value - base_.value - 1);
  return std::vector<core::entry>(b, b + static_cast<std::ptrdiff_t>(hi.value + 1 - lo.value));
}

result<snapshot_writer> engine::begin_snapshot(const core::snapshot_meta& meta) {
  if (meta.index < snap_.index)
    return invalid("snapshot at " + std::to_string(meta.index.value) + " is older than the one in force (" +
                   std::to_string(snap_.index.value) + ")");
  return snapshot_writer::create(dir_, meta, &opts_);
}

result<void> engine::commit_snapshot(snapshot_writer& writer) {
  const auto meta = writer.meta();
  if (meta.index < snap_.index) return invalid("snapshot is older than the one in force");
  auto path = writer.finish();
  if (!path) return path.error();
  return adopt_snapshot(meta, *path);
}

result<void> engine::adopt_snapshot(const core::snapshot_meta& meta, const std::string& path) {
  if (meta.index < snap_.index) return invalid("snapshot is older than the one in force");
  const auto old_path = snap_path_;
  // Recovery applies the same test to the entry in the WAL, so the two
  // cannot disagree about whether the log survives this snapshot.
  const bool keeps_log = term_at(meta.index) == meta.term;
  snap_ = meta;
  snap_path_ = path;
  if (!keeps_log || last_index() < meta.index) {
    // §7: a snapshot with news the log lacks replaces the log.
    reset_to(meta.index);
    wal_->add(record_type::reset, meta.index, 0);
  }
  if (auto r = sync(); !r) return r.error();
  if (!old_path.empty() && old_path != snap_path_) {
    if (auto r = detail::retire(old_path, reclaimer_.get()); !r) return r.error();
    if (auto r = sync_dir(dir_); !r) return r.error();
  }
  return {};
}

result<void> engine::save_snapshot(const core::snapshot_meta& meta, std::span<const std::uint8_t> data) {
  auto w = begin_snapshot(meta);
  if (!w) return w.error();
  if (auto r = w->write(data); !r) return r;
  return commit_snapshot(*w);
}

result<snapshot_reader> engine::open_snapshot() const {
  if (snap_path_.empty()) {
    storage_error e;
    e.code = storage_errc::not_found;
    e.message = "no snapshot";
    e.file = dir_;
    return e;
  }
  return snapshot_reader::open(snap_path_);
}

result<std::size_t> engine::compact(log_index upto) {
  if (upto > snap_.index)
    return invalid("cannot compact past the snapshot (" + std::to_string(snap_.index.value) + ")");
  const auto point = upto - opts_.keep_entries;
  auto n = wal_->remove_through(point.value);
  if (!n) return n.error();
  while (!log_.empty() && base_ < point) {
    log_.pop_front();
    base_ = base_ + 1;
  }
  if (log_.empty() && base_ < point) base_ = point;
  return *n;
}

}  // namespace actraft::storage
