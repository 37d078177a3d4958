#include "store_files.hpp"

#include <exception>
#include <stdexcept>

#include <caf/actor_system.hpp>

#include "actraft/driver/replica.hpp"
#include "actraft/error.hpp"
#include "actraft/raft.hpp"
#include "actraft/storage/snapshot_reader.hpp"
#include "actraft/storage/snapshot_writer.hpp"

namespace actraft::actors {

namespace {

/// Runs one of the user's snapshot calls; what it throws becomes an error.
template <class F>
caf::error guarded(const char* what, F&& f) {
  try {
    f();
    return {};
  } catch (const std::exception& ex) {
    return make_error(errc::storage_failure, std::string(what) + " threw: " + ex.what());
  } catch (...) {
    return make_error(errc::storage_failure, std::string(what) + " threw");
  }
}

/// The snapshot file, as the store reads it back. Remembers a failed read,
/// so a store that swallows the exception is not taken for restored.
struct file_source final : snapshot_source {
  explicit file_source(storage::snapshot_reader r) : reader(std::move(r)) {}
  storage::snapshot_reader reader;
  std::optional<std::string> failed;
  std::size_t read(std::span<std::uint8_t> out) override {
    auto n = reader.read(out);
    if (!n) {
      failed = n.error().what();
      throw std::runtime_error(*failed);
    }
    return *n;
  }
  [[nodiscard]] std::uint64_t size() const override { return reader.size(); }
};

/// The snapshot file being written, as the store writes it. (The writer
/// itself refuses to finish after a failed write.)
struct file_sink final : snapshot_sink {
  explicit file_sink(storage::snapshot_writer& w) : writer(w) {}
  storage::snapshot_writer& writer;
  void write(std::span<const std::uint8_t> chunk) override {
    if (auto r = writer.write(chunk); !r) throw std::runtime_error(r.error().what());
  }
};

}  // namespace

caf::expected<std::uint64_t> restore_from_file(store& s, const std::string& path,
                                               std::optional<std::uint64_t> index) {
  // Read once for the checksum, so that a damaged snapshot never reaches
  // the store, then once more into the store: neither holds it in memory.
  {
    auto check = storage::snapshot_reader::open(path);
    if (!check) return make_error(errc::storage_failure, check.error().what());
    if (index && check->meta().index.value != *index)
      return make_error(errc::storage_failure, path + " holds the snapshot at index " +
                                                   std::to_string(check->meta().index.value) +
                                                   ", not " + std::to_string(*index));
    if (auto r = check->verify(); !r) return make_error(errc::storage_failure, r.error().what());
  }
  auto reader = storage::snapshot_reader::open(path);
  if (!reader) return make_error(errc::storage_failure, reader.error().what());
  const auto at = reader->meta().index.value;
  file_source source(std::move(*reader));
  if (auto err = guarded("store::restore", [&] { store_access::read_snapshot(s, at, source); }))
    return err;
  if (source.failed)
    return make_error(errc::storage_failure, "the store restored from a snapshot it could not read: " +
                                                 *source.failed);
  return source.size();
}

namespace {

/// A new snapshot file with `meta`, filled by `fill(sink)` (`what` names
/// the user's call in errors): durable, renamed, not in force yet.
template <class Fill>
caf::expected<std::string> write_snapshot_file(const snapshot_files& files, const core::snapshot_meta& meta,
                                               const char* what, Fill&& fill) {
  // Its own temporary name: the snapshot io actor may be writing a leader's
  // snapshot of the same index and term at the same time.
  auto writer = storage::snapshot_writer::create(files.dir, meta, &files.opts, "own-");
  if (!writer) return make_error(errc::storage_failure, writer.error().what());
  file_sink sink(*writer);
  if (auto err = guarded(what, [&] { fill(sink); })) return err;  // the writer removes its temporary file
  auto path = writer->finish();
  if (!path) return make_error(errc::storage_failure, path.error().what());
  return std::move(*path);
}

}  // namespace

caf::expected<std::string> snapshot_to_file(store& s, const snapshot_files& files,
                                            const core::snapshot_meta& meta) {
  return write_snapshot_file(files, meta, "store::snapshot", [&](snapshot_sink& sink) {
    store_access::write_snapshot(s, meta.index.value, sink);
  });
}

caf::expected<std::shared_ptr<snapshot_capture>> capture_state(store& s, const core::snapshot_meta& meta) {
  std::shared_ptr<snapshot_capture> capture;
  if (auto err = guarded("store::capture_snapshot",
                         [&] { capture = store_access::capture_snapshot(s, meta.index.value); }))
    return err;
  return capture;
}

caf::expected<std::string> capture_to_file(snapshot_capture& capture, const snapshot_files& files,
                                           const core::snapshot_meta& meta) {
  return write_snapshot_file(files, meta, "snapshot_capture::write",
                             [&](snapshot_sink& sink) { capture.write(sink); });
}

std::uint64_t start_store(caf::actor_system& sys, store& s, const storage::engine& disk,
                          const std::string& data_dir, spdlog::logger& logger) {
  std::uint64_t own = 0;
  try {
    own = s.last_applied_index();
  } catch (const std::exception& e) {
    throw startup_error(std::string("store::last_applied_index threw: ") + e.what());
  }
  const auto snapshot = disk.snapshot().index;
  const auto last = disk.last_index();
  const bool has_snapshot = !disk.snapshot_path().empty();
  if (own != 0 && driver::store_state_usable(core::log_index{own}, snapshot, last)) {
    // Nothing restored: the snapshot file was not read, so its checksum is
    // checked here (the engine leaves that to the restore).
    if (has_snapshot) {
      auto reader = storage::snapshot_reader::open(disk.snapshot_path());
      auto ok = reader ? reader->verify() : storage::result<void>(reader.error());
      if (!ok)
        throw startup_error("the snapshot in '" + data_dir + "' is damaged: " + ok.error().what());
    }
    logger.info("the store holds its state up to index {}: nothing restored", own);
    return own;
  }
  if (own != 0 && !has_snapshot)
    throw startup_error("the store holds state up to index " + std::to_string(own) + ", but the log in '" +
                        data_dir + "' ends at index " + std::to_string(last.value) +
                        " and has no snapshot to restore instead: the store's files and the data "
                        "directory do not belong together (restore them from the same backup, or "
                        "clear one of them)");
  if (!has_snapshot) return 0;
  if (own != 0)
    logger.warn("the store holds index {}, outside the log ({}..{}): restoring the snapshot", own,
                snapshot.value, last.value);
  auto size = restore_from_file(s, disk.snapshot_path(), snapshot.value);
  if (!size)
    throw startup_error("cannot restore the store from the snapshot in '" + data_dir +
                        "': " + sys.render(size.error()));
  logger.info("restored the store from the snapshot at index {} ({} bytes)", snapshot.value, *size);
  return snapshot.value;
}

}  // namespace actraft::actors
