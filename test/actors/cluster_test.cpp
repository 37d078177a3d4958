#define BOOST_TEST_MODULE actraft_actors
#include <boost/test/unit_test.hpp>

#include <set>

#include <caf/io/middleman.hpp>

#include "fixture.hpp"
#include "protocol.hpp"

using namespace actraft;
using namespace actraft::test;


BOOST_AUTO_TEST_CASE(single_node_leads_and_applies_in_order) {
  temp_dir tmp;
  member_process a{tmp.sub("a")};
  a.node->lead();
  BOOST_TEST(a.node->id() == 1u);
  BOOST_TEST(expect_ok(a.node->propose(to_bytes("x")), *a.sys) == "1:x");
  BOOST_TEST(expect_ok(a.node->propose(to_bytes("y")), *a.sys) == "2:y");
  auto st = a.node->status();
  BOOST_REQUIRE(st);
  BOOST_TEST(st->role == node_role::leader);
  BOOST_TEST(st->leader_id == 1u);
  BOOST_TEST(st->members.size() == 1u);
  BOOST_TEST(st->commit_index >= 3u);  // configuration, no-op, x, y
}

BOOST_AUTO_TEST_CASE(proposals_from_an_actor_with_request_then) {
  temp_dir tmp;
  member_process a{tmp.sub("a")};
  a.node->lead();
  auto mb = a.node->mailbox();
  // An ordinary actor of the user's uses the mailbox asynchronously and
  // pipelines: every reply must belong to its own request.
  auto results = std::make_shared<std::map<int, std::string>>();
  auto client = a.sys->spawn([mb, results](caf::event_based_actor* self) {
    for (int i = 0; i < 50; ++i)
      self->request(mb, 5s, propose_atom_v, to_bytes("c" + std::to_string(i)))
          .then([results, i](const bytes& r) { (*results)[i] = to_string(r); },
                [results, i](const caf::error&) { (*results)[i] = "error"; });
  });
  caf::scoped_actor self{*a.sys};
  self->wait_for(client);
  BOOST_REQUIRE_EQUAL(results->size(), 50u);
  std::set<std::string> orders;
  for (const auto& [i, r] : *results) {
    auto colon = r.find(':');
    BOOST_REQUIRE(colon != std::string::npos);
    BOOST_TEST(r.substr(colon + 1) == "c" + std::to_string(i));  // its own result
    orders.insert(r.substr(0, colon));
  }
  BOOST_TEST(orders.size() == 50u);  // each applied exactly once
}

BOOST_AUTO_TEST_CASE(three_nodes_propose_anywhere_and_converge) {
  temp_dir tmp;
  member_process a{tmp.sub("a")}, b{tmp.sub("b")}, c{tmp.sub("c")};
  a.node->lead();
  b.node->join(a.node->address(), a.node->join_token());
  c.node->join(b.node->address(), b.node->join_token());  // through a follower
  BOOST_TEST(b.node->id() == 2u);
  BOOST_TEST(c.node->id() == 3u);
  std::vector<member_process*> all{&a, &b, &c};
  BOOST_REQUIRE(eventually([&] {
    auto st = a.node->status();
    if (!st || st->members.size() != 3) return false;
    for (const auto& m : st->members)
      if (!m.voter) return false;
    return true;
  }));
  // Proposals on every member, followers forward to the leader.
  for (int i = 0; i < 30; ++i) {
    auto* m = all[static_cast<std::size_t>(i) % 3];
    auto r = expect_ok(m->node->propose(to_bytes("v" + std::to_string(i))), *m->sys);
    BOOST_TEST(r.substr(r.find(':') + 1) == "v" + std::to_string(i));
  }
  BOOST_REQUIRE(eventually([&] {
    return a.store->applied().size() == 30 && b.store->applied().size() == 30 &&
           c.store->applied().size() == 30;
  }));
  BOOST_TEST(a.store->applied() == b.store->applied());
  BOOST_TEST(a.store->applied() == c.store->applied());
}

