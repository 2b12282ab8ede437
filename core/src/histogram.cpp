#include "zpipe/core/histogram.hpp"

#include <algorithm>
#include <bit>
#include <cmath>

namespace zpipe::core {

int Histogram::bucket_of(std::uint64_t value) {
  if (value < static_cast<std::uint64_t>(kLinear)) return static_cast<int>(value);
  const int top = std::bit_width(value) - 1;  // >= kSubBits + 1
  const int shift = top - kSubBits;
  const int sub = static_cast<int>((value >> shift) & ((1u << kSubBits) - 1));
  const int index = kLinear + (shift - 1) * (1 << kSubBits) + sub;
  return std::min(index, kBuckets - 1);
}

std::uint64_t Histogram::upper_bound_of(int bucket) {
  if (bucket < kLinear) return static_cast<std::uint64_t>(bucket);
  const int shift = (bucket - kLinear) / (1 << kSubBits) + 1;
  const int sub = (bucket - kLinear) % (1 << kSubBits);
  const std::uint64_t base = (std::uint64_t{1} << kSubBits) | static_cast<std::uint64_t>(sub);
  return ((base + 1) << shift) - 1;
}

void Histogram::record(std::uint64_t value) {
  ++buckets_[static_cast<std::size_t>(bucket_of(value))];
  ++count_;
  max_ = std::max(max_, value);
}

std::uint64_t Histogram::quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const auto rank = std::max<std::uint64_t>(1, static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_))));
  std::uint64_t seen = 0;
  for (int b = 0; b < kBuckets; ++b) {
    seen += buckets_[static_cast<std::size_t>(b)];
    if (seen >= rank) return std::min(upper_bound_of(b), max_);
  }
  return max_;
}

}  // namespace zpipe::core
