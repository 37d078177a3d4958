// The README's store: a typed store in one screen.
#pragma once

#include <actraft/typed.hpp>

#include <map>
#include <string>
#include <utility>

struct insert {                       // a command
  std::string key, value;
  template <class A> void serialize(A& a) { a(key, value); }
};

struct lookup {                       // a query: read-only, no log write
  std::string key;
  template <class A> void serialize(A& a) { a(key); }
};

struct hash_store : actraft::typed_store<insert, std::string, lookup, std::string> {
  std::map<std::string, std::string> data;
  std::string execute(const insert& c) override {          // runs on every member, in log order
    return std::exchange(data[c.key], c.value);             // result goes back to the proposer
  }
  std::string read(const lookup& q) const override {       // between two applies
    auto it = data.find(q.key);
    return it == data.end() ? "" : it->second;
  }
  actraft::bytes snapshot() override { return actraft::encode(data); }
  void restore(const actraft::bytes& s) override {          // a damaged snapshot throws
    data = actraft::decode_or_throw<decltype(data)>(s);
  }
};
