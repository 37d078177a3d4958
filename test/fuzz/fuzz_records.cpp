// libFuzzer: what the storage reads back from disk — a WAL segment image
// scanned record by record (as final segment and as sealed one) and the
// identity file's payload. Damage must be reported, never crash or over-read.
#include <cstdint>
#include <span>

#include "actraft/storage/identity.hpp"
#include "codec.hpp"
#include "record.hpp"

using namespace actraft::storage;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> image(data, size);
  for (bool final_segment : {true, false}) {
    (void)detail::scan_records(image, 0, final_segment, "fuzz",
                               [](detail::record_type, std::span<const std::uint8_t> payload, std::size_t) {
                                 // What recovery does with an entry record's payload.
                                 (void)detail::decode_exact<actraft::core::entry>(payload);
                                 return result<void>{};
                               });
  }
  (void)detail::decode_exact<node_identity>(image);
  return 0;
}
