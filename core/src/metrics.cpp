#include "zpipe/core/metrics.hpp"

#include <algorithm>

namespace zpipe::core {

void DurationHistogram::observe_us(std::uint64_t microseconds) noexcept {
  const auto bound = std::lower_bound(kBoundsUs.begin(), kBoundsUs.end(), microseconds);
  const auto bucket = static_cast<std::size_t>(bound - kBoundsUs.begin());  // kBoundsUs.size(): above the top
  counts_[bucket].fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(microseconds, std::memory_order_relaxed);
}

DurationHistogram::Snapshot DurationHistogram::snapshot() const noexcept {
  Snapshot s;
  for (std::size_t i = 0; i < counts_.size(); ++i) {
    s.counts[i] = counts_[i].load(std::memory_order_relaxed);
    s.count += s.counts[i];
  }
  s.sum_us = sum_us_.load(std::memory_order_relaxed);
  return s;
}

void DropCounts::count(std::string_view reason) {
  const std::size_t used = used_.load(std::memory_order_relaxed);  // only this thread changes it
  for (std::size_t i = 0; i < used; ++i) {
    if (slots_[i].reason == reason) {
      slots_[i].count.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  // The last slot is "other": full, every new reason lands there.
  std::size_t slot = used;
  if (used == kMaxReasons - 1) {
    reason = "other";
  } else if (used == kMaxReasons) {
    slot = kMaxReasons - 1;
  }
  if (slot == used) {
    slots_[slot].reason.assign(reason.data(), reason.size());
    slots_[slot].count.store(1, std::memory_order_relaxed);
    used_.store(used + 1, std::memory_order_release);  // the name before the slot is seen
    return;
  }
  slots_[slot].count.fetch_add(1, std::memory_order_relaxed);
}

std::vector<std::pair<std::string, std::uint64_t>> DropCounts::snapshot() const {
  const std::size_t used = used_.load(std::memory_order_acquire);
  std::vector<std::pair<std::string, std::uint64_t>> out;
  out.reserve(used);
  for (std::size_t i = 0; i < used; ++i)
    out.emplace_back(slots_[i].reason, slots_[i].count.load(std::memory_order_relaxed));
  return out;
}

}  // namespace zpipe::core
