// What a member proves itself with, and what it admits, decided once at
// start from the options and the data directory: the operator's
// certificates, the cluster's own CA (created by lead(), handed to a joiner
// that presents the join token), or nothing with the explicit `insecure`.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "actraft/options.hpp"
#include "cluster_ca.hpp"
#include "tls.hpp"
#include "wire.hpp"

namespace actraft::net {

struct member_security {
  std::string cluster_id;            ///< empty until lead() or the join answer
  std::shared_ptr<tls_context> tls;  ///< null: insecure (or a joiner's, below)
  std::optional<cluster_secrets> secrets;
  // A joiner of a cluster with its own CA, until it is admitted:
  std::optional<join_token> token;
  std::string joiner_key;  ///< its new private key, PEM
};

/// Each returns an empty string on success, else what is wrong, in words.

/// At start, before listening. `existing`: the directory holds a member.
std::string load_security(const options& o, bool existing, bool joining, member_security& out);
/// lead() of a new cluster: its id and, without operator certificates, its
/// CA and member 1's certificate, saved in the data directory.
std::string create_cluster_security(const options& o, member_security& out);
/// A joiner's first connection: the join body to send, and the TLS it is
/// sent over (pinned to the token's CA, or the operator's certificate).
std::string join_credentials(const std::string& address, member_security& s,
                             join_body& body, std::shared_ptr<tls_context>& tls);
/// The cluster admitted us: keep its id and, with its own CA, the
/// certificate issued for our new id.
std::string adopt_join_answer(const options& o, const join_answer& a, member_security& s);

}  // namespace actraft::net
