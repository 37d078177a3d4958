// A store larger than memory: its state is a file, and its snapshots stream
// from and into that file chunk by chunk (actraft::streaming_store), so no
// step holds the state in memory. It keeps its state across restarts: the
// index of the last command it holds is saved beside it
// (store::last_applied_index), so a restarted member applies only what
// follows.
//
// The state is a byte string that `grow` commands extend with bytes drawn
// from a seed (deterministic: every member appends the same bytes), so a
// small command makes a large state. A `digest` query answers the size and a
// hash of the whole file.
#pragma once

#include <actraft/store.hpp>
#include <actraft/typed.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace file_demo {

struct grow {
  std::uint64_t bytes = 0;  ///< how many bytes to append
  std::uint64_t seed = 0;   ///< what they are
  template <class A> void serialize(A& a) { a(bytes, seed); }
};

/// The query: asks for the digest.
struct read_digest {
  template <class A> void serialize(A&) {}
};

struct digest {
  std::uint64_t size = 0;
  std::uint64_t hash = 0;
  template <class A> void serialize(A& a) { a(size, hash); }
};

/// 64-bit words mixed one after the other (fast enough for gigabytes).
struct hasher {
  std::uint64_t h = 0x9e3779b97f4a7c15ull;
  void add(const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  }
};

class file_store : public actraft::streaming_store {
 public:
  /// The state lives in `dir`/state, and "<index> <size>" of the last
  /// command it holds in `dir`/applied. What a previous run left there is
  /// kept, cut back to the size that goes with the index.
  explicit file_store(const std::filesystem::path& dir) : path_(dir / "state"), index_path_(dir / "applied") {
    std::filesystem::create_directories(dir);
    std::ifstream saved(index_path_);
    std::uint64_t index = 0, size = 0;
    const bool known = static_cast<bool>(saved >> index >> size);
    if (known && std::filesystem::exists(path_) && std::filesystem::file_size(path_) >= size) {
      std::filesystem::resize_file(path_, size);  // bytes after the saved index go
      index_ = index;
      size_ = size;
      open(std::ios::out | std::ios::app);
    } else {
      open(std::ios::out | std::ios::trunc);  // nothing usable: start empty
    }
  }

  /// The index of the last command the state holds (0: empty).
  [[nodiscard]] std::uint64_t last_applied_index() const override { return index_; }

  actraft::bytes apply(const actraft::bytes& command) override {
    auto g = actraft::decode_or_throw<grow>(command, "command");
    if (g.bytes > max_grow) throw std::invalid_argument("grow: at most 64 MiB per command");
    std::vector<char> chunk(std::min<std::uint64_t>(g.bytes, chunk_bytes));
    std::uint64_t x = g.seed, left = g.bytes;
    while (left > 0) {
      const auto n = std::min<std::uint64_t>(left, chunk.size());
      for (std::uint64_t i = 0; i < n; ++i) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;  // an LCG: same bytes everywhere
        chunk[i] = static_cast<char>(x >> 56);
      }
      file_.write(chunk.data(), static_cast<std::streamsize>(n));
      left -= n;
    }
    file_.flush();
    if (!file_) throw std::runtime_error("cannot write " + path_.string());
    size_ += g.bytes;
    save_index(applying_index());
    return actraft::encode(size_);
  }

  /// Any query: the digest of the whole state.
  actraft::bytes query(const actraft::bytes&) const override {
    std::ifstream in(path_, std::ios::binary);
    std::vector<char> chunk(chunk_bytes);
    hasher h;
    digest d;
    while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0) {
      h.add(reinterpret_cast<const std::uint8_t*>(chunk.data()), static_cast<std::size_t>(in.gcount()));
      d.size += static_cast<std::uint64_t>(in.gcount());
    }
    d.hash = h.h;
    return actraft::encode(d);
  }

  void write_snapshot(actraft::snapshot_sink& out) override {
    file_.flush();
    std::ifstream in(path_, std::ios::binary);
    std::vector<char> chunk(chunk_bytes);
    while (in.read(chunk.data(), static_cast<std::streamsize>(chunk.size())) || in.gcount() > 0)
      out.write({reinterpret_cast<const std::uint8_t*>(chunk.data()), static_cast<std::size_t>(in.gcount())});
    if (in.bad()) throw std::runtime_error("cannot read " + path_.string());
    // The state is the state at the snapshot's index, which may be past the
    // last command (actraft's own entries): saying so lets a restart start
    // here rather than restore this very snapshot.
    save_index(applying_index());
  }

  void read_snapshot(actraft::snapshot_source& in) override {
    // Into a new file, then renamed over the state: a restore that fails
    // half-way leaves the old state whole.
    const auto tmp = path_.string() + ".restoring";
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    std::vector<std::uint8_t> chunk(chunk_bytes);
    std::uint64_t total = 0;
    while (auto n = in.read(chunk)) {
      out.write(reinterpret_cast<const char*>(chunk.data()), static_cast<std::streamsize>(n));
      total += n;
    }
    out.close();
    if (!out) throw std::runtime_error("cannot write " + tmp);
    // The old index does not describe the new file: it goes first, so a
    // crash in between leaves a store that starts empty (and restores).
    std::filesystem::remove(index_path_);
    index_ = 0;
    std::filesystem::rename(tmp, path_);
    open(std::ios::out | std::ios::app);
    size_ = total;
    save_index(applying_index());  // the snapshot's
  }

 private:
  static constexpr std::size_t chunk_bytes = 1 << 20;
  static constexpr std::uint64_t max_grow = 64ull << 20;

  /// After the data it describes, replacing the previous one whole (a
  /// rename): a crash leaves an index whose data is all there. (Nothing is
  /// fsynced: a process crash keeps both files, a power cut may not; a store
  /// for production syncs them, or checksums what it finds.)
  void save_index(std::uint64_t index) {
    const auto tmp = index_path_.string() + ".tmp";
    {
      std::ofstream out(tmp, std::ios::trunc);
      out << index << " " << size_ << "\n";
      if (!out) throw std::runtime_error("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, index_path_);
    index_ = index;
  }

  void open(std::ios::openmode mode) {
    file_.close();
    file_.clear();
    file_.open(path_, mode | std::ios::binary);
    if (!file_) throw std::runtime_error("cannot open " + path_.string());
  }

  std::filesystem::path path_;
  std::filesystem::path index_path_;
  std::ofstream file_;
  std::uint64_t size_ = 0;
  std::uint64_t index_ = 0;
};

}  // namespace file_demo
