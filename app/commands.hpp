#pragma once
// Subcommands of the zpipe binary: each has an Options struct, a setup_* that declares
// its flags on the CLI11 app, and a run_* that does the work and returns the exit code.

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

#include "progress.hpp"
#include "run_inputs.hpp"

namespace zpipe::app {

struct RunOptions {
  std::string pipeline;                // PIPELINE.yaml (pipeline mode)
  std::vector<std::string> command;    // words after `--` (GNU-parallel mode), ::: and :::: groups included
  bool parallel_mode = false;          // `--` was given
  std::string jobs;                    // -j: N, 0, N%, +N, -N as in GNU parallel; empty = CPUs
  bool keep_order = false;             // -k
  InputOptions inputs;                 // -a, --link, --colsep, -0, -d, -n; ::: and :::: are in `command`
  std::string output;                  // --output FILE (JSON Lines)
  std::string summary;                 // --summary FILE
  std::string timeout;                 // --timeout DUR
  int retries = -1;                    // --retries N (-1 = from the file / 0)
  bool resume = false;                 // --resume: run only tasks without a record in --output
  bool fresh = false;                  // --fresh: replace an existing --output
  bool resume_failed = false;          // --resume-failed: also run again those that failed
  bool repair = false;                 // --repair: remove bad journal lines instead of refusing
  std::uint64_t halt_on_failure = 0;   // --halt-on-failure N (= --halt soon,fail=N)
  std::string delay;                   // --delay DUR: at most one task started per DUR
  bool dry_run = false;                // --dry-run: print the command lines, run nothing
  ProgressStyle progress;              // --bar, --eta: a progress line on stderr (a terminal only)
  std::string halt;                    // --halt as GNU parallel: never, soon|now,fail|success|done=N[%]
  bool shell = false;                  // --shell: always through /bin/sh
  bool no_shell = false;               // --no-shell: the words after `--` are the argv
  std::string max_output;              // --max-output SIZE: bytes kept per stream (command mode: no limit)
  bool tag = false;                    // --tag: output lines start with the input and a TAB
  bool line_buffer = false;            // --line-buffer: stdout line by line as it comes
  std::string joblog;                  // --joblog FILE (GNU parallel's format)
  std::string results;                 // --results DIR (GNU parallel's layout)
  std::string listen;                  // --listen [HOST:]PORT: other hosts' workers join (head_node.hpp)
  std::string unsupported;             // --pipe or --pipepart, as given: refused with the reason
  std::string http;                    // --http ADDR: /healthz, /readyz, /metrics (docs/http.md)
};
CLI::App* setup_run(CLI::App& app, RunOptions& options);
int run_run(const RunOptions& options);

// Shared by the one-role subcommands.
struct RoleOptions {
  std::string config;      // -c FILE
  std::string ventilator;  // --ventilator URL
  std::string sink;        // --sink URL
  std::string connect_timeout;  // --connect-timeout DUR: give up when the peer stays silent
  std::string http;             // --http ADDR: /healthz, /readyz, /metrics (docs/http.md)
};

struct VentilatorOptions : RoleOptions {
  std::string summary;  // --summary FILE: the ventilator's report as JSON (redeliveries...)
};
CLI::App* setup_ventilator(CLI::App& app, VentilatorOptions& options);
int run_ventilator(const VentilatorOptions& options);

struct WorkerOptions : RoleOptions {
  std::string name;
  unsigned slots = 0;  // 0 = from the file
  bool keep_alive = false;
};
CLI::App* setup_worker(CLI::App& app, WorkerOptions& options);
int run_worker(const WorkerOptions& options);

struct SinkOptions : RoleOptions {
  std::string output;
  std::string summary;
  bool resume = false;  // --resume: continue an existing output (the journal)
  bool fresh = false;   // --fresh: replace an existing output
  bool repair = false;  // --repair: with --resume, remove bad journal lines instead of refusing the file
  ProgressStyle progress;  // --bar, --eta
};
CLI::App* setup_sink(CLI::App& app, SinkOptions& options);
int run_sink(const SinkOptions& options);

struct ExperimentOptions {
  std::string sweep;   // SWEEP.yaml
  std::string out;     // --out DIR (default: NAME-YYYYMMDD-HHMMSS)
  bool fresh = false;  // --fresh: replace an earlier sweep's results in --out
};
CLI::App* setup_experiment(CLI::App& app, ExperimentOptions& options);
int run_experiment(const ExperimentOptions& options);

struct CheckOptions {
  std::vector<std::string> pipelines;
};
CLI::App* setup_check(CLI::App& app, CheckOptions& options);
int run_check(const CheckOptions& options);

}  // namespace zpipe::app
