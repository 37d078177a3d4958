// Value types shared by the Raft core, the storage layer and the actors.
// Nothing here depends on CAF; everything is a plain, copyable value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <ostream>
#include <string>
#include <vector>

namespace actraft::core {

/// A 64-bit integer that cannot be mixed up with another kind of integer.
/// Terms, log indexes and node ids are all `strong_int`s with distinct tags,
/// so `log_index{3} == raft_term{3}` does not compile.
template <class Tag>
struct strong_int {
  std::uint64_t value = 0;

  constexpr strong_int() = default;
  constexpr explicit strong_int(std::uint64_t v) : value(v) {}

  friend constexpr bool operator==(strong_int a, strong_int b) { return a.value == b.value; }
  friend constexpr bool operator!=(strong_int a, strong_int b) { return a.value != b.value; }
  friend constexpr bool operator<(strong_int a, strong_int b) { return a.value < b.value; }
  friend constexpr bool operator<=(strong_int a, strong_int b) { return a.value <= b.value; }
  friend constexpr bool operator>(strong_int a, strong_int b) { return a.value > b.value; }
  friend constexpr bool operator>=(strong_int a, strong_int b) { return a.value >= b.value; }
  friend constexpr strong_int operator+(strong_int a, std::uint64_t n) { return strong_int{a.value + n}; }
  /// Saturates at zero: index arithmetic never wraps around.
  friend constexpr strong_int operator-(strong_int a, std::uint64_t n) {
    return strong_int{a.value >= n ? a.value - n : 0};
  }
  friend std::ostream& operator<<(std::ostream& os, strong_int x) { return os << x.value; }

  template <class Archive>
  void serialize(Archive& ar) { ar(value); }
};

struct term_tag {};
struct index_tag {};
struct node_id_tag {};

using raft_term = strong_int<term_tag>;
using log_index = strong_int<index_tag>;
/// Node ids start at 1; `no_node` (0) means "nobody" (no vote, no leader).
using node_id = strong_int<node_id_tag>;
inline constexpr node_id no_node{0};

using bytes = std::vector<std::uint8_t>;

/// An immutable, reference-counted byte buffer. Entry payloads travel from a
/// proposal through the log, messages and storage without being copied.
class payload {
 public:
  payload() = default;
  explicit payload(bytes data)
      : data_(data.empty() ? nullptr : std::make_shared<const bytes>(std::move(data))) {}
  explicit payload(const std::string& s) : payload(bytes(s.begin(), s.end())) {}

  [[nodiscard]] const std::uint8_t* data() const { return data_ ? data_->data() : nullptr; }
  [[nodiscard]] std::size_t size() const { return data_ ? data_->size() : 0; }
  [[nodiscard]] bool empty() const { return size() == 0; }
  /// The bytes themselves (an empty vector for an empty payload).
  [[nodiscard]] const bytes& get() const {
    static const bytes empty_bytes;
    return data_ ? *data_ : empty_bytes;
  }

  friend bool operator==(const payload& a, const payload& b) {
    return a.data_ == b.data_ || a.get() == b.get();
  }
  friend bool operator!=(const payload& a, const payload& b) { return !(a == b); }

  template <class Archive>
  void save(Archive& ar) const { ar(get()); }
  template <class Archive>
  void load(Archive& ar) {
    bytes b;
    ar(b);
    *this = payload(std::move(b));
  }

 private:
  std::shared_ptr<const bytes> data_;
};

/// What a log entry carries. `empty` is the no-op a new leader appends to
/// commit entries of earlier terms (§5.4.2); `configuration` carries a
/// membership change, encoded by `encode_configuration`.
enum class entry_kind : std::uint8_t { normal = 0, empty = 1, configuration = 2 };

struct entry {
  raft_term term;
  log_index index;
  entry_kind kind = entry_kind::normal;
  payload data;

  friend bool operator==(const entry& a, const entry& b) {
    return a.term == b.term && a.index == b.index && a.kind == b.kind && a.data == b.data;
  }
  friend bool operator!=(const entry& a, const entry& b) { return !(a == b); }

  template <class Archive>
  void serialize(Archive& ar) { ar(term, index, kind, data); }
};

/// Approximate in-memory/wire size of an entry, used to bound batches.
inline std::size_t entry_bytes(const entry& e) { return e.data.size() + 24; }

/// The state Figure 2 requires to be on stable storage before responding to
/// RPCs: currentTerm and votedFor, plus the commit index (so a restarted
/// node need not re-learn what it already applied).
struct hard_state {
  raft_term term;
  node_id vote = no_node;
  log_index commit;

  friend bool operator==(const hard_state& a, const hard_state& b) {
    return a.term == b.term && a.vote == b.vote && a.commit == b.commit;
  }
  friend bool operator!=(const hard_state& a, const hard_state& b) { return !(a == b); }

  template <class Archive>
  void serialize(Archive& ar) { ar(term, vote, commit); }
};

/// One member of the cluster. The address is opaque to the core ("host:port"
/// for the actor layer); it travels in the log so every member can reach
/// every other, even after a restart from disk.
struct member {
  node_id id;
  std::string address;
  bool voter = true;  ///< false: a learner, replicated to but not counted

  friend bool operator==(const member& a, const member& b) {
    return a.id == b.id && a.address == b.address && a.voter == b.voter;
  }
  friend bool operator!=(const member& a, const member& b) { return !(a == b); }

  template <class Archive>
  void serialize(Archive& ar) { ar(id, address, voter); }
};

/// Cluster membership, sorted by id.
struct configuration {
  std::vector<member> members;
  /// Highest node id ever assigned in this cluster: ids are never reused.
  node_id max_assigned_id = no_node;

  [[nodiscard]] const member* find(node_id id) const {
    for (const auto& m : members)
      if (m.id == id) return &m;
    return nullptr;
  }
  [[nodiscard]] bool is_voter(node_id id) const {
    const auto* m = find(id);
    return m != nullptr && m->voter;
  }
  [[nodiscard]] std::size_t voter_count() const {
    std::size_t n = 0;
    for (const auto& m : members) n += m.voter ? 1 : 0;
    return n;
  }

  friend bool operator==(const configuration& a, const configuration& b) {
    return a.members == b.members && a.max_assigned_id == b.max_assigned_id;
  }
  friend bool operator!=(const configuration& a, const configuration& b) { return !(a == b); }

  template <class Archive>
  void serialize(Archive& ar) { ar(members, max_assigned_id); }
};

/// Describes the state a snapshot captures: everything up to and including
/// `index` (whose entry had `term`), and the membership in force then.
struct snapshot_meta {
  log_index index;
  raft_term term;
  configuration config;

  friend bool operator==(const snapshot_meta& a, const snapshot_meta& b) {
    return a.index == b.index && a.term == b.term && a.config == b.config;
  }
  friend bool operator!=(const snapshot_meta& a, const snapshot_meta& b) { return !(a == b); }

  template <class Archive>
  void serialize(Archive& ar) { ar(index, term, config); }
};

}  // namespace actraft::core

template <class Tag>
struct std::hash<actraft::core::strong_int<Tag>> {
  std::size_t operator()(actraft::core::strong_int<Tag> x) const noexcept {
    return std::hash<std::uint64_t>{}(x.value);
  }
};
