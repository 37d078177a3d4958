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
/// this member later, or on the leader); 504: the outcome is unknown.
int status_of(const caf::error& err) {
  switch (actraft::code_of(err).value_or(actraft::errc::timeout)) {
    case actraft::errc::not_leader:
    case actraft::errc::shutting_down:
    case actraft::errc::removed:
    case actraft::errc::storage_failure:
    case actraft::errc::dropped:
    case actraft::errc::not_started:
    case actraft::errc::overloaded:
      return 503;
    case actraft::errc::timeout:
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

void serve_status(const call& ctx) {
  ctx.self->request(ctx.node, caf::infinite, actraft::status_atom_v)
      .then([done = ctx.done](const actraft::node_status& st) {
              done(http::json(200, status_json(st) + "\n"));
            },
            [ctx](const caf::error& err) { ctx.fail(err); });
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

std::string status_json(const actraft::node_status& s) {
  std::string j = "{\"id\":" + std::to_string(s.id) + ",\"role\":\"" + json_escape(s.role) +
                  "\",\"term\":" + std::to_string(s.term) +
                  ",\"leader_id\":" + std::to_string(s.leader_id) + ",\"leader_address\":\"" +
                  json_escape(s.leader_address) + "\",\"commit_index\":" +
                  std::to_string(s.commit_index) +
                  ",\"applied_index\":" + std::to_string(s.applied_index) + ",\"members\":[";
  for (std::size_t i = 0; i < s.members.size(); ++i) {
    const auto& m = s.members[i];
    if (i > 0) j += ",";
    j += "{\"id\":" + std::to_string(m.id) + ",\"address\":\"" + json_escape(m.address) +
         "\",\"voter\":" + (m.voter ? "true" : "false") + "}";
  }
  return j + "]}";
}

http::handler http_api(actraft::mailbox node, std::string admin_token) {
  return [node, admin_token](caf::io::broker* self, http::request req, http::responder done) {
    const call ctx{self, node, std::move(done)};
    if (auto key = key_below(req.path, "/kv/")) {
      serve_key(ctx, req, *key);
    } else if (auto cas_key = key_below(req.path, "/cas/")) {
      serve_cas(ctx, req, *cas_key);
    } else if (req.path == "/status") {
      if (req.method == "GET") serve_status(ctx);
      else ctx.done(text(405, "use GET on /status\n"));
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
