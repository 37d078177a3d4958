#include "lincheck/checker.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <limits>
#include <sstream>
#include <tuple>
#include <unordered_map>
#include <utility>

#include "actraft/core/splitmix.hpp"

namespace actraft::lincheck {

namespace {

// --- The model: one register per key ------------------------------------------
//
// A key's state is the id of its value (interned per key, 1, 2, ...), or
// absent (0), or "one of C" (-1): only while shrinking, when the witness starts
// after a cut-off prefix, from a value known only to lie in a candidate set C
// (values written before the cut, and absent if it may be). Transitions from
// "one of C" over-approximate: they allow whatever some member of C allows,
// and where the result is not one concrete value it stays "one of C" (C is
// built to contain every such result, see shrinker::candidates).

constexpr std::int32_t absent_state = 0;
constexpr std::int32_t any_state = -1;
constexpr std::int64_t infinity = std::numeric_limits<std::int64_t>::max();

enum class existed_flag : std::uint8_t { not_recorded, yes, no };

struct cop {
  op_kind kind = op_kind::get;
  bool definite = true;  // outcome ok; false: unknown (may take effect or never)
  bool swapped = true;   // cas
  existed_flag existed = existed_flag::not_recorded;  // delete
  std::int32_t a = 0;    // put, cas: new value; get: value read (absent_state: not found)
  std::int32_t expected = 0;  // cas
  std::int64_t invoke = 0;
  std::int64_t complete = 0;  // infinity when not definite
};

/// The candidate set C of the "one of C" state: has[id] for id 0 (absent) and
/// every value id.
struct candidates {
  std::vector<bool> has;
  std::size_t count = 0;
  bool any_present = false;  // some value other than absent

  bool contains(std::int32_t id) const {
    return id >= 0 && static_cast<std::size_t>(id) < has.size() && has[static_cast<std::size_t>(id)];
  }
  void add(std::int32_t id) {
    if (static_cast<std::size_t>(id) >= has.size()) has.resize(static_cast<std::size_t>(id) + 1, false);
    if (has[static_cast<std::size_t>(id)]) return;
    has[static_cast<std::size_t>(id)] = true;
    ++count;
    any_present = any_present || id != absent_state;
  }
};

/// Whether `o` may take effect in state `s`, and the state after it. `c` is
/// the candidate set when s is "one of C".
bool step(const cop& o, std::int32_t s, std::int32_t& out, const candidates& c) {
  const bool any = s == any_state;
  switch (o.kind) {
    case op_kind::put:
      out = o.a;
      return true;
    case op_kind::get:  // only definite gets are searched
      if (any ? !c.contains(o.a) : s != o.a) return false;
      out = o.a;
      return true;
    case op_kind::del:
      if (o.definite && o.existed == existed_flag::yes && (any ? !c.any_present : s == absent_state)) return false;
      if (o.definite && o.existed == existed_flag::no && (any ? !c.contains(absent_state) : s != absent_state)) {
        return false;
      }
      out = absent_state;
      return true;
    case op_kind::cas:
      if (!o.definite) {  // takes effect iff the key holds `expected` (from "one of C": stays)
        out = s == o.expected ? o.a : s;
        return true;
      }
      if (o.swapped) {
        if (any ? !c.contains(o.expected) : s != o.expected) return false;
        out = o.a;
        return true;
      }
      if (any ? (c.count == 1 && c.contains(o.expected)) : s == o.expected) return false;
      out = s;  // "one of C" stays (really: one of C but `expected`)
      return true;
  }
  return false;
}

/// Reads that leave the state as it was: removing one from a linearizable
/// history leaves a linearizable history (the shrinker relies on that).
bool read_only(const cop& o) {
  return (o.kind == op_kind::get) || (o.kind == op_kind::cas && o.definite && !o.swapped) ||
         (o.kind == op_kind::del && o.definite && o.existed == existed_flag::no);
}

/// Writes whose legality and effect do not depend on the state.
bool blind_write(const cop& o) {
  return o.kind == op_kind::put || (o.kind == op_kind::del && (!o.definite || o.existed == existed_flag::not_recorded));
}

/// A 64-bit hash of `x` (splitmix64's output function).
std::uint64_t splitmix(std::uint64_t x) { return actraft::core::splitmix64(x); }

std::uint64_t state_hash(std::int32_t s) {
  return splitmix(0x5bd1e995ULL ^ static_cast<std::uint64_t>(static_cast<std::uint32_t>(s)));
}

// --- Memo: the configurations (linearized set, state) already explored ---------
//
// A configuration is stored under a canonical, compact key, so that a long
// history does not cost a bitset of the whole history per entry:
//   [state, f, unknown-op bitset..., ranks of linearized definite ops >= f...]
// where definite operations are ranked by invocation and f is the length of
// the longest prefix of them that is entirely linearized. Any definite op
// linearized beyond f was invoked before the rank-f op completed (the search
// cannot pass an unlinearized op's return), so that tail is short: about the
// concurrency. Unknown operations can stay unlinearized forever, so they get
// a bitset of their own (one bit per unknown op of the key).
// The hash is Zobrist (XOR of a random word per linearized op, with a hash of
// the state), kept incrementally by the search.
class memo {
 public:
  explicit memo(std::size_t max_bytes) : max_bytes_(max_bytes) { slots_.assign(1024, 0); }

