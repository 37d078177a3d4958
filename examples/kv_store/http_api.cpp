#include "http_api.hpp"

#include <caf/all.hpp>
#include <caf/io/all.hpp>

namespace kv {

namespace http = actraft::examples::http;
using http::text;
using http::binary;

namespace {

std::string json_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

/// The HTTP status of an actraft error (CAF's own, e.g. a request timeout,
/// count as timeouts). 503: certainly not carried out, safe to retry (on
/// this member later, or on the leader); 504: the outcome is unknown. A
/// member shutting down or failing to write its log answers what it had
/// accepted with shutting_down / storage_failure: those entries may be in
/// the log already, so 504.
int status_of(const caf::error& err) {
  switch (actraft::code_of(err).value_or(actraft::errc::timeout)) {
    case actraft::errc::not_leader:
    case actraft::errc::removed:
    case actraft::errc::dropped:
    case actraft::errc::not_started:
    case actraft::errc::overloaded:
      return 503;
    case actraft::errc::timeout:
    case actraft::errc::shutting_down:
    case actraft::errc::storage_failure:
      return 504;
    case actraft::errc::bad_request:
    case actraft::errc::membership_refused:
      return 400;
    case actraft::errc::unauthorized:
      return 403;
    case actraft::errc::apply_failed:
    case actraft::errc::query_failed:
      return 500;
    case actraft::errc::not_supported:
      return 501;
  }
  return 500;
}

/// One request's context: where to ask and where to answer.
struct call {
  caf::io::broker* self;
  actraft::mailbox node;
  http::responder done;

  /// Answers an error, named in X-Raft-Error (the actraft error code, or
  /// "timeout" for any other); a 503 names the leader, if this member knows one.
  void fail(const caf::error& err) const {
    auto r = text(status_of(err), self->system().render(err) + "\n");
    r.headers.emplace_back(
        "X-Raft-Error",
        std::string(actraft::to_string(actraft::code_of(err).value_or(actraft::errc::timeout))));
    if (r.status != 503) {
      done(std::move(r));
      return;
    }
    auto answer = done;
    self->request(node, caf::infinite, actraft::status_atom_v)
        .then(
            [answer, r](const actraft::node_status& st) {
              auto with_hint = r;
              if (!st.leader_address.empty())
                with_hint.headers.emplace_back("X-Raft-Leader", st.leader_address);
              answer(std::move(with_hint));
            },
            [answer, r](const caf::error&) { answer(r); });
  }

  /// Proposes `c`; `on_result` turns apply's result into the answer.
  template <class OnResult>
  void propose(const command& c, OnResult on_result) const {
    ask<result>(actraft::propose_atom_v, actraft::encode(c), std::move(on_result));
  }

  /// Reads `key` (linearizable, or this member's state as it is).
  void read(const std::string& key, bool stale) const {
    auto found = [](const std::optional<std::string>& v) {
      return v ? binary(200, *v) : text(404, "no such key\n");
    };
    if (stale)
      ask<std::optional<std::string>>(actraft::stale_query_atom_v, actraft::encode(get{key}), found);
    else
      ask<std::optional<std::string>>(actraft::query_atom_v, actraft::encode(get{key}), found);
  }

