#include "logging.hpp"

#include <cstdlib>

#include <sys/prctl.h>

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

}  // namespace actraft::actors
