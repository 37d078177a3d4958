// libFuzzer: cereal-encoded data from outside a member — configuration
// entries, and typed commands (strings, vectors, maps) — on arbitrary
// bytes. No length may make the decoder allocate beyond the input
// (include/actraft/bounded_cereal.hpp); libFuzzer's -rss_limit_mb and
// -malloc_limit_mb catch one that does.
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include <cereal/types/map.hpp>

#include "actraft/bounded_cereal.hpp"
#include "actraft/core/membership.hpp"

namespace {

struct command {
  std::string key;
  std::vector<std::uint8_t> value;
  std::vector<std::string> tags;
  std::map<std::string, std::uint64_t> counts;
  template <class A>
  void serialize(A& a) { a(key, value, tags, counts); }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  actraft::core::payload p(actraft::core::bytes(data, data + size));
  (void)actraft::core::decode_configuration(p);
  try {
    actraft::detail::decode_scope bounded(size);
    std::istringstream is(std::string(reinterpret_cast<const char*>(data), size), std::ios::binary);
    cereal::PortableBinaryInputArchive ar(is);
    command c;
    ar(c);
  } catch (const cereal::Exception&) {
  } catch (const std::exception&) {
  }
  return 0;
}