  template <class Answer, class Atom, class OnResult>
  void ask(Atom atom, actraft::bytes payload, OnResult on_result) const {
    auto ctx = *this;
    self->request(node, caf::infinite, atom, std::move(payload))
        .then(
            [ctx, on_result](const actraft::bytes& b) {
              auto r = actraft::decode<Answer>(b);
              if (!r) {
                ctx.done(text(500, "result cannot be decoded\n"));
                return;
              }
              ctx.done(on_result(*r));
            },
            [ctx](const caf::error& err) { ctx.fail(err); });
  }
};

void serve_key(const call& ctx, const http::request& req, const std::string& key) {
  if (req.method == "PUT") {
    ctx.propose(put{key, req.body}, [](const result&) { return text(204, ""); });
  } else if (req.method == "GET") {
    ctx.read(key, req.param("stale") == "true");
  } else if (req.method == "DELETE") {
    ctx.propose(del{key}, [](const result& r) { return text(r.ok ? 204 : 404, r.ok ? "" : "no such key\n"); });
  } else {
    ctx.done(text(405, "use GET, PUT or DELETE on /kv/{key}\n"));
  }
}

void serve_cas(const call& ctx, const http::request& req, const std::string& key) {
  if (req.method != "POST") {
    ctx.done(text(405, "use POST on /cas/{key}\n"));
    return;
  }
  cas c{key, std::nullopt, req.body};
  if (req.has_param("expect")) c.expected = req.param("expect");
  ctx.propose(c, [](const result& r) {
    return r.ok ? text(204, "") : binary(412, r.value.value_or(""));
  });
}

/// Status and metrics may be read by the live page of another member.
http::response readable_anywhere(http::response r) {
  r.headers.emplace_back("Access-Control-Allow-Origin", "*");
  return r;
}

void serve_status(const call& ctx, const std::string& http_address) {
  ctx.self->request(ctx.node, caf::infinite, actraft::status_atom_v)
      .then([done = ctx.done, http_address](const actraft::node_status& st) {
              done(readable_anywhere(http::json(200, status_json(st, http_address) + "\n")));
            },
            [ctx](const caf::error& err) { ctx.fail(err); });
}

void serve_metrics(const call& ctx) {
  ctx.self->request(ctx.node, caf::infinite, actraft::metrics_atom_v)
      .then([done = ctx.done](const actraft::node_metrics& m) {
              auto r = text(200, actraft::prometheus_text(m));
              r.content_type = "text/plain; version=0.0.4";
              done(readable_anywhere(std::move(r)));
            },
            [ctx](const caf::error& err) { ctx.fail(err); });
}

/// A decimal member id from `?name=`; nothing if absent or malformed.
std::optional<std::uint64_t> id_param(const http::request& req, const char* name) {
  if (!req.has_param(name)) return std::nullopt;
  const auto v = req.param(name);
  if (v.empty() || v.size() > 19 || v.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
  return std::stoull(v);
}

/// POST /admin/{transfer-leader,remove,snapshot}: the mailbox's admin requests.
void serve_admin(const call& ctx, const http::request& req, const std::string& op) {
  auto answered = [done = ctx.done](const char* field) {
    return [done, field](std::uint64_t n) {
      done(http::json(200, std::string("{\"") + field + "\":" + std::to_string(n) + "}\n"));
    };
  };
  auto failed = [ctx](const caf::error& err) { ctx.fail(err); };
  if (op == "transfer-leader") {
    std::uint64_t to = 0;  // the most caught-up voter
    if (req.has_param("to")) {
      auto id = id_param(req, "to");
      if (!id) return ctx.done(text(400, "'to' must be a member id\n"));
      to = *id;
    }
    ctx.self->request(ctx.node, caf::infinite, actraft::transfer_atom_v, to).then(answered("leader"), failed);
  } else if (op == "remove") {
    auto id = id_param(req, "id");
    if (!id) return ctx.done(text(400, "POST /admin/remove?id=<member id>\n"));
    ctx.self->request(ctx.node, caf::infinite, actraft::remove_member_atom_v, *id)
        .then(answered("removed"), failed);
  } else if (op == "snapshot") {
    ctx.self->request(ctx.node, caf::infinite, actraft::snapshot_atom_v).then(answered("snapshot_index"), failed);
  } else {
    ctx.done(text(404, "admin routes: /admin/transfer-leader[?to=ID], /admin/remove?id=ID, /admin/snapshot\n"));
  }
}

void serve_leave(const call& ctx) {
  ctx.self->request(ctx.node, caf::infinite, actraft::leave_atom_v)
      .then([done = ctx.done](std::uint64_t id) {
              done(http::json(200, "{\"removed\":" + std::to_string(id) + "}\n"));
            },
            [ctx](const caf::error& err) { ctx.fail(err); });
}

/// Nothing if `req` may use an admin route, else the answer that refuses it.
std::optional<http::response> check_admin(const http::request& req, const std::string& token) {
  if (token.empty()) return std::nullopt;
  constexpr std::string_view bearer = "Bearer ";
  if (req.authorization.compare(0, bearer.size(), bearer) != 0)
    return text(401, "admin routes need 'Authorization: Bearer <admin token>' (<data-dir>/admin-token)\n");
  const auto given = req.authorization.substr(bearer.size());
  // Constant time: the comparison must not tell how much of it was right.
  unsigned char diff = given.size() == token.size() ? 0 : 1;
  for (std::size_t i = 0; i < given.size() && i < token.size(); ++i)
    diff |= static_cast<unsigned char>(given[i] ^ token[i]);
  if (diff != 0) return text(403, "wrong admin token\n");
  return std::nullopt;
}

/// The key in "/kv/{key}" or "/cas/{key}"; nothing if `path` is not below `prefix`.
std::optional<std::string> key_below(const std::string& path, std::string_view prefix) {
  if (path.size() <= prefix.size() || path.compare(0, prefix.size(), prefix) != 0) return std::nullopt;
  return path.substr(prefix.size());
}

}  // namespace

std::string status_json(const actraft::node_status& s, const std::string& http_address) {
  auto num = [](const char* name, auto v) { return std::string(",\"") + name + "\":" + std::to_string(v); };
  auto str = [](const char* name, const std::string& v) {
    return std::string(",\"") + name + "\":\"" + json_escape(v) + "\"";
  };
  std::string j = "{\"id\":" + std::to_string(s.id) + str("role", std::string(actraft::to_string(s.role))) +
                  num("term", s.term) + num("leader_id", s.leader_id) +
                  str("leader_address", s.leader_address) + num("commit_index", s.commit_index) +
                  num("applied_index", s.applied_index) + num("last_index", s.last_index) +
                  num("snapshot_index", s.snapshot_index) + num("snapshot_term", s.snapshot_term) +
                  num("pending_requests", s.pending_requests) + num("data_dir_bytes", s.data_dir_bytes) +
                  str("http_address", http_address) + ",\"members\":[";
  for (std::size_t i = 0; i < s.members.size(); ++i) {
    const auto& m = s.members[i];
    if (i > 0) j += ",";
    j += "{\"id\":" + std::to_string(m.id) + str("address", m.address) +
         ",\"voter\":" + (m.voter ? "true" : "false") + "}";
  }
  j += "],\"followers\":[";
  for (std::size_t i = 0; i < s.followers.size(); ++i) {
    const auto& f = s.followers[i];
    if (i > 0) j += ",";
    j += "{\"id\":" + std::to_string(f.id) + str("address", f.address) + num("match_index", f.match_index) +
         num("next_index", f.next_index) + str("state", std::string(actraft::to_string(f.state))) +
         num("inflight", f.inflight) + num("last_contact_ms", f.last_contact_ms) +
         ",\"connected\":" + (f.connected ? "true" : "false") +
         num("snapshot_sent_bytes", f.snapshot_sent_bytes) +
         num("snapshot_total_bytes", f.snapshot_total_bytes) + "}";
  }
  return j + "]}";
}

http::handler http_api(actraft::mailbox node, std::string admin_token, std::string http_address) {
  return [node, admin_token, http_address](caf::io::broker* self, http::request req, http::responder done) {
    const call ctx{self, node, std::move(done)};
    if (auto key = key_below(req.path, "/kv/")) {
      serve_key(ctx, req, *key);
    } else if (auto cas_key = key_below(req.path, "/cas/")) {
      serve_cas(ctx, req, *cas_key);
    } else if (req.path == "/status") {
      if (req.method == "GET") serve_status(ctx, http_address);
      else ctx.done(text(405, "use GET on /status\n"));
    } else if (req.path == "/metrics") {
      if (req.method == "GET") serve_metrics(ctx);
      else ctx.done(text(405, "use GET on /metrics\n"));
    } else if (req.path == "/" || req.path == "/index.html") {
      if (req.method != "GET") return ctx.done(text(405, "use GET on /\n"));
      http::response page{200, std::string(live_page()), "text/html; charset=utf-8", {}};
      ctx.done(std::move(page));
    } else if (auto op = key_below(req.path, "/admin/")) {
      if (req.method != "POST") ctx.done(text(405, "use POST on /admin/...\n"));
      else if (auto denied = check_admin(req, admin_token)) ctx.done(std::move(*denied));
      else serve_admin(ctx, req, *op);
    } else if (req.path == "/leave") {
      if (req.method != "POST") ctx.done(text(405, "use POST on /leave\n"));
      else if (auto denied = check_admin(req, admin_token)) ctx.done(std::move(*denied));
      else serve_leave(ctx);
    } else {
      ctx.done(text(404, "no such path\n"));
    }
  };
}

}  // namespace kv
