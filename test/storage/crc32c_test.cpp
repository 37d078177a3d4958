// CRC-32C: the CPU's instruction and Boost.CRC's table must agree on every
// input and every way of splitting it, or data written on one machine would
// read as damaged on another.
#include <boost/test/unit_test.hpp>

#include <random>
#include <vector>

#include "crc32c.hpp"

using namespace actraft::storage::detail;

BOOST_AUTO_TEST_SUITE(checksums)

BOOST_AUTO_TEST_CASE(the_standard_check_value) {
  const char* digits = "123456789";  // CRC-32C's published check value
  BOOST_TEST(crc32c(digits, 9) == 0xE3069283u);
  BOOST_TEST(crc32c_software(digits, 9) == 0xE3069283u);
  if (crc32c_in_hardware()) BOOST_TEST(crc32c_hardware(digits, 9) == 0xE3069283u);
}

BOOST_AUTO_TEST_CASE(hardware_and_table_agree_on_any_input_in_any_pieces) {
  if (!crc32c_in_hardware()) BOOST_TEST_MESSAGE("no crc32 instruction: the table only");
  std::mt19937_64 rng(7);
  for (int round = 0; round < 300; ++round) {
    std::vector<unsigned char> data(rng() % 3000);
    for (auto& b : data) b = static_cast<unsigned char>(rng());
    const auto expected = crc32c_software(data.data(), data.size());
    if (crc32c_in_hardware()) BOOST_REQUIRE_EQUAL(crc32c_hardware(data.data(), data.size()), expected);
    crc32c_state pieces;  // as the snapshot writer and reader feed it
    for (std::size_t at = 0; at < data.size();) {
      const auto n = std::min<std::size_t>(data.size() - at, rng() % 40);
      pieces.process_bytes(data.data() + at, n);
      at += n;
    }
    BOOST_REQUIRE_EQUAL(pieces.checksum(), expected);
  }
}

BOOST_AUTO_TEST_SUITE_END()
