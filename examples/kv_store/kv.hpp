// The replicated key-value state machine of the kv_store example, written
// with actraft's typed store: commands and results are C++ structs.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <shared_mutex>
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

class store : public actraft::typed_store<command, result, get, std::optional<std::string>> {
 public:
  result execute(const command& c) override {
    std::unique_lock lock{mutex_};
    return std::visit([this](const auto& cmd) { return run(cmd); }, c);
  }
  actraft::bytes snapshot() override {
    std::shared_lock lock{mutex_};
    return actraft::encode(data_);
  }
  void restore(const actraft::bytes& snap) override {
    auto decoded = actraft::decode<std::map<std::string, std::string>>(snap);
    if (!decoded) throw std::invalid_argument("snapshot cannot be decoded");
    std::unique_lock lock{mutex_};
    data_ = std::move(*decoded);
  }
  /// A query: runs between two applies, on the state as it is then.
  std::optional<std::string> read(const get& q) const override {
    std::shared_lock lock{mutex_};
    return lookup(q.key);
  }

 private:
  std::optional<std::string> lookup(const std::string& key) const {
    auto it = data_.find(key);
    if (it == data_.end()) return std::nullopt;
    return it->second;
  }
  result run(const put& c) {
    auto [it, inserted] = data_.try_emplace(c.key, c.value);  // one search, not two
    if (inserted) return result{true, std::nullopt};
    result r{true, std::move(it->second)};
    it->second = c.value;
    return r;
  }
  result run(const del& c) {
    result r{data_.erase(c.key) > 0, std::nullopt};
    return r;
  }
  result run(const get& c) { return result{true, lookup(c.key)}; }
  result run(const cas& c) {
    auto current = lookup(c.key);
    if (current != c.expected) return result{false, current};
    data_[c.key] = c.value;
    return result{true, current};
  }

  mutable std::shared_mutex mutex_;
  std::map<std::string, std::string> data_;
};

}  // namespace kv
