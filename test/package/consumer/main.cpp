// A program built against an installed actraft (consumer_test.sh builds it
// with find_package and with pkg-config): three members in one actor system
// on 127.0.0.1, secure by default — the first leads and creates the
// cluster's CA, the other two join with its join token. Commands proposed
// through a follower are read back, linearizably, from every member.
//   consumer DATA-DIR        (exit code 0 only if every answer is right)
#include <actraft/raft.hpp>
#include <actraft/typed.hpp>
#include <caf/all.hpp>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

struct insert {  // a command: the reply is the key's previous value
  std::string key, value;
  template <class A> void serialize(A& a) { a(key, value); }
};

struct lookup {  // a query: read-only, no log write
  std::string key;
  template <class A> void serialize(A& a) { a(key); }
};

struct hash_store : actraft::typed_store<insert, std::string, lookup, std::string> {
  std::map<std::string, std::string> data;
  std::string execute(const insert& c) override { return std::exchange(data[c.key], c.value); }
  std::string read(const lookup& q) const override {
    auto it = data.find(q.key);
    return it == data.end() ? "" : it->second;
  }
  actraft::bytes snapshot() override { return actraft::encode(data); }
  void restore(const actraft::bytes& s) override {
    data = actraft::decode_or_throw<decltype(data)>(s);
  }
};

/// Whether all three members are voters, as the leader sees it.
bool three_voters(actraft::raft& leader) {
  auto st = leader.status();
  return st && st->members.size() == 3 &&
         std::all_of(st->members.begin(), st->members.end(), [](const auto& m) { return m.voter; });
}

/// The cluster's run; the nodes shut down before the actor system goes.
int run(caf::actor_system& sys, const std::filesystem::path& dir) {
  std::vector<std::unique_ptr<actraft::raft>> nodes;
  for (int i = 1; i <= 3; ++i) {
    actraft::options opts;
    opts.data_dir = (dir / ("member-" + std::to_string(i))).string();
    nodes.push_back(std::make_unique<actraft::raft>(sys, "127.0.0.1:0",
                                                    std::make_unique<hash_store>(), opts));
  }
  try {
    nodes[0]->lead();
    const auto token = nodes[0]->join_token();
    if (token.empty()) {
      std::cerr << "consumer: the leader has no join token (the cluster's own CA is the default)\n";
      return 1;
    }
    nodes[1]->join(nodes[0]->address(), token);
    nodes[2]->join(nodes[0]->address(), token);
  } catch (const actraft::startup_error& e) {
    std::cerr << "consumer: " << e.what() << "\n";
    return 1;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!three_voters(*nodes[0])) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "consumer: the joiners did not become voters within 30 s\n";
      return 1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::cout << "cluster " << nodes[0]->cluster_id() << ": members " << nodes[0]->id() << ", "
            << nodes[1]->id() << ", " << nodes[2]->id() << " (all voters)\n";

  int failures = 0;
  auto& follower = *nodes[1];  // forwards proposals to the leader
  const std::vector<std::pair<insert, std::string>> writes{
      {{"alpha", "1"}, ""}, {{"beta", "2"}, ""}, {{"alpha", "3"}, "1"}};
  for (const auto& [command, expected] : writes) {
    auto previous = actraft::propose<std::string>(follower, command);
    if (!previous) {
      std::cerr << "consumer: propose " << command.key << "=" << command.value
                << " failed: " << sys.render(previous.error()) << "\n";
      return 1;
    }
    std::cout << "propose " << command.key << "=" << command.value << " via member "
              << follower.id() << ": was '" << *previous << "'\n";
    if (*previous != expected) {
      std::cerr << "consumer: expected '" << expected << "'\n";
      ++failures;
    }
  }
  const std::map<std::string, std::string> state{{"alpha", "3"}, {"beta", "2"}, {"gamma", ""}};
  for (auto& node : nodes) {
    for (const auto& [key, expected] : state) {
      auto value = actraft::query<std::string>(*node, lookup{key});
      if (!value) {
        std::cerr << "consumer: query " << key << " on member " << node->id()
                  << " failed: " << sys.render(value.error()) << "\n";
        return 1;
      }
      std::cout << "query " << key << " on member " << node->id() << ": '" << *value << "'\n";
      if (*value != expected) {
        std::cerr << "consumer: expected '" << expected << "'\n";
        ++failures;
      }
    }
  }
  for (auto& node : nodes) node->shutdown();
  if (failures != 0) {
    std::cerr << "consumer: " << failures << " wrong answer(s)\n";
    return 1;
  }
  std::cout << "consumer: every answer as expected\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: consumer DATA-DIR\n";
    return 2;
  }
  std::cout << std::unitbuf;  // in order with the nodes' log lines on stderr
  caf::actor_system_config cfg;
  actraft::add_types(cfg);  // messages, errors, middleman
  caf::actor_system sys{cfg};
  return run(sys, argv[1]);
}
