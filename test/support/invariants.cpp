#include "support/invariants.hpp"

#include <algorithm>
#include <sstream>

namespace actraft::sim {

namespace {

std::uint64_t payload_hash(const core::payload& p) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (std::uint8_t b : p.get()) {
    h ^= b;
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::uint64_t chain(std::uint64_t prev, std::uint64_t index, const shadow_entry& e) {
  std::uint64_t x = prev ^ (index * 0x9e3779b97f4a7c15ULL);
  x ^= e.term.value * 0xbf58476d1ce4e5b9ULL + static_cast<std::uint64_t>(e.kind);
  x ^= payload_hash(e.data) + 0x94d049bb133111ebULL + (x << 6) + (x >> 2);
  x ^= x >> 31;
  x *= 0xd6e8feb86659fd93ULL;
  x ^= x >> 32;
  return x;
}

std::string payload_text(const core::payload& p) {
  if (p.empty()) return "";
  std::string s;
  for (std::uint8_t b : p.get()) {
    if (s.size() >= 24) {
      s += "...";
      break;
    }
    s += (b >= 32 && b < 127) ? static_cast<char>(b) : '?';
  }
  return s;
}

std::string node_name(core::node_id n) { return "n" + std::to_string(n.value); }

}  // namespace

// --- shadow_log -------------------------------------------------------------

shadow_log::shadow_log() : entries_(1), hashes_(1, 0x243f6a8885a308d3ULL) {}

shadow_log::shadow_log(const std::vector<core::entry>& entries) : shadow_log() {
  for (const auto& e : entries) push(e.term, e.kind, e.data);
}

void shadow_log::push(core::raft_term term, core::entry_kind kind, const core::payload& data) {
  entries_.push_back(shadow_entry{term, kind, data});
  hashes_.push_back(chain(hashes_.back(), entries_.size() - 1, entries_.back()));
}

void shadow_log::truncate(std::uint64_t n) {
  if (n >= last()) return;
  entries_.resize(n + 1);
  hashes_.resize(n + 1);
}

std::uint64_t shadow_log::sync(const core::raft_log& log, const shadow_log& committed,
                               std::string& error) {
  const std::uint64_t old_last = last();
  const std::uint64_t new_last = log.last_index().value;
  const std::uint64_t snap = log.snapshot().index.value;
  std::uint64_t changed = 0;
  // Entries up to the snapshot are compacted away in the core: they are
  // committed ones, so the shadow holds the committed prefix there.
  if (snap > 0) {
    if (committed.last() < snap) {
      error = "its log starts after a snapshot at index " + std::to_string(snap) +
              " but only entries up to " + std::to_string(committed.last()) + " are committed";
      return 0;
    }
    if (old_last < snap || hash(snap) != committed.hash(snap)) {
      std::uint64_t j = 1;
      while (j <= std::min(old_last, snap) && same_entry(entries_[j], committed.at(j))) ++j;
      truncate(j - 1);
      for (std::uint64_t i = j; i <= snap; ++i) {
        const auto& e = committed.at(i);
        push(e.term, e.kind, e.data);
      }
      changed = j;
    }
    if (log.snapshot().term != term(snap)) {
      error = "its snapshot at index " + std::to_string(snap) + " has term " +
              std::to_string(log.snapshot().term.value) +
              " but the committed entry there has term " + std::to_string(term(snap).value);
      return changed;
    }
  }
  std::uint64_t k = std::max<std::uint64_t>(log.first_index().value, 1);
  const std::uint64_t common = std::min(last(), new_last);
  while (k <= common && same_entry(entries_[k], log.at(core::log_index{k}))) ++k;
  if (k > common && last() == new_last) return changed;
  if (changed == 0 || k < changed) changed = k;
  truncate(k - 1);
  for (std::uint64_t i = k; i <= new_last; ++i) {
    const core::entry& e = log.at(core::log_index{i});
    push(e.term, e.kind, e.data);
  }
  return changed;
}

core::payload command(const std::string& text) {
  core::bytes b(text.size());
  for (std::size_t k = 0; k < text.size(); ++k) b[k] = static_cast<std::uint8_t>(text[k]);
  return core::payload(std::move(b));
}

bool same_entry(const shadow_entry& a, const core::entry& b) {
  return a.term == b.term && a.kind == b.kind && a.data == b.data;
}
bool same_entry(const shadow_entry& a, const shadow_entry& b) {
  return a.term == b.term && a.kind == b.kind && a.data == b.data;
}

std::string describe(std::uint64_t index, const shadow_entry& e) {
  std::ostringstream os;
  os << '(' << index << ",t" << e.term;
  if (e.kind == core::entry_kind::empty)
    os << " no-op";
  else if (e.kind == core::entry_kind::configuration)
    os << " config";
  else
    os << " \"" << payload_text(e.data) << '"';
  os << ')';
  return os.str();
}

std::string describe(const core::entry& e) {
  return describe(e.index.value, shadow_entry{e.term, e.kind, e.data});
}

// --- the named checks -------------------------------------------------------

std::string check_election_safety(std::map<core::raft_term, core::node_id>& leaders,
                                  core::node_id node, core::role role, core::raft_term term) {
  if (role != core::role::leader) return "";
  auto [it, inserted] = leaders.emplace(term, node);
  if (inserted || it->second == node) return "";
  return "two leaders in term " + std::to_string(term.value) + ": " + node_name(it->second) +
         " and " + node_name(node);
}

std::string check_leader_append_only(core::node_id node, bool was_leader_same_term,
                                     core::raft_term term, std::uint64_t first_changed,
                                     std::uint64_t old_last) {
  if (!was_leader_same_term || first_changed == 0 || first_changed > old_last) return "";
  return "leader " + node_name(node) + " of term " + std::to_string(term.value) +
         " replaced or removed entries from index " + std::to_string(first_changed) +
         " (its log ended at " + std::to_string(old_last) + ")";
}

std::string check_log_matching(core::node_id a_id, const shadow_log& a, core::node_id b_id,
                               const shadow_log& b) {
  std::uint64_t i = std::min(a.last(), b.last());
  while (i > 0 && a.term(i) != b.term(i)) --i;
  if (i == 0 || a.hash(i) == b.hash(i)) return "";
  std::uint64_t j = 1;
  while (j < i && same_entry(a.at(j), b.at(j))) ++j;
  return node_name(a_id) + " and " + node_name(b_id) + " both hold an entry at index " +
         std::to_string(i) + " with term " + std::to_string(a.term(i).value) +
         ", but their logs differ at index " + std::to_string(j) + ": " + node_name(a_id) +
         " has " + describe(j, a.at(j)) + ", " + node_name(b_id) + " has " + describe(j, b.at(j));
}

std::string check_leader_completeness(core::node_id leader, core::raft_term term,
                                      const shadow_log& leader_log, const shadow_log& committed,
                                      std::uint64_t upto) {
  const std::uint64_t c = std::min(committed.last(), upto);
  if (c == 0) return "";
  if (leader_log.last() >= c && leader_log.hash(c) == committed.hash(c)) return "";
  std::uint64_t j = 1;
  while (j <= c && j <= leader_log.last() && same_entry(leader_log.at(j), committed.at(j))) ++j;
  std::string has = j <= leader_log.last() ? describe(j, leader_log.at(j)) : "nothing";
  return node_name(leader) + " became leader of term " + std::to_string(term.value) +
         " without committed entry " + describe(j, committed.at(j)) + " (it has " + has +
         " there; entries committed up to " + std::to_string(c) + ")";
}

std::string check_commit_agreement(core::node_id node, std::uint64_t commit,
                                   const shadow_log& node_log, shadow_log& committed) {
  if (commit == 0) return "";
  if (commit > node_log.last())
    return node_name(node) + " has commit index " + std::to_string(commit) +
           " beyond its last entry " + std::to_string(node_log.last());
  const std::uint64_t common = std::min(commit, committed.last());
  if (common > 0 && node_log.hash(common) != committed.hash(common)) {
    std::uint64_t j = 1;
    while (j < common && same_entry(node_log.at(j), committed.at(j))) ++j;
    return node_name(node) + " committed " + describe(j, node_log.at(j)) +
           " but " + describe(j, committed.at(j)) + " was committed at that index before";
  }
  for (std::uint64_t i = committed.last() + 1; i <= commit; ++i) {
    const auto& e = node_log.at(i);
    committed.push(e.term, e.kind, e.data);
  }
  return "";
}

std::string check_state_machine_safety(core::node_id node, const core::entry& e,
                                       std::vector<shadow_entry>& first_applied) {
  const std::uint64_t i = e.index.value;
  if (i == 0) return node_name(node) + " applied an entry with index 0";
  if (first_applied.size() < i) {
    if (first_applied.size() + 1 == i) {
      first_applied.push_back(shadow_entry{e.term, e.kind, e.data});
      return "";
    }
    // A gap: only possible if apply order is broken, which is checked first.
    first_applied.resize(i);
    first_applied[i - 1] = shadow_entry{e.term, e.kind, e.data};
    return "";
  }
  const shadow_entry& first = first_applied[i - 1];
  if (same_entry(first, e)) return "";
  return node_name(node) + " applied " + describe(e) + " but " + describe(i, first) +
         " was applied at that index before";
}

std::string check_apply_order(core::node_id node, std::uint64_t last_applied,
                              const core::entry& e) {
  if (e.index.value == last_applied + 1) return "";
  return node_name(node) + " applied index " + std::to_string(e.index.value) +
         " right after index " + std::to_string(last_applied);
}

// --- invariant_checker -----------------------------------------------------

invariant_checker::invariant_checker(int nodes) : nodes_(static_cast<std::size_t>(nodes)) {}

const shadow_log& invariant_checker::log_of(core::node_id n) const {
  return nodes_[static_cast<std::size_t>(n.value - 1)].log;
}

std::optional<violation> invariant_checker::after_step(
    const std::vector<int>& touched, const std::vector<const core::node*>& nodes) {
  for (int k : touched) {
    const auto idx = static_cast<std::size_t>(k);
    node_state& s = nodes_[idx];
    const core::node* n = nodes[idx];
    const core::node_id id{static_cast<std::uint64_t>(k + 1)};
    if (n == nullptr) {
      s.up = false;
      s.role = core::role::follower;
      continue;
    }
    const bool was_leader_same_term =
        s.up && s.role == core::role::leader && n->current_role() == core::role::leader &&
        s.term == n->term();
    const bool newly_leader = n->current_role() == core::role::leader && !was_leader_same_term;
    const std::uint64_t old_last = s.log.last();
    std::string snapshot_error;
    const std::uint64_t changed = s.log.sync(n->log(), committed_, snapshot_error);
    if (!snapshot_error.empty())
      return violation{invariant::snapshot_safety, "n" + std::to_string(id.value) + ": " + snapshot_error};
    s.up = true;
    s.role = n->current_role();
    s.term = n->term();

    if (auto d = check_election_safety(leaders_, id, s.role, s.term); !d.empty())
      return violation{invariant::election_safety, d};
    if (auto d = check_leader_append_only(id, was_leader_same_term, s.term, changed, old_last);
        !d.empty())
      return violation{invariant::leader_append_only, d};
    // Completeness is judged against what was committed before this step.
    if (newly_leader) {
      // Figure 3: entries committed in a term before the leader's. A leader
      // of an older term elected late (its votes were slow to arrive) need
      // not hold what a later term committed meanwhile.
      std::uint64_t upto = commit_terms_.size();
      while (upto > 0 && commit_terms_[upto - 1] >= s.term) --upto;
      if (auto d = check_leader_completeness(id, s.term, s.log, committed_, upto); !d.empty())
        return violation{invariant::leader_completeness, d};
    }
    if (changed != 0) {
      for (std::size_t o = 0; o < nodes_.size(); ++o) {
        if (o == idx) continue;
        if (auto d = check_log_matching(id, s.log, core::node_id{o + 1}, nodes_[o].log);
            !d.empty())
          return violation{invariant::log_matching, d};
      }
    }
    if (auto d = check_commit_agreement(id, n->log().commit().value, s.log, committed_);
        !d.empty())
      return violation{invariant::commit_agreement, d};
    // The first node seen with a new commit index is the leader that
    // committed it: its term is the term the entries were committed in.
    while (commit_terms_.size() < committed_.last()) commit_terms_.push_back(s.term);
  }
  return std::nullopt;
}

std::optional<violation> invariant_checker::on_apply(core::node_id node,
                                                     std::uint64_t last_applied,
                                                     const core::entry& e) {
  if (auto d = check_apply_order(node, last_applied, e); !d.empty())
    return violation{invariant::apply_order, d};
  if (auto d = check_state_machine_safety(node, e, first_applied_); !d.empty())
    return violation{invariant::state_machine_safety, d};
  if (e.kind == core::entry_kind::normal && !e.data.empty()) {
    const auto& b = e.data.get();
    std::string key(b.begin(), b.end());
    auto [it, inserted] = applied_payload_index_.emplace(std::move(key), e.index.value);
    if (!inserted && it->second != e.index.value)
      return violation{invariant::exactly_once,
                       node_name(node) + " applied " + describe(e) +
                           ", a command already applied at index " + std::to_string(it->second)};
  }
  return std::nullopt;
}

std::optional<violation> invariant_checker::on_restore(core::node_id node,
                                                       const std::vector<core::entry>& data) {
  for (std::size_t k = 0; k < data.size(); ++k) {
    const core::entry& e = data[k];
    if (e.index.value != k + 1)
      return violation{invariant::snapshot_safety,
                       node_name(node) + " restored a snapshot whose entry " + std::to_string(k + 1) +
                           " has index " + std::to_string(e.index.value)};
    if (auto d = check_state_machine_safety(node, e, first_applied_); !d.empty())
      return violation{invariant::snapshot_safety, "from a snapshot: " + d};
  }
  return std::nullopt;
}

const shadow_entry* invariant_checker::first_applied(std::uint64_t i) const {
  if (i == 0 || i > first_applied_.size()) return nullptr;
  return &first_applied_[i - 1];
}

void invariant_checker::on_crash(core::node_id node) {
  auto& s = nodes_[static_cast<std::size_t>(node.value - 1)];
  s.up = false;
  s.role = core::role::follower;
}

}  // namespace actraft::sim
