// TLS for the member transport, as a pure byte engine (no sockets, no CAF):
// OpenSSL runs over two memory BIOs, the transport feeds it what arrived on
// the connection and puts on the connection what it produced. So the
// handshake is driven by the same readiness events as the data, a
// connection that never finishes its handshake costs nothing while it waits
// (and is closed at a deadline by the transport), and the peer's
// certificate is at hand to tell which member it is.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

// OpenSSL's types, without its headers.
struct ssl_st;
struct ssl_ctx_st;
struct bio_st;

namespace actraft::net {

/// What a member proves itself with: PEM text, read from the operator's
/// files or created by the cluster's own CA (cluster_ca.hpp).
struct credentials {
  std::string ca_pem;    ///< the CA every member's certificate chains to
  std::string cert_pem;  ///< this member's certificate (empty: a joiner, no identity yet)
  std::string key_pem;   ///< its private key
};

/// Reads `ca`, `cert` and `key` (files); an error says which file and why.
std::variant<credentials, std::string> read_credential_files(const std::string& ca,
                                                             const std::string& cert,
                                                             const std::string& key);

/// Who is at the other end of an established session.
struct peer_identity {
  std::string common_name;   ///< subject CN ("member 3" for certificates of the cluster CA)
  std::string organization;  ///< subject O ("actraft cluster <id>" for those)
  /// The member id a certificate of the cluster CA names; 0: none (a
  /// joiner, or an operator's certificate without one).
  std::uint64_t member = 0;
  bool has_certificate = false;
};

/// The member id in a common name "member <id>"; 0 if it names none.
std::uint64_t member_of_common_name(const std::string& cn);

/// An SSL_CTX for one node: TLS 1.2 or newer, the peer's certificate
/// verified against the CA. Loaded and checked once, at start.
class tls_context {
 public:
  /// Checks that the CA and certificate parse, the key matches the
  /// certificate and the CA signed it. Empty `cert_pem`: a client without a
  /// certificate (a joiner), which verifies the server by `pinned_ca_sha256`
  /// instead of by a CA it does not have yet.
  static std::variant<std::shared_ptr<tls_context>, std::string> make(
      const credentials& c, std::string pinned_ca_sha256 = {});
  ~tls_context();
  tls_context(const tls_context&) = delete;
  tls_context& operator=(const tls_context&) = delete;

  [[nodiscard]] ssl_ctx_st* server() const { return server_; }
  [[nodiscard]] ssl_ctx_st* client() const { return client_; }
  [[nodiscard]] const std::string& pinned() const { return pinned_; }
  [[nodiscard]] const std::string& ca_pem() const { return ca_pem_; }

 private:
  tls_context() = default;
  ssl_ctx_st* server_ = nullptr;
  ssl_ctx_st* client_ = nullptr;
  std::string pinned_;
  std::string ca_pem_;
};

/// One connection's TLS state.
class tls_session {
 public:
  enum class side { client, server };
  tls_session(const std::shared_ptr<tls_context>& ctx, side s);
  ~tls_session();
  tls_session(const tls_session&) = delete;
  tls_session& operator=(const tls_session&) = delete;

  /// Bytes that arrived; decrypted data is appended to `plain`. False on a
  /// fatal error (error() says why): close the connection.
  bool receive(const char* data, std::size_t n, std::vector<char>& plain);
  /// Encrypts `plain` (buffered until the handshake is done). False on a
  /// fatal error.
  bool send(const char* data, std::size_t n);
  /// Moves the bytes to write on the connection into `out` (appended).
  void take_output(std::vector<char>& out);

  [[nodiscard]] bool established() const { return established_; }
  /// The verified peer (after established()).
  [[nodiscard]] const peer_identity& peer() const { return peer_; }
  [[nodiscard]] const std::string& error() const { return error_; }

 private:
  bool drive();
  bool fail(const std::string& what);
  bool check_pinned();

  std::shared_ptr<tls_context> ctx_;
  ssl_st* ssl_ = nullptr;
  bio_st* in_ = nullptr;   ///< network -> TLS (owned by ssl_)
  bio_st* out_ = nullptr;  ///< TLS -> network (owned by ssl_)
  bool established_ = false;
  std::vector<char> pending_;  ///< plaintext written before the handshake ended
  peer_identity peer_;
  std::string error_;
};

/// SHA-256 of a PEM certificate's DER form, lowercase hex; empty if it does
/// not parse.
std::string certificate_sha256(const std::string& pem);

}  // namespace actraft::net
