#include "actraft/core/membership.hpp"

#include <algorithm>
#include <sstream>

#include "actraft/bounded_cereal.hpp"

namespace actraft::core {

change_outcome apply_change(const configuration& current, const membership_change& change) {
  change_outcome out{current, change.id, {}};
  auto& members = out.config.members;
  auto it = std::find_if(members.begin(), members.end(),
                         [&](const member& m) { return m.id == change.id; });
  switch (change.op) {
    case membership_op::add_learner:
      if (change.id == no_node) {
        // Ids are never reused: a removed member's id stays retired.
        out.id = current.max_assigned_id + 1;
        for (const auto& m : members) out.id = std::max(out.id, m.id + 1);
      } else if (it != members.end()) {
        out.error = "node " + std::to_string(change.id.value) + " is already a member";
        return out;
      } else if (change.id <= current.max_assigned_id) {
        out.error = "node id " + std::to_string(change.id.value) + " was already used in this cluster";
        return out;
      }
      for (const auto& m : members)
        if (!change.address.empty() && m.address == change.address) {
          out.error = "address " + change.address + " already belongs to node " +
                      std::to_string(m.id.value);
          return out;
        }
      members.push_back(member{out.id, change.address, false});
      std::sort(members.begin(), members.end(),
                [](const member& a, const member& b) { return a.id < b.id; });
      out.config.max_assigned_id = std::max(current.max_assigned_id, out.id);
      return out;
    case membership_op::promote:
      if (it == members.end()) {
        out.error = "node " + std::to_string(change.id.value) + " is not a member";
      } else if (it->voter) {
        out.error = "node " + std::to_string(change.id.value) + " is already a voter";
      } else {
        it->voter = true;
      }
      return out;
    case membership_op::remove:
      if (it == members.end()) {
        out.error = "node " + std::to_string(change.id.value) + " is not a member";
      } else if (it->voter && current.voter_count() == 1) {
        out.error = "cannot remove the last voter";
      } else {
        members.erase(it);
      }
      return out;
  }
  out.error = "unknown membership operation";
  return out;
}

payload encode_configuration(const configuration& c) {
  std::ostringstream os(std::ios::binary);
  {
    cereal::PortableBinaryOutputArchive ar(os);
    ar(c);
  }
  const std::string s = std::move(os).str();
  return payload(bytes(s.begin(), s.end()));
}

std::optional<configuration> decode_configuration(const payload& p) {
  try {
    actraft::detail::decode_scope bounded(p.size());
    std::istringstream is(std::string(p.get().begin(), p.get().end()), std::ios::binary);
    cereal::PortableBinaryInputArchive ar(is);
    configuration c;
    ar(c);
    for (const auto& m : c.members)
      if (m.id == no_node) return std::nullopt;
    return c;
  } catch (...) {
    return std::nullopt;
  }
}

}  // namespace actraft::core
