// libFuzzer: the Raft core stepped with arbitrary messages, ticks and
// proposals, as a member of a three-member cluster. A message from the
// network is validated and dropped or refused, never asserted: no sequence
// may break one of the core's internal invariants (they throw), and what
// the node asks to persist must fit its log.
#include <cstdint>
#include <exception>
#include <string>

#include "actraft/core/membership.hpp"
#include "actraft/core/node.hpp"
#include "support/memory_storage.hpp"

using namespace actraft::core;

namespace {

/// Takes values from the fuzzer's bytes, zeros once they run out.
class input {
 public:
  input(const std::uint8_t* d, std::size_t n) : d_(d), n_(n) {}
  [[nodiscard]] bool empty() const { return at_ >= n_; }
  std::uint8_t byte() { return at_ < n_ ? d_[at_++] : 0; }
  std::uint64_t small(std::uint64_t bound) { return byte() % bound; }

 private:
  const std::uint8_t* d_;
  std::size_t n_;
  std::size_t at_ = 0;
};

message any_message(input& in, node_id to) {
  message m;
  m.type = static_cast<message_type>(in.small(12));
  m.from = node_id{in.small(5)};  // 0 (none), the members 1-3, a stranger 4
  m.to = in.small(8) == 0 ? node_id{in.small(5)} : to;
  m.term = raft_term{in.small(8)};
  m.index = log_index{in.small(12)};
  m.log_term = raft_term{in.small(8)};
  const auto count = in.small(4);
  for (std::uint64_t i = 0; i < count; ++i) {
    entry e;
    e.term = raft_term{in.small(8)};
    e.index = log_index{m.index.value + 1 + i + (in.small(16) == 0 ? in.small(3) : 0)};
    e.kind = static_cast<entry_kind>(in.small(3));
    if (e.kind == entry_kind::configuration && in.small(2) == 0) {
      configuration c;
      for (std::uint64_t id = 1; id <= 1 + in.small(4); ++id)
        c.members.push_back(member{node_id{id}, "n" + std::to_string(id), in.small(4) != 0});
      c.max_assigned_id = node_id{in.small(6)};
      e.data = encode_configuration(c);
    } else {
      e.data = payload(std::string(in.small(3), 'x'));
    }
    m.entries.push_back(std::move(e));
  }
  m.commit = log_index{in.small(14)};
  m.reject = in.small(2) == 1;
  m.hint_index = log_index{in.small(12)};
  m.hint_term = raft_term{in.small(8)};
  m.transfer = in.small(2) == 1;
  m.context = in.small(6);
  m.snapshot.index = log_index{in.small(12)};
  m.snapshot.term = raft_term{in.small(8)};
  if (in.small(2) == 1)
    for (std::uint64_t id = 1; id <= in.small(4); ++id)
      m.snapshot.config.members.push_back(member{node_id{id}, "n" + std::to_string(id), true});
  return m;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  input in(data, size);
  // Member 2 of {1, 2, 3}, from a bootstrap entry at index 1.
  configuration c;
  for (std::uint64_t id = 1; id <= 3; ++id) c.members.push_back(member{node_id{id}, "n" + std::to_string(id), true});
  c.max_assigned_id = node_id{3};
  persisted_state start;
  start.state = hard_state{raft_term{1}, no_node, log_index{1}};
  start.entries.push_back(entry{raft_term{1}, log_index{1}, entry_kind::configuration, encode_configuration(c)});
  actraft::test::memory_storage disk(start);
  options o;
  o.id = node_id{2};
  o.election_ticks = 3;
  o.heartbeat_ticks = 1;
  o.seed = in.byte();
  o.pre_vote = in.small(2) == 1;
  o.check_quorum = in.small(2) == 1;
  if (o.check_quorum && in.small(2) == 1) {
    o.reads = actraft::core::read_mode::lease;
    o.lease_margin_ticks = 2;
  }
  node n(o, start);
  for (int steps = 0; steps < 64 && !in.empty(); ++steps) {
    switch (in.small(5)) {
      case 0: n.tick(); break;
      case 1: (void)n.propose(payload(std::string("cmd"))); break;
      case 2: (void)n.read_index(in.small(4)); break;
      default: n.step(any_message(in, o.id)); break;
    }
    // Carry out what the node asks, as a caller must.
    for (int guard = 0; n.has_ready() && guard < 8; ++guard) {
      ready rd = n.take_ready();
      if (rd.snapshot && !disk.install(*rd.snapshot)) std::terminate();
      if (!disk.append(rd.entries)) std::terminate();  // a gap in what the core wrote
      n.advance();
    }
  }
  return 0;
}
