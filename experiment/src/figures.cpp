#include "zpipe/experiment/figures.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace zpipe::experiment {

std::optional<double> percentile(std::vector<double> values, double q) {
  if (values.empty()) return std::nullopt;
  q = std::clamp(q, 0.0, 1.0);
  std::sort(values.begin(), values.end());
  const double h = static_cast<double>(values.size() - 1) * q;
  const auto low = static_cast<std::size_t>(std::floor(h));
  const std::size_t high = std::min(low + 1, values.size() - 1);
  return values[low] + (h - static_cast<double>(low)) * (values[high] - values[low]);
}

std::optional<double> median(const std::vector<double>& values) { return percentile(values, 0.5); }

std::optional<double> speedup(double throughput, double base_throughput) {
  if (!(throughput > 0) || !(base_throughput > 0)) return std::nullopt;
  return throughput / base_throughput;
}

std::optional<double> efficiency(double speedup, double parallelism, double base_parallelism) {
  if (!(parallelism > 0) || !(base_parallelism > 0)) return std::nullopt;
  return speedup / (parallelism / base_parallelism);
}

std::optional<double> karp_flatt(double speedup, double parallelism, double base_parallelism) {
  if (!(speedup > 0) || !(parallelism > 0) || !(base_parallelism > 0)) return std::nullopt;
  const double r = parallelism / base_parallelism;
  // At r = 1 (the base itself) both terms vanish: 0/0.
  if (std::fabs(r - 1) < 1e-12) return std::nullopt;
  return (1 / speedup - 1 / r) / (1 - 1 / r);
}

double ideal_makespan(std::uint64_t tasks, std::uint64_t parallelism, double task_seconds) {
  if (parallelism == 0) return 0;
  const std::uint64_t rounds = (tasks + parallelism - 1) / parallelism;
  return static_cast<double>(rounds) * task_seconds;
}

std::optional<double> makespan_bound(const std::vector<double>& task_seconds, std::uint64_t parallelism) {
  if (task_seconds.empty() || parallelism == 0) return std::nullopt;
  const double sum = std::accumulate(task_seconds.begin(), task_seconds.end(), 0.0);
  const double longest = *std::max_element(task_seconds.begin(), task_seconds.end());
  return std::max(sum / static_cast<double>(parallelism), longest);
}

}  // namespace zpipe::experiment
