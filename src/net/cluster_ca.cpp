#include "cluster_ca.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "pem.hpp"

namespace actraft::net {

namespace {

constexpr long year = 365L * 24 * 3600;

bool add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

/// A certificate with a random serial, valid from an hour ago (clocks differ).
cert_ptr new_certificate(EVP_PKEY* subject_key, const std::string& cn, const std::string& org,
                         long lifetime) {
  cert_ptr cert(X509_new());
  X509_set_version(cert.get(), 2);
  std::unique_ptr<BIGNUM, decltype(&BN_free)> serial(BN_new(), BN_free);
  BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY);
  BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get()));
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), lifetime);
  X509_set_pubkey(cert.get(), subject_key);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

/// Writes `content` to `path` durably, readable by the owner only.
std::string write_private_file(const std::string& path, const std::string& content) {
  const auto tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return "cannot create '" + tmp + "': " + std::strerror(errno);
  std::size_t done = 0;
  while (done < content.size()) {
    const auto n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int e = errno;
      ::close(fd);
      return "cannot write '" + tmp + "': " + std::strerror(e);
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int e = errno;
    ::close(fd);
    return "cannot sync '" + tmp + "': " + std::strerror(e);
  }
  ::close(fd);
  if (std::rename(tmp.c_str(), path.c_str()) != 0)
    return "cannot rename '" + tmp + "': " + std::strerror(errno);
  const auto parent = std::filesystem::path(path).parent_path().string();
  const int dfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return {};
}


bool is_hex(const std::string& s, std::size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string::npos;
}

}  // namespace

std::string random_hex(std::size_t n) {
  std::vector<unsigned char> buf(n);
  if (RAND_bytes(buf.data(), static_cast<int>(n)) != 1) return {};
  return to_hex(buf.data(), n);
}

std::string cluster_organization(const std::string& cluster_id) {
  return "actraft cluster " + cluster_id;
}

std::string new_private_key() {
  key_ptr key(EVP_EC_gen("P-256"));
  return key ? private_to_pem(key.get()) : std::string();
}

std::string public_key_of(const std::string& private_key_pem) {
  auto key = parse_private_key(private_key_pem);
  return key ? public_to_pem(key.get()) : std::string();
}

std::variant<cluster_secrets, std::string> create_cluster() {
  cluster_secrets s;
  s.cluster_id = random_hex(16);
  s.join_secret = random_hex(32);
  key_ptr key(EVP_EC_gen("P-256"));
  if (s.cluster_id.empty() || s.join_secret.empty() || !key)
    return openssl_error("cannot create the cluster's keys");
  auto ca = new_certificate(key.get(), "actraft cluster CA", cluster_organization(s.cluster_id),
                            20 * year);
  X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get()));
  if (!add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE,pathlen:0") ||
      !add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash") ||
      X509_sign(ca.get(), key.get(), EVP_sha256()) == 0)
    return openssl_error("cannot create the cluster's CA certificate");
  s.ca_pem = to_pem(ca.get());
  s.ca_key_pem = private_to_pem(key.get());
  return s;
}

std::string issue_member_certificate(const cluster_secrets& s, std::uint64_t member,
                                     const std::string& public_key_pem, std::string& cert_pem) {
  return issue_certificate(s, "member " + std::to_string(member), public_key_pem, cert_pem);
}

std::string issue_certificate(const cluster_secrets& s, const std::string& common_name,
                              const std::string& public_key_pem, std::string& cert_pem) {
  auto ca = parse_certificate(s.ca_pem);
  auto ca_key = parse_private_key(s.ca_key_pem);
  if (!ca || !ca_key) return "the cluster's CA files are damaged";
  auto subject = parse_public_key(public_key_pem);
  if (!subject) return "the joiner's public key is not a PEM public key";
  auto cert = new_certificate(subject.get(), common_name, cluster_organization(s.cluster_id), 20 * year);
  X509_set_issuer_name(cert.get(), X509_get_subject_name(ca.get()));
  if (!add_extension(cert.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), ca.get(), NID_key_usage, "critical,digitalSignature,keyAgreement") ||
      !add_extension(cert.get(), ca.get(), NID_ext_key_usage, "serverAuth,clientAuth") ||
      !add_extension(cert.get(), ca.get(), NID_authority_key_identifier, "keyid") ||
      X509_sign(cert.get(), ca_key.get(), EVP_sha256()) == 0)
    return openssl_error("cannot sign the member certificate");
  cert_pem = to_pem(cert.get());
  return {};
}

