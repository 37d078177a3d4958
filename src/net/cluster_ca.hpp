// A cluster's own certificate authority, so a cluster is secure without an
// operator's PKI: lead() creates it, every member keeps it, and a joiner
// that presents the join token gets a certificate naming its member id.
// Kept in the data directory (`tls/`, files readable by the owner only).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

#include "tls.hpp"

namespace actraft::net {

/// What every member of a cluster with its own CA keeps.
struct cluster_secrets {
  std::string cluster_id;   ///< 128 random bits, hex
  std::string ca_pem;       ///< the cluster CA's certificate
  std::string ca_key_pem;   ///< its key: any member can admit a joiner
  std::string join_secret;  ///< 256 random bits, hex; proves a joiner was given the token
};

/// A new cluster: a random id, a CA (EC P-256, valid 20 years), a secret.
std::variant<cluster_secrets, std::string> create_cluster();

/// A new EC P-256 private key, PEM.
std::string new_private_key();
/// The public half of a PEM private key, PEM; empty if it does not parse.
std::string public_key_of(const std::string& private_key_pem);

/// A member certificate: subject CN "member <id>", O "actraft cluster
/// <cluster id>", serverAuth and clientAuth, signed by the cluster CA.
/// Empty on success (`cert_pem` set), else why not.
std::string issue_member_certificate(const cluster_secrets& s, std::uint64_t member,
                                     const std::string& public_key_pem, std::string& cert_pem);

/// The same with any common name (an operator's CA in tests and tools:
/// a name that is not "member <id>" binds no member id).
std::string issue_certificate(const cluster_secrets& s, const std::string& common_name,
                              const std::string& public_key_pem, std::string& cert_pem);

/// The organization every certificate of the cluster's CA carries.
std::string cluster_organization(const std::string& cluster_id);

/// `actraft-join-1.<cluster id>.<CA SHA-256>.<secret>`: everything a new
/// member needs to find the cluster's CA and be admitted.
struct join_token {
  std::string cluster_id;
  std::string ca_sha256;
  std::string secret;
};
std::string make_join_token(const cluster_secrets& s);
/// Nothing if `text` is not a well-formed token.
std::optional<join_token> parse_join_token(const std::string& text);

/// Compares secrets in constant time.
bool same_secret(const std::string& a, const std::string& b);

/// Random bytes as hex (`n` bytes).
std::string random_hex(std::size_t n);

// --- in the data directory -------------------------------------------------------------

/// The files a member keeps in `<dir>/tls/`.
struct member_files {
  std::optional<cluster_secrets> secrets;  ///< only with the cluster's own CA
  credentials member;                      ///< the member's CA, certificate and key
};
/// Writes them (owner-only files, fsynced, renamed into place).
std::string save_member_files(const std::string& dir, const member_files& f);
/// Nothing if the directory has none; an error in words if they are damaged.
std::variant<std::optional<member_files>, std::string> load_member_files(const std::string& dir);

/// The cluster's id, written once (at lead or join) and checked on every
/// connection. Empty on success (`id` empty if the directory has none yet),
/// else why it cannot be read.
std::string load_cluster_id(const std::string& dir, std::string& id);
std::string save_cluster_id(const std::string& dir, const std::string& id);

}  // namespace actraft::net
