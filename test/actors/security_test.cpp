// Operator certificates, in process: members of one operator CA admit each
// other without a token, and a member of another cluster under the same CA
// is refused by its cluster id.
#include <boost/test/unit_test.hpp>

#include <fstream>

#include "../support/wire_client.hpp"
#include "cluster_ca.hpp"
#include "fixture.hpp"

using namespace actraft;
using namespace actraft::test;
using namespace std::chrono_literals;

namespace {

/// PEM files of the operator's CA for one node: ca.pem, <name>.pem, <name>.key.
struct operator_pki {
  net::cluster_secrets ca = std::get<0>(net::create_cluster());
  std::string dir;

  void write(const std::string& file, const std::string& text) const { std::ofstream(dir + "/" + file) << text; }

  /// Fills the node's TLS options with a certificate named `name`.
  std::function<void(options&)> certify(const std::string& name) const {
    const auto key = net::new_private_key();
    std::string cert;
    BOOST_REQUIRE(net::issue_certificate(ca, name, net::public_key_of(key), cert).empty());
    write("ca.pem", ca.ca_pem);
    write(name + ".pem", cert);
    write(name + ".key", key);
    return [d = dir, name](options& o) {
      o.tls_ca_file = d + "/ca.pem";
      o.tls_cert_file = d + "/" + name + ".pem";
      o.tls_key_file = d + "/" + name + ".key";
    };
  }
  [[nodiscard]] std::shared_ptr<net::tls_context> context(const std::string& name) const {
    auto files = net::read_credential_files(dir + "/ca.pem", dir + "/" + name + ".pem", dir + "/" + name + ".key");
    return std::get<0>(net::tls_context::make(std::get<0>(files)));
  }
};

}  // namespace

BOOST_AUTO_TEST_CASE(operator_certificates_admit_members_of_one_cluster_only) {
  temp_dir tmp;
  operator_pki pki;
  pki.dir = tmp.sub("");
  member_process a{tmp.sub("a"), "127.0.0.1:0", pki.certify("node-a")};
  member_process b{tmp.sub("b"), "127.0.0.1:0", pki.certify("node-b")};
  member_process other{tmp.sub("other"), "127.0.0.1:0", pki.certify("node-x")};
  a.node->lead();
  BOOST_TEST(a.node->join_token().empty());  // the operator's CA admits, not a token
  b.node->join(a.node->address());
  BOOST_TEST(b.node->cluster_id() == a.node->cluster_id());
  BOOST_TEST(expect_ok(b.node->propose(to_bytes("through b")), *b.sys) == "1:through b");

  // Another cluster under the same CA: its member's certificate is valid,
  // its cluster id is not a's.
  other.node->lead();
  BOOST_REQUIRE(other.node->cluster_id() != a.node->cluster_id());
  wire_client c("127.0.0.1", a.node->port(), pki.context("node-x"));
  BOOST_REQUIRE(c.handshake());
  c.send(net::encode(net::hello{net::wire_version, other.node->cluster_id(), 1, other.node->address()}));
  auto answer = c.receive();
  BOOST_REQUIRE(answer);
  BOOST_TEST((net::kind_of(answer->data(), answer->size()) == net::frame_kind::refuse));
  auto why = net::decode_refuse(answer->data(), answer->size());
  BOOST_REQUIRE(why);
  BOOST_TEST(why->find("another cluster") != std::string::npos, *why);
  BOOST_TEST(a.node->status()->members.size() == 2u);
}

BOOST_AUTO_TEST_CASE(bad_certificate_files_stop_the_start_with_the_file_named) {
  temp_dir tmp;
  operator_pki pki;
  pki.dir = tmp.sub("");
  auto good = pki.certify("node-a");
  // A key of another certificate.
  member_process wrong_key{tmp.sub("k"), "127.0.0.1:0", [&](options& o) {
                             good(o);
                             pki.write("other.key", net::new_private_key());
                             o.tls_key_file = pki.dir + "/other.key";
                           }};
  BOOST_CHECK_EXCEPTION(wrong_key.node->lead(), startup_error, [](const startup_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return std::string(e.what()).find("does not belong to the certificate") != std::string::npos;
  });
  member_process missing{tmp.sub("m"), "127.0.0.1:0", [&](options& o) {
                           good(o);
                           o.tls_cert_file = pki.dir + "/nowhere.pem";
                         }};
  BOOST_CHECK_EXCEPTION(missing.node->lead(), startup_error, [](const startup_error& e) {
    return std::string(e.what()).find("nowhere.pem") != std::string::npos;
  });
  member_process half{tmp.sub("h"), "127.0.0.1:0", [&](options& o) { o.tls_ca_file = pki.dir + "/ca.pem"; }};
  BOOST_CHECK_EXCEPTION(half.node->lead(), startup_error, [](const startup_error& e) {
    return std::string(e.what()).find("all three or none") != std::string::npos;
  });
}

BOOST_AUTO_TEST_CASE(insecure_members_need_no_credentials) {
  temp_dir tmp;
  auto insecure = [](options& o) { o.insecure = true; };
  member_process a{tmp.sub("a"), "127.0.0.1:0", insecure}, b{tmp.sub("b"), "127.0.0.1:0", insecure};
  a.node->lead();
  BOOST_TEST(a.node->join_token().empty());
  b.node->join(a.node->address());
  BOOST_TEST(b.node->cluster_id() == a.node->cluster_id());
  BOOST_TEST(expect_ok(b.node->propose(to_bytes("plain")), *b.sys) == "1:plain");
  // Still bound to its cluster: a hello of another cluster is refused.
  wire_client c("127.0.0.1", a.node->port(), nullptr);
  c.send(net::encode(net::hello{net::wire_version, std::string(32, 'f'), 9, "127.0.0.1:1"}));
  auto answer = c.receive();
  BOOST_REQUIRE(answer);
  BOOST_TEST((net::kind_of(answer->data(), answer->size()) == net::frame_kind::refuse));
}
