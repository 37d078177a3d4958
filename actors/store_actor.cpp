#include "store_actor.hpp"

#include <exception>
#include <string>

#include "actraft/storage/snapshot_reader.hpp"

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

/// Runs one of the user's snapshot calls; what it throws becomes an error.
template <class F>
auto guarded(const char* what, F&& f) -> caf::expected<decltype(f())> {
  try {
    return f();
  } catch (const std::exception& ex) {
    return make_error(errc::storage_failure, std::string(what) + " threw: " + ex.what());
  } catch (...) {
    return make_error(errc::storage_failure, std::string(what) + " threw");
  }
}

}  // namespace

caf::expected<std::uint64_t> restore_from_file(store& s, const std::string& path) {
  auto reader = storage::snapshot_reader::open(path);
  if (!reader) return make_error(errc::storage_failure, reader.error().what());
  auto data = reader->read_all();
  if (!data) return make_error(errc::storage_failure, data.error().what());
  auto done = guarded("store::restore", [&] {
    s.restore(*data);
    return true;
  });
  if (!done) return done.error();
  return data->size();
}

store_actor::behavior_type store_actor_impl(store_actor::stateful_pointer<store_state> self,
                                            std::shared_ptr<store> user_store,
                                            std::uint64_t applied) {
  self->state.user_store = std::move(user_store);
  self->state.applied = applied;
  return {
      [=](apply_atom, const std::vector<core::entry>& entries,
          std::vector<apply_answer>& answers) {
        auto& st = self->state;
        std::vector<apply_result> results;
        results.reserve(entries.size());
        auto answer = answers.begin();
        for (const auto& e : entries) {
          while (answer != answers.end() && answer->index < e.index.value) ++answer;
          const bool proposed_here = answer != answers.end() && answer->index == e.index.value;
          if (e.index.value <= st.applied) {  // a snapshot already holds it
            if (proposed_here)
              answer->promise.deliver(make_error(
                  errc::timeout, "applied through a snapshot; its result is unknown"));
            continue;
          }
          auto r = apply_one(*st.user_store, e);
          st.applied = e.index.value;
          if (proposed_here) {
            if (r.ok)
              answer->promise.deliver(std::move(r.value));
            else
              answer->promise.deliver(
                  make_error(errc::apply_failed, std::string(r.value.begin(), r.value.end())));
            r.value.clear();
          }
          results.push_back(std::move(r));
        }
        return results;
      },
      [=](snap_atom) -> caf::result<std::uint64_t, bytes> {
        // Runs between two applies: the data is exactly the state at `applied`.
        auto data = guarded("store::snapshot", [&] { return self->state.user_store->snapshot(); });
        if (!data) return data.error();
        return {self->state.applied, std::move(*data)};
      },
      [=](restore_atom, const std::string& path, std::uint64_t index) -> caf::result<std::uint64_t> {
        if (auto done = restore_from_file(*self->state.user_store, path); !done) return done.error();
        self->state.applied = index;
        return index;
      },
      [=](stop_atom) { self->quit(); },
  };
}

}  // namespace actraft::actors
