#include "wire.hpp"

#include <cstring>

namespace actraft::net {

namespace {

/// The bytes a message takes on the wire, about (what the writer reserves,
/// so that a frame of large entries is not moved each time it outgrows its
/// buffer).
std::size_t size_hint(const core::message& m) {
  std::size_t n = 128;
  for (const auto& e : m.entries) n += 21 + e.data.size();
  for (const auto& mb : m.snapshot.config.members) n += 13 + mb.address.size();
  return n;
}

class writer {
 public:
  explicit writer(std::size_t hint = 64) {
    buf_.reserve(frame_header_bytes + hint);
    buf_.resize(frame_header_bytes);
  }
  void u8(std::uint8_t x) { buf_.push_back(static_cast<char>(x)); }
  void u16(std::uint16_t x) { put(x, 2); }
  void u32(std::uint32_t x) { put(x, 4); }
  void u64(std::uint64_t x) { put(x, 8); }
  void boolean(bool b) { u8(b ? 1 : 0); }
  void raw(const void* p, std::size_t n) {
    u32(static_cast<std::uint32_t>(n));
    const auto* c = static_cast<const char*>(p);
    buf_.insert(buf_.end(), c, c + n);
  }
  void str(const std::string& s) { raw(s.data(), s.size()); }
  void blob(const bytes& b) { raw(b.data(), b.size()); }
  void member(const core::member& m) {
    u64(m.id.value);
    str(m.address);
    boolean(m.voter);
  }
  void members(const std::vector<core::member>& ms) {
    u32(static_cast<std::uint32_t>(ms.size()));
    for (const auto& m : ms) member(m);
  }
  void message(const core::message& m) {
    u8(static_cast<std::uint8_t>(m.type));
    u64(m.from.value);
    u64(m.to.value);
    u64(m.term.value);
    u64(m.index.value);
    u64(m.log_term.value);
    u32(static_cast<std::uint32_t>(m.entries.size()));
    for (const auto& e : m.entries) {
      u64(e.term.value);
      u64(e.index.value);
      u8(static_cast<std::uint8_t>(e.kind));
      raw(e.data.data(), e.data.size());
    }
    u64(m.snapshot.index.value);
    u64(m.snapshot.term.value);
    members(m.snapshot.config.members);
    u64(m.snapshot.config.max_assigned_id.value);
    u64(m.commit.value);
    boolean(m.reject);
    u64(m.hint_index.value);
    u64(m.hint_term.value);
    boolean(m.transfer);
    u64(m.context);
  }
  std::vector<char> finish() {
    const auto n = static_cast<std::uint32_t>(buf_.size() - frame_header_bytes);
    for (int i = 0; i < 4; ++i) buf_[static_cast<std::size_t>(i)] = static_cast<char>(n >> (8 * (3 - i)));
    return std::move(buf_);
  }

 private:
  void put(std::uint64_t x, int n) {
    for (int i = n - 1; i >= 0; --i) buf_.push_back(static_cast<char>(x >> (8 * i)));
  }
  std::vector<char> buf_;
};

/// Reads what a writer wrote; any read past the end, any length beyond what
/// is left and any value out of range sets `ok` false, and what follows reads
/// as zeros without allocating.
class reader {
 public:
  reader(const char* p, std::size_t n) : p_(reinterpret_cast<const unsigned char*>(p)), n_(n) {}
  bool ok = true;

