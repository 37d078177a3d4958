// Real node processes for the end-to-end tests and the nemesis: launch,
// signal, wait.
#pragma once

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace actraft::test {

/// A port nobody listens on right now (bound to 0, then released) and not
/// handed out before by this process. The kernel may give a released port
/// out again at once; without the second rule two members of one test
/// cluster were once given the same port (one's Raft port, another's HTTP
/// port), and the second could not start.
inline std::uint16_t free_port() {
  static std::mutex mu;
  static std::set<std::uint16_t> given;
  std::lock_guard<std::mutex> lock(mu);
  for (int attempt = 0; attempt < 1000; ++attempt) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = 0;
    socklen_t len = sizeof a;
    const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 &&
                       ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0;
    ::close(fd);
    if (!bound) break;
    if (given.insert(ntohs(a.sin_port)).second) return ntohs(a.sin_port);
  }
  throw std::runtime_error("cannot find a free port");
}

/// How a node process is started besides its arguments and log.
struct launch_options {
  /// A network namespace to enter (a path under /var/run/netns), or none.
  std::string netns;
};

/// Starts `args[0]` with `args`: stdin and stdout on /dev/null, stderr
/// appended to `log_file`, in its own process group (a Ctrl-C or hangup
/// meant for the test must not reach the nodes: the test cleans up
/// itself), killed if the test dies, with no signal blocked. Returns its
/// pid; throws if it cannot fork. A child that cannot set itself up exits
/// with 120 (namespace), 121 (log) or 127 (exec).
inline pid_t launch(const std::vector<std::string>& args, const std::string& log_file,
                    const launch_options& o = {}) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error("cannot start " + args.at(0) + ": fork failed");
  if (pid > 0) return pid;
  // Only async-signal-safe calls from here on (the parent has threads).
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  ::setpgid(0, 0);
  if (!o.netns.empty()) {
    const int fd = ::open(o.netns.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0 || ::setns(fd, CLONE_NEWNET) != 0) ::_exit(120);
  }
  const int log = ::open(log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  const int null = ::open("/dev/null", O_RDWR);
  if (log < 0 || null < 0) ::_exit(121);
  ::dup2(null, 0);
  ::dup2(null, 1);
  ::dup2(log, 2);
  sigset_t none;
  sigemptyset(&none);
  ::sigprocmask(SIG_SETMASK, &none, nullptr);
  ::execv(argv[0], argv.data());
  ::_exit(127);
}

class process {
 public:
  process() = default;
  process(const process&) = delete;
  process& operator=(const process&) = delete;
  ~process() { kill(SIGKILL); }

  /// Starts `args[0]` with `args`, stderr appended to `log_file`.
  void start(const std::vector<std::string>& args, const std::string& log_file) {
    pid_ = launch(args, log_file);
  }
  [[nodiscard]] bool running() const { return pid_ > 0; }
  [[nodiscard]] pid_t pid() const { return pid_; }
  void kill(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    if (sig == SIGKILL) wait();
  }
  /// Waits for the process to exit; its exit code, or -1 if it had to be
  /// killed after `limit`.
  int wait(std::chrono::milliseconds limit = std::chrono::seconds(20)) {
    if (pid_ <= 0) return status_;
    const auto deadline = std::chrono::steady_clock::now() + limit;
    int st = 0;
    while (::waitpid(pid_, &st, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &st, 0);
        pid_ = -1;
        return status_ = -1;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    pid_ = -1;
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return status_;
  }

 private:
  pid_t pid_ = -1;
  int status_ = 0;
};

}  // namespace actraft::test