  enum class result { inserted, present, full };

  result insert(std::uint64_t hash, const std::vector<std::uint64_t>& key) {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(hash) & mask;
    for (;; i = (i + 1) & mask) {
      const std::uint32_t e = slots_[i];
      if (e == 0) break;
      const std::uint64_t* p = arena_.data() + (e - 1);
      if (p[0] == hash && p[1] == key.size() && std::equal(key.begin(), key.end(), p + 2)) {
        return result::present;
      }
    }
    const std::size_t offset = arena_.size();
    const std::size_t words = offset + 2 + key.size();
    if (words * sizeof(std::uint64_t) + slots_.size() * sizeof(std::uint32_t) > max_bytes_ ||
        words >= std::numeric_limits<std::uint32_t>::max()) {
      return result::full;
    }
    arena_.push_back(hash);
    arena_.push_back(key.size());
    arena_.insert(arena_.end(), key.begin(), key.end());
    slots_[i] = static_cast<std::uint32_t>(offset + 1);
    if (++count_ * 2 > slots_.size()) grow();
    return result::inserted;
  }

 private:
  void grow() {
    std::vector<std::uint32_t> bigger(slots_.size() * 2, 0);
    const std::size_t mask = bigger.size() - 1;
    for (std::size_t offset = 0; offset < arena_.size(); offset += 2 + arena_[offset + 1]) {
      std::size_t i = static_cast<std::size_t>(arena_[offset]) & mask;
      while (bigger[i] != 0) i = (i + 1) & mask;
      bigger[i] = static_cast<std::uint32_t>(offset + 1);
    }
    slots_ = std::move(bigger);
  }

  std::size_t max_bytes_;
  std::vector<std::uint64_t> arena_;  // entries: hash, key length, key words
  std::vector<std::uint32_t> slots_;  // arena offset + 1; 0 = empty
  std::size_t count_ = 0;
};

/// The set of linearized operations, kept so that its canonical memo key is
/// cheap to build (see memo).
class linearized_set {
 public:
  explicit linearized_set(const std::vector<cop>& ops) : rank_(ops.size()), is_definite_(ops.size()) {
    std::vector<std::uint32_t> definite;
    std::uint32_t unknown = 0;
    for (std::uint32_t i = 0; i < ops.size(); ++i) {
      is_definite_[i] = ops[i].definite;
      if (ops[i].definite) definite.push_back(i);
      else rank_[i] = unknown++;
    }
    std::stable_sort(definite.begin(), definite.end(),
                     [&](std::uint32_t a, std::uint32_t b) { return ops[a].invoke < ops[b].invoke; });
    for (std::uint32_t r = 0; r < definite.size(); ++r) rank_[definite[r]] = r;
    dbits_.assign((definite.size() + 63) / 64 + 1, 0);
    ubits_.assign((unknown + 63) / 64, 0);
    unknown_total_ = unknown;
    hash_of_.resize(ops.size());
    for (std::size_t i = 0; i < ops.size(); ++i) hash_of_[i] = splitmix(0xa0761d6478bd642fULL * (i + 1));
  }

  void insert(std::uint32_t op) {
    hash_ ^= hash_of_[op];
    const std::uint32_t r = rank_[op];
    if (!is_definite_[op]) {
      ubits_[r / 64] |= bit(r);
      ++ucount_;
      return;
    }
    dbits_[r / 64] |= bit(r);
    ++dcount_;
    while (dbits_[f_ / 64] & bit(f_)) ++f_;  // the last word is a zero guard
  }

  void erase(std::uint32_t op) {
    hash_ ^= hash_of_[op];
    const std::uint32_t r = rank_[op];
    if (!is_definite_[op]) {
      ubits_[r / 64] &= ~bit(r);
      --ucount_;
      return;
    }
    dbits_[r / 64] &= ~bit(r);
    --dcount_;
    if (r < f_) f_ = r;
  }

  std::uint64_t hash() const { return hash_; }

  /// The canonical key of (this set, state): [state, f, tail...] for the
  /// definite part, then the unknown-op bitset.
  void key(std::int32_t state, std::vector<std::uint64_t>& out) const {
    out.clear();
    out.push_back(static_cast<std::uint64_t>(static_cast<std::uint32_t>(state)));
    out.push_back(f_);
    std::size_t left = dcount_ - f_;
    for (std::size_t w = f_ / 64; left > 0; ++w) {
      std::uint64_t word = dbits_[w];
      if (w == f_ / 64) word &= ~(bit(f_) - 1);  // the prefix's bits are implied by f
      while (word != 0) {
        const auto b = static_cast<std::uint64_t>(__builtin_ctzll(word));
        out.push_back(w * 64 + b);
        word &= word - 1;
        --left;
      }
    }
    definite_words_ = out.size();
    out.insert(out.end(), ubits_.begin(), ubits_.end());
  }
  /// After key(): how many leading words are the definite part.
  std::size_t definite_words() const { return definite_words_; }
  std::size_t unknown_words() const { return ubits_.size(); }
  std::size_t unknown_linearized() const { return ucount_; }
  std::size_t unknown_total() const { return unknown_total_; }

