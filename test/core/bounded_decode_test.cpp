// Lengths that lie: cereal resizes to a claimed length before reading the
// elements; actraft's decoders refuse any length beyond the input first
// (include/actraft/bounded_cereal.hpp), so a few bytes cannot make a member
// allocate gigabytes.
#include <sys/resource.h>

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <functional>
#include <sstream>

#include "actraft/bounded_cereal.hpp"
#include "actraft/core/membership.hpp"

using namespace actraft;
using namespace actraft::core;

namespace {

/// Peak resident set size of this process, in KiB.
long peak_rss_kib() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

/// cereal's portable binary encoding: a byte of endianness, then values.
std::string portable(const std::function<void(cereal::PortableBinaryOutputArchive&)>& write) {
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    write(ar);
  }
  return os.str();
}

payload as_payload(const std::string& s) {
  bytes b(s.size());
  std::copy(s.begin(), s.end(), b.begin());
  return payload(std::move(b));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(bounded_decode)

BOOST_AUTO_TEST_CASE(a_configuration_claiming_millions_of_members_is_refused_at_once) {
  const auto before = peak_rss_kib();
  // 2^25 members claimed, none given.
  auto lie = portable([](auto& ar) { ar(cereal::make_size_tag(std::uint64_t{1} << 25)); });
  BOOST_TEST(!decode_configuration(as_payload(lie)));
  // A member whose address claims 3 GiB, in 30 bytes.
  auto address = portable([](auto& ar) {
    ar(cereal::make_size_tag(std::uint64_t{1}));
    ar(std::uint64_t{2});
    ar(cereal::make_size_tag(std::uint64_t{3} << 30));
  });
  BOOST_TEST(!decode_configuration(as_payload(address)));
  BOOST_TEST(peak_rss_kib() - before < 64 * 1024);
  // A true one still decodes.
  configuration c;
  c.members.push_back(member{node_id{1}, "10.0.0.1:9001", true});
  c.max_assigned_id = node_id{1};
  auto back = decode_configuration(encode_configuration(c));
  BOOST_REQUIRE(back);
  BOOST_TEST((*back == c));
}

BOOST_AUTO_TEST_CASE(lengths_are_bounded_by_the_input_only_inside_a_scope) {
  auto text = portable([](auto& ar) { ar(std::string("hello")); });
  {
    actraft::detail::decode_scope bounded(text.size());
    std::istringstream is(text, std::ios::binary);
    cereal::PortableBinaryInputArchive ar(is);
    std::string s;
    ar(s);
    BOOST_TEST(s == "hello");
  }
  {
    actraft::detail::decode_scope bounded(3);  // shorter than the length it claims
    std::istringstream is(text, std::ios::binary);
    cereal::PortableBinaryInputArchive ar(is);
    std::string s;
    BOOST_CHECK_THROW(ar(s), cereal::Exception);
  }
  BOOST_TEST(actraft::detail::decode_budget == SIZE_MAX);
}

BOOST_AUTO_TEST_SUITE_END()
