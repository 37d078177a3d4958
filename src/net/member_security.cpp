#include "member_security.hpp"

namespace actraft::net {

namespace {

bool operator_files(const options& o) { return !o.tls_ca_file.empty(); }

std::string context_of(const credentials& c, member_security& out, const std::string& where) {
  auto made = tls_context::make(c);
  if (made.index() == 1) return where + ": " + std::get<1>(made);
  out.tls = std::get<0>(made);
  return {};
}

}  // namespace

std::string load_security(const options& o, bool existing, bool joining, member_security& out) {
  if (auto e = load_cluster_id(o.data_dir, out.cluster_id); !e.empty()) return e;
  if (existing && out.cluster_id.empty())
    return "the data directory '" + o.data_dir +
           "' holds a member but no cluster id (written by an older version); start with an empty "
           "directory and join anew";
  if (o.insecure) return {};
  if (operator_files(o)) {
    // Read and checked now: a missing or bad file stops the start, with
    // the file named, instead of failing the first connection.
    auto files = read_credential_files(o.tls_ca_file, o.tls_cert_file, o.tls_key_file);
    if (files.index() == 1) return std::get<1>(files);
    return context_of(std::get<0>(files), out, "TLS files");
  }
  auto stored = load_member_files(o.data_dir);
  if (stored.index() == 1) return std::get<1>(stored);
  auto& files = std::get<0>(stored);
  if (files) {
    if (files->secrets) {
      files->secrets->cluster_id = out.cluster_id;
      out.secrets = files->secrets;
    }
    return context_of(files->member, out, "the member's certificate in '" + o.data_dir + "/tls'");
  }
  if (existing)
    return "the data directory '" + o.data_dir +
           "' holds a member but not its certificate ('tls/'): give the operator's TLS files, or "
           "start with an empty directory and join anew";
  if (joining) {
    if (o.join_token.empty())
      return "joining needs the cluster's join token (any member's join_token(); kv_store keeps it "
             "in <data-dir>/join-token), or the operator's TLS files";
    out.token = parse_join_token(o.join_token);
    if (!out.token) return "the join token is malformed (expected actraft-join-1.<cluster>.<ca>.<secret>)";
  }
  return {};
}

std::string create_cluster_security(const options& o, member_security& out) {
  if (o.insecure || operator_files(o)) {
    out.cluster_id = random_hex(16);
    return save_cluster_id(o.data_dir, out.cluster_id);
  }
  auto made = create_cluster();
  if (made.index() == 1) return std::get<1>(made);
  auto secrets = std::get<0>(std::move(made));
  member_files f;
  f.member.ca_pem = secrets.ca_pem;
  f.member.key_pem = new_private_key();
  if (auto e = issue_member_certificate(secrets, 1, public_key_of(f.member.key_pem), f.member.cert_pem);
      !e.empty())
    return e;
  f.secrets = secrets;
  if (auto e = save_member_files(o.data_dir, f); !e.empty()) return e;
  if (auto e = save_cluster_id(o.data_dir, secrets.cluster_id); !e.empty()) return e;
  out.cluster_id = secrets.cluster_id;
  out.secrets = std::move(secrets);
  return context_of(f.member, out, "the new cluster's certificate");
}

std::string join_credentials(const std::string& address, member_security& s,
                             join_body& body, std::shared_ptr<tls_context>& tls) {
  body.address = address;
  tls = s.tls;  // operator certificates, or null when insecure
  if (!s.token) return {};
  if (s.joiner_key.empty()) s.joiner_key = new_private_key();
  body.secret = s.token->secret;
  body.public_key = public_key_of(s.joiner_key);
  auto pinned = tls_context::make(credentials{}, s.token->ca_sha256);
  if (pinned.index() == 1) return std::get<1>(pinned);
  tls = std::get<0>(pinned);
  return {};
}

std::string adopt_join_answer(const options& o, const join_answer& a, member_security& s) {
  if (a.cluster_id.size() != 32) return "the cluster answered without a valid cluster id";
  if (s.token && a.cluster_id != s.token->cluster_id)
    return "the cluster's id is not the one in the join token";
  s.cluster_id = a.cluster_id;
  if (auto e = save_cluster_id(o.data_dir, s.cluster_id); !e.empty()) return e;
  if (!s.token) return {};
  if (certificate_sha256(a.ca_pem) != s.token->ca_sha256)
    return "the cluster sent a CA other than the join token's";
  if (!same_secret(a.join_secret, s.token->secret))
    return "the cluster sent a join secret other than the join token's";
  member_files f;
  f.member = credentials{a.ca_pem, a.cert_pem, s.joiner_key};
  cluster_secrets secrets{a.cluster_id, a.ca_pem, a.ca_key_pem, a.join_secret};
  f.secrets = secrets;
  // The certificate must name the id we were given, under this CA.
  auto made = tls_context::make(f.member);
  if (made.index() == 1) return "the certificate the cluster issued is unusable: " + std::get<1>(made);
  if (auto e = save_member_files(o.data_dir, f); !e.empty()) return e;
  s.tls = std::get<0>(made);
  s.secrets = std::move(secrets);
  s.token.reset();
  return {};
}

}  // namespace actraft::net
