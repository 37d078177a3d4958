#include "network.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

extern char** environ;

namespace actraft::nemesis {

namespace {

int spawn_and_wait(const std::vector<std::string>& args, int out_fd) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  if (out_fd >= 0) {
    posix_spawn_file_actions_adddup2(&fa, out_fd, 1);
    posix_spawn_file_actions_adddup2(&fa, out_fd, 2);
  } else {
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  }
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return -1;
  int st = 0;
  while (::waitpid(pid, &st, 0) < 0) {
    if (errno != EINTR) return -1;
  }
  return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

bool pid_alive(long pid) { return pid > 0 && (::kill(static_cast<pid_t>(pid), 0) == 0 || errno == EPERM); }

/// "nem1234b" -> 1234 (the driver's pid), or 0 if the name is not ours.
long owner_pid(const std::string& name) {
  if (name.rfind("nem", 0) != 0) return 0;
  std::size_t i = 3;
  long pid = 0;
  while (i < name.size() && std::isdigit(static_cast<unsigned char>(name[i])))
    pid = pid * 10 + (name[i++] - '0');
  return i > 3 && i < name.size() ? pid : 0;
}

}  // namespace

int run_command(const std::vector<std::string>& args, const std::string& log) {
  int fd = -1;
  if (!log.empty()) fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd >= 0) {
    std::string line = "$";
    for (const auto& a : args) line += " " + a;
    line += "\n";
    [[maybe_unused]] auto n = ::write(fd, line.data(), line.size());
  }
  const int rc = spawn_and_wait(args, fd);
  if (fd >= 0) ::close(fd);
  return rc;
}

