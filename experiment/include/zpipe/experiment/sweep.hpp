#pragma once
// A sweep file (docs/experiments.md): a pipeline and the parameter axes of a scaling
// experiment, and the runs it expands to (the cartesian product of the axes, times the
// warm-up and measured repetitions).
//
// Error style: exceptions. Loading throws config::ConfigError "FILE:LINE:COL: message", the
// same machinery and wording as pipeline files (unknown keys with a suggestion, bad values
// naming their key).

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::experiment {

// How `workers: N` is realised: N `zpipe worker` processes of `slots` slots each, or one
// worker process with N x slots slots (threads and timers of one process).
enum class WorkerMode { processes, threads };
// tcp and ipc: one process per role; inproc: `zpipe run FILE`, every role in one process.
enum class Transport { tcp, ipc, inproc };

const char* to_string(WorkerMode mode);
const char* to_string(Transport transport);

// The prefetch axis's `auto` (workers.prefetch: auto), beyond any number the axis accepts.
inline constexpr std::uint32_t kAutoPrefetch = 0xffffffff;

// One value of every axis: what a run varies. An unset optional keeps the pipeline's own.
struct Parameters {
  std::uint32_t workers = 1;
  std::uint32_t slots = 1;
  WorkerMode mode = WorkerMode::processes;
  std::optional<config::Builtin> task;     // replaces the pipeline's task by this builtin
  std::optional<std::uint64_t> task_ms;    // sleep: ms; spin: ms of busy loop (us = 1000 x ms)
  std::optional<std::uint64_t> payload;    // bytes of input per task (a generated lines file)
  Transport transport = Transport::tcp;
  std::optional<std::uint32_t> prefetch;   // workers.prefetch; kAutoPrefetch: `auto`
  // Machines the worker processes are spread over (round robin), each a network namespace
  // (virtual_hosts.hpp) with the sink and ventilator on one more; 1 = this machine's loopback.
  std::uint32_t hosts = 1;

  // Tasks running at once: workers x slots, whatever the mode.
  std::uint64_t parallelism() const { return std::uint64_t{workers} * slots; }
};

struct Axes {
  std::vector<std::uint32_t> workers{1};
  std::vector<std::uint32_t> slots{1};
  std::vector<WorkerMode> mode{WorkerMode::processes};
  std::vector<std::optional<config::Builtin>> task{std::nullopt};
  std::vector<std::optional<std::uint64_t>> task_ms{std::nullopt};
  std::vector<std::optional<std::uint64_t>> payload{std::nullopt};
  std::vector<Transport> transport{Transport::tcp};
  std::vector<std::optional<std::uint32_t>> prefetch{std::nullopt};
  std::vector<std::uint32_t> hosts{1};
};

struct Sweep {
  std::string name;
  std::filesystem::path file;       // the sweep file
  config::Pipeline pipeline;        // as written (inline or from its file), before any axis
  std::uint64_t tasks = 0;          // tasks per run (the pipeline's source size, or `tasks:`)
  Axes axes;
  std::uint32_t repetitions = 1;    // measured runs per combination
  std::uint32_t warmup = 0;         // runs per combination before those, not reported
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};  // per run; then its processes are killed
};

// Loads and validates a sweep file. Throws config::ConfigError.
Sweep load_sweep(const std::filesystem::path& file);
// Same from text; `file` names it in messages and its folder resolves relative paths.
Sweep parse_sweep(const std::string& text, const std::filesystem::path& file);

// One process-level run of the sweep.
struct RunPlan {
  std::size_t combination = 0;  // 0-based index into combinations()
  std::uint32_t repetition = 0; // 1-based among measured runs; 0 = a warm-up run
  Parameters parameters;
};

// Every combination of the axes, in file order (the last axis varies fastest).
std::vector<Parameters> combinations(const Sweep& sweep);
// The runs in the order they execute: warm-up rounds first, then each repetition round runs
// every combination once (interleaved, so a drift of the machine spreads over all of them).
std::vector<RunPlan> plan_runs(const Sweep& sweep);

// The pipeline one run uses: the sweep's, with the axes applied (workers, slots, prefetch,
// task, task_ms). Endpoints and files are the runner's business.
config::Pipeline pipeline_for(const Sweep& sweep, const Parameters& parameters);

}  // namespace zpipe::experiment
