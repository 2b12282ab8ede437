#pragma once
// From run results to what a sweep reports: each run's derived figures (speedup against the
// fewest workers of the same other parameters, efficiency, Karp-Flatt, latency percentiles,
// ideal makespan), each combination's runs, the series a plot draws (one per value of the
// other parameters, workers on the x axis), and the two CSV files (docs/experiments.md
// describes every column).
//
// Error style: exceptions (std::runtime_error) when a file cannot be written.

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "zpipe/experiment/runner.hpp"
#include "zpipe/experiment/sweep.hpp"

namespace zpipe::experiment {

struct RunFigures {
  std::optional<double> tasks_per_second;  // tasks / makespan
  std::optional<double> ideal_makespan;    // seconds
  std::string ideal_basis;                 // "nominal" (equal tasks of a known duration) or "measured"
  std::optional<double> speedup, efficiency, karp_flatt;
  std::optional<double> p50_ms, p95_ms, p99_ms, max_ms;
};

struct Combination {
  Parameters parameters;
  std::size_t series = 0;
  std::vector<std::size_t> runs;     // indexes into the results (measured runs only)
  std::vector<std::size_t> ok_runs;  // those that succeeded
  std::vector<double> latencies_ms;  // every task of its successful runs, sorted
};

struct Series {
  std::string label;                      // the other parameters, e.g. "sleep 10 ms, tcp"
  std::vector<std::size_t> combinations;  // by increasing workers
};

struct Analysis {
  std::vector<RunFigures> runs;  // one per result
  std::vector<Combination> combinations;
  std::vector<Series> series;
};

// `results` are the measured runs (no warm-ups), any order.
Analysis analyse(const Sweep& sweep, const std::vector<RunResult>& results);

// "workers 4, sleep 10 ms, tcp": the parameters that vary in the sweep (workers only when asked).
std::string describe(const Sweep& sweep, const Parameters& parameters, bool with_workers);

void write_runs_csv(const std::filesystem::path& file, const Sweep& sweep, const std::vector<RunResult>& results,
                    const Analysis& analysis);
void write_summary_csv(const std::filesystem::path& file, const Sweep& sweep, const std::vector<RunResult>& results,
                       const Analysis& analysis);

}  // namespace zpipe::experiment
