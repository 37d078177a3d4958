// Who this member is: its id and the members it knew when it got that id.
// Written durably when a member is created (lead or join), so a restart
// resumes as the same member and can reach the cluster even before its log
// names anyone; written again when the member is removed, so a restart
// refuses to bring the retired member back.
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
  /// The member was removed from its cluster: this directory must never
  /// serve as that member again (its id is retired for good).
  bool removed = false;

  template <class Archive>
  void serialize(Archive& ar) { ar(id, seed_members, removed); }
};

/// Nothing if the directory holds no identity (a new member).
result<std::optional<node_identity>> load_identity(const std::string& dir);
/// Atomically (temp file, fsync, rename, directory fsync).
result<void> save_identity(const std::string& dir, const node_identity& identity);

}  // namespace actraft::storage
