#pragma once
// How many tasks a worker asks to hold at once. While tasks are long, exactly its slots
// plus the configured prefetch: a busy worker must not hoard work others could start.
// When tasks are so short that waiting a round trip to the ventilator for each would leave
// the slots idle, it asks for enough to cover about kQueuedWorkUs of work per slot.

#include <algorithm>
#include <cstdint>

namespace zpipe::worker {

class CreditPolicy {
public:
  static constexpr double kShortTaskUs = 500;   // shorter than this: prefetch more
  static constexpr double kQueuedWorkUs = 2000; // queued work per slot we aim for
  static constexpr std::uint32_t kMaxExtra = 4096;

  CreditPolicy(std::uint32_t slots, std::uint32_t prefetch) : slots_(slots), base_(slots + prefetch) {}

  void observe(std::uint64_t duration_us) {
    const double d = static_cast<double>(duration_us);
    average_us_ = seen_ ? average_us_ * 0.875 + d * 0.125 : d;
    seen_ = true;
  }

  std::uint32_t target() const {
    if (!seen_ || average_us_ >= kShortTaskUs) return base_;
    const double extra = slots_ * kQueuedWorkUs / std::max(average_us_, 1.0);
    return base_ + static_cast<std::uint32_t>(std::min<double>(extra, kMaxExtra));
  }

private:
  std::uint32_t slots_;
  std::uint32_t base_;
  double average_us_ = 0;
  bool seen_ = false;
};

}  // namespace zpipe::worker
