#include "logging.hpp"

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

namespace zpipe::app {

void setup_logging(int verbose, bool quiet) {
  auto logger = spdlog::stderr_color_mt("zpipe");
  logger->set_pattern("%^zpipe[%L] %H:%M:%S.%e%$ %v");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::info);
  spdlog::cfg::load_env_levels();
  if (quiet) spdlog::set_level(spdlog::level::warn);
  if (verbose == 1) spdlog::set_level(spdlog::level::debug);
  if (verbose >= 2) spdlog::set_level(spdlog::level::trace);
}

}  // namespace zpipe::app
