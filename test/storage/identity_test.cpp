#include <boost/test/unit_test.hpp>

#include <filesystem>
#include <fstream>

#include "actraft/storage/identity.hpp"
#include "helpers.hpp"

using namespace actraft;

namespace {

std::filesystem::path fresh_dir(const std::string& name) {
  auto d = std::filesystem::temp_directory_path() /
           ("actraft-identity-" + std::to_string(::getpid()) + "-" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d;
}

}  // namespace

BOOST_AUTO_TEST_CASE(identity_round_trip_and_absence) {
  auto dir = fresh_dir("rt");
  auto none = storage::load_identity(dir.string());
  BOOST_REQUIRE(none.ok());
  BOOST_TEST(!none->has_value());
  storage::node_identity me{core::node_id{7}, {{core::node_id{1}, "127.0.0.1:9001", true},
                                               {core::node_id{7}, "127.0.0.1:9007", false}}};
  BOOST_REQUIRE(storage::save_identity(dir.string(), me).ok());
  auto back = storage::load_identity(dir.string());
  BOOST_REQUIRE(back.ok());
  BOOST_REQUIRE(back->has_value());
  BOOST_TEST((*back)->id == core::node_id{7});
  BOOST_TEST(((*back)->seed_members == me.seed_members));
  BOOST_TEST(!(*back)->removed);
  // A removal is recorded by writing the identity again.
  me.removed = true;
  BOOST_REQUIRE(storage::save_identity(dir.string(), me).ok());
  auto retired = storage::load_identity(dir.string());
  BOOST_REQUIRE(retired.ok() && retired->has_value());
  BOOST_TEST((*retired)->removed);
  std::filesystem::remove_all(dir);
}

BOOST_AUTO_TEST_CASE(identity_damage_is_corruption_at_every_byte) {
  auto dir = fresh_dir("flip");
  storage::node_identity me{core::node_id{3}, {{core::node_id{3}, "h:1", true}}};
  BOOST_REQUIRE(storage::save_identity(dir.string(), me).ok());
  const auto path = dir / "identity";
  const auto size = std::filesystem::file_size(path);
  std::vector<char> original(size);
  {
    std::ifstream in(path, std::ios::binary);
    in.read(original.data(), static_cast<std::streamsize>(size));
  }
  for (std::size_t i = 0; i < size; ++i) {
    auto damaged = original;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x10);
    {
      std::ofstream out(path, std::ios::binary | std::ios::trunc);
      out.write(damaged.data(), static_cast<std::streamsize>(size));
    }
    auto r = storage::load_identity(dir.string());
    BOOST_REQUIRE_MESSAGE(!r.ok(), "flip at byte " << i << " was not detected");
    // A flipped version byte in a consistent header is damage too (the header checksum).
    BOOST_TEST((r.error().code == storage::storage_errc::corruption), "byte " << i);
  }
  std::filesystem::resize_file(path, size - 1);
  BOOST_TEST(!storage::load_identity(dir.string()).ok());
  std::filesystem::remove_all(dir);
}