  std::uint8_t u8() { return static_cast<std::uint8_t>(get(1)); }
  std::uint16_t u16() { return static_cast<std::uint16_t>(get(2)); }
  std::uint32_t u32() { return static_cast<std::uint32_t>(get(4)); }
  std::uint64_t u64() { return get(8); }
  bool boolean() {
    const auto b = u8();
    if (b > 1) ok = false;
    return b == 1;
  }
  /// A length, checked against the bytes left (each item at least `unit`).
  std::size_t count(std::size_t unit, std::size_t max = SIZE_MAX) {
    const std::size_t n = u32();
    if (!ok || n > max || n > left() / std::max<std::size_t>(unit, 1)) {
      ok = false;
      return 0;
    }
    return n;
  }
  std::string str(std::size_t max = max_text_bytes) {
    const auto n = count(1, max);
    std::string s(reinterpret_cast<const char*>(p_ + at_), n);
    at_ += n;
    return s;
  }
  bytes blob() {
    const auto n = count(1);
    bytes b(p_ + at_, p_ + at_ + n);
    at_ += n;
    return b;
  }
  core::member member() {
    core::member m;
    m.id = core::node_id{u64()};
    m.address = str();
    m.voter = boolean();
    return m;
  }
  std::vector<core::member> members() {
    std::vector<core::member> ms(count(13));
    for (auto& m : ms) m = member();
    return ms;
  }
  core::message message() {
    core::message m;
    const auto type = u8();
    if (type > static_cast<std::uint8_t>(core::message_type::read_index_response)) ok = false;
    m.type = static_cast<core::message_type>(type);
    m.from = core::node_id{u64()};
    m.to = core::node_id{u64()};
    m.term = core::raft_term{u64()};
    m.index = core::log_index{u64()};
    m.log_term = core::raft_term{u64()};
    m.entries.resize(count(21));
    for (auto& e : m.entries) {
      e.term = core::raft_term{u64()};
      e.index = core::log_index{u64()};
      const auto kind = u8();
      if (kind > static_cast<std::uint8_t>(core::entry_kind::configuration)) ok = false;
      e.kind = static_cast<core::entry_kind>(kind);
      e.data = core::payload(blob());
    }
    m.snapshot.index = core::log_index{u64()};
    m.snapshot.term = core::raft_term{u64()};
    m.snapshot.config.members = members();
    m.snapshot.config.max_assigned_id = core::node_id{u64()};
    m.commit = core::log_index{u64()};
    m.reject = boolean();
    m.hint_index = core::log_index{u64()};
    m.hint_term = core::raft_term{u64()};
    m.transfer = boolean();
    m.context = u64();
    return m;
  }
  /// True if everything read well and nothing is left over.
  [[nodiscard]] bool done() const { return ok && at_ == n_; }

