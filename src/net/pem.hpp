// OpenSSL objects with owners, and the conversions to and from PEM text the
// security code shares.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <openssl/evp.h>
#include <openssl/x509.h>

namespace actraft::net {

struct x509_free {
  void operator()(X509* x) const { X509_free(x); }
};
struct pkey_free {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
using cert_ptr = std::unique_ptr<X509, x509_free>;
using key_ptr = std::unique_ptr<EVP_PKEY, pkey_free>;

/// The first certificate in `pem`; null if there is none.
cert_ptr parse_certificate(const std::string& pem);
/// Every certificate in `pem` (a CA bundle).
std::vector<cert_ptr> parse_certificates(const std::string& pem);
/// An unencrypted private key; null otherwise (never prompts).
key_ptr parse_private_key(const std::string& pem);
/// A public key ("-----BEGIN PUBLIC KEY-----"); null otherwise.
key_ptr parse_public_key(const std::string& pem);

std::string to_pem(X509* cert);
std::string private_to_pem(EVP_PKEY* key);
std::string public_to_pem(EVP_PKEY* key);

/// A small text file (at most 1 MiB): empty on success, else why not;
/// `found` false (and no error) if it does not exist.
std::string read_text(const std::string& path, std::string& out, bool& found);

std::string to_hex(const unsigned char* data, std::size_t n);
/// OpenSSL's queued errors appended to `what`, and the queue cleared.
std::string openssl_error(const std::string& what);

}  // namespace actraft::net
