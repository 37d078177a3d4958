// Membership changes, one server at a time (Raft thesis §4.1). A change is a
// log entry of kind `configuration` carrying the whole new configuration,
// so every member (also one restarted from disk) knows every other's address.
#pragma once

#include <optional>
#include <string>

#include "actraft/core/types.hpp"

namespace actraft::core {

enum class membership_op : std::uint8_t {
  add_learner = 0,  ///< add a non-voting member (id 0: the leader assigns a fresh one)
  promote = 1,      ///< make a caught-up learner a voter
  remove = 2,       ///< remove a member (learner or voter)
};

struct membership_change {
  membership_op op = membership_op::add_learner;
  node_id id;           ///< add_learner: no_node to have the leader assign one
  std::string address;  ///< add_learner only

  template <class Archive>
  void serialize(Archive& ar) { ar(op, id, address); }
};

/// The configuration after `change`, or a reason why it does not apply.
struct change_outcome {
  configuration config;
  node_id id;           ///< the member the change is about (assigned for add_learner)
  std::string error;    ///< empty on success
};
change_outcome apply_change(const configuration& current, const membership_change& change);

payload encode_configuration(const configuration& c);
/// Nothing if the bytes are not a configuration (never throws).
std::optional<configuration> decode_configuration(const payload& p);

}  // namespace actraft::core
