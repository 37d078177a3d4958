// Operating a cluster through the mailbox: leadership transfer, removal and
// snapshots on request from an actor on a follower and on the leader; status
// an operator can act on; events to subscribers, in order; metrics that move
// with the load; the application's own logger.
#include <sstream>

#include <boost/test/unit_test.hpp>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include "fixture.hpp"

using namespace actraft;
using namespace actraft::test;

namespace {

/// Asks `to` from an actor (a scoped actor is one) and waits for the answer.
template <class T, class... Ts>
caf::expected<T> ask(caf::actor_system& sys, const mailbox& to, Ts... xs) {
  caf::scoped_actor self{sys};
  caf::expected<T> out = caf::error{};
  self->request(to, 15s, xs...).receive([&](T& v) { out = std::move(v); },
                                         [&](caf::error& e) { out = std::move(e); });
  return out;
}

template <class T>
T ok(caf::expected<T> r, caf::actor_system& sys) {
  BOOST_REQUIRE_MESSAGE(r, "request failed: " << (r ? "" : sys.render(r.error())));
  return std::move(*r);
}

/// Events a subscriber actor received, in order.
struct event_log {
  std::mutex mutex;
  std::vector<event> events;
  std::vector<event> copy() {
    std::lock_guard<std::mutex> g{mutex};
    return events;
  }
};

caf::actor spawn_subscriber(caf::actor_system& sys, std::shared_ptr<event_log> log) {
  return sys.spawn([log](caf::event_based_actor*) -> caf::behavior {
    return {[log](const event& e) {
      std::lock_guard<std::mutex> g{log->mutex};
      log->events.push_back(e);
    }};
  });
}

std::uint64_t count_of(const node_metrics& m, const std::string& kind, const std::string& outcome) {
  for (const auto& r : m.requests)
    if (r.kind == kind && r.outcome == outcome) return r.count;
  return 0;
}

std::uint64_t sent_of(const node_metrics& m, const std::string& type) {
  for (const auto& c : m.messages)
    if (c.type == type) return c.sent;
  return 0;
}

}  // namespace

BOOST_AUTO_TEST_CASE(leadership_moves_on_request_from_a_follower_and_from_the_leader) {
  temp_dir tmp;
  member_process a{tmp.sub("a")}, b{tmp.sub("b")}, c{tmp.sub("c")};
  form_cluster(a, {&b, &c});
  std::vector<member_process*> all{&a, &b, &c};
  // Asked of a follower, for itself: forwarded to the leader, answered
  // once the follower leads.
  const auto b_id = b.node->id();
  BOOST_TEST(ok(ask<std::uint64_t>(*b.sys, b.node->mailbox(), transfer_atom_v, b_id), *b.sys) == b_id);
  BOOST_TEST(ok(b.node->status(), *b.sys).role == node_role::leader);
  // Asked of the leader, for whoever is most caught up.
  const auto next = ok(ask<std::uint64_t>(*b.sys, b.node->mailbox(), transfer_atom_v, std::uint64_t{0}), *b.sys);
  BOOST_TEST((next == a.node->id() || next == c.node->id()));
  BOOST_REQUIRE(eventually([&] { auto* l = find_leader(all); return l != nullptr && l->node->id() == next; }));
  // Writes go on under the new leader.
  expect_ok(b.node->propose(to_bytes("after")), *b.sys);
  // A member that is not a voter cannot take over; nor can a stranger.
  auto refused = ask<std::uint64_t>(*a.sys, a.node->mailbox(), transfer_atom_v, std::uint64_t{42});
  BOOST_REQUIRE(!refused);
  BOOST_TEST(is(refused.error(), errc::membership_refused));
  // The blocking helper does the same.
  BOOST_TEST(ok(c.node->transfer_leadership(c.node->id()), *c.sys) == c.node->id());
}

