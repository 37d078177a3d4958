// Typed commands and results on top of the byte interface: a store written
// against C++ types, proposals that take and return C++ types. Encoded with
// cereal's portable binary archive.
//
//   struct put { std::string key, value; template <class A> void serialize(A& a) { a(key, value); } };
//   struct kv : actraft::typed_store<put, std::string> {
//     std::string execute(const put& p) override { ... }
//   };
//   struct get { std::string key; template <class A> void serialize(A& a) { a(key); } };
//   struct kv : actraft::typed_store<put, std::string, get, std::string> {
//     std::string execute(const put& p) override { ... }
//     std::string read(const get& g) const override { ... }    // read-only, no log write
//   };
//   auto previous = actraft::propose<std::string>(node, put{"k", "v"});   // blocking
//   auto value = actraft::query<std::string>(node, get{"k"});           // linearizable
//   actraft::propose<std::string>(self, mailbox, put{"k", "v"}, 6s,      // from an actor
//                                 [](std::string previous) { ... },
//                                 [](const caf::error& err) { ... });
#pragma once

#include <cstdint>
#include <istream>
#include <optional>
#include <ostream>
#include <streambuf>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include <cereal/archives/portable_binary.hpp>
#include <cereal/types/map.hpp>
#include <cereal/types/optional.hpp>
#include <cereal/types/string.hpp>
#include <cereal/types/variant.hpp>
#include <cereal/types/vector.hpp>

#include "actraft/bounded_cereal.hpp"
#include "actraft/mailbox.hpp"
#include "actraft/raft.hpp"
#include "actraft/store.hpp"

namespace actraft {

namespace detail {

/// cereal's stream, writing straight into a byte vector (no string to copy
/// from afterwards).
class bytes_streambuf_out : public std::streambuf {
 public:
  explicit bytes_streambuf_out(bytes& out) : out_(out) {}

 protected:
  std::streamsize xsputn(const char* s, std::streamsize n) override {
    const auto* p = reinterpret_cast<const std::uint8_t*>(s);
    out_.insert(out_.end(), p, p + n);
    return n;
  }
  int_type overflow(int_type c) override {
    if (traits_type::eq_int_type(c, traits_type::eof())) return traits_type::not_eof(c);
    out_.push_back(static_cast<std::uint8_t>(traits_type::to_char_type(c)));
    return c;
  }

 private:
  bytes& out_;
};

/// cereal's stream, reading the bytes where they are (read-only: nothing
/// writes through the get area).
class bytes_streambuf_in : public std::streambuf {
 public:
  explicit bytes_streambuf_in(const bytes& in) {
    auto* p = const_cast<char*>(reinterpret_cast<const char*>(in.data()));
    setg(p, p, p + in.size());
  }
};

}  // namespace detail

template <class T>
bytes encode(const T& value) {
  bytes out;
  detail::bytes_streambuf_out sink(out);
  std::ostream os(&sink);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(value);
  }
  return out;
}

/// Nothing if `data` is not a T (never throws). No length read from `data`
/// may exceed its size (bounded_cereal.hpp): a lying length fails before
/// anything is allocated for it.
template <class T>
std::optional<T> decode(const bytes& data) {
  try {
    actraft::detail::decode_scope bounded(data.size());
    detail::bytes_streambuf_in source(data);
    std::istream is(&source);
    cereal::PortableBinaryInputArchive ar(is);
    T value;
    ar(value);
    return value;
  } catch (...) {
    return std::nullopt;
  }
}

/// `data` decoded as a T, or std::invalid_argument naming `what`: for a
/// store's `restore`, which must not go on with a state it could not read
/// (the node then stops with a clear error instead of serving a wrong state).
template <class T>
T decode_or_throw(const bytes& data, const char* what = "snapshot") {
  auto value = decode<T>(data);
  if (!value) throw std::invalid_argument(std::string("the ") + what + " cannot be decoded");
  return std::move(*value);
}

