#pragma once
// The sweep's plots, drawn by gnuplot (a child process reading a generated script; the data
// files and the script stay in DIR/data so a plot can be redrawn or restyled by hand):
//   throughput.png     tasks/s against workers, one line per series, with its ideal line
//   efficiency.png     parallel efficiency against workers
//   latency-cdf-K.png  per series K: the distribution of task times, one line per worker count
//
// Error style: exceptions (std::runtime_error) when the files cannot be written or gnuplot
// is missing or fails; the caller reports it and keeps the CSV files.

#include <filesystem>
#include <vector>

#include "zpipe/experiment/report.hpp"

namespace zpipe::experiment {

// Where gnuplot is on PATH; empty when it is not installed.
std::filesystem::path find_gnuplot();

// Writes the data and script into dir/data and the PNGs into dir; returns the PNGs written.
std::vector<std::filesystem::path> write_plots(const std::filesystem::path& dir, const Sweep& sweep,
                                               const std::vector<RunResult>& results, const Analysis& analysis,
                                               const std::filesystem::path& gnuplot);

}  // namespace zpipe::experiment
