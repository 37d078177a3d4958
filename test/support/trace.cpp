#include "support/trace.hpp"

#include <sstream>

namespace actraft::sim {

namespace {

std::uint64_t mix(std::uint64_t h, std::uint64_t v) {
  h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
  return h * 0x100000001b3ULL;
}

const char* role_name(core::role r) {
  switch (r) {
    case core::role::follower: return "follower";
    case core::role::pre_candidate: return "pre_candidate";
    case core::role::candidate: return "candidate";
    case core::role::leader: return "LEADER";
  }
  return "?";
}

void format_message(std::ostream& os, const trace_event& e) {
  using core::message_type;
  os << core::to_string(e.mtype) << " t" << e.term;
  switch (e.mtype) {
    case message_type::pre_vote:
    case message_type::vote:
      os << " last=(" << e.index << ",t" << e.log_term << ")";
      break;
    case message_type::append:
      os << " prev=(" << e.index << ",t" << e.log_term << ") +" << e.n << " commit=" << e.commit;
      break;
    case message_type::heartbeat:
      os << " commit=" << e.commit;
      break;
    case message_type::snapshot:
      os << " covering (" << e.index << ",t" << e.log_term << ")";
      break;
    case message_type::append_response:
      os << (e.reject ? " REJECT idx=" : " ok match=") << e.index;
      if (e.reject) os << " hint=(" << e.extra << ",t" << e.log_term << ")";
      break;
    default:
      if (core::is_response(e.mtype)) os << (e.reject ? " REJECT" : " granted/ok");
      break;
  }
}

}  // namespace

std::string format(const trace_event& e) {
  std::ostringstream os;
  os << '#' << e.step << " t=" << e.time << ' ';
  const int node = e.node;
  const int peer = e.peer;
  switch (e.kind) {
    case trace_kind::tick:
      os << 'n' << node << " tick (" << role_name(e.role) << " t" << e.term << ")";
      break;
    case trace_kind::deliver:
      os << 'n' << node << " <- n" << peer << ' ';
      format_message(os, e);
      break;
    case trace_kind::drop:
    case trace_kind::duplicate:
    case trace_kind::lost_down:
    case trace_kind::cut:
    case trace_kind::unreachable:
      os << (e.kind == trace_kind::drop        ? "DROP "
             : e.kind == trace_kind::duplicate ? "DUP "
             : e.kind == trace_kind::unreachable ? "UNREACHABLE "
             : e.kind == trace_kind::lost_down ? "LOST(down) "
                                               : "CUT ")
         << 'n' << peer << " -> n" << node << ' ';
      format_message(os, e);
      break;
    case trace_kind::take_ready:
      os << 'n' << node << " write: " << e.n << " entries";
      if (e.n > 0) os << " from " << e.index;
      if (e.extra != 0) os << " +hardstate(t" << e.term << " commit=" << e.commit << ")";
      os << " (not yet durable)";
      break;
    case trace_kind::persist:
      os << 'n' << node << " durable: disk last=" << e.index << " hs(t" << e.term << " vote=n"
         << e.log_term << " commit=" << e.commit << ")";
      break;
    case trace_kind::apply:
      os << 'n' << node << " applied " << e.n << " entries, up to " << e.index;
      break;
    case trace_kind::request:
      os << 'n' << node << " <- client " << e.text;
      break;
    case trace_kind::answer:
      os << 'n' << node << " -> client " << e.text;
      break;
    case trace_kind::campaign:
      os << 'n' << node << " told to campaign";
      break;
    case trace_kind::transfer:
      os << 'n' << node << " told to hand leadership to n" << static_cast<int>(e.peer)
         << (e.n != 0 ? "" : " (refused)");
      break;
    case trace_kind::role:
      os << 'n' << node << " is " << role_name(e.role) << " t" << e.term
         << " (last=" << e.index << " commit=" << e.commit << ")";
      break;
    case trace_kind::crash:
      os << "CRASH n" << node << " (lost " << e.n << " unpersisted entries)";
      break;
    case trace_kind::restart:
      os << "RESTART n" << node << " from disk: t" << e.term << " last=" << e.index
         << " commit=" << e.commit;
      break;
    case trace_kind::fault:
      os << "FAULT " << e.text;
      break;
    case trace_kind::note:
      os << "-- " << e.text;
      break;
  }
  return os.str();
}

void trace_ring::push(trace_event e) {
  std::uint64_t h = fingerprint_;
  h = mix(h, e.step);
  h = mix(h, e.time);
  h = mix(h, static_cast<std::uint64_t>(e.kind) << 16 | std::uint64_t{e.node} << 8 | e.peer);
  h = mix(h, static_cast<std::uint64_t>(e.mtype) << 8 | static_cast<std::uint64_t>(e.role));
  h = mix(h, e.term);
  h = mix(h, e.index);
  h = mix(h, e.log_term);
  h = mix(h, e.commit);
  h = mix(h, e.extra);
  h = mix(h, e.n);
  for (char c : e.text) h = mix(h, static_cast<unsigned char>(c));
  fingerprint_ = h;
  ++total_;
  if (events_.size() < capacity_) {
    events_.push_back(std::move(e));
  } else {
    events_[head_] = std::move(e);
    head_ = (head_ + 1) % capacity_;
  }
}

void trace_ring::for_each(const std::function<void(const trace_event&)>& f) const {
  if (events_.size() < capacity_) {
    for (const auto& e : events_) f(e);
    return;
  }
  for (std::size_t k = 0; k < events_.size(); ++k) f(events_[(head_ + k) % capacity_]);
}

std::string trace_ring::dump() const {
  std::string out;
  if (total_ > events_.size())
    out += "(" + std::to_string(total_ - events_.size()) + " earlier events not kept)\n";
  for_each([&](const trace_event& e) {
    out += format(e);
    out += '\n';
  });
  return out;
}

}  // namespace actraft::sim
