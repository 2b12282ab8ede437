#pragma once
// SIGINT/SIGTERM as events: the first asks for a graceful end, the second for an
// immediate one. Signals are blocked in every thread and read from a signalfd by one
// watcher thread, so no role code runs in a signal handler.
// Error style: exceptions (std::system_error) if the signal mask cannot be set.

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "zpipe/core/loop.hpp"

namespace zpipe::app {

// Blocks SIGINT and SIGTERM in the calling thread and every thread it starts later.
// Call at the top of main, before any thread exists. Children started with posix_spawn
// reset their mask (worker/src/process.cpp), so tasks still receive signals normally.
void block_termination_signals();

class SignalWatcher {
public:
  // `first_says` is logged with the first signal: what the program does about it.
  SignalWatcher(std::function<void(int)> first, std::function<void(int)> second,
                std::string first_says = "finishing what is in flight (send it again to stop at once)");
  ~SignalWatcher();
  SignalWatcher(const SignalWatcher&) = delete;
  SignalWatcher& operator=(const SignalWatcher&) = delete;

  // The first signal received (SIGINT or SIGTERM), 0 if none.
  int received() const { return first_signal_.load(); }
  // The exit code a run ended by that signal should return: 128 + signal (130, 143).
  int exit_code() const { return 128 + received(); }

private:
  void watch();

  std::function<void(int)> first_, second_;
  std::string first_says_;
  std::atomic<int> first_signal_{0};
  int signal_fd_ = -1;
  core::Wakeup quit_;  // ends the watcher thread at once
  std::thread thread_;
};

}  // namespace zpipe::app
