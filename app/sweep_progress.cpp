#include "sweep_progress.hpp"

#include <unistd.h>

#include <cinttypes>
#include <cstdio>

#include "terminal_line.hpp"

namespace zpipe::app {
namespace {

constexpr auto kRedraw = std::chrono::milliseconds(500);

}  // namespace

std::string sweep_progress_line(std::size_t done, std::size_t failed, std::size_t total, double seconds,
                                const std::string& current, std::size_t width) {
  std::string figures = std::to_string(done) + "/" + std::to_string(total) + " runs";
  if (failed > 0) figures += ", " + std::to_string(failed) + " failed";
  figures += ", " + clock_time(seconds);
  // Runs of one sweep take about as long as each other: the mean so far predicts the rest.
  if (done > 0 && done < total) figures += ", ETA " + clock_time(seconds / static_cast<double>(done) * static_cast<double>(total - done));
  const std::size_t usable = width > 1 ? width - 1 : 0;
  const std::size_t bar_width = usable > figures.size() + 30 ? 20 : 0;
  std::string line;
  if (bar_width > 0 && total > 0) {
    const std::size_t filled = done * bar_width / total;
    line = "[" + std::string(filled, '#') + std::string(bar_width - filled, '.') + "] ";
  }
  line += figures;
  if (!current.empty() && done < total) line += " | " + current;
  return line.substr(0, usable);
}

SweepProgress::SweepProgress(std::size_t total_runs) : total_(total_runs), terminal_(::isatty(STDERR_FILENO) == 1) {
  if (!terminal_) return;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_) {
      draw_locked();
      wake_.wait_for(lock, kRedraw);
    }
  });
}

SweepProgress::~SweepProgress() {
  if (!thread_.joinable()) return;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
  write_stderr(kClearLine);
}

void SweepProgress::started(const std::string& label) {
  std::lock_guard lock(mutex_);
  current_ = label;
  if (terminal_) draw_locked();
}

void SweepProgress::finished(bool ok) {
  std::lock_guard lock(mutex_);
  ++done_;
  if (!ok) ++failed_;
  if (terminal_) draw_locked();
}

void SweepProgress::print(const std::function<void()>& write) {
  std::lock_guard lock(mutex_);
  if (terminal_) write_stderr(kClearLine);
  write();
  if (terminal_) draw_locked();
}

void SweepProgress::draw_locked() {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  write_stderr(kClearLine + sweep_progress_line(done_, failed_, total_, seconds, current_, terminal_width()));
}

}  // namespace zpipe::app
