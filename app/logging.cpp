#include "logging.hpp"

#include <unistd.h>

#include <cerrno>
#include <memory>
#include <mutex>
#include <string>

#include <spdlog/cfg/env.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace zpipe::app {
namespace {

constexpr const char* kPattern = "%^zpipe[%L] %H:%M:%S.%e%$ %v";
constexpr const char* kClearLine = "\r\x1b[K";

// spdlog's own colours per level.
const char* colour_of(spdlog::level::level_enum level) {
  switch (level) {
    case spdlog::level::trace: return "\x1b[37m";
    case spdlog::level::debug: return "\x1b[36m";
    case spdlog::level::info: return "\x1b[32m";
    case spdlog::level::warn: return "\x1b[33m\x1b[1m";
    case spdlog::level::err: return "\x1b[31m\x1b[1m";
    case spdlog::level::critical: return "\x1b[1m\x1b[41m";
    default: return "";
  }
}

// Logs to stderr, each line in one write(2), coloured on a terminal as spdlog's colour sink
// does. That sink writes a line in pieces (before the colour, the colour, after it): a
// progress line redrawn by another thread (progress.hpp) could land between two of them.
class StderrLines final : public spdlog::sinks::base_sink<std::mutex> {
public:
  StderrLines() : colour_(::isatty(STDERR_FILENO) != 0) {}

protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    std::string line;
    const std::size_t start = msg.color_range_start, end = msg.color_range_end;
    if (colour_ && end > start && end <= formatted.size()) {
      line.append(formatted.data(), start);
      line += colour_of(msg.level);
      line.append(formatted.data() + start, end - start);
      line += "\x1b[m";
      line.append(formatted.data() + end, formatted.size() - end);
    } else {
      line.assign(formatted.data(), formatted.size());
    }
    for (std::size_t done = 0; done < line.size();) {
      const ssize_t n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return;  // a log line is never worth an error
      done += static_cast<std::size_t>(n);
    }
  }
  void flush_() override {}

private:
  bool colour_;
};

}  // namespace

void setup_logging(int verbose, bool quiet, bool command_mode) {
  auto logger = std::make_shared<spdlog::logger>("zpipe", std::make_shared<StderrLines>());
  logger->set_pattern(kPattern);
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

void clear_line_before_logs(bool on) {
  spdlog::default_logger()->set_pattern(on ? std::string(kClearLine) + kPattern : std::string(kPattern));
}

}  // namespace zpipe::app
