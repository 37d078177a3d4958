#include "store_actor.hpp"

#include <exception>
#include <string>

#include "actraft/storage/snapshot_reader.hpp"
#include "logging.hpp"

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

namespace {

/// The user's snapshot() and restore(), off the scheduler's threads.
caf::behavior store_io_impl(caf::event_based_actor*, std::shared_ptr<store> s) {
  name_this_thread("actraft.storeio");
  return {
      [s](snap_atom) -> caf::result<bytes> {
        auto data = guarded("store::snapshot", [&] { return s->snapshot(); });
        if (!data) return data.error();
        return std::move(*data);
      },
      [s](restore_atom, const std::string& path) -> caf::result<std::uint64_t> {
        auto size = restore_from_file(*s, path);
        if (!size) return size.error();
        return *size;
      },
  };
}

}  // namespace

store_actor::behavior_type store_actor_impl(store_actor::stateful_pointer<store_state> self,
                                            std::shared_ptr<store> user_store,
                                            std::uint64_t applied) {
  self->state.user_store = std::move(user_store);
  self->state.applied = applied;
  self->state.io = self->spawn<caf::detached + caf::linked>(store_io_impl, self->state.user_store);
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
      [=](snap_atom) {
        // await: no apply runs until the data is taken, so it is exactly the
        // state at `applied`.
        auto rp = self->make_response_promise<std::uint64_t, bytes>();
        const auto at = self->state.applied;
        self->request(self->state.io, caf::infinite, snap_atom::value)
            .await([rp, at](bytes& data) mutable { rp.deliver(at, std::move(data)); },
                   [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](restore_atom, const std::string& path, std::uint64_t index) {
        auto rp = self->make_response_promise<std::uint64_t>();
        self->request(self->state.io, caf::infinite, restore_atom::value, path)
            .await(
                [self, rp, index](std::uint64_t) mutable {
                  self->state.applied = index;
                  rp.deliver(index);
                },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](stop_atom) {
        // A normal exit does not travel along links: stop the helper too.
        self->send_exit(self->state.io, caf::exit_reason::user_shutdown);
        self->quit();
      },
  };
}

}  // namespace actraft::actors
