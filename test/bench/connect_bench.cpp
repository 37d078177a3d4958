// How long a member connection takes to open: TCP connect, TLS handshake
// (EC P-256, TLS 1.3) and the hellos both ways, against a live member in
// this process; once with the member's own certificate and once against an
// insecure member (TCP and hellos only).
//
//   build/test/bench/connect_bench [--connections=200]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "../support/wire_client.hpp"
#include "actraft/raft.hpp"

namespace {

struct nothing : actraft::store {
  actraft::bytes apply(const actraft::bytes& c) override { return c; }
  actraft::bytes snapshot() override { return {}; }
  void restore(const actraft::bytes&) override {}
};

/// Connects `n` times; prints p50, p99 and the mean in microseconds.
void measure(const char* name, const actraft::raft& node, std::shared_ptr<actraft::net::tls_context> tls, int n) {
  std::vector<double> us;
  for (int i = 0; i < n; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    actraft::test::wire_client c("127.0.0.1", node.port(), tls);
    if (!c.handshake()) {
      std::printf("%s: handshake failed: %s\n", name, c.error.c_str());
      return;
    }
    c.send(actraft::net::encode(actraft::net::hello{actraft::net::wire_version, node.cluster_id(), 1, node.address()}));
    if (!c.receive()) {
      std::printf("%s: no hello\n", name);
      return;
    }
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double u : us) sum += u;
  std::printf("%-9s %d connections: p50 %.0f us  p99 %.0f us  mean %.0f us\n", name, n,
              us[us.size() / 2], us[us.size() * 99 / 100], sum / static_cast<double>(us.size()));
}

}  // namespace

int main(int argc, char** argv) {
  int n = 200;
  for (int i = 1; i < argc; ++i)
    if (std::strncmp(argv[i], "--connections=", 14) == 0) n = std::atoi(argv[i] + 14);
  caf::actor_system_config cfg;
  actraft::add_types(cfg);
  cfg.set("scheduler.policy", caf::atom("sharing"));
  cfg.set("scheduler.max-threads", 1);
  caf::actor_system sys{cfg};
  const auto root = std::filesystem::temp_directory_path() / ("actraft-connect-" + std::to_string(::getpid()));
  std::filesystem::remove_all(root);
  for (bool insecure : {false, true}) {
    actraft::options opts;
    opts.data_dir = (root / (insecure ? "insecure" : "tls")).string();
    opts.insecure = insecure;
    actraft::raft node{sys, "127.0.0.1:0", std::make_unique<nothing>(), opts};
    node.lead();
    std::shared_ptr<actraft::net::tls_context> tls;
    // As member 1 itself would connect (its certificate names it).
    if (!insecure) tls = actraft::test::member_tls(opts.data_dir);
    measure(insecure ? "insecure" : "tls", node, tls, n);
    node.shutdown();
  }
  std::filesystem::remove_all(root);
}