 private:
  static std::uint64_t bit(std::uint32_t r) { return std::uint64_t{1} << (r % 64); }

  std::vector<std::uint32_t> rank_;
  std::vector<bool> is_definite_;
  std::vector<std::uint64_t> dbits_, ubits_, hash_of_;
  std::uint32_t f_ = 0;
  std::size_t dcount_ = 0;
  std::size_t ucount_ = 0;
  std::size_t unknown_total_ = 0;
  std::uint64_t hash_ = 0;
  mutable std::size_t definite_words_ = 0;
};

/// Configurations whose whole subtree failed, for keys with unknown
/// operations: (definite part, state) -> the unknown-op sets U it failed with.
/// Not having applied an unknown op only leaves more choices (it may still
/// take effect later, or never), so a configuration with the same definite
/// part and state and a superset of some failed U fails too: it is pruned.
class failed_table {
 public:
  explicit failed_table(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  bool dominated(const std::vector<std::uint64_t>& key, std::size_t definite_words) const {
    const auto it = table_.find(std::vector<std::uint64_t>(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(definite_words)));
    if (it == table_.end()) return false;
    const std::size_t u = key.size() - definite_words;
    const auto& sets = it->second;
    for (std::size_t off = 0; off < sets.size(); off += u) {
      bool subset = true;
      for (std::size_t w = 0; w < u && subset; ++w) subset = (sets[off + w] & ~key[definite_words + w]) == 0;
      if (subset) return true;
    }
    return false;
  }

  /// False when over budget.
  bool add(const std::vector<std::uint64_t>& key, std::size_t definite_words) {
    auto& sets = table_[std::vector<std::uint64_t>(key.begin(), key.begin() + static_cast<std::ptrdiff_t>(definite_words))];
    sets.insert(sets.end(), key.begin() + static_cast<std::ptrdiff_t>(definite_words), key.end());
    bytes_ += key.size() * sizeof(std::uint64_t) + 64;
    return bytes_ <= max_bytes_;
  }

 private:
  struct words_hash {
    std::size_t operator()(const std::vector<std::uint64_t>& v) const {
      std::uint64_t h = 0x243f6a8885a308d3ULL;
      for (const auto w : v) h = splitmix(h ^ w);
      return static_cast<std::size_t>(h);
    }
  };
  std::size_t max_bytes_;
  std::size_t bytes_ = 0;
  std::unordered_map<std::vector<std::uint64_t>, std::vector<std::uint64_t>, words_hash> table_;
};

// --- The WGL search -------------------------------------------------------------
//
// Lowe's formulation (as in "Testing for linearizability", 2017): the call and
// return events of all operations in one doubly linked list sorted by time. The
// search walks the list from the front; at a call it tries to linearize that
// operation next (model step legal and the resulting configuration (set,
// state) neither explored before nor dominated by a failed one): it pushes
// (call, state) on an explicit stack, lifts the call and its return out of the
// list and restarts from the front. At a return of an operation not yet
// linearized, every choice so far is a dead end: pop, unlift, and go on after
// the popped call. Done when every definite operation is linearized (unknown
// ones left over never took effect); not linearizable when it must pop an
// empty stack.
//
// Unknown operations: their return is at +infinity, so they never force a
// backtrack. At each configuration the candidates (calls before the first
// return) are tried in two passes: definite operations first, then unknown
// ones, and an unknown operation that would not change the state is never
// applied (not applying it is at least as good), nor followed directly by a
// blind write (put, delete without "existed"); of several candidate unknown
// ops with the same effect only the earliest is tried. Applying unknown writes only
// when nothing else works makes the failed configurations with small unknown
// sets come first, which then prune (failed_table) the larger ones.

struct search_result {
  verdict result = verdict::linearizable;
  std::uint64_t steps = 0;
};

search_result wgl(const std::vector<cop>& ops, std::int32_t initial, const candidates& initial_set,
                  std::uint64_t max_steps, std::size_t max_memo_bytes) {
  search_result r;
  const std::size_t n = ops.size();
  std::size_t remaining = 0;
  for (const auto& o : ops) remaining += o.definite ? 1 : 0;
  if (remaining == 0) return r;

  // Events: (time, 0 = call / 1 = return, op). At equal times calls come
  // first: operations that touch in time count as concurrent.
  std::vector<std::tuple<std::int64_t, int, std::uint32_t>> events;
  events.reserve(2 * n);
  for (std::uint32_t i = 0; i < n; ++i) {
    events.emplace_back(ops[i].invoke, 0, i);
    events.emplace_back(ops[i].definite ? ops[i].complete : infinity, 1, i);
  }
  std::sort(events.begin(), events.end());

  // Node 0 is the head; node k + 1 is events[k]; nil ends the list.
  constexpr std::uint32_t nil = std::numeric_limits<std::uint32_t>::max();
  const std::size_t nodes = 2 * n + 1;
  std::vector<std::uint32_t> next(nodes), prev(nodes), op_of(nodes), match(nodes, nil);
  std::vector<std::uint32_t> call_node(n);
  std::vector<bool> is_call(nodes, false);
  for (std::size_t k = 0; k < events.size(); ++k) {
    const auto node = static_cast<std::uint32_t>(k + 1);
    const auto [t, kind, op] = events[k];
    op_of[node] = op;
    if (kind == 0) {
      is_call[node] = true;
      call_node[op] = node;
    } else {
      match[call_node[op]] = node;
    }
  }
  for (std::size_t i = 0; i < nodes; ++i) {
    next[i] = i + 1 < nodes ? static_cast<std::uint32_t>(i + 1) : nil;
    prev[i] = i > 0 ? static_cast<std::uint32_t>(i - 1) : nil;
  }
  auto unlink = [&](std::uint32_t e) {
    next[prev[e]] = next[e];
    if (next[e] != nil) prev[next[e]] = prev[e];
  };
  auto relink = [&](std::uint32_t e) {
    next[prev[e]] = e;
    if (next[e] != nil) prev[next[e]] = e;
  };

  linearized_set done(ops);
  memo seen(max_memo_bytes);
  failed_table failed(max_memo_bytes);
  const bool has_unknown = done.unknown_total() > 0;
  std::vector<std::uint64_t> key;
  struct frame {
    std::uint32_t call;
    std::int32_t state;  // before the call was linearized
    bool unknown_pass;   // it was tried in the unknown pass
    bool forced;         // a read taken without trying alternatives
  };
  std::vector<frame> stack;
  stack.reserve(n);

  std::int32_t state = initial;
  std::uint32_t entry = next[0];
  bool unknown_pass = false;
  bool fresh = true;       // at the start of a configuration's candidates
  bool exhausted = false;  // the current configuration failed: backtrack

  enum class push { pushed, finished, rejected, full };
  // Linearizes the call at `e` next, leading to state `after`, unless that
  // configuration was explored or is dominated by a failed one.
  auto try_push = [&](std::uint32_t e, std::int32_t after, bool forced) {
    const std::uint32_t op = op_of[e];
    done.insert(op);
    done.key(after, key);
    auto res = memo::result::present;
    if (!has_unknown || !failed.dominated(key, done.definite_words())) {
      res = seen.insert(done.hash() ^ state_hash(after), key);
    }
    if (res == memo::result::full) return push::full;
    if (res == memo::result::present) {
      done.erase(op);
      return push::rejected;
    }
    stack.push_back({e, state, unknown_pass, forced});
    state = after;
    unlink(e);
    unlink(match[e]);
    if (ops[op].definite && --remaining == 0) return push::finished;
    entry = next[0];
    unknown_pass = false;
    fresh = true;
    return push::pushed;
  };

  // Symmetry: unknown ops with the same effect that are both candidates now
  // are interchangeable (both may go now, both stay possible until the end),
  // so only the earliest of them is tried.
  auto twin_before = [&](std::uint32_t e) {
    const cop& o = ops[op_of[e]];
    for (std::uint32_t x = next[0]; x != e; x = next[x]) {
      const cop& p = ops[op_of[x]];
      if (!p.definite && p.kind == o.kind && p.a == o.a && p.expected == o.expected) return true;
    }
    return false;
  };

  for (;;) {
    if (++r.steps > max_steps) {
      r.result = verdict::undecided;
      return r;
    }
    if (fresh) {
      // Partial-order reduction: a definite read that may go now and sees the
      // current state is linearized first, with no alternatives tried. Sound:
      // in any linearization from here it can be moved to the front (it is
      // enabled now, so nothing unlinearized must precede it, and it changes
      // no state).
      fresh = false;
      if (state != any_state) {
        for (std::uint32_t e = next[0]; e != nil && is_call[e]; e = next[e]) {
          const cop& o = ops[op_of[e]];
          std::int32_t after = 0;
          if (o.definite && read_only(o) && step(o, state, after, initial_set) && after == state) {
            const auto res = try_push(e, after, true);
            if (res == push::finished) return r;
            if (res == push::full) {
              r.result = verdict::undecided;
              return r;
            }
            if (res == push::rejected) exhausted = true;
            break;
          }
        }
        if (fresh || exhausted) continue;
      }
    }
    if (!exhausted && entry != nil && is_call[entry]) {
      const cop& o = ops[op_of[entry]];
      std::int32_t after = 0;
      // Right after an unknown op, a blind write would make it pointless: the
      // branch that never applies the unknown op covers that (it is a sibling
      // at the parent configuration, where the same write is a candidate).
      const bool after_unknown = !stack.empty() && !ops[op_of[stack.back().call]].definite;
      if (o.definite != unknown_pass && !(after_unknown && blind_write(o)) && step(o, state, after, initial_set) &&
          (o.definite || (after != state && !twin_before(entry)))) {
        const auto res = try_push(entry, after, false);
        if (res == push::finished) return r;
        if (res == push::full) {
          r.result = verdict::undecided;
          return r;
        }
        if (res == push::pushed) continue;
      }
      entry = next[entry];
      continue;
    }
    // A return of an operation not linearized yet (the list always ends with
    // a return while a definite operation is left, so nil cannot be reached
    // with work left; treat it the same way for safety).
    if (!exhausted && !unknown_pass && done.unknown_linearized() < done.unknown_total()) {
      unknown_pass = true;  // the same candidates again, unknown ones this time
      entry = next[0];
      continue;
    }
    exhausted = false;
    if (stack.empty()) {
      r.result = verdict::not_linearizable;
      return r;
    }
    if (has_unknown) {  // this configuration's subtree is exhausted
      done.key(state, key);
      if (!failed.add(key, done.definite_words())) {
        r.result = verdict::undecided;
        return r;
      }
    }
    const frame top = stack.back();
    stack.pop_back();
    const std::uint32_t op = op_of[top.call];
    state = top.state;
    done.erase(op);
    if (ops[op].definite) ++remaining;
    relink(match[top.call]);
    relink(top.call);
    entry = next[top.call];
    unknown_pass = top.unknown_pass;
    if (top.forced) exhausted = true;  // the forced read failed: so does its parent
  }
}

// --- From operations to the search's form ---------------------------------------

class interner {
 public:
  std::int32_t id(const std::string& v) {
    const auto [it, fresh] = ids_.try_emplace(v, static_cast<std::int32_t>(names_.size() + 1));
    if (fresh) names_.push_back(v);
    return it->second;
  }
  /// The value of an id > 0.
  const std::string& name(std::int32_t id) const { return names_[static_cast<std::size_t>(id - 1)]; }

