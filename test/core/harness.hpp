// A tiny deterministic harness for the paper tests of the pure Raft core:
// build nodes from persisted state, drain their ready batches into a fake
// disk, and deliver messages between them (in FIFO order, peers visited in
// id order, so every run is the same).
#pragma once

#include <boost/test/unit_test.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "actraft/core/node.hpp"
#include "support/memory_storage.hpp"

namespace actraft::core {

// How Boost.Test prints core values in failed assertions (found by ADL).
inline std::ostream& boost_test_print_type(std::ostream& os, role r) { return os << to_string(r); }
inline std::ostream& boost_test_print_type(std::ostream& os, message_type t) {
  return os << to_string(t);
}
inline std::ostream& boost_test_print_type(std::ostream& os, replication_state s) {
  switch (s) {
    case replication_state::probe: return os << "probe";
    case replication_state::replicate: return os << "replicate";
    case replication_state::snapshot: return os << "snapshot";
  }
  return os << "?";
}
inline std::ostream& boost_test_print_type(std::ostream& os, entry_kind k) {
  return os << static_cast<int>(k);
}
inline std::ostream& boost_test_print_type(std::ostream& os, const payload& p) {
  os << '"';
  for (auto c : p.get()) os << (c >= 32 && c < 127 ? static_cast<char>(c) : '?');
  return os << '"';
}
inline std::ostream& boost_test_print_type(std::ostream& os, const entry& e) {
  os << "{index " << e.index << ", term " << e.term << ", kind " << static_cast<int>(e.kind) << ", ";
  return boost_test_print_type(os, e.data) << "}";
}
inline std::ostream& boost_test_print_type(std::ostream& os, propose_error e) {
  switch (e) {
    case propose_error::none: return os << "none";
    case propose_error::not_leader: return os << "not_leader";
    default: return os << "propose_error " << static_cast<int>(e);
  }
}

}  // namespace actraft::core

