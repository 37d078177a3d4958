// Requests from peers, as the member transport serves them: a join (by
// token or certificate), a forwarded proposal, a removal, a snapshot chunk;
// nothing else reaches the node.
#include "transport_state.hpp"

namespace actraft::actors::detail {

namespace {

void serve_join(broker_ptr self, std::uint64_t id, net::request q) {
  auto& st = self->state;
  auto& c = st.conns.at(id);
  // Over TLS, a joiner without a certificate proves itself with the token's
  // secret (on an insecure cluster nobody proves anything).
  const bool by_token = c.joiner && c.tls && !c.tls->peer().has_certificate;
  if (by_token) {
    if (!st.me.secrets || !net::same_secret(q.join.secret, st.me.secrets->join_secret)) {
      answer(self, id, net::op::join, failure_of(q.id, errc::unauthorized, "wrong join token"));
      refuse(self, id, "a join with a wrong token");
      return;
    }
    if (q.join.public_key.empty()) {
      answer(self, id, net::op::join, failure_of(q.id, errc::bad_request, "no public key"));
      return;
    }
  }
  const auto timeout = st.limits.connect_timeout + 30s;
  c.joining = true;
  self->request(st.node, timeout, join_atom::value, q.join.address)
      .then(
          [self, id, q, by_token](std::uint64_t member, std::vector<member_status>& ms) {
            auto& s = self->state;
            net::response r;
            r.id = q.id;
            r.ok = true;
            r.join.id = member;
            for (const auto& m : ms) r.join.members.push_back({core::node_id{m.id}, m.address, m.voter});
            r.join.cluster_id = s.me.cluster_id;
            if (by_token) {
              // The joiner's certificate names the id it was just given.
              std::string cert;
              if (auto err = net::issue_member_certificate(*s.me.secrets, member, q.join.public_key, cert);
                  !err.empty()) {
                s.logger->error("cannot issue a certificate for member {}: {}", member, err);
                answer(self, id, net::op::join, failure_of(q.id, errc::bad_request, err));
                return;
              }
              r.join.ca_pem = s.me.secrets->ca_pem;
              r.join.cert_pem = std::move(cert);
              r.join.ca_key_pem = s.me.secrets->ca_key_pem;
              r.join.join_secret = s.me.secrets->join_secret;
            }
            answer(self, id, net::op::join, r);
          },
          [self, id, q](const caf::error& err) {
            answer(self, id, net::op::join, failure_of(q.id, err, self->system()));
          });
}

}  // namespace

void serve_request(broker_ptr self, std::uint64_t id, net::request q) {
  auto& st = self->state;
  auto& c = st.conns.at(id);
  if (q.kind == net::op::join) {
    serve_join(self, id, std::move(q));
    return;
  }
  if (c.joiner) {
    answer(self, id, q.kind, failure_of(q.id, errc::unauthorized, "a joiner may only ask to join"));
    refuse(self, id, "a joiner sent a request other than join");
    return;
  }
  const auto timeout = st.limits.connect_timeout + 60s;
  // The answers need the request's id and op only (not its data).
  auto failed = [self, id, rid = q.id, kind = q.kind](const caf::error& err) {
    answer(self, id, kind, failure_of(rid, err, self->system()));
  };
  auto ok_number = [self, id, rid = q.id, kind = q.kind](std::uint64_t n) {
    net::response r;
    r.id = rid;
    r.ok = true;
    r.number = n;
    answer(self, id, kind, r);
  };
  switch (q.kind) {
    case net::op::forward:
      self->request(st.node, timeout, fwd_atom::value, std::move(q.command))
          .then(
              [self, id, rid = q.id](bytes& value) {
                net::response r;
                r.id = rid;
                r.ok = true;
                r.value = std::move(value);
                answer(self, id, net::op::forward, r);
              },
              failed);
      break;
    case net::op::remove:
      self->request(st.node, timeout, remove_atom::value, q.member).then(ok_number, failed);
      break;
    case net::op::transfer:
      self->request(st.node, timeout, handover_atom::value, q.member).then(ok_number, failed);
      break;
    case net::op::chunk:
      // A snapshot only from the member this connection authenticated; the
      // replica checks the rest (its leader, its term) before any byte is
      // written.
      if (q.chunk.header.from.value != c.member || q.chunk.header.type != core::message_type::snapshot) {
        answer(self, id, q.kind, failure_of(q.id, errc::unauthorized, "a snapshot from another member"));
        refuse(self, id, "a snapshot chunk whose sender is not the connection's member");
        return;
      }
      self->request(st.node, timeout, chunk_atom::value, q.chunk.header, q.chunk.offset,
                    std::move(q.chunk.data), q.chunk.last)
          .then(ok_number, failed);
      break;
    case net::op::join: break;  // above
  }
}

}  // namespace actraft::actors::detail