/// No queries: the Query parameter of a typed_store that answers none.
struct no_query {
  template <class A>
  void serialize(A&) {}
};

/// A store whose commands, results, queries and snapshots are C++ values.
/// With a Query type, `read` answers queries (store::query: read-only, where
/// and when store::query runs); without, queries answer not_supported.
template <class Command, class Result, class Query = no_query, class Answer = Result>
class typed_store : public store {
 public:
  /// Applies one command (deterministically, like store::apply).
  virtual Result execute(const Command& command) = 0;
  /// Answers one query from the state as it is; must not change it.
  virtual Answer read(const Query& query) const {
    (void)query;
    throw query_not_supported();
  }

  bytes apply(const bytes& command) final {
    auto cmd = decode<Command>(command);
    // Every member decodes the same bytes alike, so throwing here is
    // deterministic: the proposer gets apply_failed.
    if (!cmd) throw std::invalid_argument("command cannot be decoded");
    return encode(execute(*cmd));
  }
  bytes query(const bytes& request) const final {
    if constexpr (std::is_same_v<Query, no_query>) {
      throw query_not_supported();
    } else {
      auto q = decode<Query>(request);
      if (!q) throw std::invalid_argument("query cannot be decoded");
      return encode(read(*q));
    }
  }
};

namespace detail {
template <class T>
caf::expected<T> decoded(caf::expected<bytes> r) {
  if (!r) return r.error();
  auto value = decode<T>(*r);
  if (!value) return make_error(errc::bad_request, "result cannot be decoded");
  return std::move(*value);
}
}  // namespace detail

/// Proposes a typed command from blocking code (not from inside an actor:
/// use the form below there); decodes the typed result.
template <class Result, class Command>
caf::expected<Result> propose(raft& node, const Command& command) {
  return detail::decoded<Result>(node.propose(encode(command)));
}

/// A typed linearizable query from blocking code (raft::query).
template <class Answer, class Query>
caf::expected<Answer> query(raft& node, const Query& q) {
  return detail::decoded<Answer>(node.query(encode(q)));
}

/// A typed query of this member's state as it is, maybe stale (raft::query_stale).
template <class Answer, class Query>
caf::expected<Answer> query_stale(raft& node, const Query& q) {
  return detail::decoded<Answer>(node.query_stale(encode(q)));
}

namespace detail {
template <class Result, class Self, class Atom, class OnResult, class OnError>
void typed_request(Self* self, const mailbox& node, Atom atom, bytes payload, caf::timespan timeout,
                   OnResult on_result, OnError on_error) {
  self->request(node, timeout, atom, std::move(payload))
      .then(
          [on_result, on_error](bytes& reply) mutable {
            auto decoded = decode<Result>(reply);
            if (!decoded)
              on_error(make_error(errc::bad_request, "result cannot be decoded"));
            else
              on_result(std::move(*decoded));
          },
          [on_error](caf::error& err) mutable { on_error(err); });
}
}  // namespace detail

/// Proposes a typed command from an actor, without blocking it: exactly one
/// of `on_result(Result)` and `on_error(const caf::error&)` is called later,
/// on the actor. Give a `timeout` longer than options::request_timeout, or
/// CAF's own request timeout answers before actraft can say what happened.
template <class Result, class Self, class Command, class OnResult, class OnError>
void propose(Self* self, const mailbox& node, const Command& command, caf::timespan timeout,
             OnResult on_result, OnError on_error) {
  detail::typed_request<Result>(self, node, propose_atom_v, encode(command), timeout,
                                std::move(on_result), std::move(on_error));
}

/// A typed linearizable query from an actor, without blocking it (as propose).
template <class Answer, class Self, class Query, class OnResult, class OnError>
void query(Self* self, const mailbox& node, const Query& q, caf::timespan timeout,
           OnResult on_result, OnError on_error) {
  detail::typed_request<Answer>(self, node, query_atom_v, encode(q), timeout, std::move(on_result),
                                std::move(on_error));
}

}  // namespace actraft
