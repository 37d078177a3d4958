#include "actraft/storage/group_commit.hpp"

#include <vector>

namespace actraft::storage {

result<core::log_index> group_commit::append(std::span<const core::entry> entries) {
  std::unique_lock lk{mu_};
  if (auto r = s_.append(entries); !r) return r.error();
  ++stats_.appends;
  return await(lk, ++next_ticket_, s_.last_index());
}

result<core::log_index> group_commit::append(core::raft_term term,
                                             std::span<const core::payload> data,
                                             core::entry_kind kind) {
  std::unique_lock lk{mu_};
  std::vector<core::entry> es;
  es.reserve(data.size());
  auto next = s_.last_index() + 1;
  for (const auto& d : data) es.push_back(core::entry{term, next + es.size(), kind, d});
  if (auto r = s_.append(es); !r) return r.error();
  ++stats_.appends;
  return await(lk, ++next_ticket_, s_.last_index());
}

result<core::log_index> group_commit::await(std::unique_lock<std::mutex>& lk,
                                            std::uint64_t ticket, core::log_index last) {
  while (true) {
    if (durable_ticket_ >= ticket) return last;
    // A failed sync keeps its records queued (engine::sync semantics), so
    // they may still become durable; but this caller is told it is not known.
    if (failed_ticket_ >= ticket) return *last_error_;
    if (!syncing_) {
      syncing_ = true;
      auto job = s_.begin_sync();
      const auto upto = next_ticket_;
      lk.unlock();
      auto r = s_.write_sync(*job);  // the slow part, with appenders free to queue
      lk.lock();
      s_.end_sync(*job, r.ok());
      ++stats_.syncs;
      if (r) {
        durable_ticket_ = upto;
      } else {
        failed_ticket_ = upto;
        last_error_ = r.error();
      }
      syncing_ = false;
      cv_.notify_all();
      continue;
    }
    cv_.wait(lk);
  }
}

}  // namespace actraft::storage
