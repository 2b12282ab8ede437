#pragma once
// The figures of a scaling experiment, as pure functions (tests/test_experiment_figures.cpp
// checks them against hand-computed values).
//
//   speedup S(p)     = throughput(p) / throughput(base)          (base: the fewest workers)
//   efficiency E(p)  = S(p) / (p / p_base)
//   Karp-Flatt e(p)  = (1/S - 1/r) / (1 - 1/r),  r = p / p_base  (the experimentally
//                      determined serial fraction; undefined at r = 1)
//   ideal makespan   = ceil(n / p) x d for n equal tasks of d seconds on p slots
//
// Error style: none; an undefined figure is std::nullopt (CSV: an empty cell).

#include <cstdint>
#include <optional>
#include <vector>

namespace zpipe::experiment {

// Quantile q in [0, 1] of `values` by linear interpolation between closest ranks (NumPy's
// default, R's type 7): rank h = (n - 1) q, value v[floor h] + (h - floor h)(v[ceil h] - v[floor h]).
// nullopt when `values` is empty. `values` need not be sorted.
std::optional<double> percentile(std::vector<double> values, double q);
std::optional<double> median(const std::vector<double>& values);

std::optional<double> speedup(double throughput, double base_throughput);
std::optional<double> efficiency(double speedup, double parallelism, double base_parallelism);
std::optional<double> karp_flatt(double speedup, double parallelism, double base_parallelism);

// ceil(tasks / parallelism) x task_seconds: the makespan of equal tasks with no overhead.
double ideal_makespan(std::uint64_t tasks, std::uint64_t parallelism, double task_seconds);
// A lower bound from measured task times: max(sum / parallelism, longest). nullopt when empty.
std::optional<double> makespan_bound(const std::vector<double>& task_seconds, std::uint64_t parallelism);

}  // namespace zpipe::experiment
