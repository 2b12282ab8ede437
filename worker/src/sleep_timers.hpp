#pragma once
// The built-in sleep as timers on the worker's own thread: a sleeping task needs a
// deadline, not a thread. Up to `slots` run at once, like threads would, but finishing one
// costs no thread wake-up and hand-off (with 64 workers on a 2-core machine, those
// wake-ups were most of the scheduling overhead), a thousand concurrent sleeps cost no
// thousand threads, and a worker that must stop abandons its sleeps at once instead of
// waiting them out. Results equal run_task's for the same task (retries and timeouts too).
// Private to the worker library. Not thread-safe: the worker's loop thread calls it.

#include <chrono>
#include <deque>
#include <vector>

#include "builtins.hpp"
#include "executor.hpp"

namespace zpipe::worker {

class SleepTimers final : public Executor {
public:
  // `retried` (if set) counts executions after a failed attempt.
  SleepTimers(const config::TaskSpec& spec, unsigned slots, core::Counter* retried = nullptr);
  ~SleepTimers() override;
  SleepTimers(const SleepTimers&) = delete;
  SleepTimers& operator=(const SleepTimers&) = delete;

  void submit(std::vector<core::TaskItem>&& items) override;
  std::vector<core::TaskItem> take_queued() override;
  void take_results(std::vector<core::TaskResult>& out) override;
  int event_fd() const override { return timer_fd_; }

private:
  using Clock = std::chrono::steady_clock;
  struct Sleeper {
    Clock::time_point deadline;
    Clock::time_point started;  // of the current attempt
    std::uint32_t executions = 0;
    SleepPlan plan;
    core::TaskItem item;
  };

  static bool later(const Sleeper& a, const Sleeper& b) { return a.deadline > b.deadline; }
  void start_waiting(Clock::time_point now);
  void finish(Sleeper&& sleeper, BuiltinOutcome&& outcome, Clock::duration last_attempt);
  void arm();  // the timer fd fires at the earliest deadline, or at once if results wait

  const config::TaskSpec& spec_;
  std::size_t slots_;
  core::Counter* retried_;
  int timer_fd_ = -1;
  std::deque<core::TaskItem> queue_;
  std::vector<Sleeper> running_;  // a min-heap on deadline
  std::vector<core::TaskResult> results_;
};

}  // namespace zpipe::worker
