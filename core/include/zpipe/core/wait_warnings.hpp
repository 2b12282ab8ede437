#pragma once
// Saying, with backoff, that a role has waited a while for a peer: a first warning after
// `first`, then each time the wait has doubled (at most kMaxGap apart), and giving up once
// an optional limit passes. The caller owns the clock and the log line; this owns when.
// Error style: none (values only).

#include <algorithm>
#include <chrono>
#include <optional>

#include "zpipe/core/loop.hpp"

namespace zpipe::core {

class WaitWarnings {
public:
  enum class Due { nothing, warn, give_up };
  static constexpr Clock::duration kMaxGap = std::chrono::minutes(5);

  explicit WaitWarnings(std::optional<Clock::duration> limit = std::nullopt) : limit_(limit) {}

  // The peer is here (again): the next wait starts from scratch.
  void reset() {
    next_ = Clock::duration::zero();
    warned_ = false;
  }
  // What is due after waiting `waited`; `first` is the wait worth a first warning.
  Due check(Clock::duration waited, Clock::duration first) {
    if (limit_ && waited >= *limit_) return Due::give_up;
    if (next_ == Clock::duration::zero()) next_ = first;
    if (waited < next_) return Due::nothing;
    warned_ = true;
    next_ = std::min(waited * 2, waited + kMaxGap);
    return Due::warn;
  }
  // When check() may next have something to say, for a wait that began at `since`.
  Clock::time_point next_check(Clock::time_point since, Clock::duration first) const {
    Clock::duration after = next_ == Clock::duration::zero() ? first : next_;
    if (limit_) after = std::min(after, *limit_);
    return since + after;
  }
  bool warned() const { return warned_; }

private:
  std::optional<Clock::duration> limit_;
  Clock::duration next_{};  // the wait at which the next warning is due; zero = not yet set
  bool warned_ = false;     // a warning went out during this wait
};

}  // namespace zpipe::core