BOOST_AUTO_TEST_CASE(a_member_is_removed_and_snapshots_are_taken_on_request) {
  temp_dir tmp;
  member_process a{tmp.sub("a")}, b{tmp.sub("b")}, c{tmp.sub("c")}, d{tmp.sub("d")};
  form_cluster(a, {&b, &c, &d});
  for (int i = 0; i < 10; ++i) expect_ok(a.node->propose(to_bytes("w" + std::to_string(i))), *a.sys);
  // Removal through a follower's mailbox (forwarded to the leader).
  const auto d_id = d.node->id();
  d.node->shutdown();
  BOOST_TEST(ok(ask<std::uint64_t>(*b.sys, b.node->mailbox(), remove_member_atom_v, d_id), *b.sys) == d_id);
  BOOST_REQUIRE(eventually([&] {
    auto st = c.node->status();
    return st && st->members.size() == 3;
  }));
  // And through the leader's: member c.
  const auto c_id = c.node->id();
  c.node->shutdown();
  BOOST_TEST(ok(ask<std::uint64_t>(*a.sys, a.node->mailbox(), remove_member_atom_v, c_id), *a.sys) == c_id);
  BOOST_REQUIRE(eventually([&] {
    auto st = b.node->status();
    return st && st->members.size() == 2;
  }));
  // Status and metrics from an actor, on a follower and on the leader.
  for (auto* m : {&b, &a}) {
    const auto st = ok(ask<node_status>(*m->sys, m->node->mailbox(), status_atom_v), *m->sys);
    BOOST_TEST(st.id == m->node->id());
    BOOST_TEST(st.leader_id == a.node->id());
    BOOST_TEST(st.role == (m == &a ? node_role::leader : node_role::follower));
    const auto mx = ok(ask<node_metrics>(*m->sys, m->node->mailbox(), metrics_atom_v), *m->sys);
    BOOST_TEST(mx.id == m->node->id());
    BOOST_TEST(mx.entries_applied >= 10u);
  }
  // Snapshots on a follower and on the leader, each of its own store.
  for (auto* m : {&b, &a}) {
    const auto applied = ok(m->node->status(), *m->sys).applied_index;
    const auto index = ok(ask<std::uint64_t>(*m->sys, m->node->mailbox(), snapshot_atom_v), *m->sys);
    BOOST_TEST(index >= applied);
    auto st = ok(m->node->status(), *m->sys);
    BOOST_TEST(st.snapshot_index == index);
    BOOST_TEST(st.data_dir_bytes > 0u);
    BOOST_TEST(!snapshot_files(m->dir).empty());
    // Nothing applied since: the same snapshot, at once.
    BOOST_TEST(ok(m->node->snapshot_now(), *m->sys) == index);
  }
}

BOOST_AUTO_TEST_CASE(the_leader_reports_every_followers_progress) {
  temp_dir tmp;
  member_process a{tmp.sub("a")}, b{tmp.sub("b")}, c{tmp.sub("c")};
  form_cluster(a, {&b, &c});
  for (int i = 0; i < 20; ++i) expect_ok(a.node->propose(to_bytes("w" + std::to_string(i))), *a.sys);
  BOOST_REQUIRE(eventually([&] {
    auto st = a.node->status();
    if (!st || st->followers.size() != 2) return false;
    return std::all_of(st->followers.begin(), st->followers.end(), [&](const follower_status& f) {
      return f.match_index == st->last_index && f.next_index == st->last_index + 1 &&
             f.state == replication_state::replicate && f.connected && f.last_contact_ms >= 0 &&
             f.last_contact_ms < 2000 && !f.address.empty();
    });
  }));
  auto st = ok(a.node->status(), *a.sys);
  BOOST_TEST(st.role == node_role::leader);
  BOOST_TEST(st.commit_index == st.last_index);
  BOOST_TEST(st.leader_id == a.node->id());
  // A follower has no followers; a member that is down shows its lag.
  BOOST_TEST(ok(b.node->status(), *b.sys).followers.empty());
  const auto c_id = c.node->id();
  c.node->shutdown();
  for (int i = 0; i < 5; ++i) expect_ok(a.node->propose(to_bytes("x" + std::to_string(i))), *a.sys);
  BOOST_REQUIRE(eventually([&] {
    auto s = a.node->status();
    if (!s) return false;
    for (const auto& f : s->followers)
      if (f.id == c_id) return !f.connected && f.match_index + 5 <= s->last_index;
    return false;
  }));
}

