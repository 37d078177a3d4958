#include "pem.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace actraft::net {

namespace {

using bio_ptr = std::unique_ptr<BIO, decltype(&BIO_free)>;

bio_ptr reader(const std::string& pem) {
  return {BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())), BIO_free};
}

std::string drain(BIO* b) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(b, &data);
  return n > 0 ? std::string(data, static_cast<std::size_t>(n)) : std::string();
}

/// Refuses to ask for a passphrase: a key must be given unencrypted.
int no_passphrase(char*, int, int, void*) { return -1; }

}  // namespace

cert_ptr parse_certificate(const std::string& pem) {
  if (pem.empty()) return nullptr;
  auto b = reader(pem);
  cert_ptr c(PEM_read_bio_X509(b.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  return c;
}

std::vector<cert_ptr> parse_certificates(const std::string& pem) {
  std::vector<cert_ptr> out;
  if (pem.empty()) return out;
  auto b = reader(pem);
  while (X509* c = PEM_read_bio_X509(b.get(), nullptr, no_passphrase, nullptr)) out.emplace_back(c);
  ERR_clear_error();  // the end of the input reads as an error
  return out;
}

key_ptr parse_private_key(const std::string& pem) {
  if (pem.empty()) return nullptr;
  auto b = reader(pem);
  key_ptr k(PEM_read_bio_PrivateKey(b.get(), nullptr, no_passphrase, nullptr));
  return k;
}

key_ptr parse_public_key(const std::string& pem) {
  if (pem.empty()) return nullptr;
  auto b = reader(pem);
  key_ptr k(PEM_read_bio_PUBKEY(b.get(), nullptr, no_passphrase, nullptr));
  ERR_clear_error();
  return k;
}

std::string to_pem(X509* cert) {
  bio_ptr b(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_X509(b.get(), cert);
  return drain(b.get());
}

std::string private_to_pem(EVP_PKEY* key) {
  bio_ptr b(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PrivateKey(b.get(), key, nullptr, nullptr, 0, nullptr, nullptr);
  return drain(b.get());
}

std::string public_to_pem(EVP_PKEY* key) {
  bio_ptr b(BIO_new(BIO_s_mem()), BIO_free);
  PEM_write_bio_PUBKEY(b.get(), key);
  return drain(b.get());
}

std::string openssl_error(const std::string& what) {
  std::string out = what;
  char sep = ':';
  while (auto e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += sep;
    out += ' ';
    out += buf;
    sep = ';';
  }
  return out;
}

std::string read_text(const std::string& path, std::string& out, bool& found) {
  std::error_code ec;
  found = std::filesystem::exists(path, ec);
  if (!found) return {};
  if (std::filesystem::file_size(path, ec) > 1024 * 1024) return "'" + path + "' is larger than 1 MiB";
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read '" + path + "'";
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return {};
}

std::string to_hex(const unsigned char* data, std::size_t n) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * n);
  for (std::size_t i = 0; i < n; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}

}  // namespace actraft::net
