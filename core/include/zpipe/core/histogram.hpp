#pragma once
// Fixed-memory latency histogram (log-linear buckets, ~3% relative precision), so
// percentiles over 100 M tasks cost a few KB, not a vector of every sample.
// Error style: no errors; values beyond the top bucket are clamped into it.

#include <array>
#include <cstdint>

namespace zpipe::core {

class Histogram {
public:
  void record(std::uint64_t value);
  // Value at quantile q in [0,1] (upper bound of its bucket); 0 when empty.
  std::uint64_t quantile(double q) const;
  std::uint64_t count() const { return count_; }
  std::uint64_t max() const { return max_; }

private:
  static constexpr int kSubBits = 5;                 // 32 sub-buckets per power of two
  static constexpr int kLinear = 1 << (kSubBits + 1);  // values below this are exact
  static constexpr int kBuckets = kLinear + 40 * (1 << kSubBits);
  static int bucket_of(std::uint64_t value);
  static std::uint64_t upper_bound_of(int bucket);

  std::array<std::uint64_t, kBuckets> buckets_{};
  std::uint64_t count_ = 0;
  std::uint64_t max_ = 0;
};

}  // namespace zpipe::core