BOOST_AUTO_TEST_CASE(a_subscriber_hears_a_leader_kill_a_join_and_a_removal_in_order) {
  temp_dir tmp;
  auto a = std::make_unique<member_process>(tmp.sub("a"));
  member_process b{tmp.sub("b")}, c{tmp.sub("c")}, d{tmp.sub("d")};
  form_cluster(*a, {&b, &c});
  auto log = std::make_shared<event_log>();
  auto listener = spawn_subscriber(*b.sys, log);
  caf::anon_send(b.node->mailbox(), subscribe_atom_v, listener);
  caf::anon_send(b.node->mailbox(), subscribe_atom_v, listener);  // twice: once
  BOOST_REQUIRE(eventually([&] { return !log->copy().empty(); }));
  const auto a_id = a->node->id();
  const auto first_term = ok(b.node->status(), *b.sys).term;
  a->node->shutdown();  // the leader dies
  a.reset();
  member_process* leader = nullptr;
  BOOST_REQUIRE(eventually([&] { return (leader = find_leader({&b, &c})) != nullptr; }));
  d.node->join(leader->node->address(), leader->node->join_token());
  BOOST_REQUIRE(eventually([&] {
    auto st = b.node->status();
    return st && st->members.size() == 4 &&
           std::all_of(st->members.begin(), st->members.end(), [](const auto& m) { return m.voter; });
  }));
  BOOST_TEST(ok(b.node->remove_member(a_id), *b.sys) == a_id);
  BOOST_REQUIRE(eventually([&] {
    auto es = log->copy();
    return std::any_of(es.begin(), es.end(), [](const event& e) {
      return e.kind == event_kind::membership_changed && e.members.size() == 3;
    });
  }));

  auto es = log->copy();
  BOOST_REQUIRE(!es.empty());
  BOOST_TEST((es.front().kind == event_kind::subscribed));
  BOOST_TEST(es.front().members.size() == 3u);
  BOOST_TEST(es.front().leader_id == a_id);
  BOOST_TEST(std::count_if(es.begin(), es.end(), [](const event& e) { return e.kind == event_kind::subscribed; }) == 1);
  // Terms never go back; the old leader is lost, then a new one appears in
  // a later term.
  std::uint64_t term = 0;
  for (const auto& e : es) {
    BOOST_TEST(e.term >= term);
    term = std::max(term, e.term);
  }
  auto lost = std::find_if(es.begin(), es.end(), [&](const event& e) {
    return e.kind == event_kind::leader_changed && e.leader_id != a_id;
  });
  BOOST_REQUIRE(lost != es.end());
  auto elected = std::find_if(es.begin(), es.end(), [&](const event& e) {
    return e.kind == event_kind::leader_changed && e.leader_id != 0 && e.leader_id != a_id;
  });
  BOOST_REQUIRE(elected != es.end());
  BOOST_TEST(elected->term > first_term);
  BOOST_TEST(elected->leader_id == leader->node->id());
  BOOST_TEST(!elected->leader_address.empty());
  // The membership changes, in the order they were committed: d as a
  // learner, d as a voter, a gone.
  std::vector<std::vector<member_status>> configs;
  for (const auto& e : es)
    if (e.kind == event_kind::membership_changed) configs.push_back(e.members);
  BOOST_REQUIRE(configs.size() >= 3u);
  auto has = [](const std::vector<member_status>& ms, std::uint64_t id, bool voter) {
    return std::any_of(ms.begin(), ms.end(), [&](const member_status& m) { return m.id == id && m.voter == voter; });
  };
  const auto d_id = d.node->id();
  const auto n = configs.size();
  BOOST_TEST(has(configs[n - 3], d_id, false));
  BOOST_TEST(has(configs[n - 2], d_id, true));
  BOOST_TEST(!has(configs[n - 1], a_id, true));
  BOOST_TEST(configs[n - 1].size() == 3u);
  // A subscriber that goes away is dropped.
  BOOST_TEST(ok(b.node->metrics(), *b.sys).subscribers == 1u);
  caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
  BOOST_TEST(eventually([&] { return ok(b.node->metrics(), *b.sys).subscribers == 0u; }));
}

BOOST_AUTO_TEST_CASE(unsubscribed_listeners_hear_nothing_more) {
  temp_dir tmp;
  member_process a{tmp.sub("a")};
  a.node->lead();
  expect_ok(a.node->propose(to_bytes("settled")), *a.sys);  // it leads, its first entries applied
  auto log = std::make_shared<event_log>();
  auto listener = spawn_subscriber(*a.sys, log);
  a.node->subscribe(listener);
  BOOST_REQUIRE(eventually([&] { return log->copy().size() == 1; }));
  a.node->unsubscribe(listener);
  BOOST_REQUIRE(eventually([&] { return ok(a.node->metrics(), *a.sys).subscribers == 0u; }));
  BOOST_TEST(ok(a.node->snapshot_now(), *a.sys) >= 1u);  // would be an event
  std::this_thread::sleep_for(100ms);
  BOOST_TEST(log->copy().size() == 1u);
  caf::anon_send_exit(listener, caf::exit_reason::user_shutdown);
}