 private:
  [[nodiscard]] std::size_t left() const { return n_ - at_; }
  std::uint64_t get(int n) {
    if (!ok || left() < static_cast<std::size_t>(n)) {
      ok = false;
      return 0;
    }
    std::uint64_t x = 0;
    for (int i = 0; i < n; ++i) x = (x << 8) | p_[at_++];
    return x;
  }
  const unsigned char* p_;
  std::size_t n_;
  std::size_t at_ = 0;
};

template <class T>
std::optional<T> checked(const reader& r, T value) {
  if (!r.done()) return std::nullopt;
  return value;
}

}  // namespace

std::uint32_t frame_length(const char* header) {
  const auto* p = reinterpret_cast<const unsigned char*>(header);
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

std::vector<char> encode(const hello& h) {
  writer w;
  w.u8(static_cast<std::uint8_t>(frame_kind::hello));
  w.u16(h.version);
  w.str(h.cluster_id);
  w.u64(h.member);
  w.str(h.address);
  return w.finish();
}

std::vector<char> encode_refuse(const std::string& reason) {
  writer w;
  w.u8(static_cast<std::uint8_t>(frame_kind::refuse));
  w.str(reason.substr(0, max_text_bytes));
  return w.finish();
}

std::vector<char> encode_raft(const std::vector<core::message>& messages) {
  std::size_t hint = 8;
  for (const auto& m : messages) hint += size_hint(m);
  writer w(hint);
  w.u8(static_cast<std::uint8_t>(frame_kind::raft));
  w.u32(static_cast<std::uint32_t>(messages.size()));
  for (const auto& m : messages) w.message(m);
  return w.finish();
}

std::vector<char> encode(const request& r) {
  writer w(64 + r.command.size() + r.join.address.size() + r.join.secret.size() + r.join.public_key.size() +
           (r.kind == op::chunk ? size_hint(r.chunk.header) + r.chunk.data.size() : 0));
  w.u8(static_cast<std::uint8_t>(frame_kind::request));
  w.u64(r.id);
  w.u8(static_cast<std::uint8_t>(r.kind));
  switch (r.kind) {
    case op::forward: w.blob(r.command); break;
    case op::join:
      w.str(r.join.address);
      w.str(r.join.secret);
      w.str(r.join.public_key);
      break;
    case op::remove:
    case op::transfer: w.u64(r.member); break;
    case op::chunk:
      w.message(r.chunk.header);
      w.u64(r.chunk.offset);
      w.blob(r.chunk.data);
      w.boolean(r.chunk.last);
      break;
  }
  return w.finish();
}

std::vector<char> encode(const response& r, op kind) {
  writer w(64 + r.value.size());
  w.u8(static_cast<std::uint8_t>(frame_kind::response));
  w.u64(r.id);
  w.boolean(r.ok);
  if (!r.ok) {
    w.u8(r.code);
    w.str(r.why.substr(0, max_text_bytes));
    return w.finish();
  }
  switch (kind) {
    case op::forward: w.blob(r.value); break;
    case op::join:
      w.u64(r.join.id);
      w.members(r.join.members);
      w.str(r.join.cluster_id);
      w.str(r.join.ca_pem);
      w.str(r.join.cert_pem);
      w.str(r.join.ca_key_pem);
      w.str(r.join.join_secret);
      break;
    case op::remove:
    case op::transfer:
    case op::chunk: w.u64(r.number); break;
  }
  return w.finish();
}

std::optional<frame_kind> kind_of(const char* body, std::size_t n) {
  if (n == 0) return std::nullopt;
  const auto k = static_cast<std::uint8_t>(body[0]);
  if (k < 1 || k > 5) return std::nullopt;
  return static_cast<frame_kind>(k);
}

std::optional<hello> decode_hello(const char* body, std::size_t n) {
  reader r(body, n);
  if (r.u8() != static_cast<std::uint8_t>(frame_kind::hello)) return std::nullopt;
  hello h;
  h.version = r.u16();
  h.cluster_id = r.str();
  h.member = r.u64();
  h.address = r.str();
  return checked(r, std::move(h));
}

std::optional<std::string> decode_refuse(const char* body, std::size_t n) {
  reader r(body, n);
  if (r.u8() != static_cast<std::uint8_t>(frame_kind::refuse)) return std::nullopt;
  auto s = r.str();
  return checked(r, std::move(s));
}

std::optional<std::vector<core::message>> decode_raft(const char* body, std::size_t n) {
  reader r(body, n);
  if (r.u8() != static_cast<std::uint8_t>(frame_kind::raft)) return std::nullopt;
  // A message is at least 99 bytes on the wire.
  std::vector<core::message> ms(r.count(99));
  for (auto& m : ms) m = r.message();
  return checked(r, std::move(ms));
}

std::optional<request> decode_request(const char* body, std::size_t n) {
  reader r(body, n);
  if (r.u8() != static_cast<std::uint8_t>(frame_kind::request)) return std::nullopt;
  request q;
  q.id = r.u64();
  const auto k = r.u8();
  if (k < 1 || k > 5) return std::nullopt;
  q.kind = static_cast<op>(k);
  switch (q.kind) {
    case op::forward: q.command = r.blob(); break;
    case op::join:
      q.join.address = r.str();
      q.join.secret = r.str();
      q.join.public_key = r.str();
      break;
    case op::remove:
    case op::transfer: q.member = r.u64(); break;
    case op::chunk:
      q.chunk.header = r.message();
      q.chunk.offset = r.u64();
      q.chunk.data = r.blob();
      q.chunk.last = r.boolean();
      break;
  }
  return checked(r, std::move(q));
}

std::optional<std::uint64_t> response_id(const char* body, std::size_t n) {
  reader r(body, n);
  if (r.u8() != static_cast<std::uint8_t>(frame_kind::response)) return std::nullopt;
  const auto id = r.u64();
  if (!r.ok) return std::nullopt;
  return id;
}

std::optional<response> decode_response(const char* body, std::size_t n, op kind) {
  reader r(body, n);
  if (r.u8() != static_cast<std::uint8_t>(frame_kind::response)) return std::nullopt;
  response a;
  a.id = r.u64();
  a.ok = r.boolean();
  if (!a.ok) {
    a.code = r.u8();
    a.why = r.str();
    return checked(r, std::move(a));
  }
  switch (kind) {
    case op::forward: a.value = r.blob(); break;
    case op::join:
      a.join.id = r.u64();
      a.join.members = r.members();
      a.join.cluster_id = r.str();
      a.join.ca_pem = r.str();
      a.join.cert_pem = r.str();
      a.join.ca_key_pem = r.str();
      a.join.join_secret = r.str();
      break;
    case op::remove:
    case op::transfer:
    case op::chunk: a.number = r.u64(); break;
  }
  return checked(r, std::move(a));
}

}  // namespace actraft::net
