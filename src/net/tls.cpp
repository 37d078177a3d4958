#include "tls.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

#include "pem.hpp"

namespace actraft::net {

namespace {

/// A credential file: present, readable, not empty, and small.
std::string read_credential(const std::string& path, const char* what, std::string& into) {
  bool found = false;
  if (auto e = read_text(path, into, found); !e.empty()) return std::string("the ") + what + " file: " + e;
  if (!found) return std::string("cannot read the ") + what + " file '" + path + "'";
  if (into.empty()) return std::string("the ") + what + " file '" + path + "' is empty";
  return {};
}

std::string subject_field(X509* cert, int nid) {
  std::array<char, 256> buf{};
  const int n = X509_NAME_get_text_by_NID(X509_get_subject_name(cert), nid, buf.data(),
                                          static_cast<int>(buf.size()));
  return n > 0 ? std::string(buf.data(), static_cast<std::size_t>(n)) : std::string();
}

std::string verify_error(long code) {
  return X509_verify_cert_error_string(code);
}

}  // namespace

std::variant<credentials, std::string> read_credential_files(const std::string& ca,
                                                             const std::string& cert,
                                                             const std::string& key) {
  credentials c;
  if (auto e = read_credential(ca, "CA certificate", c.ca_pem); !e.empty()) return e;
  if (auto e = read_credential(cert, "certificate", c.cert_pem); !e.empty()) return e;
  if (auto e = read_credential(key, "private key", c.key_pem); !e.empty()) return e;
  return c;
}

std::uint64_t member_of_common_name(const std::string& cn) {
  constexpr std::string_view prefix = "member ";
  if (cn.size() <= prefix.size() || cn.compare(0, prefix.size(), prefix) != 0) return 0;
  std::uint64_t id = 0;
  const char* first = cn.data() + prefix.size();
  const char* last = cn.data() + cn.size();
  auto [p, ec] = std::from_chars(first, last, id);
  if (ec != std::errc() || p != last) return 0;
  return id;
}

std::string certificate_sha256(const std::string& pem) {
  auto cert = parse_certificate(pem);
  if (!cert) return {};
  std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
  unsigned int len = 0;
  if (X509_digest(cert.get(), EVP_sha256(), md.data(), &len) != 1) return {};
  return to_hex(md.data(), len);
}

// --- context ---------------------------------------------------------------------------

std::variant<std::shared_ptr<tls_context>, std::string> tls_context::make(
    const credentials& c, std::string pinned_ca_sha256) {
  std::shared_ptr<tls_context> out(new tls_context());
  out->pinned_ = std::move(pinned_ca_sha256);
  out->ca_pem_ = c.ca_pem;
  auto cas = parse_certificates(c.ca_pem);
  if (cas.empty() && out->pinned_.empty())
    return std::string("the CA certificate is not a PEM certificate");
  cert_ptr cert;
  key_ptr key;
  if (!c.cert_pem.empty()) {
    cert = parse_certificate(c.cert_pem);
    if (!cert) return openssl_error("the certificate is not a PEM certificate");
    key = parse_private_key(c.key_pem);
    if (!key)
      return openssl_error("the private key is not an unencrypted PEM key "
                           "(an encrypted key is not supported)");
    if (X509_check_private_key(cert.get(), key.get()) != 1)
      return openssl_error("the private key does not belong to the certificate");
    // The CA must have signed it, or no other member would accept it.
    std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
    for (const auto& ca : cas) X509_STORE_add_cert(store.get(), ca.get());
    std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> vctx(X509_STORE_CTX_new(),
                                                                         X509_STORE_CTX_free);
    X509_STORE_CTX_init(vctx.get(), store.get(), cert.get(), nullptr);
    if (X509_verify_cert(vctx.get()) != 1)
      return "the certificate does not chain to the CA certificate (" +
             verify_error(X509_STORE_CTX_get_error(vctx.get())) + ")";
    if (X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0) != 1 ||
        X509_check_purpose(cert.get(), X509_PURPOSE_SSL_CLIENT, 0) != 1)
      return std::string("the certificate must allow both serverAuth and clientAuth "
                         "(a member is a client and a server)");
  }

