// Shared helpers for the storage tests: temporary directories, entries with
// recognisable payloads, and raw file surgery (cutting, flipping bits).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <boost/crc.hpp>
#include <boost/test/unit_test.hpp>

#include "actraft/storage/engine.hpp"

namespace actraft::storage::test {

namespace fs = std::filesystem;

/// A fresh directory under /tmp, removed again at scope exit.
struct temp_dir {
  std::string path;
  temp_dir() {
    std::string tmpl = "/tmp/actraft-storage-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = tmpl;
  }
  ~temp_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  [[nodiscard]] std::string sub(const std::string& name) const { return path + "/" + name; }
};

/// An entry whose payload is derived from (index, term, salt), so a mixed-up
/// or damaged entry never compares equal to the expected one.
inline core::entry make_entry(std::uint64_t index, std::uint64_t term, std::size_t size = 16,
                              std::uint64_t salt = 0) {
  core::bytes b(size);
  std::uint64_t x = index * 0x9E3779B97F4A7C15ull ^ term * 0xC2B2AE3D27D4EB4Full ^ salt;
  for (auto& c : b) {
    x ^= x >> 29;
    x *= 0xBF58476D1CE4E5B9ull;
    c = static_cast<std::uint8_t>(x >> 56);
  }
  return core::entry{core::raft_term{term}, core::log_index{index}, core::entry_kind::normal,
                     core::payload{std::move(b)}};
}

inline std::vector<core::entry> make_entries(std::uint64_t from, std::uint64_t to,
                                             std::uint64_t term, std::size_t size = 16) {
  std::vector<core::entry> es;
  for (auto i = from; i <= to; ++i) es.push_back(make_entry(i, term, size));
  return es;
}

template <class T>
std::string describe(const result<T>& r) {
  return r.ok() ? std::string{"ok"} : r.error().what();
}

#define STORAGE_REQUIRE_OK(expr)                                           \
  do {                                                                     \
    auto&& storage_test_r_ = (expr);                                       \
    BOOST_REQUIRE_MESSAGE(storage_test_r_.ok(),                            \
                          #expr << ": " << ::actraft::storage::test::describe(storage_test_r_)); \
  } while (false)

inline std::unique_ptr<engine> open_ok(const std::string& dir, storage_options opts = {}) {
  auto s = engine::open(dir, std::move(opts));
  BOOST_REQUIRE_MESSAGE(s.ok(), "open " << dir << ": " << describe(s));
  return std::move(*s);
}

inline std::vector<std::uint8_t> read_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline void write_bytes(const std::string& path, const std::vector<std::uint8_t>& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
}

/// CRC-32C by Boost's table, not by the code under test.
inline std::uint32_t crc32c(const std::uint8_t* p, std::size_t n) {
  boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true> c;
  c.process_bytes(p, n);
  return c.checksum();
}

/// Rewrites a file header's version field, with a valid header checksum:
/// what a build of another format version would have written.
inline void set_version(const std::string& path, std::uint32_t version) {
  auto image = read_bytes(path);
  for (int i = 0; i < 4; ++i) image[8 + i] = static_cast<std::uint8_t>(version >> (8 * i));
  auto crc = crc32c(image.data(), 28);
  for (int i = 0; i < 4; ++i) image[28 + i] = static_cast<std::uint8_t>(crc >> (8 * i));
  write_bytes(path, image);
}

/// Flips one bit of every byte in [from, to) of `path`, one at a time, and
/// requires every open (with `opts`) to fail with `code`, naming the file;
/// then puts the file back and requires it to open.
inline void flip_each_byte(const std::string& dir, const std::string& path, std::size_t from,
                           std::size_t to, storage_errc code = storage_errc::corruption,
                           const storage_options& opts = {}) {
  const auto image = read_bytes(path);
  to = std::min(to, image.size());
  for (auto i = from; i < to; ++i) {
    BOOST_TEST_CONTEXT("bit " << i % 8 << " of byte " << i << " in " << path) {
      auto damaged = image;
      damaged[i] ^= static_cast<std::uint8_t>(1u << (i % 8));
      write_bytes(path, damaged);
      auto s = engine::open(dir, opts);
      BOOST_REQUIRE_MESSAGE(!s.ok(), "damaged data was accepted");
      BOOST_REQUIRE_EQUAL(s.error().code, code);
      BOOST_REQUIRE(s.error().file == path);
    }
  }
  write_bytes(path, image);
  auto s = engine::open(dir, opts);
  BOOST_REQUIRE_MESSAGE(s.ok(), describe(s));
}

/// Files in `dir` whose names start with `prefix` and end with `suffix`, sorted.
inline std::vector<std::string> files_in(const std::string& dir, const std::string& prefix,
                                         const std::string& suffix) {
  std::vector<std::string> out;
  for (const auto& de : fs::directory_iterator(dir)) {
    auto n = de.path().filename().string();
    if (n.size() >= prefix.size() + suffix.size() && n.compare(0, prefix.size(), prefix) == 0 &&
        n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0)
      out.push_back(de.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

inline std::vector<std::string> segments(const std::string& dir) { return files_in(dir, "wal-", ".log"); }
inline std::vector<std::string> snapshots(const std::string& dir) { return files_in(dir, "snap-", ".snap"); }

inline core::snapshot_meta make_meta(std::uint64_t index, std::uint64_t term) {
  core::snapshot_meta m;
  m.index = core::log_index{index};
  m.term = core::raft_term{term};
  m.config.members.push_back(core::member{core::node_id{1}, "127.0.0.1:9001", true});
  m.config.members.push_back(core::member{core::node_id{2}, "127.0.0.1:9002", false});
  m.config.max_assigned_id = core::node_id{2};
  return m;
}

inline std::vector<std::uint8_t> snapshot_data(std::size_t size, std::uint64_t salt) {
  auto e = make_entry(salt, 7, size, salt);
  return e.data.get();
}

}  // namespace actraft::storage::test
