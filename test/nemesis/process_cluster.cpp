#include "process_cluster.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "e2e/process.hpp"
#include "events.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using actraft::test::free_port;

namespace actraft::nemesis {

cluster::cluster(const options& o, network& net, const fs::path& root,
                 lincheck::history_recorder& rec)
    : opts_(o), net_(net), rec_(rec) {
  // Each slot's disk is a tmpfs of its own where the machine allows it (the
  // namespaces need root too): filling it is a real ENOSPC for that member.
  own_disks_ = net.active();
  for (int i = 0; i < o.nodes + 1; ++i) {
    node n;
    n.index = i;
    const std::string host = net.active() ? net.ip(i) : "127.0.0.1";
    // Own addresses in namespaces; on loopback, ports nobody uses right now.
    const int raft_port = net.active() ? 7000 : free_port();
    n.http_port = net.active() ? 8000 : free_port();
    n.raft_addr = host + ":" + std::to_string(raft_port);
    n.http_host = host;
    n.raft_listen = (net.active() ? "0.0.0.0" : host) + ":" + std::to_string(raft_port);
    n.http_listen = (net.active() ? "0.0.0.0" : host) + ":" + std::to_string(n.http_port);
    n.disk = (root / ("n" + std::to_string(i + 1))).string();
    n.dir = n.disk + "/data-1";
    n.log = (root / ("n" + std::to_string(i + 1) + ".log")).string();
    fs::create_directories(n.disk);
    // The source names the driver, so that the next driver can unmount
    // what a killed one left (network::remove_stale).
    if (own_disks_ && run_command({"mount", "-t", "tmpfs", "-o", "size=" + std::to_string(opts_.disk_mb) + "m",
                                   "nemesis-disk-" + std::to_string(::getpid()), n.disk},
                                  (root / "network.log").string()) != 0) {
      say("!!! no tmpfs for the data directories (mount failed): no full disks in this run");
      release_disks();
    }
    nodes_.push_back(n);
  }
  pause_intervals_.resize(nodes_.size());
}

cluster::~cluster() {
  for (auto& n : nodes_) hard_kill(n);
  release_disks();
}

std::vector<int> cluster::members() const {
  std::vector<int> out;
  for (const auto& n : nodes_)
    if (n.member) out.push_back(n.index);
  return out;
}

std::vector<endpoint> cluster::endpoints() const {
  std::vector<endpoint> out;
  for (const auto& n : nodes_) out.push_back({n.http_host, n.http_port});
  return out;
}

bool cluster::form() {
  for (int i = 0; i < opts_.nodes; ++i) at(i).member = true;
  start(0, false);
  for (int i = 1; i < opts_.nodes && !interrupted(); ++i) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (!get_status(i - 1) && std::chrono::steady_clock::now() < deadline)
      wait_for(*this, 100ms);
    start(i, true);
  }
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  bool formed = false;
  while (!formed && !interrupted() && std::chrono::steady_clock::now() < deadline) {
    auto s = get_status(0);
    formed = s && s->voters == opts_.nodes && s->members == opts_.nodes;
    if (!formed) wait_for(*this, 100ms);
  }
  return formed && crashes().empty();
}

void cluster::start(int i, bool join, int through) {
  auto& n = at(i);
  std::vector<std::string> args{"--data-dir=" + n.dir};
  if (join) {
    args.push_back("--peer-addr=" + at(through).raft_addr);
    args.push_back("--join-token-file=" + at(through).dir + "/join-token");
  }
  launch(i, std::move(args));
}

void cluster::start_old(int i) {
  launch(i, {"--data-dir=" + at(i).old_dir});
}

void cluster::launch(int i, std::vector<std::string> more) {
  auto& n = at(i);
  std::vector<std::string> args{opts_.kv_store,
                                "--raft-addr=" + n.raft_listen,
                                "--raft-advertise=" + n.raft_addr,
                                "--http-addr=" + n.http_listen,
                                "--http-advertise=" + n.http_host + ":" + std::to_string(n.http_port),
                                "--heartbeat-ms=" + std::to_string(opts_.heartbeat_ms),
                                "--election-ms=" + std::to_string(opts_.election_ms),
                                "--request-timeout-ms=" + std::to_string(opts_.request_timeout_ms),
                                "--snapshot-entries=" + std::to_string(opts_.snapshot_entries),
                                "--snapshot-keep=50",
                                "--segment-bytes=" + std::to_string(opts_.segment_kib * 1024)};
  if (opts_.lease_reads) args.push_back("--lease-reads");
  args.insert(args.end(), more.begin(), more.end());
  const std::string ns = net_.active() ? net_.netns_path(i) : std::string{};
  {
    std::ofstream(n.log, std::ios::app)
        << "=== nemesis: start " << ++n.starts << " (t=" << rec_.now() << ")\n";
  }
  const pid_t pid = actraft::test::launch(args, n.log, {ns});
  n.pid = pid;
  n.paused = false;
  n.exit_status = -1;
}