 private:
  std::unordered_map<std::string, std::int32_t> ids_;
  std::vector<std::string> names_;
};

void validate(const operation& op) {
  if ((op.kind == op_kind::put || op.kind == op_kind::cas) && !op.value) {
    throw bad_history(0, std::string(to_string(op.kind)) + " on key " + op.key + " has no value");
  }
  if (op.complete && *op.complete < op.invoke) {
    throw bad_history(0, describe(op) + ": completes before it is invoked");
  }
  if (op.result != outcome::unknown && !op.complete) {
    throw bad_history(0, describe(op) + ": no completion time");
  }
}

/// Whether the operation takes part in the search at all: failed operations
/// never happened; a get with unknown outcome observed nothing.
bool searched(const operation& op) {
  if (op.result == outcome::failed) return false;
  if (op.kind == op_kind::get && op.result != outcome::ok) return false;
  return true;
}

cop compact(const operation& op, interner& values) {
  cop c;
  c.kind = op.kind;
  c.definite = op.result == outcome::ok;
  c.invoke = op.invoke;
  c.complete = c.definite ? *op.complete : infinity;
  switch (op.kind) {
    case op_kind::put:
      c.a = values.id(*op.value);
      break;
    case op_kind::get:
      c.a = op.value ? values.id(*op.value) : absent_state;
      break;
    case op_kind::del:
      if (c.definite && op.existed) c.existed = *op.existed ? existed_flag::yes : existed_flag::no;
      break;
    case op_kind::cas:
      c.a = values.id(*op.value);
      c.expected = op.expected ? values.id(*op.expected) : absent_state;
      c.swapped = op.swapped;
      break;
  }
  return c;
}

// --- Shrinking ------------------------------------------------------------------
//
// Every move below is a sound weakening: if the history before the move is
// linearizable, so is the one after it. So any sub-history the shrinker ends
// with that is still non-linearizable proves the original is not (there is no
// "violation" that the shrinking itself made up). The moves:
//  - drop a read-only operation (get, cas not swapped, delete that found no key);
//  - drop a write no remaining operation could need (see needed()); a
//    definite one is first weakened to unknown, which is sound by itself;
//  - cut the suffix after time t: drop operations invoked after t; those in
//    flight at t become unknown (read-only ones are dropped);
//  - cut the prefix before time s: drop operations completed before s; those in
//    flight at s become unknown (read-only ones dropped); start from "one of C",
//    C = every value written by an operation invoked before s, every value an
//    unknown cas left in the window may write, and absent unless some write
//    completed before s and no delete was invoked before s.
// Both cuts are monotone in t and s, so each is binary searched (s only moves
// forward); then chunks of reads are dropped, halving the chunk size (ddmin
// style); all repeated until nothing changes.

struct item {
  std::size_t pos;  // into the key's searched operations
  bool cut;         // weakened to unknown
};

class shrinker {
 public:
  shrinker(const std::vector<cop>& base, const check_options& options) : base_(base), options_(options) {}

