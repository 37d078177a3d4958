#include "support/clients.hpp"

#include <charconv>

namespace actraft::sim {

namespace {

std::string text_of(const core::payload& p) { return std::string(p.get().begin(), p.get().end()); }

std::string request_name(driver::request_id id, const client_log::record& r) {
  std::string s = "request r" + std::to_string(id) + " to n" + std::to_string(r.to.value);
  switch (r.kind) {
    case driver::request_kind::propose: return s + " (propose \"" + text_of(r.command) + "\")";
    case driver::request_kind::join: return s + " (join n" + std::to_string(r.member.value) + ")";
    case driver::request_kind::remove: return s + " (remove n" + std::to_string(r.member.value) + ")";
    case driver::request_kind::query: return s + " (query)";
    case driver::request_kind::query_local: return s + " (stale query)";
    case driver::request_kind::transfer: return s + " (transfer to n" + std::to_string(r.member.value) + ")";
    case driver::request_kind::snapshot: return s + " (snapshot)";
  }
  return s;
}

}  // namespace

bool failing_command(const std::string& text) {
  return text.size() >= 5 && text.compare(text.size() - 5, 5, "-fail") == 0;
}

std::optional<std::string> store_result(const core::entry& e) {
  const std::string text = text_of(e.data);
  if (failing_command(text)) return std::nullopt;
  return std::to_string(e.index.value) + ":" + text;
}

void client_log::add(driver::request_id id, record r) {
  if (r.kind == driver::request_kind::query) {
    r.floor = seen_;
    r.floor_by = seen_by_;
  }
  open_[id] = r.deadline;
  requests_[id] = std::move(r);
}

const client_log::record* client_log::find(driver::request_id id) const {
  auto it = requests_.find(id);
  return it == requests_.end() ? nullptr : &it->second;
}

std::optional<violation> client_log::on_answer(driver::request_id id, const driver::reply& r,
                                               std::uint64_t now, const invariant_checker& checker) {
  auto it = requests_.find(id);
  if (it == requests_.end())
    return violation{invariant::exactly_once_answer, "an answer to r" + std::to_string(id) +
                                                         ", which no client sent"};
  record& rec = it->second;
  if (rec.answered)
    return violation{invariant::exactly_once_answer,
                     request_name(id, rec) + " answered twice (first at t=" +
                         std::to_string(rec.answered_at) + ", again at t=" + std::to_string(now) + ")"};
  if (rec.lost) return std::nullopt;  // its client is gone; the member answered a dead connection
  rec.answered = true;
  rec.answer = r;
  rec.answered_at = now;
  open_.erase(id);
  ++answered_;
  if (rec.kind == driver::request_kind::query || rec.kind == driver::request_kind::query_local)
    return check_read(id, rec, r, checker);
  if (rec.kind != driver::request_kind::propose) return std::nullopt;
  return check_applied(id, rec, r, checker);
}

/// A read's answer is the state it saw: the number of entries applied.
std::optional<violation> client_log::check_read(driver::request_id id, const record& rec,
                                                const driver::reply& r,
                                                const invariant_checker& checker) {
  if (!r.ok()) return std::nullopt;  // nothing read
  const std::string value(r.value.begin(), r.value.end());
  std::uint64_t n = 0;
  if (std::from_chars(value.data(), value.data() + value.size(), n).ec != std::errc{})
    return violation{invariant::answer_integrity,
                     request_name(id, rec) + " answered \"" + value + "\": not a state"};
  if (n > checker.committed().last())
    return violation{invariant::linearizable_read,
                     request_name(id, rec) + " saw " + std::to_string(n) +
                         " entries applied, but only " + std::to_string(checker.committed().last()) +
                         " are committed"};
  if (rec.kind == driver::request_kind::query_local) return std::nullopt;  // may be stale
  if (n < rec.floor)
    return violation{invariant::linearizable_read,
                     request_name(id, rec) + " asked at t=" + std::to_string(rec.submitted) + " saw " +
                         std::to_string(n) + " entries applied, but r" + std::to_string(rec.floor_by) +
                         " had shown index " + std::to_string(rec.floor) + " to a client before"};
  if (n > seen_) {
    seen_ = n;
    seen_by_ = id;
  }
  return std::nullopt;
}

/// A proposal answered "applied" (a value) or "apply failed": its own entry
/// is committed, was applied somewhere, and the answer is that entry's result.
std::optional<violation> client_log::check_applied(driver::request_id id, const record& rec,
                                                   const driver::reply& r,
                                                   const invariant_checker& checker) {
  const std::string command = text_of(rec.command);
  if (!r.ok()) {
    if (r.error == errc::apply_failed && !failing_command(command))
      return violation{invariant::answer_integrity,
                       request_name(id, rec) + " answered apply_failed, but its command never fails"};
    return std::nullopt;
  }
  const std::string value(r.value.begin(), r.value.end());
  const auto colon = value.find(':');
  std::uint64_t index = 0;
  if (colon == std::string::npos ||
      std::from_chars(value.data(), value.data() + colon, index).ec != std::errc{} ||
      value.substr(colon + 1) != command)
    return violation{invariant::answer_integrity,
                     request_name(id, rec) + " answered \"" + value +
                         "\": not the result of applying its own command"};
  const shadow_entry* applied = checker.first_applied(index);
  if (applied == nullptr || checker.committed().last() < index)
    return violation{invariant::answer_integrity,
                     request_name(id, rec) + " answered \"" + value + "\" before index " +
                         std::to_string(index) + " was committed and applied"};
  if (text_of(applied->data) != command || text_of(checker.committed().at(index).data) != command)
    return violation{invariant::answer_integrity, request_name(id, rec) + " answered \"" + value +
                                                      "\", but index " + std::to_string(index) +
                                                      " holds another entry"};
  acked_.push_back(acked_proposal{core::log_index{index}, applied->term, rec.command});
  if (index > seen_) {
    seen_ = index;
    seen_by_ = id;
  }
  return std::nullopt;
}

void client_log::on_crash(core::node_id n, std::uint64_t incarnation, std::uint64_t now) {
  for (auto it = open_.begin(); it != open_.end();) {
    record& rec = requests_.at(it->first);
    if (rec.to == n && rec.incarnation == incarnation) {
      rec.lost = true;
      rec.answered_at = now;
      it = open_.erase(it);
    } else {
      ++it;
    }
  }
}

std::optional<violation> client_log::overdue(std::uint64_t now, std::uint64_t slack) const {
  for (const auto& [id, deadline] : open_) {
    if (now <= deadline + slack) continue;
    return violation{invariant::answer_by_deadline,
                     request_name(id, requests_.at(id)) + " with deadline t=" +
                         std::to_string(deadline) + " is still not answered at t=" +
                         std::to_string(now)};
  }
  return std::nullopt;
}

}  // namespace actraft::sim
