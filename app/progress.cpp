#include "progress.hpp"

#include <unistd.h>

#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include "logging.hpp"
#include "terminal_line.hpp"

namespace zpipe::app {
namespace {

constexpr auto kRedraw = std::chrono::milliseconds(200);

}  // namespace

std::string progress_line(const ProgressFigures& now, const ProgressFigures& at_start, double seconds,
                          ProgressStyle style, std::size_t width) {
  const std::uint64_t done_here = now.recorded - std::min(now.recorded, at_start.recorded);
  const double rate = seconds > 0 ? static_cast<double>(done_here) / seconds : 0;
  std::string figures = std::to_string(now.recorded);
  if (now.total > 0) figures += "/" + std::to_string(now.total);
  figures += " done";
  if (now.failed > 0) figures += ", " + std::to_string(now.failed) + " failed";
  if (now.in_flight) figures += ", " + std::to_string(*now.in_flight) + " in flight";
  char rate_text[32];
  std::snprintf(rate_text, sizeof rate_text, ", %.0f/s", rate);
  figures += rate_text;
  if (style.eta && now.total > 0) {
    const std::uint64_t left = now.total - std::min(now.total, now.recorded);
    figures += left == 0 ? ", ETA 0:00" : rate > 0 ? ", ETA " + clock_time(static_cast<double>(left) / rate) : ", ETA ?";
  }
  if (!style.bar || now.total == 0) return figures.substr(0, width > 1 ? width - 1 : 0);
  const double fraction = std::min(1.0, static_cast<double>(now.recorded) / static_cast<double>(now.total));
  char percent[8];
  std::snprintf(percent, sizeof percent, "%3.0f%% ", fraction * 100);
  // The bar takes what the figures leave, up to 40 columns ("[" + bar + "] ").
  const std::size_t used = figures.size() + 5 + 3 + 1;
  const std::size_t bar_width = width > used + 10 ? std::min<std::size_t>(40, width - used) : 0;
  std::string line;
  if (bar_width > 0) {
    const auto filled = static_cast<std::size_t>(fraction * static_cast<double>(bar_width));
    line = "[" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "] ";
  }
  line += percent + figures;
  return line.substr(0, width > 1 ? width - 1 : 0);
}

void add_progress_flags(CLI::App& cmd, ProgressStyle& style) {
  cmd.add_flag("--bar", style.bar, "Show a progress bar on stderr (when it is a terminal)");
  cmd.add_flag("--eta", style.eta, "Show progress with the estimated time left on stderr (when it is a terminal)");
}

ProgressDisplay::ProgressDisplay(Read read, ProgressStyle style) : read_(std::move(read)), style_(style) {
  if (!style_.any() || !::isatty(STDERR_FILENO)) return;
  clear_line_before_logs(true);
  thread_ = std::thread([this] {
    const auto started = std::chrono::steady_clock::now();
    const ProgressFigures at_start = read_();
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, kRedraw, [this] { return stopping_; })) draw(at_start, started);
  });
}

ProgressDisplay::~ProgressDisplay() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  write_stderr(kClearLine);
  clear_line_before_logs(false);
}

void ProgressDisplay::draw(const ProgressFigures& at_start, std::chrono::steady_clock::time_point started) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  write_stderr(kClearLine + progress_line(read_(), at_start, seconds, style_, terminal_width()));
}

}  // namespace zpipe::app
