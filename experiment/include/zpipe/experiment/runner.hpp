#pragma once
// One run of a sweep in fresh processes: this very zpipe binary started as `zpipe sink`,
// `zpipe ventilator` and the workers (`zpipe worker` each) on free tcp ports or ipc paths of
// a temporary folder, or as one `zpipe run FILE` for inproc; the inputs held back until every
// worker and the sink joined (so the makespan is the batch's, not the processes' start);
// reaped with wait4 for their CPU time and peak RSS; then the output is checked (every id of
// the batch exactly once) and the roles' --summary files read.
//
// Error style: a run that fails is a RunResult with `error` set, never an exception (a sweep
// goes on past it). Exceptions only for the sweep's own failures (std::system_error: no
// temporary folder, no process can be spawned at all).

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "zpipe/core/loop.hpp"
#include "zpipe/experiment/sweep.hpp"

namespace zpipe::experiment {

struct RoleUsage {
  double cpu_seconds = 0;  // user + system
  long max_rss_kb = 0;     // peak resident set size
};

struct RunResult {
  RunPlan plan;
  std::size_t number = 0;        // 1-based, in execution order (warm-ups included)
  std::string error;             // empty: the run succeeded
  bool skipped = false;          // not run: more than 1 host, and no network namespaces here (error says why)
  std::uint64_t tasks = 0;       // the batch's size
  std::uint64_t records = 0;     // records in the output
  bool ids_complete = false;     // the output holds every id 1..tasks exactly once
  double startup_seconds = 0;    // first process started -> every worker and the sink joined (inputs begin)
  double makespan_seconds = 0;   // inputs begin -> the sink (zpipe run for inproc) ended
  double wall_seconds = 0;       // first process started -> the sink ended: startup + makespan
  std::uint32_t late_workers = 0;  // workers still running 2 s after the batch ended (stopped by the runner)
  // Per role (tcp/ipc: one process each; inproc: one process for all, in `total` only).
  std::optional<RoleUsage> ventilator, sink;
  std::optional<RoleUsage> workers_sum;   // CPU and RSS summed over the worker processes
  std::optional<long> workers_max_rss_kb; // the largest worker
  RoleUsage total;                        // every process of the run (RSS: sum of peaks)
  std::optional<std::uint64_t> redeliveries;  // the ventilator's report (not known for inproc)
  std::uint64_t dropped = 0;     // malformed frames dropped by the sink and the ventilator
  std::vector<double> latencies_ms;  // each record's `ms`: the task's run time on its worker

  bool ok() const { return error.empty(); }
};

class Runner {
public:
  // `zpipe` is the binary to start (the sweep's own: /proc/self/exe); the roles' stderr of a
  // failed run is kept in `logs` (created when first needed; empty path: not kept).
  Runner(std::filesystem::path zpipe, std::filesystem::path logs);

  RunResult run(const Sweep& sweep, const RunPlan& plan, std::size_t number);

  // Thread-safe: the current run is killed at once (its result says "interrupted"), and
  // every later run() returns that at once too.
  void stop();
  bool stopped() const { return stopped_.load(); }

private:
  std::filesystem::path zpipe_;
  std::filesystem::path logs_;
  std::atomic<bool> stopped_{false};
  std::optional<std::string> hosts_unavailable_;  // VirtualHosts::unavailable(), asked once
  core::Wakeup stop_;
};

}  // namespace zpipe::experiment
