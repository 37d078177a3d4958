#include "file_header.hpp"

#include <array>
#include <cstring>
#include <filesystem>

#include <fcntl.h>

#include "codec.hpp"
#include "file.hpp"
#include "reclaimer.hpp"

namespace actraft::storage::detail {

namespace {

const char* magic_of(file_kind kind) {
  switch (kind) {  // + the terminating NUL
    case file_kind::wal_segment: return "ACTRWAL";
    case file_kind::snapshot: return "ACTRSNP";
    case file_kind::identity: return "ACTRIDN";
  }
  return "ACTR???";
}

}  // namespace

void encode_file_header(std::uint8_t* out, file_kind kind, std::uint64_t sequence) {
  std::memset(out, 0, file_header_size);
  std::memcpy(out, magic_of(kind), 8);
  put_u32(out + 8, format_version);
  put_u64(out + 16, sequence);
  put_u32(out + 28, crc32c(out, 28));
}

result<std::uint64_t> check_file_header(const std::uint8_t* in, file_kind kind,
                                        const std::string& path) {
  if (std::memcmp(in, magic_of(kind), 8) != 0)
    return corruption("bad magic in file header (not an actraft file of this kind)", path, 0);
  if (get_u32(in + 28) != crc32c(in, 28))
    return corruption("file header checksum mismatch", path, 0);
  if (auto refused = other_version(in, path)) return *refused;
  return get_u64(in + 16);
}

std::optional<storage_error> other_version(const std::uint8_t* in, const std::string& path) {
  const auto version = get_u32(in + 8);
  if (version == format_version) return std::nullopt;
  storage_error e;
  e.code = storage_errc::unsupported_version;
  e.message = "file has format version " + std::to_string(version) + ", this build reads version " +
              std::to_string(format_version);
  e.file = path;
  e.offset = 8;
  return e;
}

result<void> check_directory_version(const std::string& dir) {
  std::error_code ec;
  for (const auto& de : std::filesystem::directory_iterator(dir, ec)) {
    std::error_code type_ec;
    if (!de.is_regular_file(type_ec)) continue;
    const auto path = de.path().string();
    // A file on its way out (reclaimer.hpp) is not part of the directory.
    if (path.ends_with(retired_suffix)) continue;
    // A file that cannot be read is not one of ours to judge here (the
    // store's own, say); recovery reports its own files' errors.
    auto f = file::open(path, O_RDONLY, nullptr);
    if (!f) continue;
    std::array<std::uint8_t, file_header_size> header{};
    auto n = f->read_at(0, header.data(), header.size());
    if (!n) continue;
    if (*n < file_header_size) continue;
    // Any actraft file with a consistent header, of a kind this build knows
    // or of one a newer build added.
    if (std::memcmp(header.data(), "ACTR", 4) != 0 || get_u32(header.data() + 28) != crc32c(header.data(), 28))
      continue;
    if (auto refused = other_version(header.data(), path)) return *refused;
  }
  if (ec) return sys_error(ec.value(), "cannot list data directory", dir);
  return {};
}

}  // namespace actraft::storage::detail
