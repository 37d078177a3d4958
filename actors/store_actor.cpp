#include "store_actor.hpp"

#include <exception>
#include <string>

#include "logging.hpp"

namespace actraft::actors {

namespace {

/// Applies one committed entry: only commands reach the user's store
/// (no-ops and membership changes are the framework's own entries). What
/// apply throws becomes the proposer's apply_failed error.
caf::expected<bytes> apply_one(store& s, const core::entry& e) {
  if (e.kind != core::entry_kind::normal) return bytes{};
  try {
    return store_access::apply(s, e.index.value, e.data.get());
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

}  // namespace

namespace {

/// The user's snapshot and restore, off the scheduler's threads: the store
/// streams straight into (and out of) the snapshot file. One at a time, in
/// the order asked: a restore waits for a capture being written.
caf::behavior store_io_impl(caf::event_based_actor*, std::shared_ptr<store> s, snapshot_files files) {
  name_this_thread("actraft.storeio");
  make_this_thread_background();
  return {
      [s, files](const snapshot_request& req) -> caf::result<std::string> {
        auto path = snapshot_to_file(*s, files, *req.meta);
        if (!path) return path.error();
        return std::move(*path);
      },
      [files](const capture_write_request& req) -> caf::result<std::string> {
        auto path = capture_to_file(*req.capture, files, req.meta);
        if (!path) return path.error();
        return std::move(*path);
      },
      [s](const restore_request& req) -> caf::result<std::uint64_t> {
        auto size = restore_from_file(*s, req.path, req.index);
        if (!size) return size.error();
        return *size;
      },
  };
}

}  // namespace

store_actor::behavior_type store_actor_impl(store_actor::stateful_pointer<store_state> self,
                                            std::shared_ptr<store> user_store,
                                            std::uint64_t applied,
                                            std::shared_ptr<metrics_registry> metrics,
                                            snapshot_files files) {
  self->state.user_store = std::move(user_store);
  self->state.metrics = std::move(metrics);
  self->state.applied = applied;
  self->state.io = self->spawn<caf::detached + caf::linked>(store_io_impl, self->state.user_store,
                                                                   std::move(files));
  return {
      [=](apply_request& req) -> caf::result<std::uint64_t> {
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
          // Applied on a state that is not the one before it (a restore
          // failed, or entries are missing), a command would diverge, and a
          // store that keeps its own state would keep the damage: nothing
          // more reaches the store.
          if (!st.broken && e.index.value != st.applied + 1)
            st.broken = "entry " + std::to_string(e.index.value) + " follows index " +
                        std::to_string(st.applied);
          if (st.broken) {
            const auto err = make_error(errc::storage_failure, "the store cannot go on: " + *st.broken);
            for (; answer != req.answers.end(); ++answer) answer->promise.deliver(err);
            return err;
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
        if (self->state.broken) {
          req.promise.deliver(make_error(errc::storage_failure, "the store cannot go on: " + *self->state.broken));
          return;
        }
        auto result = query_one(*self->state.user_store, req.query);
        if (result) {
          req.promise.deliver(std::move(*result));
        } else {
          self->state.metrics->count_store_failure(req.kind, result.error());
          req.promise.deliver(std::move(result.error()));
        }
      },
      [=](const snapshot_request& req) -> caf::result<std::string> {
        // The node described the state after every apply it sent before
        // this request, which is the state here (one sender, in order).
        if (!req.meta) return std::string{};
        if (self->state.broken)
          return make_error(errc::storage_failure, "the store cannot go on: " + *self->state.broken);
        if (req.meta->index.value != self->state.applied)
          return make_error(errc::storage_failure,
                            "the store is at index " + std::to_string(self->state.applied) +
                                ", not at the snapshot's " + std::to_string(req.meta->index.value));
        auto rp = self->make_response_promise<std::string>();
        auto capture = capture_state(*self->state.user_store, *req.meta);
        if (!capture) return std::move(capture.error());
        if (*capture) {
          // The store holds the state at `applied` aside: applies go on
          // while the helper writes it.
          self->request(self->state.io, caf::infinite, capture_write_request{*req.meta, std::move(*capture)})
              .then([rp](std::string& path) mutable { rp.deliver(std::move(path)); },
                    [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
          return rp;
        }
        // await: no apply runs until the file is written, so it holds
        // exactly the state at `applied`.
        self->request(self->state.io, caf::infinite, req)
            .await([rp](std::string& path) mutable { rp.deliver(std::move(path)); },
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
                [self, rp](caf::error& err) mutable {
                  // Half restored, maybe: the state is no state at all.
                  self->state.broken = "a restore failed: " + self->system().render(err);
                  rp.deliver(std::move(err));
                });
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
