// kv_store's HTTP API on top of a node's mailbox: every request becomes one
// asynchronous request to the mailbox, answered when its reply comes.
//
//   PUT    /kv/{key}            body = value                 -> 204
//   GET    /kv/{key}            linearizable, on any member, no log write -> 200 value | 404
//   GET    /kv/{key}?stale=true this member's applied state, maybe stale -> 200 value | 404
//   DELETE /kv/{key}                                          -> 204 | 404
//   POST   /cas/{key}?expect=V  body = new value (no expect: key must be absent) -> 204 | 412
//   GET    /status              JSON: id, role, term, leader, commit/applied, members
//   POST   /leave               removes this member
// Admin routes (POST /leave) need `Authorization: Bearer <admin token>`
// (401 without it, 403 with a wrong one).
// Errors: 400 bad request, 404 unknown path, 405 wrong method, 503 no leader
// (X-Raft-Leader: hint), 504 timeout, 500 apply failed.
#pragma once

#include "../common/http_server.hpp"
#include "actraft/mailbox.hpp"
#include "kv.hpp"

namespace kv {

/// The handler for actraft::examples::http::serve. Requests to the node carry no timeout of their own: the
/// node answers every request by its request timeout, and the server
/// answers 504 for any that is still open a little later.
/// `admin_token`: what `Authorization: Bearer` must carry on the admin
/// routes (POST /leave); empty: they are open (an insecure cluster).
actraft::examples::http::handler http_api(actraft::mailbox node, std::string admin_token);

/// The JSON of GET /status.
std::string status_json(const actraft::node_status& s);

}  // namespace kv