namespace actraft::test {

using core::entry;
using core::entry_kind;
using core::hard_state;
using core::log_index;
using core::message;
using core::message_type;
using core::node_id;
using core::options;
using core::payload;
using core::persisted_state;
using core::raft_term;
using core::ready;
using core::replication_state;
using core::role;

namespace literals {
constexpr raft_term operator""_t(unsigned long long v) { return raft_term{v}; }
constexpr log_index operator""_i(unsigned long long v) { return log_index{v}; }
constexpr node_id operator""_n(unsigned long long v) { return node_id{v}; }
}  // namespace literals
using namespace literals;

/// Knobs of the nodes a test builds. Plain §5 behaviour by default: pre-vote
/// and check-quorum are extensions and are switched on by the tests of them.
struct knobs {
  bool pre_vote = false;
  bool check_quorum = false;
  int election_ticks = 10;
  int heartbeat_ticks = 1;
  std::size_t max_batch_bytes = 1024 * 1024;
  std::size_t max_inflight = 256;
  int promote_lag = 64;  ///< negative: learners stay learners
  std::uint64_t seed_base = 0;
  core::read_mode reads = core::read_mode::read_index;
  int lease_margin_ticks = 3;
};

inline options make_options(std::uint64_t id, const knobs& k = {}) {
  options o;
  o.id = node_id{id};
  o.election_ticks = k.election_ticks;
  o.heartbeat_ticks = k.heartbeat_ticks;
  o.pre_vote = k.pre_vote;
  o.check_quorum = k.check_quorum;
  o.max_batch_bytes = k.max_batch_bytes;
  o.max_inflight = k.max_inflight;
  o.promote_lag = k.promote_lag;
  o.reads = k.reads;
  o.lease_margin_ticks = k.lease_margin_ticks;
  o.seed = k.seed_base + id;  // distinct per node, same every run
#ifdef ACTRAFT_PAPER_PLANTED_BUGS
  // Mutation check of these tests: build them with this macro against a core
  // built with ACTRAFT_PLANTED_BUGS, run with ACTRAFT_PAPER_BUG=n and watch
  // them fail.
  if (const char* b = std::getenv("ACTRAFT_PAPER_BUG"))
    o.bug = static_cast<core::planted_bug>(std::atoi(b));
#endif
  return o;
}

/// Voters 1..n.
inline core::configuration make_config(std::size_t n) {
  core::configuration c;
  for (std::uint64_t i = 1; i <= n; ++i) c.members.push_back(core::member{node_id{i}, "", true});
  c.max_assigned_id = node_id{n};
  return c;
}

/// A payload holding text. (Built from bytes: GCC 12 at -O2 reports a false
/// -Wfree-nonheap-object in payload's std::string constructor when inlined.)
inline payload text(std::string_view s) {
  core::bytes b(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) b[i] = static_cast<std::uint8_t>(s[i]);
  return payload(std::move(b));
}

/// Entries first, first+1, ... with the given terms (payloads name them).
inline std::vector<entry> make_entries(std::uint64_t first, const std::vector<std::uint64_t>& terms) {
  std::vector<entry> out;
  for (std::size_t k = 0; k < terms.size(); ++k) {
    const std::uint64_t idx = first + k;
    out.push_back(entry{raft_term{terms[k]}, log_index{idx}, entry_kind::normal,
                        text("e" + std::to_string(idx) + "t" + std::to_string(terms[k]))});
  }
  return out;
}

/// A member of a brand-new n-node cluster.
inline persisted_state fresh_state(std::size_t n) {
  return persisted_state{hard_state{}, core::snapshot_meta{log_index{0}, raft_term{0}, make_config(n)},
                         {}};
}

/// A member of an n-node cluster restarting with the given term, vote, log
/// (terms of entries 1..k) and commit index.
inline persisted_state state_with(std::size_t n, std::uint64_t term, std::uint64_t vote,
                                  const std::vector<std::uint64_t>& log_terms,
                                  std::uint64_t commit = 0) {
  persisted_state s = fresh_state(n);
  s.state = hard_state{raft_term{term}, node_id{vote}, log_index{commit}};
  s.entries = make_entries(1, log_terms);
  return s;
}

/// The terms of a node's log entries first_index..last_index.
inline std::vector<std::uint64_t> log_terms(const core::raft_log& log) {
  std::vector<std::uint64_t> out;
  for (log_index i = log.first_index(); i <= log.last_index(); i = i + 1)
    out.push_back(log.at(i).term.value);
  return out;
}

inline std::vector<message> only(const std::vector<message>& ms, message_type t) {
  std::vector<message> out;
  for (const auto& m : ms)
    if (m.type == t) out.push_back(m);
  return out;
}

inline std::vector<message> only_to(const std::vector<message>& ms, node_id to) {
  std::vector<message> out;
  for (const auto& m : ms)
    if (m.to == to) out.push_back(m);
  return out;
}

inline std::vector<message> only(const std::vector<message>& ms, message_type t, node_id to) {
  return only_to(only(ms, t), to);
}

/// Everything one or more ready batches asked for, in order.
struct output {
  std::vector<message> now;    ///< ready::messages
  std::vector<message> after;  ///< ready::persisted_messages
  std::vector<entry> entries;
  std::vector<entry> committed;
  std::vector<hard_state> states;
  std::size_t readies = 0;

  [[nodiscard]] std::vector<message> all() const {
    std::vector<message> out = now;
    out.insert(out.end(), after.begin(), after.end());
    return out;
  }
  void add(const ready& rd) {
    ++readies;
    now.insert(now.end(), rd.messages.begin(), rd.messages.end());
    after.insert(after.end(), rd.persisted_messages.begin(), rd.persisted_messages.end());
    entries.insert(entries.end(), rd.entries.begin(), rd.entries.end());
    committed.insert(committed.end(), rd.committed.begin(), rd.committed.end());
    if (rd.state) states.push_back(*rd.state);
  }
  void add(const output& o) {
    readies += o.readies;
    now.insert(now.end(), o.now.begin(), o.now.end());
    after.insert(after.end(), o.after.begin(), o.after.end());
    entries.insert(entries.end(), o.entries.begin(), o.entries.end());
    committed.insert(committed.end(), o.committed.begin(), o.committed.end());
    states.insert(states.end(), o.states.begin(), o.states.end());
  }
};

/// One node plus the "disk" its ready batches were persisted to, so the
/// node can be restarted from exactly what it made durable.
class peer {
 public:
  peer(options o, persisted_state s) : opts_(o), disk_(std::move(s)) { n_.emplace(opts_, disk_); }

