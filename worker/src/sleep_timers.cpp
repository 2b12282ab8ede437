#include "sleep_timers.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <system_error>

namespace zpipe::worker {
namespace {

// Longer sleeps are cut here so that a deadline stays representable (a steady_clock
// time_point counts int64 nanoseconds: ~292 years).
constexpr auto kLongestSleep = std::chrono::hours(24 * 365 * 100);

// Compared in milliseconds first: an input of 2^62 ms would overflow as nanoseconds.
std::chrono::steady_clock::time_point deadline_after(std::chrono::steady_clock::time_point now,
                                                     std::chrono::milliseconds duration) {
  return now + std::min<std::chrono::milliseconds>(duration, kLongestSleep);
}

}  // namespace

SleepTimers::SleepTimers(const config::TaskSpec& spec, unsigned slots, core::Counter* retried)
    : spec_(spec), slots_(std::max(1u, slots)), retried_(retried) {
  // CLOCK_MONOTONIC is steady_clock's clock on Linux, so deadlines carry over as they are.
  timer_fd_ = ::timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  if (timer_fd_ < 0) throw std::system_error(errno, std::generic_category(), "timerfd_create");
  running_.reserve(slots_);
}

SleepTimers::~SleepTimers() { ::close(timer_fd_); }

void SleepTimers::submit(std::vector<core::TaskItem>&& items) {
  for (auto& item : items) queue_.push_back(std::move(item));
  start_waiting(Clock::now());
  arm();
}

std::vector<core::TaskItem> SleepTimers::take_queued() {
  std::vector<core::TaskItem> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

void SleepTimers::take_results(std::vector<core::TaskResult>& out) {
  std::uint64_t expirations = 0;
  [[maybe_unused]] const ssize_t n = ::read(timer_fd_, &expirations, sizeof expirations);  // EAGAIN: not yet
  const auto now = Clock::now();
  while (!running_.empty() && running_.front().deadline <= now) {
    std::pop_heap(running_.begin(), running_.end(), later);
    Sleeper sleeper = std::move(running_.back());
    running_.pop_back();
    ++sleeper.executions;
    BuiltinOutcome outcome = finish_sleep(spec_, sleeper.plan);
    const auto last_attempt = now - sleeper.started;
    if (outcome.status != core::TaskStatus::ok && sleeper.executions <= spec_.retries) {
      sleeper.started = now;  // another attempt, as run_task would make
      sleeper.deadline = deadline_after(now, sleeper.plan.duration);
      running_.push_back(std::move(sleeper));
      std::push_heap(running_.begin(), running_.end(), later);
      continue;
    }
    finish(std::move(sleeper), std::move(outcome), last_attempt);
  }
  start_waiting(now);
  out.clear();
  out.swap(results_);
  arm();
}

void SleepTimers::start_waiting(Clock::time_point now) {
  while (running_.size() < slots_ && !queue_.empty()) {
    Sleeper sleeper;
    sleeper.item = std::move(queue_.front());
    queue_.pop_front();
    sleeper.plan = plan_sleep(spec_, sleeper.item.input);
    if (sleeper.plan.failure) {
      // Every attempt fails the same way at once, as run_task's retries of it would.
      // (Saturating: retries may be UINT32_MAX, and attempts is a 32-bit count.)
      sleeper.executions = static_cast<std::uint32_t>(std::min<std::uint64_t>(std::uint64_t{spec_.retries} + 1, UINT32_MAX));
      BuiltinOutcome failure = std::move(*sleeper.plan.failure);
      finish(std::move(sleeper), std::move(failure), Clock::duration::zero());
      continue;
    }
    sleeper.started = now;
    sleeper.deadline = deadline_after(now, sleeper.plan.duration);
    running_.push_back(std::move(sleeper));
    std::push_heap(running_.begin(), running_.end(), later);
  }
}

void SleepTimers::finish(Sleeper&& sleeper, BuiltinOutcome&& outcome, Clock::duration last_attempt) {
  core::TaskResult result;
  result.id = sleeper.item.id;
  result.attempts = sleeper.item.attempt - 1 + sleeper.executions;
  if (retried_ != nullptr && sleeper.executions > 1) retried_->add(sleeper.executions - 1);
  result.status = outcome.status;
  result.exit_code = builtin_exit_code(outcome.status);
  result.output = std::move(outcome.output);
  result.error = std::move(outcome.error);
  result.truncated = outcome.truncated;
  result.duration_us =
      static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(last_attempt).count());
  result.input = std::move(sleeper.item.input);
  result.args = std::move(sleeper.item.args);
  results_.push_back(std::move(result));
}

void SleepTimers::arm() {
  itimerspec spec{};  // all zero: disarmed
  if (!results_.empty()) {
    spec.it_value.tv_nsec = 1;  // absolute 1 ns: long past, so it fires at once
  } else if (!running_.empty()) {
    const auto since_boot = running_.front().deadline.time_since_epoch();
    const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since_boot);
    spec.it_value.tv_sec = static_cast<time_t>(seconds.count());
    spec.it_value.tv_nsec = static_cast<long>(std::chrono::nanoseconds(since_boot - seconds).count());
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
  }
  if (::timerfd_settime(timer_fd_, TFD_TIMER_ABSTIME, &spec, nullptr) != 0)
    throw std::system_error(errno, std::generic_category(), "timerfd_settime");
}

}  // namespace zpipe::worker
