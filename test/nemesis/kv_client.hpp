// A kv_store HTTP client that records every operation it sends in a
// linearizability history (test/lincheck/history.hpp): put, linearizable get,
// delete and compare-and-set, each with its invocation and completion time
// and an outcome the checker can rely on:
//
//   ok       the answer arrived (204/200, and the "no" answers 404 and 412)
//   failed   definitely not applied: the connection could not be opened (the
//            request was never sent), 503 not_leader (the library guarantees
//            that no entry was appended), 400
//   unknown  anything else: a lost connection or a client timeout after the
//            request was sent, 504 (timeout, entry dropped), 503 for another
//            reason (shutting down, storage failure: the entry may have been
//            appended already), 500
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <httplib.h>

#include "lincheck/history.hpp"

namespace actraft::nemesis {

struct endpoint {
  std::string host;
  int port = 0;
};

/// What the client saw, besides what went into the history.
struct answer {
  lincheck::outcome outcome = lincheck::outcome::unknown;
  int status = 0;         ///< HTTP status; 0 if there was none
  std::string error;      ///< "conn Read", "http 503", ... (empty when ok)
  std::int64_t invoke = 0, complete = 0;
  std::optional<std::string> value;  ///< get: the value read
  bool swapped = false;   ///< cas
};

class kv_client {
 public:
  kv_client(lincheck::history_recorder& rec, std::uint64_t id, std::vector<endpoint> nodes,
            std::chrono::milliseconds timeout)
      : rec_(rec), id_(id), nodes_(std::move(nodes)), timeout_(timeout), http_(nodes_.size()) {}

  answer put(std::size_t node, const std::string& key, const std::string& value) {
    const auto t = rec_.invoke_put(id_, key, value);
    answer a;
    a.invoke = rec_.now();
    auto r = conn(node).Put(("/kv/" + key).c_str(), value, "application/octet-stream");
    return finish(node, t, r, a, [&](int s) { return s == 204 ? (rec_.ok(t), true) : false; });
  }

  /// Linearizable (through the log) unless reads_from_local_state() was
  /// asked for: then ?stale=true, which the checker must catch.
  answer get(std::size_t node, const std::string& key) {
    const auto t = rec_.invoke_get(id_, key);
    answer a;
    a.invoke = rec_.now();
    auto r = conn(node).Get(("/kv/" + key + (stale_ ? "?stale=true" : "")).c_str());
    return finish(node, t, r, a, [&](int s) {
      if (s == 200) a.value = r->body;
      if (s != 200 && s != 404) return false;
      rec_.ok_get(t, a.value);
      return true;
    });
  }

  answer del(std::size_t node, const std::string& key) {
    const auto t = rec_.invoke_delete(id_, key);
    answer a;
    a.invoke = rec_.now();
    auto r = conn(node).Delete(("/kv/" + key).c_str());
    return finish(node, t, r, a, [&](int s) {
      if (s != 204 && s != 404) return false;
      rec_.ok_delete(t, s == 204);
      return true;
    });
  }

  /// expected nullopt: the key must be absent.
  answer cas(std::size_t node, const std::string& key, const std::optional<std::string>& expected,
             const std::string& value) {
    const auto t = rec_.invoke_cas(id_, key, expected, value);
    answer a;
    a.invoke = rec_.now();
    std::string path = "/cas/" + key;
    if (expected) path += "?expect=" + httplib::detail::encode_query_param(*expected);
    auto r = conn(node).Post(path.c_str(), value, "application/octet-stream");
    return finish(node, t, r, a, [&](int s) {
      if (s != 204 && s != 412) return false;
      a.swapped = s == 204;
      rec_.ok_cas(t, a.swapped);
      return true;
    });
  }

  [[nodiscard]] std::uint64_t id() const { return id_; }
  /// A planted client bug for testing the tests: gets read the member's
  /// applied state (GET ?stale=true), which is not linearizable.
  void reads_from_local_state(bool on) { stale_ = on; }

 private:
  httplib::Client& conn(std::size_t node) {
    auto& c = http_[node];
    if (!c) {
      c = std::make_unique<httplib::Client>(nodes_[node].host, nodes_[node].port);
      c->set_keep_alive(true);
      c->set_tcp_nodelay(true);
      c->set_connection_timeout(std::chrono::seconds(1));
      c->set_read_timeout(timeout_);
      c->set_write_timeout(timeout_);
    }
    return *c;
  }

  /// `ok_answer(status)` records and returns true for the answers of an
  /// applied (or definitely evaluated) operation; everything else is sorted
  /// into failed / unknown here.
  template <class OkAnswer>
  answer& finish(std::size_t node, lincheck::history_recorder::ticket t, const httplib::Result& r,
                 answer& a, OkAnswer&& ok_answer) {
    if (!r) {
      a.complete = rec_.now();
      const auto e = r.error();
      a.error = "conn " + httplib::to_string(e);
      // Could not connect: nothing was sent. Anything later: it may have
      // arrived and been applied.
      a.outcome = e == httplib::Error::Connection || e == httplib::Error::ConnectionTimeout
                      ? lincheck::outcome::failed
                      : lincheck::outcome::unknown;
      a.outcome == lincheck::outcome::failed ? rec_.failed(t) : rec_.unknown(t);
      http_[node].reset();  // start over with a fresh connection
      return a;
    }
    a.status = r->status;
    if (ok_answer(r->status)) {
      a.complete = rec_.now();
      a.outcome = lincheck::outcome::ok;
      return a;
    }
    a.complete = rec_.now();
    a.error = "http " + std::to_string(r->status);
    if (auto code = r->get_header_value("X-Raft-Error"); !code.empty()) a.error += " " + code;
    const bool not_leader = r->status == 503 && r->body.find("not_leader") != std::string::npos;
    if (not_leader || r->status == 400) {
      a.outcome = lincheck::outcome::failed;
      rec_.failed(t);
    } else {
      a.outcome = lincheck::outcome::unknown;
      rec_.unknown(t);
    }
    return a;
  }

  lincheck::history_recorder& rec_;
  std::uint64_t id_;
  std::vector<endpoint> nodes_;
  std::chrono::milliseconds timeout_;
  std::vector<std::unique_ptr<httplib::Client>> http_;
  bool stale_ = false;
};

}  // namespace actraft::nemesis