  core::node& get() { return *n_; }
  const core::node& get() const { return *n_; }
  core::node* operator->() { return &*n_; }
  const core::node* operator->() const { return &*n_; }
  const memory_storage& disk() const { return disk_; }
  const options& opts() const { return opts_; }

  /// Carries out ready batches until there is nothing left: persist, then
  /// record the messages and committed entries, then advance.
  output drain() {
    output out;
    for (int guard = 0; n_->has_ready(); ++guard) {
      BOOST_REQUIRE_MESSAGE(guard < 1000, "node " << opts_.id << " never stops producing readies");
      ready rd = n_->take_ready();
      persist(rd);
      record_applied(rd.committed);
      reads_.insert(reads_.end(), rd.reads.begin(), rd.reads.end());
      out.add(rd);
      n_->advance();
    }
    return out;
  }

  /// Writes a ready's snapshot, hard state and entries to the fake disk.
  void persist(const ready& rd) {
    // The core installs a leader's snapshot only over a log whose durable
    // part does not hold its last entry (and only between two readies): the
    // stored log goes with it (§7).
    if (rd.snapshot) BOOST_REQUIRE(disk_.install(*rd.snapshot));
    if (rd.state) disk_.state = *rd.state;
    BOOST_REQUIRE_MESSAGE(disk_.append(rd.entries), "node " << opts_.id << " wrote entries with a gap");
  }

  /// Compacts the node's log up to `index` as if the application had saved
  /// a snapshot there, and the fake disk with it.
  bool compact(log_index index) {
    auto meta = n_->snapshot_meta_at(index);
    if (!meta || !n_->compact(index)) return false;
    BOOST_REQUIRE(disk_.install(*meta));
    return true;
  }

  /// Loses everything volatile; comes back from the disk.
  void restart() { n_.emplace(opts_, disk_); }

  /// The reads settled so far (ready::reads), oldest first; taken, they are forgotten.
  std::vector<core::read_state> take_reads() { return std::exchange(reads_, {}); }

  /// Applied entries by index. State Machine Safety: no index is ever
  /// applied with two different entries, on this node across restarts.
  const std::map<std::uint64_t, entry>& applied() const { return applied_; }

 private:
  void record_applied(const std::vector<entry>& es) {
    for (const auto& e : es) {
      auto [it, fresh] = applied_.emplace(e.index.value, e);
      BOOST_CHECK_MESSAGE(fresh || it->second == e, "node " << opts_.id << " applied two entries at index "
                                                            << e.index);
    }
  }

  options opts_;
  memory_storage disk_;
  std::optional<core::node> n_;
  std::map<std::uint64_t, entry> applied_;
  std::vector<core::read_state> reads_;
};

/// n peers and a FIFO of messages between them. Links can be cut and nodes
/// crashed; messages on a cut link or to/from a crashed node are lost.
class network {
 public:
  explicit network(std::size_t n, const knobs& k = {}) {
    for (std::uint64_t i = 1; i <= n; ++i) peers_.try_emplace(i, make_options(i, k), fresh_state(n));
  }
  /// Peers 1..states.size() restarting from the given states.
  network(std::vector<persisted_state> states, const knobs& k) {
    for (std::uint64_t i = 1; i <= states.size(); ++i)
      peers_.try_emplace(i, make_options(i, k), std::move(states[i - 1]));
  }

  /// A server that was not there at the start (a member about to join),
  /// from the given state.
  peer& add(std::uint64_t id, persisted_state s, const knobs& k = {}) {
    auto [it, fresh] = peers_.try_emplace(id, make_options(id, k), std::move(s));
    BOOST_REQUIRE_MESSAGE(fresh, "peer " << id << " exists already");
    return it->second;
  }

  peer& operator[](std::uint64_t id) {
    auto it = peers_.find(id);
    BOOST_REQUIRE_MESSAGE(it != peers_.end(), "no peer " << id);
    return it->second;
  }
  core::node& node(std::uint64_t id) { return (*this)[id].get(); }