std::string make_join_token(const cluster_secrets& s) {
  return "actraft-join-1." + s.cluster_id + "." + certificate_sha256(s.ca_pem) + "." +
         s.join_secret;
}

std::optional<join_token> parse_join_token(const std::string& text) {
  constexpr std::string_view prefix = "actraft-join-1.";
  if (text.size() != prefix.size() + 32 + 1 + 64 + 1 + 64 || text.compare(0, prefix.size(), prefix) != 0)
    return std::nullopt;
  join_token t;
  t.cluster_id = text.substr(prefix.size(), 32);
  t.ca_sha256 = text.substr(prefix.size() + 33, 64);
  t.secret = text.substr(prefix.size() + 98, 64);
  if (text[prefix.size() + 32] != '.' || text[prefix.size() + 97] != '.' || !is_hex(t.cluster_id, 32) ||
      !is_hex(t.ca_sha256, 64) || !is_hex(t.secret, 64))
    return std::nullopt;
  return t;
}

bool same_secret(const std::string& a, const std::string& b) {
  return a.size() == b.size() && !a.empty() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

// --- files -----------------------------------------------------------------------------

std::string save_member_files(const std::string& dir, const member_files& f) {
  const auto tls = dir + "/tls";
  std::error_code ec;
  std::filesystem::create_directories(tls, ec);
  if (ec) return "cannot create '" + tls + "': " + ec.message();
  ::chmod(tls.c_str(), 0700);
  std::string err;
  if (f.secrets) {
    if (err.empty()) err = write_private_file(tls + "/ca.key", f.secrets->ca_key_pem);
    if (err.empty()) err = write_private_file(tls + "/join-secret", f.secrets->join_secret + "\n");
  }
  if (err.empty()) err = write_private_file(tls + "/ca.crt", f.member.ca_pem);
  if (err.empty()) err = write_private_file(tls + "/member.key", f.member.key_pem);
  if (err.empty()) err = write_private_file(tls + "/member.crt", f.member.cert_pem);
  return err;
}

std::variant<std::optional<member_files>, std::string> load_member_files(const std::string& dir) {
  const auto tls = dir + "/tls";
  member_files f;
  bool found = false;
  if (auto e = read_text(tls + "/member.crt", f.member.cert_pem, found); !e.empty()) return e;
  if (!found) return std::optional<member_files>{};
  for (auto [name, into] : {std::pair{"ca.crt", &f.member.ca_pem}, std::pair{"member.key", &f.member.key_pem}}) {
    bool here = false;
    if (auto e = read_text(tls + "/" + name, *into, here); !e.empty()) return e;
    if (!here) return "'" + tls + "/" + name + "' is missing";
  }
  cluster_secrets s;
  bool has_key = false;
  bool has_secret = false;
  if (auto e = read_text(tls + "/ca.key", s.ca_key_pem, has_key); !e.empty()) return e;
  if (auto e = read_text(tls + "/join-secret", s.join_secret, has_secret); !e.empty()) return e;
  if (has_key && has_secret) {
    while (!s.join_secret.empty() && s.join_secret.back() == '\n') s.join_secret.pop_back();
    if (!is_hex(s.join_secret, 64)) return "'" + tls + "/join-secret' is damaged";
    s.ca_pem = f.member.ca_pem;
    f.secrets = std::move(s);
  }
  return std::optional<member_files>{std::move(f)};
}

std::string load_cluster_id(const std::string& dir, std::string& id) {
  bool found = false;
  std::string text;
  if (auto e = read_text(dir + "/cluster-id", text, found); !e.empty()) return e;
  id.clear();
  if (!found) return {};
  while (!text.empty() && text.back() == '\n') text.pop_back();
  if (!is_hex(text, 32)) return "'" + dir + "/cluster-id' is damaged";
  id = text;
  return {};
}

std::string save_cluster_id(const std::string& dir, const std::string& id) {
  return write_private_file(dir + "/cluster-id", id + "\n");
}

}  // namespace actraft::net
