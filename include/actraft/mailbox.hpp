// The mailbox: the CAF typed actor handle through which any actor (or
// blocking code) talks to a node. Any member answers: followers forward
// proposals to the leader and relay its answer. Wait longer than
// options::request_timeout (5 s): the node answers by then, saying what
// happened.
//
//   self->request(mailbox, 6s, actraft::propose_atom_v, command)
//     .then([](const actraft::bytes& result) { ... },
//           [](const caf::error& err) { if (actraft::is(err, actraft::errc::timeout)) ... });
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <caf/atom.hpp>
#include <caf/error.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>

#include "actraft/error.hpp"
#include "actraft/store.hpp"

namespace caf {
class actor_system_config;
}

namespace actraft {

using propose_atom = caf::atom_constant<caf::atom("propose")>;
using leave_atom = caf::atom_constant<caf::atom("leave")>;
using status_atom = caf::atom_constant<caf::atom("status")>;
using query_atom = caf::atom_constant<caf::atom("query")>;
using stale_query_atom = caf::atom_constant<caf::atom("stalequery")>;
constexpr propose_atom propose_atom_v{};
constexpr query_atom query_atom_v{};
constexpr stale_query_atom stale_query_atom_v{};
constexpr leave_atom leave_atom_v{};
constexpr status_atom status_atom_v{};

struct member_status {
  std::uint64_t id = 0;
  std::string address;
  bool voter = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, member_status& x) {
  return f(caf::meta::type_name("actraft::member_status"), x.id, x.address, x.voter);
}

/// A node's view of itself and the cluster.
struct node_status {
  std::uint64_t id = 0;         ///< 0 while joining (no id assigned yet)
  std::string role;             ///< follower, pre_candidate, candidate, leader, joining, removed (once durably recorded)
  std::uint64_t term = 0;
  std::uint64_t leader_id = 0;  ///< 0: no leader known
  std::string leader_address;
  std::uint64_t commit_index = 0;
  std::uint64_t applied_index = 0;
  std::vector<member_status> members;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, node_status& x) {
  return f(caf::meta::type_name("actraft::node_status"), x.id, x.role, x.term, x.leader_id,
           x.leader_address, x.commit_index, x.applied_index, x.members);
}

/// propose: a command for store::apply; the answer is apply's result.
/// query: a linearizable read, store::query's answer once this member has
///   applied everything committed before the query arrived; no log write
///   (§6.4: the leader confirms it leads with a heartbeat round or its
///   lease; a follower asks the leader how far to apply, then answers itself).
/// stale_query: store::query at once, on what this member has applied: may
///   miss recent writes (a follower behind, a deposed leader), never more.
/// leave: removes the member that receives it; answers its id once removed.
/// status: this node's view.
using mailbox = caf::typed_actor<caf::replies_to<propose_atom, bytes>::with<bytes>,
                                 caf::replies_to<query_atom, bytes>::with<bytes>,
                                 caf::replies_to<stale_query_atom, bytes>::with<bytes>,
                                 caf::replies_to<leave_atom>::with<std::uint64_t>,
                                 caf::replies_to<status_atom>::with<node_status>>;

/// The CAF error category of actraft's errors.
constexpr caf::atom_value error_category = caf::atom("actraft");

/// Makes `errc` usable as a caf::error (found by CAF through ADL).
caf::error make_error(errc code);
caf::error make_error(errc code, std::string context);

/// The actraft error code in `err`, if it is one.
std::optional<errc> code_of(const caf::error& err);
inline bool is(const caf::error& err, errc code) { return code_of(err) == code; }

/// Registers every type actraft sends between actors and over the network,
/// loads the middleman and the error category. Call on the config of every
/// actor system that hosts a node or talks to one.
void add_types(caf::actor_system_config& cfg);

}  // namespace actraft
