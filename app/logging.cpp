#include "logging.hpp"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace zpipe::app {

void setup_logging(int verbose, bool quiet, bool command_mode) {
  auto logger = spdlog::stderr_color_mt("zpipe");
  logger->set_pattern("%^zpipe[%L] %H:%M:%S.%e%$ %v");
  spdlog::set_default_logger(logger);
  // Command mode is a GNU parallel / xargs replacement: a run that goes well says nothing
  // (-v shows what the roles do). The roles' own commands log their life at info.
  const int detail = verbose - (command_mode ? 1 : 0);
  spdlog::level::level_enum level = spdlog::level::info;
  if (detail < 0 || quiet) level = spdlog::level::warn;
  else if (detail == 1) level = spdlog::level::debug;
  else if (detail >= 2) level = spdlog::level::trace;
  spdlog::set_level(level);
  if (verbose == 0 && !quiet) spdlog::cfg::load_env_levels();  // SPDLOG_LEVEL=..., unless a flag says
}

}  // namespace zpipe::app