  bool definite(const item& it) const { return !it.cut && base_[it.pos].definite; }

  candidates candidates_at(const std::vector<item>& items, std::int64_t s) const {
    candidates c;
    bool written = false, deleted = false;
    for (const auto& o : base_) {
      if (o.invoke >= s) continue;
      if (o.kind == op_kind::put || o.kind == op_kind::cas) c.add(o.a);
      if (o.kind == op_kind::del) deleted = true;
      if (o.definite && o.complete < s && (o.kind == op_kind::put || (o.kind == op_kind::cas && o.swapped))) {
        written = true;
      }
    }
    for (const auto& it : items) {
      if (!definite(it) && base_[it.pos].kind == op_kind::cas) c.add(base_[it.pos].a);
    }
    if (!written || deleted) c.add(absent_state);
    return c;
  }

  bool fails(const std::vector<item>& items, std::optional<std::int64_t> s) {
    if (spent_ >= options_.shrink_total_steps) return false;
    std::vector<cop> ops;
    ops.reserve(items.size());
    for (const auto& it : items) {
      cop c = base_[it.pos];
      if (it.cut) {
        c.definite = false;
        c.complete = infinity;
      }
      ops.push_back(c);
    }
    const auto r = wgl(ops, s ? any_state : absent_state, s ? candidates_at(items, *s) : candidates{},
                       std::min(options_.shrink_max_steps, options_.shrink_total_steps - spent_),
                       options_.max_memo_bytes);
    spent_ += r.steps;
    return r.result == verdict::not_linearizable;
  }