BOOST_AUTO_TEST_CASE(leader_loss_elects_a_new_leader_and_restart_resumes) {
  temp_dir tmp;
  auto a = std::make_unique<member_process>(tmp.sub("a"));
  member_process b{tmp.sub("b")}, c{tmp.sub("c")};
  a->node->lead();
  const auto a_address = a->node->address();
  b.node->join(a_address, a->node->join_token());
  c.node->join(a_address, a->node->join_token());
  BOOST_REQUIRE(eventually([&] {
    auto st = a->node->status();
    return st && st->members.size() == 3 && st->members[1].voter && st->members[2].voter;
  }));
  for (int i = 0; i < 10; ++i) expect_ok(b.node->propose(to_bytes("before" + std::to_string(i))), *b.sys);

  a.reset();  // the leader goes away
  member_process* leader = nullptr;
  BOOST_REQUIRE(eventually([&] { return (leader = find_leader({&b, &c})) != nullptr; }));
  for (int i = 0; i < 10; ++i)
    expect_ok(c.node->propose(to_bytes("after" + std::to_string(i))), *c.sys);

  // A member that joined (not in the first configuration) restarts from its
  // data directory: it replays every configuration since the cluster began
  // and must not take an old one without it for its removal.
  const auto c_address = c.node->address();
  c.node->shutdown();
  c.node = std::make_unique<raft>(*c.sys, c_address, std::make_unique<recording_store>(),
                                  fast_options(tmp.sub("c")));
  c.node->lead();  // resumes: the directory holds node 3
  BOOST_TEST(c.node->id() == 3u);
  BOOST_REQUIRE(eventually([&] {
    auto st = c.node->status();
    // Follower or leader again (it may win the next election): not removed.
    return st && (st->role == node_role::follower || st->role == node_role::leader) &&
           st->applied_index >= b.node->status()->commit_index;
  }));
  BOOST_TEST(expect_ok(c.node->propose(to_bytes("via c")), *c.sys).find(":via c") != std::string::npos);

  // The old leader comes back from its data directory, with its id and log.
  member_process again{tmp.sub("a"), a_address};
  again.node->lead();  // resumes: the directory holds node 1
  BOOST_TEST(again.node->id() == 1u);
  BOOST_REQUIRE(eventually([&] { return again.store->applied().size() == 21; }));
  BOOST_TEST(again.store->applied() == b.store->applied());
  BOOST_TEST(expect_ok(again.node->propose(to_bytes("last")), *again.sys).find(":last") !=
             std::string::npos);
}

BOOST_AUTO_TEST_CASE(apply_failure_is_reported_and_the_node_keeps_running) {
  temp_dir tmp;
  member_process a{tmp.sub("a")};
  a.node->lead();
  auto r = a.node->propose(to_bytes("throw"));
  BOOST_REQUIRE(!r);
  BOOST_TEST(is(r.error(), errc::apply_failed));
  BOOST_TEST(a.sys->render(r.error()).find("store refused") != std::string::npos);
  BOOST_TEST(expect_ok(a.node->propose(to_bytes("fine")), *a.sys) == "1:fine");
}

BOOST_AUTO_TEST_CASE(follower_leaves_and_answers_removed) {
  temp_dir tmp;
  member_process a{tmp.sub("a")}, b{tmp.sub("b")}, c{tmp.sub("c")};
  form_cluster(a, {&b, &c});
  auto left = c.node->leave();
  BOOST_REQUIRE_MESSAGE(left, "leave failed: " << (left ? "" : c.sys->render(left.error())));
  BOOST_TEST(*left == 3u);
  auto r = c.node->propose(to_bytes("x"));
  BOOST_REQUIRE(!r);
  BOOST_TEST(is(r.error(), errc::removed));
  BOOST_REQUIRE(eventually([&] {
    auto st = a.node->status();
    return st && st->members.size() == 2;
  }));
  BOOST_TEST(expect_ok(b.node->propose(to_bytes("y")), *b.sys).find(":y") != std::string::npos);
  // A member that is gone for good is removed from another member; ids are
  // never handed out again.
  b.node.reset();  // node 2 is gone for good
  auto gone = a.node->remove_member(2);
  BOOST_REQUIRE_MESSAGE(gone, "remove failed: " << (gone ? "" : a.sys->render(gone.error())));
  BOOST_TEST(*gone == 2u);
  member_process d{tmp.sub("d")};
  d.node->join(a.node->address(), a.node->join_token());
  BOOST_TEST(d.node->id() == 4u);
}

// A leader that leaves hands leadership to an up-to-date voter first: the
// new leader comes from one election started on purpose (term + 1), not
// from an election timeout, and no acknowledged write is lost.
BOOST_AUTO_TEST_CASE(leader_leaves_by_handing_over_leadership) {
  temp_dir tmp;
  member_process a{tmp.sub("a")}, b{tmp.sub("b")}, c{tmp.sub("c")};
  form_cluster(a, {&b, &c});
  for (int i = 0; i < 5; ++i) expect_ok(a.node->propose(to_bytes("w" + std::to_string(i))), *a.sys);
  const auto term = a.node->status()->term;

  auto left = a.node->leave();
  BOOST_REQUIRE_MESSAGE(left, "leave failed: " << (left ? "" : a.sys->render(left.error())));
  BOOST_TEST(*left == 1u);
  auto r = a.node->propose(to_bytes("x"));
  BOOST_REQUIRE(!r);
  BOOST_TEST(is(r.error(), errc::removed));
  member_process* leader = nullptr;
  BOOST_REQUIRE(eventually([&] { return (leader = find_leader({&b, &c})) != nullptr; }));
  auto st = leader->node->status();
  BOOST_TEST(st->term == term + 1);  // one handover election, no timeouts
  BOOST_REQUIRE(eventually([&] {
    auto s2 = leader->node->status();
    return s2 && s2->members.size() == 2;
  }));
  BOOST_TEST(expect_ok(leader->node->propose(to_bytes("y")), *leader->sys).find(":y") !=
             std::string::npos);
  BOOST_REQUIRE(eventually([&] { return b.store->applied().size() == 6 && c.store->applied().size() == 6; }));
  BOOST_TEST(b.store->applied() == c.store->applied());
}

