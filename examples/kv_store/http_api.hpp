// kv_store's HTTP API on top of a node's mailbox: every request becomes one
// asynchronous request to the mailbox, answered when its reply comes.
//
//   PUT    /kv/{key}            body = value                 -> 204
//   GET    /kv/{key}            linearizable, on any member, no log write -> 200 value | 404
//   GET    /kv/{key}?stale=true this member's applied state, maybe stale -> 200 value | 404
//   DELETE /kv/{key}                                          -> 204 | 404
//   POST   /cas/{key}?expect=V  body = new value (no expect: key must be absent) -> 204 | 412
//   GET    /status              JSON: id, role, term, leader, commit/applied/last index,
//                               snapshot, members, followers (on the leader), pending requests
//   GET    /metrics             Prometheus text format (actraft::prometheus_text)
//   GET    /                    the live cluster page (polls /status and /metrics of every member)
//   POST   /leave               removes this member                -> {"removed":ID}
//   POST   /admin/transfer-leader[?to=ID]  hands leadership over (no id: the most
//                               caught-up voter)                   -> {"leader":ID}
//   POST   /admin/remove?id=ID  removes member ID (one gone for good) -> {"removed":ID}
//   POST   /admin/snapshot      this member snapshots its store    -> {"snapshot_index":N}
// Admin routes (POST /leave, /admin/...) need `Authorization: Bearer <admin
// token>` (401 without it, 403 with a wrong one). GET /status and /metrics
// answer any origin (Access-Control-Allow-Origin: *), for the live page.
// Errors: 400 bad request (or a refused membership change or transfer), 404
// unknown path, 405 wrong method, 503 no leader (X-Raft-Leader: hint), 504
// timeout, 500 apply failed.
#pragma once

#include "../common/http_server.hpp"
#include "actraft/mailbox.hpp"
#include "kv.hpp"

namespace kv {

/// The handler for actraft::examples::http::serve. Requests to the node carry no timeout of their own: the
/// node answers every request by its request timeout, and the server
/// answers 504 for any that is still open a little later.
/// `admin_token`: what `Authorization: Bearer` must carry on the admin
/// routes; empty: they are open (an insecure cluster).
/// `http_address`: where this member serves HTTP (reported in /status).
actraft::examples::http::handler http_api(actraft::mailbox node, std::string admin_token,
                                          std::string http_address);

/// The JSON of GET /status.
std::string status_json(const actraft::node_status& s, const std::string& http_address);

/// The live cluster page (page.html, compiled in).
std::string_view live_page();

}  // namespace kv
