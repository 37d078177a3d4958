// Who this member is: its id and the members it knew when it got that id.
// Written once, durably, when a member is created (lead or join), so a
// restart resumes as the same member and can reach the cluster even before
// its log names anyone.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "actraft/core/types.hpp"
#include "actraft/storage/error.hpp"

namespace actraft::storage {

struct node_identity {
  core::node_id id;
  std::vector<core::member> seed_members;

  template <class Archive>
  void serialize(Archive& ar) { ar(id, seed_members); }
};

/// Nothing if the directory holds no identity (a new member).
result<std::optional<node_identity>> load_identity(const std::string& dir);
/// Atomically (temp file, fsync, rename, directory fsync).
result<void> save_identity(const std::string& dir, const node_identity& identity);

}  // namespace actraft::storage
