#include "store_actor.hpp"

#include <exception>
#include <string>

namespace actraft::actors {

namespace {

bytes to_bytes(const std::string& s) { return bytes(s.begin(), s.end()); }

apply_result apply_one(store& s, const core::entry& e) {
  apply_result r{e.index.value, e.term.value, true, {}};
  // Only commands reach the user's store; no-ops and membership changes are
  // the framework's own entries.
  if (e.kind != core::entry_kind::normal) return r;
  try {
    r.value = s.apply(e.data.get());
  } catch (const std::exception& ex) {
    r.ok = false;
    r.value = to_bytes(ex.what());
  } catch (...) {
    r.ok = false;
    r.value = to_bytes("unknown exception");
  }
  return r;
}

}  // namespace

store_actor::behavior_type store_actor_impl(store_actor::stateful_pointer<store_state> self,
                                            std::shared_ptr<store> user_store) {
  self->state.user_store = std::move(user_store);
  return {
      [=](apply_atom, const std::vector<core::entry>& entries) {
        std::vector<apply_result> results;
        results.reserve(entries.size());
        for (const auto& e : entries) results.push_back(apply_one(*self->state.user_store, e));
        return results;
      },
      [=](stop_atom) { self->quit(); },
  };
}

}  // namespace actraft::actors