  std::vector<item> cut_suffix(const std::vector<item>& in, std::int64_t t) const {
    std::vector<item> out;
    for (const auto& it : in) {
      const cop& c = base_[it.pos];
      if (c.invoke > t) continue;
      if (definite(it) && c.complete > t) {
        if (read_only(c)) continue;
        out.push_back({it.pos, true});
      } else {
        out.push_back(it);
      }
    }
    return out;
  }

  std::vector<item> cut_prefix(const std::vector<item>& in, std::int64_t s) const {
    std::vector<item> out;
    for (const auto& it : in) {
      const cop& c = base_[it.pos];
      if (definite(it) && c.complete < s) continue;
      if (definite(it) && c.invoke < s) {
        if (read_only(c)) continue;
        out.push_back({it.pos, true});
      } else {
        out.push_back(it);
      }
    }
    return out;
  }

  /// Whether some other operation in `items` could depend on the state the
  /// write items[i] leaves (its value, or absent for a delete). If not, and
  /// it is unknown, dropping it changes nothing: in a linearization it can be
  /// left out (the operations until the next write then see the previous
  /// state, which none of them cares about; an unknown cas that would now
  /// apply is left out too).
  bool needed(const std::vector<item>& items, std::size_t i) const {
    const cop& w = base_[items[i].pos];
    const std::int32_t v = w.kind == op_kind::del ? absent_state : w.a;
    for (std::size_t j = 0; j < items.size(); ++j) {
      if (j == i) continue;
      const cop& o = base_[items[j].pos];
      const bool definite_o = definite(items[j]);
      switch (o.kind) {
        case op_kind::put:
          break;
        case op_kind::get:
          if (o.a == v) return true;
          break;
        case op_kind::del:
          if (definite_o && o.existed == existed_flag::yes && v != absent_state) return true;
          if (definite_o && o.existed == existed_flag::no && v == absent_state) return true;
          break;
        case op_kind::cas:
          if (o.expected == v) return true;
          if (definite_o && !o.swapped) return true;
          break;
      }
    }
    return false;
  }

  /// One round of all moves; true if anything changed.
  bool round(std::vector<item>& items, std::optional<std::int64_t>& s) {
    const std::size_t before = items.size();
    const auto s_before = s;
    std::size_t cuts_before = 0;
    for (const auto& it : items) cuts_before += it.cut ? 1 : 0;

    // Suffix: the smallest t (a definite completion time) still failing.
    std::vector<std::int64_t> ts;
    for (const auto& it : items) {
      if (definite(it)) ts.push_back(base_[it.pos].complete);
    }
    std::sort(ts.begin(), ts.end());
    ts.erase(std::unique(ts.begin(), ts.end()), ts.end());
    if (!ts.empty() && fails(cut_suffix(items, ts.back()), s)) {
      std::size_t lo = 0, hi = ts.size() - 1;  // the first failing index is in [lo, hi]
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo) / 2;
        if (fails(cut_suffix(items, ts[mid]), s)) hi = mid;
        else lo = mid + 1;
      }
      items = cut_suffix(items, ts[lo]);
    }

    // Prefix: the largest s (a definite invocation time, not before the current
    // cut) still failing.
    std::vector<std::int64_t> ss;
    for (const auto& it : items) {
      if (definite(it) && (!s || base_[it.pos].invoke >= *s)) ss.push_back(base_[it.pos].invoke);
    }
    std::sort(ss.begin(), ss.end());
    ss.erase(std::unique(ss.begin(), ss.end()), ss.end());
    if (!ss.empty() && fails(cut_prefix(items, ss[0]), ss[0])) {
      std::size_t lo = 0, hi = ss.size() - 1;  // the last failing index is in [lo, hi]
      while (lo < hi) {
        const std::size_t mid = lo + (hi - lo + 1) / 2;
        if (fails(cut_prefix(items, ss[mid]), ss[mid])) lo = mid;
        else hi = mid - 1;
      }
      items = cut_prefix(items, ss[lo]);
      s = ss[lo];
    }

