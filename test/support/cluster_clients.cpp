// The simulated cluster's clients: requests submitted to a member (each one
// step, checked), their answers checked against the client log, and the
// user's store compared across members at the end of a run.
#include "support/cluster.hpp"
#include "support/member.hpp"

namespace actraft::sim {

// --- clients --------------------------------------------------------------------------

driver::request_id cluster::submit(slot& s, driver::request r, const std::string& what) {
  const driver::request_id id = next_key_++;
  ++stats_.requests;
  client_log::record rec;
  rec.to = s.id;
  rec.incarnation = s.incarnation;
  rec.kind = r.kind;
  rec.command = r.command;
  rec.member = r.member;
  rec.submitted = now_;
  rec.deadline = static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(r.deadline.time_since_epoch()).count());
  clients_.add(id, rec);
  trace_event t;
  t.kind = trace_kind::request;
  t.node = static_cast<std::uint8_t>(s.id.value);
  t.text = "r" + std::to_string(id) + " " + what;
  record(std::move(t));
  if (!s.m) {
    clients_.on_crash(s.id, s.incarnation, now_);  // cannot connect
    return id;
  }
  guarded(s, [&](driver::replica& rep) { rep.submit(id, std::move(r)); });
  return id;
}

void cluster::on_answer(slot& s, driver::request_id id, driver::reply r) {
  if ((id & forward_bit) != 0) {
    // The leader's answer to a forwarded request travels back (unless its
    // origin gave up on it already).
    auto it = forwards_.find(id);
    if (it == forwards_.end()) return;
    const forward_route route = it->second;
    const core::node_id leader = s.id;
    if (rng_.chance(cfg_.network.drop_pm)) return;  // the timeout answers instead
    slot& o = slots_[static_cast<std::size_t>(route.origin)];
    schedule_any(now_ + latency(), o, [this, id, r = std::move(r), leader](slot& os) mutable {
      if (blocked(leader, os.id)) return;
      answer_forward(id, std::move(r));
    });
    return;
  }
  trace_event t;
  t.kind = trace_kind::answer;
  t.node = static_cast<std::uint8_t>(s.id.value);
  t.text = "r" + std::to_string(id) + " " +
           (r.ok() ? "ok \"" + std::string(r.value.begin(), r.value.end()) + "\""
                   : std::string(to_string(*r.error)) + ": " + r.reason);
  record(std::move(t));
  check(clients_.on_answer(id, r, now_, checker_));
  const auto* rec = clients_.find(id);
  if (rec == nullptr || !r.ok() || rec->lost) return;
  ++stats_.answered_ok;
  if (rec->kind == driver::request_kind::join) {
    // The joiner learns its id and the members, and starts.
    slot& j = slot_of(rec->member);
    if (r.member != rec->member) {
      contract("join of n" + std::to_string(rec->member.value) + " answered with id " +
               std::to_string(r.member.value));
      return;
    }
    if (j.started) return;
    ++stats_.joins;
    for (const auto& m : r.members) j.disk.seeds[m.id] = m.address;
    start(j);
    note("n" + std::to_string(j.id.value) + " joined and starts with an empty log");
  } else if (rec->kind == driver::request_kind::transfer) {
    // Answered once the transferee leads: the one asked for, a voter.
    if ((rec->member != core::no_node && r.member != rec->member) || !valid_id(r.member))
      contract("transfer to n" + std::to_string(rec->member.value) + " answered with leader n" +
               std::to_string(r.member.value));
  } else if (rec->kind == driver::request_kind::snapshot) {
    // A snapshot holds committed entries only, and is in force where asked.
    if (r.index.value > checker_.committed().last())
      contract("snapshot at index " + std::to_string(r.index.value) + " beyond the commit index " +
               std::to_string(checker_.committed().last()));
  } else if (rec->kind == driver::request_kind::remove && valid_id(r.member)) {
    // The operator shuts the removed member down (soon after: not from
    // inside the call that answered).
    const core::node_id removed = r.member;
    schedule_any(now_ + 1, s, [this, removed](slot&) { retire(removed); });
  }
}

/// A client's request to node `n`, answered by `timeout_units` from now.
driver::request_id cluster::ask(core::node_id n, driver::request r, std::uint64_t timeout_units,
                                const std::string& what) {
  begin_step();
  r.deadline = driver::time_point(std::chrono::milliseconds(now_ + timeout_units));
  auto id = submit(slot_of(n), std::move(r), what);
  end_step();
  return id;
}

driver::request_id cluster::propose(core::node_id n, const std::string& command,
                                    std::uint64_t timeout_units) {
  driver::request r;
  r.kind = driver::request_kind::propose;
  r.command = core::payload(command);
  if (cfg_.user) cfg_.user->command_for(command);
  return ask(n, std::move(r), timeout_units, "propose \"" + command + "\"");
}

driver::request_id cluster::query(core::node_id n, bool stale, std::uint64_t timeout_units) {
  driver::request r;
  r.kind = stale ? driver::request_kind::query_local : driver::request_kind::query;
  r.command = core::payload(std::string("read"));
  return ask(n, std::move(r), timeout_units, stale ? "stale query" : "query");
}

driver::request_id cluster::join(core::node_id joiner, core::node_id through,
                                 std::uint64_t timeout_units) {
  driver::request r;
  r.kind = driver::request_kind::join;
  r.address = slot_of(joiner).address;
  r.member = joiner;
  return ask(through, std::move(r), timeout_units, "join n" + std::to_string(joiner.value));
}

driver::request_id cluster::hand_over(core::node_id n, core::node_id to, std::uint64_t timeout_units) {
  driver::request r;
  r.kind = driver::request_kind::transfer;
  r.member = to;
  return ask(n, std::move(r), timeout_units, "transfer leadership to n" + std::to_string(to.value));
}

driver::request_id cluster::snapshot_now(core::node_id n, std::uint64_t timeout_units) {
  driver::request r;
  r.kind = driver::request_kind::snapshot;
  return ask(n, std::move(r), timeout_units, "snapshot now");
}

driver::request_id cluster::remove(core::node_id n, core::node_id whom, std::uint64_t timeout_units) {
  driver::request r;
  r.kind = driver::request_kind::remove;
  r.member = whom;
  return ask(n, std::move(r), timeout_units, n == whom ? "leave" : "remove n" + std::to_string(whom.value));
}

void cluster::check_user_stores() {
  if (!cfg_.user) return;
  for (auto& s : slots_) {
    if (!s.m || !s.m->user_store) continue;
    actraft::bytes state;
    s.m->user_problem(cfg_.user->capture(*s.m->user_store, s.id.value, s.m->applied.size(), state));
  }
}

}  // namespace actraft::sim