  auto setup = [&](const SSL_METHOD* method, bool server) -> SSL_CTX* {
    SSL_CTX* ctx = SSL_CTX_new(method);
    if (ctx == nullptr) return nullptr;
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_options(ctx, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
    if (cert) {
      SSL_CTX_use_certificate(ctx, cert.get());
      SSL_CTX_use_PrivateKey(ctx, key.get());
      // The CA goes with the certificate, so that a joiner can compare it
      // with the fingerprint in its join token.
      for (const auto& ca : cas) SSL_CTX_add1_chain_cert(ctx, ca.get());
    }
    auto* store = SSL_CTX_get_cert_store(ctx);
    for (const auto& ca : cas) X509_STORE_add_cert(store, ca.get());
    if (server) {
      // A certificate is asked for, and checked when given; a connection
      // without one may only ask to join (the transport enforces it).
      SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    } else {
      // A joiner checks the server by the pinned fingerprint itself.
      SSL_CTX_set_verify(ctx, out->pinned_.empty() ? SSL_VERIFY_PEER : SSL_VERIFY_NONE, nullptr);
    }
    return ctx;
  };
  out->client_ = setup(TLS_client_method(), false);
  if (cert) out->server_ = setup(TLS_server_method(), true);
  if (out->client_ == nullptr || (cert && out->server_ == nullptr))
    return openssl_error("cannot create a TLS context");
  return out;
}

tls_context::~tls_context() {
  SSL_CTX_free(server_);
  SSL_CTX_free(client_);
}

// --- session ---------------------------------------------------------------------------

tls_session::tls_session(const std::shared_ptr<tls_context>& ctx, side s) : ctx_(ctx) {
  ssl_ = SSL_new(s == side::server ? ctx->server() : ctx->client());
  in_ = BIO_new(BIO_s_mem());
  out_ = BIO_new(BIO_s_mem());
  SSL_set_bio(ssl_, in_, out_);
  if (s == side::server) {
    SSL_set_accept_state(ssl_);
  } else {
    SSL_set_connect_state(ssl_);
    drive();  // the ClientHello
  }
}

tls_session::~tls_session() { SSL_free(ssl_); }

bool tls_session::fail(const std::string& what) {
  if (error_.empty()) error_ = openssl_error(what);
  ERR_clear_error();
  return false;
}

bool tls_session::check_pinned() {
  // The server's chain must hold the CA the join token names, and its
  // certificate must chain to that CA.
  STACK_OF(X509)* chain = SSL_get_peer_cert_chain(ssl_);
  X509* leaf = SSL_get0_peer_certificate(ssl_);
  if (chain == nullptr || leaf == nullptr) return fail("the member sent no certificate");
  X509* pinned = nullptr;
  for (int i = 0; i < sk_X509_num(chain); ++i) {
    X509* c = sk_X509_value(chain, i);
    std::array<unsigned char, EVP_MAX_MD_SIZE> md{};
    unsigned int len = 0;
    if (X509_digest(c, EVP_sha256(), md.data(), &len) == 1 &&
        to_hex(md.data(), len) == ctx_->pinned())
      pinned = c;
  }
  if (pinned == nullptr)
    return fail("the member's CA is not the one the join token names (wrong token or wrong "
                "cluster)");
  std::unique_ptr<X509_STORE, decltype(&X509_STORE_free)> store(X509_STORE_new(), X509_STORE_free);
  X509_STORE_add_cert(store.get(), pinned);
  std::unique_ptr<X509_STORE_CTX, decltype(&X509_STORE_CTX_free)> vctx(X509_STORE_CTX_new(),
                                                                       X509_STORE_CTX_free);
  X509_STORE_CTX_init(vctx.get(), store.get(), leaf, chain);
  if (X509_verify_cert(vctx.get()) != 1)
    return fail("the member's certificate does not chain to the token's CA (" +
                verify_error(X509_STORE_CTX_get_error(vctx.get())) + ")");
  return true;
}

bool tls_session::drive() {
  if (!established_) {
    const int r = SSL_do_handshake(ssl_);
    if (r != 1) {
      const int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
      const long v = SSL_get_verify_result(ssl_);
      if (v != X509_V_OK) return fail("TLS handshake failed: certificate refused (" + verify_error(v) + ")");
      return fail("TLS handshake failed");
    }
    established_ = true;
    if (X509* c = SSL_get0_peer_certificate(ssl_)) {
      peer_.has_certificate = true;
      peer_.common_name = subject_field(c, NID_commonName);
      peer_.organization = subject_field(c, NID_organizationName);
      peer_.member = member_of_common_name(peer_.common_name);
    }
    if (!ctx_->pinned().empty() && !check_pinned()) return false;
    if (!pending_.empty()) {
      auto p = std::move(pending_);
      pending_.clear();
      if (!send(p.data(), p.size())) return false;
    }
  }
  return true;
}

bool tls_session::receive(const char* data, std::size_t n, std::vector<char>& plain) {
  if (!error_.empty()) return false;
  if (n > 0 && BIO_write(in_, data, static_cast<int>(n)) != static_cast<int>(n))
    return fail("cannot buffer TLS input");
  if (!drive()) return false;
  if (!established_) return true;
  std::array<char, 16384> buf{};
  for (;;) {
    const int r = SSL_read(ssl_, buf.data(), static_cast<int>(buf.size()));
    if (r > 0) {
      plain.insert(plain.end(), buf.data(), buf.data() + r);
      continue;
    }
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return true;
    if (e == SSL_ERROR_ZERO_RETURN) return fail("the peer closed the TLS session");
    return fail("TLS error");
  }
}

bool tls_session::send(const char* data, std::size_t n) {
  if (!error_.empty()) return false;
  if (!established_) {
    pending_.insert(pending_.end(), data, data + n);
    return true;
  }
  while (n > 0) {
    const int r = SSL_write(ssl_, data, static_cast<int>(std::min<std::size_t>(n, 1 << 30)));
    if (r <= 0) return fail("TLS write failed");
    data += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

void tls_session::take_output(std::vector<char>& out) {
  const auto pending = BIO_ctrl_pending(out_);
  if (pending == 0) return;
  const auto old = out.size();
  out.resize(old + pending);
  const int r = BIO_read(out_, out.data() + old, static_cast<int>(pending));
  out.resize(old + static_cast<std::size_t>(std::max(r, 0)));
}

}  // namespace actraft::net
