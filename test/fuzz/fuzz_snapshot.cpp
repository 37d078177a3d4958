// libFuzzer: a snapshot file with arbitrary contents (a leader's, a damaged
// disk's), opened and read in chunks as a restart or an install does. Damage
// must be reported; no claimed size may be allocated or read past the file.
#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <string>

#include "actraft/storage/snapshot_reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string path = "/dev/shm/actraft-fuzz-snapshot-" + std::to_string(::getpid());
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd < 0) return 0;
  if (::write(fd, data, size) != static_cast<ssize_t>(size)) {
    ::close(fd);
    return 0;
  }
  ::close(fd);
  auto reader = actraft::storage::snapshot_reader::open(path);
  if (reader) {
    std::array<std::uint8_t, 4096> buf{};
    for (int guard = 0; guard < 1024; ++guard) {
      auto n = reader->read(buf);
      if (!n || *n == 0) break;
    }
  }
  return 0;
}