  /// Drains every live peer (in id order) into the queue.
  void collect() {
    for (auto& [id, p] : peers_) {
      if (down_.count(id) != 0) continue;
      output out = p.drain();
      for (auto& m : out.all()) queue_.push_back(std::move(m));
      observe();
    }
  }

  /// Delivers until no message is left anywhere. Returns how many arrived.
  std::size_t deliver_all(std::size_t max_steps = 100000) {
    std::size_t delivered = 0;
    collect();
    for (std::size_t steps = 0; !queue_.empty(); ++steps) {
      BOOST_REQUIRE_MESSAGE(steps < max_steps, "network does not quiesce");
      message m = std::move(queue_.front());
      queue_.pop_front();
      if (deliverable(m)) {
        trace.push_back(m);
        ++delivered;
        peers_.at(m.to.value).get().step(m);
      }
      collect();
    }
    return delivered;
  }

  /// Ticks one node (then lets the network settle), `times` times.
  void tick(std::uint64_t id, int times = 1) {
    for (int i = 0; i < times; ++i) {
      if (down_.count(id) == 0) node(id).tick();
      deliver_all();
    }
  }
  /// Ticks every live node once per round (then lets the network settle).
  void tick_all(int times = 1) {
    for (int i = 0; i < times; ++i) {
      for (auto& [id, p] : peers_)
        if (down_.count(id) == 0) p->tick();
      deliver_all();
    }
  }