    // Reads, in chunks of halving size.
    std::vector<std::size_t> reads;  // positions in items
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (definite(items[i]) && read_only(base_[items[i].pos])) reads.push_back(i);
    }
    std::vector<bool> dropped(items.size(), false);
    for (std::size_t chunk = std::max<std::size_t>(reads.size() / 2, 1); !reads.empty(); chunk /= 2) {
      for (std::size_t from = 0; from < reads.size(); from += chunk) {
        const std::size_t to = std::min(reads.size(), from + chunk);
        std::vector<bool> trial = dropped;
        bool any_new = false;
        for (std::size_t k = from; k < to; ++k) {
          any_new = any_new || !trial[reads[k]];
          trial[reads[k]] = true;
        }
        if (!any_new) continue;
        std::vector<item> candidate;
        for (std::size_t i = 0; i < items.size(); ++i) {
          if (!trial[i]) candidate.push_back(items[i]);
        }
        if (fails(candidate, s)) dropped = std::move(trial);
      }
      if (chunk == 1) break;
    }
    std::vector<item> kept;
    for (std::size_t i = 0; i < items.size(); ++i) {
      if (!dropped[i]) kept.push_back(items[i]);
    }
    items = std::move(kept);

    // Writes nobody left could need: unknown ones go (that changes nothing),
    // definite ones go if the rest still fails (weaken to unknown, then drop).
    for (bool again = true; again;) {
      again = false;
      for (std::size_t i = 0; i < items.size(); ++i) {
        const cop& c = base_[items[i].pos];
        if (read_only(c) || needed(items, i)) continue;
        std::vector<item> candidate = items;
        candidate.erase(candidate.begin() + static_cast<std::ptrdiff_t>(i));
        if (fails(candidate, s)) {
          items = std::move(candidate);
          again = true;
          break;
        }
      }
    }

    std::size_t cuts_after = 0;
    for (const auto& it : items) cuts_after += it.cut ? 1 : 0;
    return items.size() != before || s != s_before || cuts_after != cuts_before;
  }

 private:
  const std::vector<cop>& base_;
  const check_options& options_;
  std::uint64_t spent_ = 0;
};

struct key_group {
  std::string key;
  std::vector<std::size_t> searched;  // history indices, sorted by invocation
};

std::string pad(std::string s, std::size_t width, bool right) {
  if (s.size() >= width) return s;
  return right ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

std::string quote(const std::optional<std::string>& v) {
  if (!v) return "(absent)";
  operation op;
  op.kind = op_kind::put;
  op.value = *v;
  const std::string d = describe(op);  // "put  = \"...\"": reuse its JSON quoting
  return d.substr(d.find('"'));
}

}  // namespace

const char* to_string(verdict v) {
  switch (v) {
    case verdict::linearizable: return "linearizable";
    case verdict::not_linearizable: return "not linearizable";
    case verdict::undecided: return "undecided";
  }
  return "?";
}

std::ostream& operator<<(std::ostream& out, verdict v) { return out << to_string(v); }

verdict check_register(const std::vector<operation>& ops, const check_options& options,
                       const std::vector<std::optional<std::string>>* initial_values, std::uint64_t* steps) {
  interner values;
  candidates c;
  if (initial_values) {
    for (const auto& v : *initial_values) c.add(v ? values.id(*v) : absent_state);
  }
  std::vector<cop> cops;
  for (const auto& op : ops) {
    validate(op);
    if (searched(op)) cops.push_back(compact(op, values));
  }
  const auto r =
      wgl(cops, initial_values ? any_state : absent_state, c, options.max_steps, options.max_memo_bytes);
  if (steps) *steps = r.steps;
  return r.result;
}

