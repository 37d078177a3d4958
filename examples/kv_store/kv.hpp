// The replicated key-value state machine of the kv_store example, written
// with actraft's typed store: commands and results are C++ structs.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <ostream>
#include <shared_mutex>
#include <streambuf>
#include <string>
#include <variant>

#include "actraft/typed.hpp"

namespace kv {

struct put {
  std::string key, value;
  template <class A>
  void serialize(A& a) { a(key, value); }
};
struct del {
  std::string key;
  template <class A>
  void serialize(A& a) { a(key); }
};
/// A read: the query of GET (linearizable, no log write; or stale), and
/// also a command (a read through the log, as the benchmarks compare).
struct get {
  std::string key;
  template <class A>
  void serialize(A& a) { a(key); }
};
/// Sets `value` only if the current value is `expected` (absent: the key
/// must not exist).
struct cas {
  std::string key;
  std::optional<std::string> expected;
  std::string value;
  template <class A>
  void serialize(A& a) { a(key, expected, value); }
};

using command = std::variant<put, del, get, cas>;

struct result {
  bool ok = true;                     ///< cas: swapped; del: existed
  std::optional<std::string> value;   ///< get: the value; put/del/cas: the previous value
  template <class A>
  void serialize(A& a) { a(ok, value); }
};

/// The state: keys to values. A value is never changed in place (a put
/// replaces the pointer), so a snapshot can share the values with the map
/// and be written while applies go on: capture_snapshot copies only the
/// map's nodes.
class store : public actraft::typed_store<command, result, get, std::optional<std::string>> {
  using value_ptr = std::shared_ptr<std::string>;  // the string is never changed once shared
  using state = std::map<std::string, value_ptr, std::less<>>;

 public:
  result execute(const command& c) override {
    std::unique_lock lock{mutex_};
    return std::visit([this](const auto& cmd) { return run(cmd); }, c);
  }
  actraft::bytes snapshot() override {
    actraft::detail::bytes_sink out;
    capture_snapshot()->write(out);
    return std::move(out.data);
  }
  /// The map at this index, sharing its values with the store's: the
  /// helper thread writes it while applies go on.
  std::unique_ptr<actraft::snapshot_capture> capture_snapshot() override {
    std::shared_lock lock{mutex_};
    return std::make_unique<capture>(data_);
  }
  void restore(const actraft::bytes& snap) override {
    auto decoded = actraft::decode<std::map<std::string, std::string>>(snap);
    if (!decoded) throw std::invalid_argument("snapshot cannot be decoded");
    state fresh;
    for (auto& [k, v] : *decoded) fresh.emplace_hint(fresh.end(), k, std::make_shared<std::string>(std::move(v)));
    std::unique_lock lock{mutex_};
    data_ = std::move(fresh);
  }
  /// A query: runs between two applies, on the state as it is then.
  std::optional<std::string> read(const get& q) const override {
    std::shared_lock lock{mutex_};
    return lookup(q.key);
  }

 private:
  /// Written as cereal writes a std::map<std::string, std::string> (what
  /// restore reads), through a small buffer into the snapshot file.
  class capture final : public actraft::snapshot_capture {
   public:
    explicit capture(state s) : state_(std::move(s)) {}
    void write(actraft::snapshot_sink& out) override {
      sink_buffer buf(out);
      std::ostream os(&buf);
      {
        cereal::PortableBinaryOutputArchive ar(os);
        ar(cereal::make_size_tag(static_cast<cereal::size_type>(state_.size())));
        for (const auto& [k, v] : state_) ar(k, *v);
      }
      buf.pubsync();
    }

   private:
    struct sink_buffer final : std::streambuf {
      explicit sink_buffer(actraft::snapshot_sink& o) : out(o) { setp(buf, buf + sizeof buf); }
      int_type overflow(int_type c) override {
        flush();
        if (!traits_type::eq_int_type(c, traits_type::eof())) sputc(traits_type::to_char_type(c));
        return traits_type::not_eof(c);
      }
      int sync() override {
        flush();
        return 0;
      }
      void flush() {
        const auto n = static_cast<std::size_t>(pptr() - pbase());
        if (n > 0) out.write({reinterpret_cast<const std::uint8_t*>(pbase()), n});
        setp(buf, buf + sizeof buf);
      }
      actraft::snapshot_sink& out;
      char buf[64 * 1024];
    };
    state state_;
  };

  std::optional<std::string> lookup(const std::string& key) const {
    auto it = data_.find(key);
    if (it == data_.end()) return std::nullopt;
    return *it->second;
  }
  /// The value being replaced, moved out if no capture shares it.
  static std::string take(value_ptr& v) { return v.use_count() == 1 ? std::move(*v) : *v; }
  result run(const put& c) {
    auto [it, inserted] = data_.try_emplace(c.key);  // one search, not two
    auto fresh = std::make_shared<std::string>(c.value);
    if (inserted) {
      it->second = std::move(fresh);
      return result{true, std::nullopt};
    }
    result r{true, take(it->second)};
    it->second = std::move(fresh);
    return r;
  }
  result run(const del& c) {
    auto it = data_.find(c.key);
    if (it == data_.end()) return result{false, std::nullopt};
    data_.erase(it);
    return result{true, std::nullopt};
  }
  result run(const get& c) { return result{true, lookup(c.key)}; }
  result run(const cas& c) {
    auto current = lookup(c.key);
    if (current != c.expected) return result{false, current};
    data_.insert_or_assign(c.key, std::make_shared<std::string>(c.value));
    return result{true, current};
  }

  mutable std::shared_mutex mutex_;
  state data_;
};

}  // namespace kv
