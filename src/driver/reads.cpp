// The replica's reads without a log write (§6.4). A linearizable query asks
// the core for a read index (the leader confirms it still leads with a
// heartbeat round, or its lease; a follower asks the leader), then goes to
// the state machine once every entry up to that index has been handed to
// it: the state machine carries its calls out in order, so the query sees
// everything committed before the request arrived. A read that could not be
// confirmed changed nothing and is simply asked again, until its deadline.
#include <utility>

#include "actraft/driver/replica.hpp"

namespace actraft::driver {

void replica::route_query(waiting_request w) {
  if (w.req.kind == request_kind::query_local) {
    io_.machine->query(w.id, std::move(w.req.command));  // whatever this member has applied
    return;
  }
  check_tick_clock();
  if (!core_->read_index(w.id)) {
    waiting_.push_back(std::move(w));  // no leader known: until one is
    return;
  }
  reading_.emplace(w.id, std::move(w.req));
}

void replica::on_reads(const std::vector<core::read_state>& reads) {
  for (const auto& r : reads) {
    auto it = reading_.find(r.id);
    if (it == reading_.end()) continue;  // answered already (its deadline passed)
    request req = std::move(it->second);
    reading_.erase(it);
    if (!r.ok) {
      ++stats_.reads_failed;
      // Leadership changed or no quorum answered: nothing was read, so it
      // is asked again (on the next tick, or when a leader appears).
      waiting_.push_back(waiting_request{r.id, std::move(req), false});
      continue;
    }
    ++stats_.reads_ok;
    reads_ready_.emplace(r.index, settled_read{r.id, std::move(req)});
  }
  serve_reads();
}

void replica::serve_reads() {
  while (!reads_ready_.empty() && reads_ready_.begin()->first <= handed_) {
    auto node = reads_ready_.extract(reads_ready_.begin());
    io_.machine->query(node.mapped().id, std::move(node.mapped().req.command));
  }
}

void replica::expire_reads(time_point now) {
  for (auto it = reading_.begin(); it != reading_.end();) {
    if (now >= it->second.deadline) {
      answer(it->first, reply::failure(errc::timeout, "no leader confirmed the read before its deadline"));
      it = reading_.erase(it);
    } else {
      ++it;
    }
  }
  for (auto it = reads_ready_.begin(); it != reads_ready_.end();) {
    if (now >= it->second.req.deadline) {
      answer(it->second.id, reply::failure(errc::timeout, "this member did not apply far enough "
                                                          "before the read's deadline"));
      it = reads_ready_.erase(it);
    } else {
      ++it;
    }
  }
}

void replica::answer_reads(errc code, const std::string& why) {
  auto reading = std::move(reading_);
  reading_.clear();
  for (auto& [id, req] : reading) answer(id, reply::failure(code, why));
  auto ready = std::move(reads_ready_);
  reads_ready_.clear();
  for (auto& [index, r] : ready) answer(r.id, reply::failure(code, why));
}

void replica::check_tick_clock() {
  // §6.4.1: the core measures its lease in ticks. Ticks that come late (a
  // busy or paused process) undercount the time that passed: the rounds
  // counted so far no longer prove a lease, only rounds sent from now on.
  const auto now = io_.clock->now();
  if (core_ && last_tick_at_ && now - *last_tick_at_ > opts_.heartbeat_interval * 5 / 4)
    core_->expire_lease();
}

}  // namespace actraft::driver
