// The README's program: a typed store in one screen (hash_store.hpp).
//   hash_store 127.0.0.1:9001 /tmp/h1                          (lead; prints the join token)
//   hash_store 127.0.0.1:9002 /tmp/h2 127.0.0.1:9001 TOKEN     (join through any member)
#include <actraft/raft.hpp>
#include <actraft/typed.hpp>
#include <caf/all.hpp>

#include <iostream>

#include "hash_store.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: hash_store LISTEN-ADDR DATA-DIR [PEER-ADDR JOIN-TOKEN]\n";
    return 2;
  }
  caf::actor_system_config cfg;
  actraft::add_types(cfg);                                   // messages, errors, middleman
  caf::actor_system sys{cfg};
  actraft::options opts;
  opts.data_dir = argv[2];
  actraft::raft node{sys, argv[1], std::make_unique<hash_store>(), opts};
  try {
    argc > 4 ? node.join(argv[3], argv[4]) : node.lead();    // join through any member
  } catch (const actraft::startup_error& e) {
    std::cerr << "hash_store: " << e.what() << "\n";
    return 1;
  }
  if (argc <= 4) std::cout << "join token: " << node.join_token() << "\n";   // keep it secret
  auto previous = actraft::propose<std::string>(node, insert{"hello", "world"});
  if (!previous) {
    std::cerr << "hash_store: " << sys.render(previous.error()) << "\n";
    return 1;
  }
  auto now = actraft::query<std::string>(node, lookup{"hello"});   // linearizable, no log write
  if (!now) {
    std::cerr << "hash_store: " << sys.render(now.error()) << "\n";
    return 1;
  }
  std::cout << "node " << node.id() << ": hello was '" << *previous << "', now '" << *now << "'\n";
}