void cluster::kill(int i) {
  auto& n = at(i);
  if (n.pid <= 0) return;
  if (n.paused) resume(i);  // a stopped process dies all the same; keep the books straight
  ::kill(n.pid, SIGKILL);
  int st = 0;
  ::waitpid(n.pid, &st, 0);
  n.pid = -1;
}

void cluster::pause(int i) {
  auto& n = at(i);
  if (n.pid <= 0 || n.paused) return;
  std::lock_guard lock(mu_);
  pause_intervals_[static_cast<std::size_t>(i)].push_back({rec_.now(), INT64_MAX});
  ::kill(n.pid, SIGSTOP);
  n.paused = true;
}

void cluster::resume(int i) {
  auto& n = at(i);
  if (n.pid <= 0 || !n.paused) return;
  ::kill(n.pid, SIGCONT);
  n.paused = false;
  std::lock_guard lock(mu_);
  pause_intervals_[static_cast<std::size_t>(i)].back().second = rec_.now();
}

bool cluster::paused_during(std::size_t i, std::int64_t from, std::int64_t to) {
  std::lock_guard lock(mu_);
  for (const auto& [a, b] : pause_intervals_[i])
    if (a <= to && b >= from) return true;
  return false;
}

void cluster::reap() {
  for (auto& n : nodes_) {
    if (n.pid <= 0) continue;
    int st = 0;
    const pid_t r = ::waitpid(n.pid, &st, WNOHANG);
    if (r != n.pid) continue;
    const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    n.exit_status = code;
    n.pid = -1;
    n.paused = false;
    if (n.may_exit) continue;
    crashes_.push_back("node " + std::to_string(n.index + 1) + " exited by itself with status " +
                       std::to_string(code) + " at t=" + std::to_string(rec_.now()) + " (log " +
                       n.log + ")");
    say("!!! " + crashes_.back());
  }
}

void cluster::dump_stacks(const node& n) {
  if (!std::filesystem::exists("/usr/bin/gdb")) return;
  std::ofstream(n.log, std::ios::app) << "=== nemesis: stacks of the hung process\n";
  const auto cmd = "/usr/bin/gdb -p " + std::to_string(n.pid) +
                   " -batch -ex 'thread apply all bt' >> '" + n.log + "' 2>&1";
  if (std::system(cmd.c_str()) != 0)
    say("gdb could not read the stacks of pid " + std::to_string(n.pid));
}

std::vector<std::string> cluster::shutdown() {
  std::vector<std::string> problems;
  for (auto& n : nodes_) {
    if (n.pid <= 0) continue;
    if (n.paused) resume(n.index);
    ::kill(n.pid, SIGTERM);
  }
  for (auto& n : nodes_)
    if (auto p = stop(n.index); !p.empty()) problems.push_back(std::move(p));
  return problems;
}