BOOST_AUTO_TEST_CASE(metrics_move_with_a_known_load) {
  temp_dir tmp;
  member_process a{tmp.sub("a")}, b{tmp.sub("b")}, c{tmp.sub("c")};
  form_cluster(a, {&b, &c});
  const auto before = ok(a.node->metrics(), *a.sys);
  const auto b_before = ok(b.node->metrics(), *b.sys);
  constexpr int writes = 50;
  for (int i = 0; i < writes; ++i) expect_ok(a.node->propose(to_bytes("w" + std::to_string(i))), *a.sys);
  BOOST_REQUIRE(!a.node->propose(to_bytes("throw")));
  for (int i = 0; i < 5; ++i) expect_ok(b.node->query(to_bytes("count")), *b.sys);
  // Followers apply what the leader committed a moment later.
  BOOST_REQUIRE(eventually([&] {
    return ok(b.node->metrics(), *b.sys).entries_applied >= b_before.entries_applied + writes + 1;
  }));
  const auto m = ok(a.node->metrics(), *a.sys);
  const auto fm = ok(b.node->metrics(), *b.sys);
  BOOST_TEST(count_of(m, "propose", "ok") == count_of(before, "propose", "ok") + writes);
  BOOST_TEST(count_of(m, "propose", "apply_failed") == 1u);
  BOOST_TEST(count_of(fm, "query", "ok") == count_of(b_before, "query", "ok") + 5);
  BOOST_TEST(m.entries_committed >= before.entries_committed + writes + 1);
  BOOST_TEST(m.entries_applied == before.entries_applied + writes + 1);
  BOOST_TEST(m.apply_seconds.count == m.entries_applied);
  BOOST_TEST(m.fsync_seconds.count > before.fsync_seconds.count);
  BOOST_TEST(m.fsync_entries.sum >= before.fsync_entries.sum + writes + 1);
  BOOST_TEST(m.log_bytes_written >= before.log_bytes_written + writes * 2);
  BOOST_TEST(sent_of(m, "append") >= sent_of(before, "append") + 2);
  BOOST_TEST(m.read_rounds >= before.read_rounds + 1);  // the follower's reads
  BOOST_TEST(fm.reads_ok >= b_before.reads_ok + 5);
  BOOST_TEST(m.role == node_role::leader);
  BOOST_TEST(m.elections_won >= 1u);
  BOOST_TEST(m.voters == 3u);
  std::uint64_t raft_bytes = 0;
  for (const auto& t : m.traffic)
    if (t.frame == "raft") raft_bytes = t.bytes_sent;
  BOOST_TEST(raft_bytes > 0u);
  // The same numbers in the Prometheus text.
  const auto text = prometheus_text(m);
  BOOST_TEST(text.find("actraft_requests_total{kind=\"propose\",outcome=\"ok\"} " +
                       std::to_string(count_of(m, "propose", "ok")) + "\n") != std::string::npos);
  BOOST_TEST(text.find("actraft_role{role=\"leader\"} 1\n") != std::string::npos);
  BOOST_TEST(text.find("actraft_fsync_duration_seconds_count " + std::to_string(m.fsync_seconds.count) + "\n") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(logs_go_through_the_applications_logger) {
  temp_dir tmp;
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  auto app = std::make_shared<spdlog::logger>("app", sink);
  app->set_level(spdlog::level::info);
  app->set_pattern("%l [%n] %v");
  member_process a{tmp.sub("a"), "127.0.0.1:0", [&](options& o) { o.logger = app; }};
  a.node->lead();
  BOOST_REQUIRE(eventually([&] { return find_leader({&a}) != nullptr; }));
  a.node->shutdown();
  const auto text = out.str();
  BOOST_TEST(text.find("info [node 1] became leader in term") != std::string::npos, text);
  // Its level holds: nothing below info.
  BOOST_TEST(text.find("debug") == std::string::npos);
}
