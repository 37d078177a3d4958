// Typed commands and results on top of the byte interface: a store written
// against C++ types, proposals that take and return C++ types. Encoded with
// cereal's portable binary archive.
//
//   struct put { std::string key, value; template <class A> void serialize(A& a) { a(key, value); } };
//   struct kv : actraft::typed_store<put, std::string> {
//     std::string execute(const put& p) override { ... }
//   };
//   auto previous = actraft::propose<std::string>(node, put{"k", "v"});   // blocking
//   actraft::propose<std::string>(self, mailbox, put{"k", "v"}, 6s,      // from an actor
//                                 [](std::string previous) { ... },
//                                 [](const caf::error& err) { ... });
#pragma once

#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

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

template <class T>
bytes encode(const T& value) {
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(value);
  }
  const std::string s = std::move(os).str();
  return bytes(s.begin(), s.end());
}

/// Nothing if `data` is not a T (never throws). No length read from `data`
/// may exceed its size (bounded_cereal.hpp): a lying length fails before
/// anything is allocated for it.
template <class T>
std::optional<T> decode(const bytes& data) {
  try {
    actraft::detail::decode_scope bounded(data.size());
    std::istringstream is(std::string(data.begin(), data.end()), std::ios::binary);
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

/// A store whose commands, results and snapshots are C++ values.
template <class Command, class Result>
class typed_store : public store {
 public:
  /// Applies one command (deterministically, like store::apply).
  virtual Result execute(const Command& command) = 0;

  bytes apply(const bytes& command) final {
    auto cmd = decode<Command>(command);
    // Every member decodes the same bytes alike, so throwing here is
    // deterministic: the proposer gets apply_failed.
    if (!cmd) throw std::invalid_argument("command cannot be decoded");
    return encode(execute(*cmd));
  }
};

/// Proposes a typed command from blocking code (not from inside an actor:
/// use the form below there); decodes the typed result.
template <class Result, class Command>
caf::expected<Result> propose(raft& node, const Command& command) {
  auto r = node.propose(encode(command));
  if (!r) return r.error();
  auto decoded = decode<Result>(*r);
  if (!decoded) return make_error(errc::bad_request, "result cannot be decoded");
  return std::move(*decoded);
}

/// Proposes a typed command from an actor, without blocking it: exactly one
/// of `on_result(Result)` and `on_error(const caf::error&)` is called later,
/// on the actor. Give a `timeout` longer than options::request_timeout, or
/// CAF's own request timeout answers before actraft can say what happened.
template <class Result, class Self, class Command, class OnResult, class OnError>
void propose(Self* self, const mailbox& node, const Command& command, caf::timespan timeout,
             OnResult on_result, OnError on_error) {
  self->request(node, timeout, propose_atom_v, encode(command))
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

}  // namespace actraft
