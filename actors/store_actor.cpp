#include "store_actor.hpp"

#include <exception>
#include <string>

#include "actraft/storage/snapshot_reader.hpp"
#include "logging.hpp"

namespace actraft::actors {

namespace {

/// Applies one committed entry: only commands reach the user's store
/// (no-ops and membership changes are the framework's own entries). What
/// apply throws becomes the proposer's apply_failed error.
caf::expected<bytes> apply_one(store& s, const core::entry& e) {
  if (e.kind != core::entry_kind::normal) return bytes{};
  try {
    return s.apply(e.data.get());
  } catch (const std::exception& ex) {
    return make_error(errc::apply_failed, ex.what());
  } catch (...) {
    return make_error(errc::apply_failed, "unknown exception");
  }
}

/// Runs the user's query; what it throws becomes the caller's error.
caf::expected<bytes> query_one(const store& s, const bytes& q) {
  try {
    return s.query(q);
  } catch (const query_not_supported& ex) {
    return make_error(errc::not_supported, ex.what());
  } catch (const std::exception& ex) {
    return make_error(errc::query_failed, ex.what());
  } catch (...) {
    return make_error(errc::query_failed, "unknown exception");
  }
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
      [s](snapshot_request) -> caf::result<bytes> {
        auto data = guarded("store::snapshot", [&] { return s->snapshot(); });
        if (!data) return data.error();
        return std::move(*data);
      },
      [s](const restore_request& req) -> caf::result<std::uint64_t> {
        auto size = restore_from_file(*s, req.path);
        if (!size) return size.error();
        return *size;
      },
  };
}

}  // namespace

store_actor::behavior_type store_actor_impl(store_actor::stateful_pointer<store_state> self,
                                            std::shared_ptr<store> user_store,
                                            std::uint64_t applied,
                                            std::shared_ptr<metrics_registry> metrics) {
  self->state.user_store = std::move(user_store);
  self->state.metrics = std::move(metrics);
  self->state.applied = applied;
  self->state.io = self->spawn<caf::detached + caf::linked>(store_io_impl, self->state.user_store);
  return {
      [=](apply_request& req) -> std::uint64_t {
        auto& st = self->state;
        auto answer = req.answers.begin();
        for (const auto& e : req.entries) {
          while (answer != req.answers.end() && answer->index < e.index.value) ++answer;
          const bool proposed_here = answer != req.answers.end() && answer->index == e.index.value;
          if (e.index.value <= st.applied) {  // a snapshot already holds it
            if (proposed_here)
              answer->promise.deliver(
                  make_error(errc::timeout, "applied through a snapshot; its result is unknown"));
            continue;
          }
          const auto started = std::chrono::steady_clock::now();
          auto result = apply_one(*st.user_store, e);
          if (e.kind == core::entry_kind::normal) {
            st.metrics->apply_seconds.record(nanos_since(started));
            st.metrics->entries_applied.fetch_add(1, std::memory_order_relaxed);
          }
          st.applied = e.index.value;
          if (!proposed_here) continue;
          if (result) {
            answer->promise.deliver(std::move(*result));
          } else {
            st.metrics->count_store_failure(driver::request_kind::propose, result.error());
            answer->promise.deliver(std::move(result.error()));
          }
        }
        return st.applied;
      },
      [=](query_request& req) {
        auto result = query_one(*self->state.user_store, req.query);
        if (result) {
          req.promise.deliver(std::move(*result));
        } else {
          self->state.metrics->count_store_failure(req.kind, result.error());
          req.promise.deliver(std::move(result.error()));
        }
      },
      [=](snapshot_request) {
        // await: no apply runs until the data is taken, so it is exactly the
        // state at `applied`.
        auto rp = self->make_response_promise<std::uint64_t, bytes>();
        const auto at = self->state.applied;
        self->request(self->state.io, caf::infinite, snapshot_request{})
            .await([rp, at](bytes& data) mutable { rp.deliver(at, std::move(data)); },
                   [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](const restore_request& req) {
        auto rp = self->make_response_promise<std::uint64_t>();
        self->request(self->state.io, caf::infinite, req)
            .await(
                [self, rp, index = req.index](std::uint64_t) mutable {
                  self->state.applied = index;
                  rp.deliver(index);
                },
                [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
        return rp;
      },
      [=](stop_signal) {
        // A normal exit does not travel along links: stop the helper too.
        self->send_exit(self->state.io, caf::exit_reason::user_shutdown);
        self->quit();
      },
  };
}

}  // namespace actraft::actors
