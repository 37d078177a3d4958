#include "actraft/core/raft_log.hpp"

#include <algorithm>
#include <utility>

namespace actraft::core {

raft_log::raft_log(snapshot_meta snapshot, std::vector<entry> entries, log_index commit)
    : snapshot_(std::move(snapshot)), entries_(std::move(entries)) {
  unstable_from_ = last_index() + 1;
  durable_ = last_index();
  commit_ = std::clamp(commit, snapshot_.index, last_index());
}

raft_term raft_log::last_term() const {
  return entries_.empty() ? snapshot_.term : entries_.back().term;
}

std::optional<raft_term> raft_log::term_at(log_index i) const {
  if (i == snapshot_.index) return snapshot_.term;
  if (i < snapshot_.index || i > last_index()) return std::nullopt;
  return at(i).term;
}

const entry& raft_log::at(log_index i) const {
  return entries_[static_cast<std::size_t>(i.value - first_index().value)];
}

bool raft_log::is_up_to_date(log_index last, raft_term term) const {
  return term > last_term() || (term == last_term() && last >= last_index());
}

bool raft_log::append(const std::vector<entry>& es) {
  if (es.empty()) return true;
  if (es.front().index != last_index() + 1) return false;
  entries_.insert(entries_.end(), es.begin(), es.end());
  return true;
}

bool raft_log::truncate_from(log_index i) {
  if (i <= commit_ || i <= snapshot_.index) return false;
  if (i > last_index()) return true;
  entries_.resize(static_cast<std::size_t>(i.value - first_index().value));
  unstable_from_ = std::min(unstable_from_, i);
  durable_ = std::min(durable_, i - 1);
  return true;
}

std::vector<entry> raft_log::slice(log_index lo, log_index hi, std::size_t max_bytes) const {
  std::vector<entry> out;
  lo = std::max(lo, first_index());
  hi = std::min(hi, last_index());
  std::size_t total = 0;
  for (log_index i = lo; i <= hi; i = i + 1) {
    const entry& e = at(i);
    total += entry_bytes(e);
    if (!out.empty() && total > max_bytes) break;  // always at least one entry
    out.push_back(e);
  }
  return out;
}

std::pair<log_index, raft_term> raft_log::find_conflict_by_term(log_index i, raft_term t) const {
  i = std::min(i, last_index());
  while (i > snapshot_.index) {
    raft_term ti = at(i).term;
    if (ti <= t) return {i, ti};
    i = i - 1;
  }
  return {snapshot_.index, snapshot_.term};
}

void raft_log::commit_to(log_index i) {
  commit_ = std::max(commit_, std::min(i, last_index()));
}

bool raft_log::compact(const snapshot_meta& meta) {
  if (meta.index <= snapshot_.index || meta.index > commit_ || term_at(meta.index) != meta.term)
    return false;
  entries_.erase(entries_.begin(),
                 entries_.begin() + static_cast<std::ptrdiff_t>(meta.index.value - snapshot_.index.value));
  snapshot_ = meta;
  return true;
}

void raft_log::restore(const snapshot_meta& meta) {
  entries_.clear();
  snapshot_ = meta;
  commit_ = meta.index;
  unstable_from_ = meta.index + 1;
  durable_ = meta.index;  // the caller makes the snapshot durable before stepping it in
}

std::vector<entry> raft_log::take_unstable() {
  std::vector<entry> out;
  if (unstable_from_ <= last_index()) {
    out.assign(entries_.begin() +
                   static_cast<std::ptrdiff_t>(unstable_from_.value - first_index().value),
               entries_.end());
  }
  unstable_from_ = last_index() + 1;
  return out;
}

void raft_log::mark_durable(log_index i) {
  // Entries handed to storage but truncated since then are not durable in
  // their old form; the caller's write of the replacement is a later ready.
  durable_ = std::max(durable_, std::min(i, unstable_from_ - 1));
}

}  // namespace actraft::core