std::string command_output(const std::vector<std::string>& args) {
  std::array<int, 2> p{};
  if (::pipe2(p.data(), O_CLOEXEC) != 0) return {};
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, p[1], 1);
  posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
  pid_t pid = -1;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  ::close(p[1]);
  std::string out;
  if (rc == 0) {
    char buf[4096];
    ssize_t n;
    while ((n = ::read(p[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
    int st = 0;
    ::waitpid(pid, &st, 0);
  }
  ::close(p[0]);
  return out;
}

link_matrix no_partition(int nodes) {
  return link_matrix(static_cast<std::size_t>(nodes), std::vector<bool>(static_cast<std::size_t>(nodes), false));
}

std::string network::ip(int i) const { return subnet_ + std::to_string(i + 1); }
std::string network::add_address(int i) {
  if (!active_ || next_host_ > 250) return {};
  const std::string a = subnet_ + std::to_string(next_host_++);
  if (run_command({"ip", "-n", netns_name(i), "addr", "add", a + "/24", "dev", "eth0"}, log_) != 0)
    return {};
  more_ips_[static_cast<std::size_t>(i)].push_back(a);
  return a;
}

std::string network::netns_name(int i) const { return prefix_ + "n" + std::to_string(i + 1); }
std::string network::netns_path(int i) const { return "/run/netns/" + netns_name(i); }

bool network::setup(int nodes, const std::string& log, std::string& why) {
  log_ = log;
  nodes_ = nodes;
  more_ips_.assign(static_cast<std::size_t>(nodes), {});
  prefix_ = "nem" + std::to_string(::getpid());
  if (::geteuid() != 0) {
    why = "not running as root (network namespaces need CAP_SYS_ADMIN and CAP_NET_ADMIN)";
    return false;
  }
  if (run_command({"ip", "-V"}, log_) != 0 || run_command({"tc", "-V"}, log_) != 0) {
    why = "the ip and tc commands (iproute2) are not available";
    return false;
  }
  // A /24 no interface here uses yet.
  const std::string addrs = command_output({"ip", "-o", "-4", "addr", "show"});
  int x = static_cast<int>(::getpid() % 200) + 1;
  for (int tries = 0; tries < 250; ++tries, x = x % 250 + 1)
    if (addrs.find("10.77." + std::to_string(x) + ".") == std::string::npos) break;
  subnet_ = "10.77." + std::to_string(x) + ".";

  active_ = true;  // from here on, teardown removes whatever was made
  const std::string bridge = prefix_ + "b";
  auto fail = [&](const std::string& what) {
    why = what + " failed (see " + log_ + ")";
    teardown();
    return false;
  };
  if (run_command({"ip", "link", "add", bridge, "type", "bridge"}, log_) != 0)
    return fail("creating a bridge");
  if (run_command({"ip", "addr", "add", subnet_ + "254/24", "dev", bridge}, log_) != 0 ||
      run_command({"ip", "link", "set", bridge, "up"}, log_) != 0)
    return fail("configuring the bridge");
  for (int i = 0; i < nodes; ++i) {
    const std::string ns = netns_name(i), veth = prefix_ + "v" + std::to_string(i + 1);
    if (run_command({"ip", "netns", "add", ns}, log_) != 0) return fail("creating a network namespace");
    if (run_command({"ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns}, log_) != 0 ||
        run_command({"ip", "link", "set", veth, "master", bridge, "up"}, log_) != 0 ||
        run_command({"ip", "-n", ns, "addr", "add", ip(i) + "/24", "dev", "eth0"}, log_) != 0 ||
        run_command({"ip", "-n", ns, "link", "set", "eth0", "up"}, log_) != 0 ||
        run_command({"ip", "-n", ns, "link", "set", "lo", "up"}, log_) != 0)
      return fail("creating a veth pair");
    // The drop class: everything classified into 1:2 is discarded.
    if (run_command({"tc", "-n", ns, "qdisc", "add", "dev", "eth0", "root", "handle", "1:", "htb", "default", "1"}, log_) != 0 ||
        run_command({"tc", "-n", ns, "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:1", "htb", "rate", "10gbit", "quantum", "60000"}, log_) != 0 ||
        run_command({"tc", "-n", ns, "class", "add", "dev", "eth0", "parent", "1:", "classid", "1:2", "htb", "rate", "10gbit", "quantum", "60000"}, log_) != 0 ||
        run_command({"tc", "-n", ns, "qdisc", "add", "dev", "eth0", "parent", "1:2", "handle", "20:", "pfifo", "limit", "0"}, log_) != 0)
      return fail("setting up packet dropping with tc (htb, pfifo)");
  }
  // A filter must be accepted too (cls_u32), or partitions would silently do nothing.
  link_matrix probe = no_partition(nodes);
  if (nodes > 1) probe[0][1] = true;
  if (!apply(probe) || !apply(no_partition(nodes))) return fail("adding a tc u32 filter");
  return true;
}

bool network::apply(const link_matrix& blocked, const link_matrix& dialed, int raft_port) {
  if (!active_) return false;
  bool ok = true;
  for (int i = 0; i < nodes_; ++i) {
    const std::string ns = netns_name(i);
    // Deleting every filter fails harmlessly when there is none.
    run_command({"tc", "-n", ns, "filter", "del", "dev", "eth0", "parent", "1:"}, log_);
    for (int j = 0; j < nodes_; ++j) {
      const auto a = static_cast<std::size_t>(i), b = static_cast<std::size_t>(j);
      const bool all = blocked[a][b];
      const bool to_port = !all && !dialed.empty() && dialed[a][b];
      if (i == j || (!all && !to_port)) continue;
      std::vector<std::string> dsts{ip(j)};
      for (const auto& d : more_ips_[b]) dsts.push_back(d);
      for (const auto& dst : dsts) {
        std::vector<std::string> cmd{"tc", "-n", ns, "filter", "add", "dev", "eth0", "parent", "1:",
                                     "protocol", "ip", "prio", "1", "u32", "match", "ip", "dst", dst + "/32"};
        if (to_port) cmd.insert(cmd.end(), {"match", "ip", "dport", std::to_string(raft_port), "0xffff"});
        cmd.insert(cmd.end(), {"flowid", "1:2"});
        ok &= run_command(cmd, log_) == 0;
      }
    }
  }
  return ok;
}

void network::teardown() {
  if (!active_) return;
  active_ = false;
  for (int i = 0; i < nodes_; ++i) run_command({"ip", "netns", "del", netns_name(i)}, log_);
  run_command({"ip", "link", "del", prefix_ + "b"}, log_);
}

void network::remove_stale(const std::string& log) {
  if (::geteuid() != 0) return;
  // "nemesis-disk-1234 /tmp/actraft-nemesis-1234/n1 tmpfs ..."
  std::ifstream mounts("/proc/mounts");
  for (std::string source, point, rest; mounts >> source >> point && std::getline(mounts, rest);)
    if (source.rfind("nemesis-disk-", 0) == 0 && !pid_alive(std::strtol(source.c_str() + 13, nullptr, 10)))
      run_command({"umount", "-l", point}, log);
  std::istringstream ns(command_output({"ip", "netns", "list"}));
  for (std::string line; std::getline(ns, line);) {
    const std::string name = line.substr(0, line.find(' '));
    if (const long pid = owner_pid(name); pid > 0 && !pid_alive(pid))
      run_command({"ip", "netns", "del", name}, log);
  }
  std::istringstream links(command_output({"ip", "-o", "link", "show"}));
  for (std::string line; std::getline(links, line);) {
    // "12: nem1234b: <...>" or "13: nem1234v1@if2: <...>"
    const auto a = line.find(": ");
    if (a == std::string::npos) continue;
    std::string name = line.substr(a + 2);
    name = name.substr(0, name.find_first_of(":@"));
    if (const long pid = owner_pid(name); pid > 0 && !pid_alive(pid))
      run_command({"ip", "link", "del", name}, log);
  }
}

}  // namespace actraft::nemesis
