#pragma once
// Saying, with backoff, that a role has waited a while for a peer: a first warning after
// `first`, then each time the wait has doubled (at most kMaxGap apart), an info line when
// the wait is over, and giving up (WaitTimeout) once an optional limit passes.
//
// Lines read "<what> for 4 s; <hint>", "<what> for 4.0 s (connect timeout)" and
// "<back> after 4.2 s", e.g. what = "worker 'w1': no answer from the ventilator at EP",
// back = "worker 'w1': reached the ventilator at EP".
//
// Error style: exceptions: WaitTimeout from check() when the limit has passed.

#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>

#include "zpipe/core/loop.hpp"

namespace zpipe::core {

class WaitTimeout : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

class WaitWarnings {
public:
  static constexpr Clock::duration kMaxGap = std::chrono::minutes(5);

  WaitWarnings(std::string what, std::string hint, std::string back, std::optional<Clock::duration> limit);

  // For a wait that began at `since`: warns if a warning is due (`first` is the wait worth
  // a first one), throws WaitTimeout past the limit. Returns when to look again.
  Clock::time_point check(Clock::time_point since, Clock::duration first);
  // The wait that began at `since` is over: says so if it was warned about.
  void over(Clock::time_point since);

private:
  std::string what_, hint_, back_;
  std::optional<Clock::duration> limit_;
  Clock::duration next_{};  // the wait at which the next warning is due; zero = not yet set
  bool warned_ = false;     // a warning went out during this wait
};

}  // namespace zpipe::core