BOOST_AUTO_TEST_CASE(startup_errors_are_clear) {
  temp_dir tmp;
  member_process a{tmp.sub("a")};
  a.node->lead();
  // Same port.
  member_process clash{tmp.sub("clash"), a.node->address()};
  try {
    clash.node->lead();
    BOOST_FAIL("expected a startup error");
  } catch (const startup_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    BOOST_TEST(std::string(e.what()).find("cannot listen") != std::string::npos);
  }
  // Same data directory: locked.
  member_process twin{tmp.sub("a")};
  BOOST_CHECK_EXCEPTION(twin.node->lead(), startup_error, [](const startup_error& e) {
    BOOST_TEST_MESSAGE(e.what());
    return std::string(e.what()).find("lock") != std::string::npos;
  });
  // Bad addresses and options.
  member_process bad{tmp.sub("bad"), "no-port-here"};
  BOOST_CHECK_THROW(bad.node->lead(), startup_error);
  member_process badopt{tmp.sub("badopt"), "127.0.0.1:0",
                        [](options& o) { o.election_timeout = o.heartbeat_interval; }};
  BOOST_CHECK_EXCEPTION(badopt.node->lead(), startup_error, [](const startup_error& e) {
    return std::string(e.what()).find("election_timeout") != std::string::npos;
  });
  // An unreachable peer: a clear error within the join deadline, no hang.
  member_process lonely{tmp.sub("lonely"), "127.0.0.1:0",
                        [](options& o) { o.request_timeout = 500ms; }};
  const std::string token = "actraft-join-1." + std::string(32, 'a') + "." + std::string(64, 'b') +
                            "." + std::string(64, 'c');
  BOOST_CHECK_EXCEPTION(lonely.node->join("127.0.0.1:1", token), startup_error,
                        [](const startup_error& e) {
                          BOOST_TEST_MESSAGE(e.what());
                          return std::string(e.what()).find("cannot join") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(shutdown_answers_pending_requests) {
  temp_dir tmp;
  member_process a{tmp.sub("a")}, b{tmp.sub("b")};
  a.node->lead();
  b.node->join(a.node->address(), a.node->join_token());
  BOOST_REQUIRE(eventually([&] {
    auto st = a.node->status();
    return st && st->members.size() == 2 && st->members[1].voter;
  }));
  b.node.reset();  // a has no quorum now: proposals cannot commit
  auto mb = a.node->mailbox();
  auto outcome = std::make_shared<std::string>();
  auto client = a.sys->spawn([mb, outcome](caf::event_based_actor* self) {
    self->request(mb, 10s, propose_atom_v, to_bytes("stuck"))
        .then([outcome](const bytes&) { *outcome = "applied"; },
              [outcome](const caf::error& e) {
                *outcome = is(e, errc::shutting_down) ? "shutting_down" : "other";
              });
  });
  std::this_thread::sleep_for(200ms);
  a.node->shutdown();
  caf::scoped_actor self{*a.sys};
  self->wait_for(client);
  BOOST_TEST(*outcome == "shutting_down");
}

BOOST_AUTO_TEST_CASE(the_node_is_not_published_to_caf_remoting) {
  temp_dir tmp;
  member_process a{tmp.sub("a")}, outsider{tmp.sub("outsider")};
  a.node->lead();
  // The port speaks the member transport (TLS first), not CAF's BASP: a
  // stranger's remote_actor gets no handle, neither to the mailbox nor to
  // the node, and the node goes on serving.
  BOOST_TEST(!outsider.sys->middleman().remote_actor<actors::node_actor>("127.0.0.1", a.node->port()));
  BOOST_TEST(!outsider.sys->middleman().remote_actor<actraft::mailbox>("127.0.0.1", a.node->port()));
  BOOST_TEST(expect_ok(a.node->propose(to_bytes("still here")), *a.sys) == "1:still here");
  BOOST_TEST(a.node->status()->id == 1u);
}
