#pragma once
// The progress line of `zpipe experiment` on stderr: a bar over the sweep's runs, how many
// failed, time elapsed and left, and the run now going. Only on a terminal: a pipe or a file
// gets nothing (the CSV files are the record). Its own line rather than progress.hpp's,
// whose figures are tasks and tasks per second, not runs that take seconds each.
// Error style: none; a write that fails is ignored (progress is never worth an error).

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace zpipe::app {

// "[#######.............]  3/8 runs, 1 failed, 0:12, ETA 0:20 | workers 2, 5 ms", at most
// `width` columns (the run's label is cut first, then the bar).
std::string sweep_progress_line(std::size_t done, std::size_t failed, std::size_t total, double seconds,
                                const std::string& current, std::size_t width);

class SweepProgress {
public:
  // Draws only when stderr is a terminal; redraws twice a second (the clock moves during a run).
  explicit SweepProgress(std::size_t total_runs);
  // Clears the line.
  ~SweepProgress();
  SweepProgress(const SweepProgress&) = delete;
  SweepProgress& operator=(const SweepProgress&) = delete;

  void started(const std::string& label);
  void finished(bool ok);
  // Runs `write` (a log line) with the progress line out of its way.
  void print(const std::function<void()>& write);

private:
  void draw_locked();

  const std::size_t total_;
  std::size_t done_ = 0, failed_ = 0;
  std::string current_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  bool terminal_ = false;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace zpipe::app