check_result check(const std::vector<operation>& history, const check_options& options) {
  check_result result;
  std::vector<key_group> groups;
  std::unordered_map<std::string, std::size_t> group_of;
  for (std::size_t i = 0; i < history.size(); ++i) {
    validate(history[i]);
    const auto [it, fresh] = group_of.try_emplace(history[i].key, groups.size());
    if (fresh) groups.push_back({history[i].key, {}});
    if (searched(history[i])) groups[it->second].searched.push_back(i);
  }

  bool any_undecided = false;
  std::vector<cop> bad_base;
  interner bad_values;
  std::size_t bad_group = 0;
  for (std::size_t gi = 0; gi < groups.size(); ++gi) {
    auto& g = groups[gi];
    std::stable_sort(g.searched.begin(), g.searched.end(),
                     [&](std::size_t a, std::size_t b) { return history[a].invoke < history[b].invoke; });
    interner values;
    std::vector<cop> cops;
    cops.reserve(g.searched.size());
    for (const auto i : g.searched) cops.push_back(compact(history[i], values));
    const auto r = wgl(cops, absent_state, candidates{}, options.max_steps, options.max_memo_bytes);
    result.steps += r.steps;
    result.keys.push_back({g.key, r.result, cops.size(), r.steps});
    if (r.result == verdict::undecided) any_undecided = true;
    if (r.result == verdict::not_linearizable && !result.bad_key) {
      result.bad_key = g.key;
      bad_base = std::move(cops);
      bad_values = std::move(values);
      bad_group = gi;
    }
  }

  if (!result.bad_key) {
    result.result = any_undecided ? verdict::undecided : verdict::linearizable;
    return result;
  }
  result.result = verdict::not_linearizable;

  std::vector<item> items;
  for (std::size_t p = 0; p < bad_base.size(); ++p) items.push_back({p, false});
  std::optional<std::int64_t> s;
  shrinker shrink(bad_base, options);
  if (options.shrink) {
    for (int rounds = 0; rounds < 8 && shrink.round(items, s); ++rounds) {
    }
  }
  const auto& g = groups[bad_group];
  for (const auto& it : items) {
    witness_op w;
    w.index = g.searched[it.pos];
    w.op = history[w.index];
    w.cut = it.cut;
    if (it.cut) {
      w.op.result = outcome::unknown;
      w.op.swapped = true;
      w.op.existed.reset();
    }
    result.witness.push_back(std::move(w));
  }
  if (s) {
    result.witness_start = *s;
    const auto c = shrink.candidates_at(items, *s);
    std::vector<std::optional<std::string>> start;
    for (std::size_t id = 0; id < c.has.size(); ++id) {
      if (!c.has[id]) continue;
      if (id == 0) start.emplace_back(std::nullopt);
      else start.emplace_back(bad_values.name(static_cast<std::int32_t>(id)));
    }
    result.witness_initial_values = std::move(start);
  }
  return result;
}

std::string format_result(const check_result& result, const std::vector<operation>& history,
                          const std::vector<std::size_t>* line_numbers) {
  std::ostringstream out;
  std::size_t ops = 0;
  std::vector<std::string> bad, undecided;
  for (const auto& k : result.keys) {
    ops += k.ops;
    if (k.result == verdict::not_linearizable) bad.push_back(k.key);
    if (k.result == verdict::undecided) undecided.push_back(k.key);
  }
  auto list = [](const std::vector<std::string>& items) {
    std::string s;
    for (std::size_t i = 0; i < items.size() && i < 10; ++i) s += (i ? ", " : "") + items[i];
    if (items.size() > 10) s += ", ... (" + std::to_string(items.size()) + " in all)";
    return s;
  };
  out << to_string(result.result) << ": " << history.size() << " operations, " << result.keys.size()
      << " keys, " << ops << " operations searched, " << result.steps << " steps\n";
  if (!undecided.empty()) out << "undecided (budget exhausted) on key(s): " << list(undecided) << "\n";
  if (result.result != verdict::not_linearizable) return out.str();

  std::size_t key_ops = 0;
  for (const auto& k : result.keys) {
    if (k.key == *result.bad_key) key_ops = k.ops;
  }
  out << "not linearizable on key(s): " << list(bad) << "\n\n"
      << "key " << *result.bad_key << ": shortest offending sub-history found, " << result.witness.size() << " of "
      << key_ops << " operations, ";
  if (result.witness_initial_values) {
    std::vector<std::string> values;
    for (const auto& v : *result.witness_initial_values) values.push_back(quote(v));
    out << "starting at time " << *result.witness_start << " with the key holding one of: " << list(values)
        << "\n(what operations invoked before then may have left)";
  } else {
    out << "starting from the beginning (key absent)";
  }
  out << ":\n";
  const bool lines = line_numbers && line_numbers->size() == history.size();
  std::vector<std::array<std::string, 6>> rows;
  rows.push_back({lines ? "line" : "#", "client", "invoke", "complete", "outcome", "operation"});
  for (const auto& w : result.witness) {
    const auto& orig = history[w.index];
    std::string res = to_string(orig.result);
    if (w.cut) res += "*";
    rows.push_back({std::to_string(lines ? (*line_numbers)[w.index] : w.index), std::to_string(orig.client),
                    std::to_string(orig.invoke), orig.complete ? std::to_string(*orig.complete) : "-", res,
                    describe(orig)});
  }
  std::array<std::size_t, 6> width{};
  for (const auto& row : rows) {
    for (std::size_t c = 0; c < 6; ++c) width[c] = std::max(width[c], row[c].size());
  }
  for (const auto& row : rows) {
    out << "  ";
    for (std::size_t c = 0; c < 6; ++c) {
      out << (c == 5 ? row[c] : pad(row[c], width[c], c < 4) + "  ");
    }
    out << "\n";
  }
  bool any_cut = false;
  for (const auto& w : result.witness) any_cut = any_cut || w.cut;
  if (any_cut) {
    out << "  * in flight at an edge of the window: taken as unknown (took effect then or never)\n";
  }
  out << "No order of these operations, each taking effect once between its invocation and completion\n"
         "(unknown ones: at any time after invocation, or never), explains the results.\n";
  return out.str();
}

}  // namespace actraft::lincheck
