#pragma once
// How many tasks a worker asks to hold at once: its slots, plus a prefetch of tasks that
// wait behind running ones so that a slot never waits a round trip to the ventilator for
// its next task, plus, when tasks are so short that a round trip per task would leave the
// slots idle, enough to cover about kQueuedWorkUs of work per slot.
//
// The prefetch is told to the ventilator apart from the rest of the credit (hello and
// credit messages), which fills it only while its queue is deeper than what runs: at the
// end of a batch no task waits behind another while a worker idles. With `auto` (the
// default) the prefetch is one task once this worker's tasks are seen to take under
// kPrefetchBelowUs, and none before or above: a long task never has another waiting
// behind it, and the round trip a prefetch hides is a small part of it.

#include <algorithm>
#include <cstdint>
#include <optional>

namespace zpipe::worker {

class CreditPolicy {
public:
  static constexpr double kShortTaskUs = 500;          // shorter than this: prefetch more
  static constexpr double kQueuedWorkUs = 8000;        // queued work per slot we aim for
  static constexpr double kPrefetchBelowUs = 100'000;  // auto: one task of prefetch below this
  static constexpr std::uint32_t kMaxExtra = 16384;

  // `prefetch`: a fixed number, or nullopt for auto.
  CreditPolicy(std::uint32_t slots, std::optional<std::uint32_t> prefetch) : slots_(slots), prefetch_(prefetch) {}

  void observe(std::uint64_t duration_us) {
    const double d = static_cast<double>(duration_us);
    average_us_ = seen_ ? average_us_ * 0.875 + d * 0.125 : d;
    seen_ = true;
  }

  // Tasks that may wait behind running ones now (the part of target() the ventilator
  // fills only while its queue is deep).
  std::uint32_t prefetch() const {
    if (prefetch_) return *prefetch_;
    return seen_ && average_us_ < kPrefetchBelowUs ? 1 : 0;
  }

  std::uint32_t target() const {
    const std::uint32_t base = slots_ + prefetch();
    if (!seen_ || average_us_ >= kShortTaskUs) return base;
    const double extra = slots_ * kQueuedWorkUs / std::max(average_us_, 1.0);
    return base + static_cast<std::uint32_t>(std::min<double>(extra, kMaxExtra));
  }

private:
  std::uint32_t slots_;
  std::optional<std::uint32_t> prefetch_;
  double average_us_ = 0;
  bool seen_ = false;
};

}  // namespace zpipe::worker
