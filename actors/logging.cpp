#include "logging.hpp"

#include <cstdlib>

#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <spdlog/sinks/stdout_color_sinks.h>

namespace actraft::actors {

namespace {

spdlog::sink_ptr shared_sink() {
  static auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return sink;
}

spdlog::level::level_enum configured_level() {
  const char* env = std::getenv("ACTRAFT_LOG");
  if (env == nullptr || *env == '\0') return spdlog::level::info;
  return spdlog::level::from_str(env);
}

}  // namespace

std::shared_ptr<spdlog::logger> make_logger(const std::string& name,
                                            const std::shared_ptr<spdlog::logger>& base) {
  if (base) return base->clone(name);
  auto lg = std::make_shared<spdlog::logger>(name, shared_sink());
  lg->set_level(configured_level());
  lg->set_pattern("%H:%M:%S.%e %^%-5l%$ [%n] %v");
  return lg;
}

void name_this_thread(const char* name) { ::prctl(PR_SET_NAME, name); }

void make_this_thread_background() {
  const auto tid = static_cast<id_t>(::syscall(SYS_gettid));
  (void)::setpriority(PRIO_PROCESS, tid, 19);  // per thread on Linux
  // ioprio_set(2) has no glibc wrapper: IOPRIO_WHO_PROCESS (1) for a thread
  // id, class best-effort (2) at its lowest level (7). The block layer tags
  // the writes this thread submits (sync_file_range, fsync) with it.
  constexpr int who_process = 1, class_best_effort = 2, class_shift = 13, lowest = 7;
  (void)::syscall(SYS_ioprio_set, who_process, static_cast<int>(tid), (class_best_effort << class_shift) | lowest);
}

}  // namespace actraft::actors