  void cut(std::uint64_t a, std::uint64_t b) {
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  void isolate(std::uint64_t a) {
    for (auto& [id, p] : peers_)
      if (id != a) cut(a, id);
  }
  void heal() { cut_.clear(); }
  /// A crashed node neither ticks nor receives; what it did not persist is lost.
  void crash(std::uint64_t id) { down_.insert(id); }
  void restart(std::uint64_t id) {
    down_.erase(id);
    (*this)[id].restart();
  }

  /// The leader with the highest term, if any live node is leader.
  std::optional<std::uint64_t> leader() {
    std::optional<std::uint64_t> best;
    for (auto& [id, p] : peers_) {
      if (down_.count(id) != 0 || p->current_role() != role::leader) continue;
      if (!best || p->term() > peers_.at(*best)->term()) best = id;
    }
    return best;
  }

  /// Makes `id` campaign and lets the election (and the first commit) finish.
  void elect(std::uint64_t id) {
    node(id).campaign();
    deliver_all();
    BOOST_REQUIRE_MESSAGE(node(id).current_role() == role::leader,
                          "node " << id << " did not win the election it was asked to");
  }

  std::map<std::uint64_t, peer>& peers() { return peers_; }

  /// Messages dropped when this returns true (in addition to cut links).
  std::function<bool(const message&)> drop_if;
  /// Every delivered message, in delivery order.
  std::vector<message> trace;

 private:
  bool deliverable(const message& m) const {
    if (peers_.count(m.to.value) == 0) return false;
    if (down_.count(m.to.value) != 0 || down_.count(m.from.value) != 0) return false;
    if (cut_.count({m.from.value, m.to.value}) != 0) return false;
    return !(drop_if && drop_if(m));
  }

  /// Election Safety (§5.2): at most one leader per term, ever.
  void observe() {
    for (auto& [id, p] : peers_) {
      if (p->current_role() != role::leader) continue;
      auto [it, fresh] = leader_of_term_.emplace(p->term().value, id);
      BOOST_REQUIRE_MESSAGE(fresh || it->second == id, "two leaders in term " << p->term() << ": "
                                                                               << it->second << " and " << id);
    }
  }

  std::map<std::uint64_t, peer> peers_;
  std::deque<message> queue_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> cut_;
  std::set<std::uint64_t> down_;
  std::map<std::uint64_t, std::uint64_t> leader_of_term_;
};

/// Leader `leader` proposes `n` commands (`<tag><first>`, `<tag><first+1>`...),
/// each delivered everywhere before the next.
inline void commit_proposals(network& net, std::uint64_t leader, int n, const std::string& tag = "p",
                             int first = 0) {
  for (int i = first; i < first + n; ++i) {
    BOOST_REQUIRE(net.node(leader).propose(text(tag + std::to_string(i))).ok());
    net.deliver_all();
  }
}

/// A message as a peer would send it; tests fill in the rest.
inline message msg(message_type t, std::uint64_t from, std::uint64_t to, std::uint64_t term) {
  message m;
  m.type = t;
  m.from = node_id{from};
  m.to = node_id{to};
  m.term = raft_term{term};
  return m;
}

/// An append from `from` at `term` with prevLogIndex/prevLogTerm, entries and leaderCommit.
inline message append(std::uint64_t from, std::uint64_t to, std::uint64_t term, std::uint64_t prev_index,
                      std::uint64_t prev_term, std::vector<entry> es, std::uint64_t commit = 0) {
  message m = msg(message_type::append, from, to, term);
  m.index = log_index{prev_index};
  m.log_term = raft_term{prev_term};
  m.entries = std::move(es);
  m.commit = log_index{commit};
  return m;
}

/// A leader's InstallSnapshot from `from` at `term`: header and metadata agree.
inline message snapshot_message(std::uint64_t from, std::uint64_t to, std::uint64_t term,
                                const core::snapshot_meta& meta) {
  message m = msg(message_type::snapshot, from, to, term);
  m.index = meta.index;
  m.log_term = meta.term;
  m.snapshot = meta;
  return m;
}

/// A (pre-)vote request from a candidate whose log ends at (last_index, last_term).
inline message vote_request(std::uint64_t from, std::uint64_t to, std::uint64_t term,
                            std::uint64_t last_index, std::uint64_t last_term, bool pre = false) {
  message m = msg(pre ? message_type::pre_vote : message_type::vote, from, to, term);
  m.index = log_index{last_index};
  m.log_term = raft_term{last_term};
  return m;
}

/// A response to a (pre-)vote request.
inline message vote_response(std::uint64_t from, std::uint64_t to, std::uint64_t term, bool granted,
                             bool pre = false) {
  message m = msg(pre ? message_type::pre_vote_response : message_type::vote_response, from, to, term);
  m.reject = !granted;
  return m;
}

/// A successful append_response acknowledging everything up to `index`.
inline message append_ack(std::uint64_t from, std::uint64_t to, std::uint64_t term, std::uint64_t index) {
  message m = msg(message_type::append_response, from, to, term);
  m.index = log_index{index};
  return m;
}

/// Makes node 1 of `p`'s cluster leader by handing it granted votes from
/// `voters` directly (no network), and drains the result.
inline output win_election(peer& p, const std::vector<std::uint64_t>& voters) {
  p->campaign();
  output out = p.drain();
  for (auto v : voters) {
    p->step(vote_response(v, p->id().value, p->term().value, true));
    out.add(p.drain());
  }
  BOOST_REQUIRE_MESSAGE(p->current_role() == role::leader, "node " << p->id() << " did not become leader");
  return out;
}

/// Ticks until `done` holds (checked after every tick) or `max` ticks pass;
/// returns the number of ticks taken (max + 1 if it never held). Drains after
/// every tick into `out` if given.
template <class Pred>
int ticks_until(peer& p, Pred done, int max, output* out = nullptr) {
  for (int i = 1; i <= max; ++i) {
    p->tick();
    output o = p.drain();
    if (out != nullptr) out->add(o);
    if (done(p.get())) return i;
  }
  return max + 1;
}

/// Ticks a freshly built copy of a node until it leaves the follower role:
/// its (deterministic) randomized election timeout.
inline int election_timeout_of(const options& o, const persisted_state& s) {
  peer p{o, s};
  return ticks_until(p, [](const core::node& n) { return n.current_role() != role::follower; },
                     4 * o.election_ticks);
}

/// A snapshot of everything observable about a node, to show that a message
/// changed nothing.
struct observable {
  role r;
  raft_term term;
  node_id vote;
  node_id leader;
  log_index commit;
  std::vector<std::uint64_t> terms;

  explicit observable(const core::node& n)
      : r(n.current_role()),
        term(n.term()),
        vote(n.vote()),
        leader(n.leader()),
        commit(n.log().commit()),
        terms(log_terms(n.log())) {}
  friend bool operator==(const observable& a, const observable& b) {
    return a.r == b.r && a.term == b.term && a.vote == b.vote && a.leader == b.leader &&
           a.commit == b.commit && a.terms == b.terms;
  }
};

}  // namespace actraft::test