std::string cluster::stop(int i) {
  auto& n = at(i);
  if (n.pid <= 0) return {};
  if (n.paused) resume(i);
  ::kill(n.pid, SIGTERM);  // again, for shutdown(): harmless
  const auto deadline = std::chrono::steady_clock::now() + 20s;
  int st = 0;
  pid_t r = 0;
  while ((r = ::waitpid(n.pid, &st, WNOHANG)) == 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(20ms);
  if (r == 0) {
    dump_stacks(n);
    hard_kill(n);
    return "node " + std::to_string(i + 1) + " did not exit within 20 s of SIGTERM";
  }
  n.pid = -1;
  const int code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  if (code != 0)
    return "node " + std::to_string(i + 1) + " exited with status " + std::to_string(code) +
           " on SIGTERM (log " + n.log + ")";
  return {};
}

std::optional<std::string> cluster::admin(int i, const std::string& path, std::string& error) {
  auto& n = at(i);
  std::string token;
  if (!(std::ifstream(n.dir + "/admin-token") >> token)) {
    error = "no admin token in " + n.dir;
    return std::nullopt;
  }
  httplib::Client c(n.http_host, n.http_port);
  c.set_connection_timeout(2s);
  c.set_read_timeout(std::chrono::milliseconds(opts_.request_timeout_ms) + 3s);
  auto r = c.Post(path.c_str(), httplib::Headers{{"Authorization", "Bearer " + token}}, "", "text/plain");
  if (!r) {
    error = "POST " + path + " on node " + std::to_string(i + 1) + ": " + httplib::to_string(r.error());
    return std::nullopt;
  }
  if (r->status != 200) {
    error = "POST " + path + " on node " + std::to_string(i + 1) + ": " + std::to_string(r->status) +
            " " + r->body;
    return std::nullopt;
  }
  return r->body;
}

void cluster::set_aside(int i) {
  auto& n = at(i);
  std::error_code ec;
  if (!n.old_dir.empty()) fs::remove_all(n.old_dir, ec);
  n.old_dir = fs::exists(n.dir, ec) ? n.dir : std::string{};
  n.dir = n.disk + "/data-" + std::to_string(++n.generation);
}

bool cluster::fill_disk(int i) {
  if (!own_disks_) return false;
  const auto& n = at(i);
  struct statvfs v {};
  if (::statvfs(n.disk.c_str(), &v) != 0) return false;
  const off_t left = static_cast<off_t>(v.f_bavail) * static_cast<off_t>(v.f_frsize);
  const int fd = ::open((n.disk + "/filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) return false;
  // All of it, or as much of it as the file system's own metadata leaves.
  bool ok = false;
  for (off_t size = left; size > 0 && !ok; size -= 64 * 1024) ok = ::posix_fallocate(fd, 0, size) == 0;
  ::close(fd);
  return ok;
}

void cluster::free_disk(int i) {
  std::error_code ec;
  fs::remove(at(i).disk + "/filler", ec);
}

void cluster::move(int i, const std::string& raft_addr, const std::string& raft_listen) {
  auto& n = at(i);
  set_aside(i);
  n.raft_addr = raft_addr;
  n.raft_listen = raft_listen;
  std::ofstream(n.log, std::ios::app) << "=== nemesis: moved to " << raft_addr << "\n";
}

void cluster::begin_operation() {
  std::lock_guard lock(mu_);
  operations_.push_back({rec_.now(), INT64_MAX});
}

void cluster::end_operation() {
  std::lock_guard lock(mu_);
  operations_.back().second = rec_.now();
}

bool cluster::in_operation(std::int64_t at) {
  std::lock_guard lock(mu_);
  for (const auto& [a, b] : operations_)
    if (a <= at && at <= b) return true;
  return false;
}

void cluster::release_disks() {
  if (!own_disks_) return;
  for (auto& n : nodes_) run_command({"umount", "-l", n.disk});
  own_disks_ = false;
}

std::optional<status> cluster::get_status(int i, std::chrono::milliseconds timeout) {
  auto& n = at(i);
  if (n.pid <= 0 || n.paused) return std::nullopt;
  httplib::Client c(n.http_host, n.http_port);
  c.set_connection_timeout(timeout);
  c.set_read_timeout(timeout);
  auto r = c.Get("/status");
  if (!r || r->status != 200) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(r->body);
    status s;
    s.role = j.at("role").get<std::string>();
    s.id = j.at("id").get<std::uint64_t>();
    s.term = j.at("term").get<std::uint64_t>();
    s.leader_id = j.at("leader_id").get<std::uint64_t>();
    s.commit = j.at("commit_index").get<std::uint64_t>();
    s.applied = j.at("applied_index").get<std::uint64_t>();
    for (const auto& m : j.at("members")) {
      ++s.members;
      if (m.at("voter").get<bool>()) ++s.voters;
      s.member_ids.push_back(m.at("id").get<std::uint64_t>());
    }
    return s;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<int> cluster::leader(std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  do {
    std::optional<int> best;
    std::uint64_t best_term = 0;
    for (int i = 0; i < size(); ++i)
      if (auto s = get_status(i); s && s->role == "leader" && s->term >= best_term) {
        best = i;
        best_term = s->term;
      }
    if (best) return best;
    reap();
    std::this_thread::sleep_for(100ms);
  } while (std::chrono::steady_clock::now() < deadline && !interrupted());
  return std::nullopt;
}

void cluster::hard_kill(node& n) {
  if (n.pid <= 0) return;
  ::kill(n.pid, SIGKILL);
  ::kill(n.pid, SIGCONT);
  int st = 0;
  ::waitpid(n.pid, &st, 0);
  n.pid = -1;
}

void wait_for(cluster& c, std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  while (std::chrono::steady_clock::now() < until && !interrupted()) {
    c.reap();
    std::this_thread::sleep_for(
        std::min<std::chrono::nanoseconds>(50ms, until - std::chrono::steady_clock::now()));
  }
}

}  // namespace actraft::nemesis
