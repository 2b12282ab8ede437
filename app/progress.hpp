#pragma once
// A live progress line on stderr for `--bar` / `--eta` (`zpipe run`, both modes, and `zpipe
// sink`), as GNU parallel's: done of total, failed, running, rate and ETA, redrawn a few
// times a second on one line, cleared at the end. Nothing at all when stderr is not a
// terminal. While it is drawn, a log line clears it first (logging.hpp); the next redraw
// puts it back below.
// Error style: none; a write that fails is ignored (progress is never worth an error).

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <CLI/CLI.hpp>

namespace zpipe::app {

struct ProgressFigures {
  std::uint64_t recorded = 0;   // tasks with a record (a resumed journal's included)
  std::uint64_t failed = 0;     // failed or timed out among them
  std::uint64_t total = 0;      // the batch's size; 0 while unknown
  // Handed to workers, not yet recorded; nullopt where it is not known (a sink alone: the
  // ventilator knows it), and then not shown.
  std::optional<std::uint64_t> in_flight;
};

struct ProgressStyle {
  bool bar = false;  // --bar: a bar and a percentage
  bool eta = false;  // --eta: the time left
  bool any() const { return bar || eta; }
};

// Declares --bar and --eta on a subcommand.
void add_progress_flags(CLI::App& cmd, ProgressStyle& style);

// The line for `now`, given the figures `at_start` and the seconds since; at most `width`
// columns (a bar shrinks first).
std::string progress_line(const ProgressFigures& now, const ProgressFigures& at_start, double seconds,
                          ProgressStyle style, std::size_t width);

class ProgressDisplay {
public:
  using Read = std::function<ProgressFigures()>;
  // Starts redrawing every 200 ms if stderr is a terminal (and style asks for anything).
  ProgressDisplay(Read read, ProgressStyle style);
  // Stops and clears the line.
  ~ProgressDisplay();
  ProgressDisplay(const ProgressDisplay&) = delete;
  ProgressDisplay& operator=(const ProgressDisplay&) = delete;

private:
  void draw(const ProgressFigures& at_start, std::chrono::steady_clock::time_point started);

  Read read_;
  ProgressStyle style_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace zpipe::app
