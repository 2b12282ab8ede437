#pragma once
// Where `zpipe run`'s task output goes (docs/cli.md, "Output"): the limit per stream
// (--max-output; none by default in command mode, where what exceeds the memory bound is
// spilled to temporary files), --tag, --line-buffer, --joblog and --results.
// Error style: config::ConfigError for flags that do not fit together or a bad size.

#include <mutex>

#include "commands.hpp"
#include "zpipe/config/pipeline.hpp"
#include "zpipe/core/spill.hpp"
#include "zpipe/sink/sink.hpp"
#include "zpipe/worker/task_runner.hpp"

namespace zpipe::app {

// Lives as long as the pipeline it was set up for.
class RunOutput {
public:
  // Sets the pipeline's max_output and the sink's output options from the flags.
  RunOutput(const RunOptions& options, config::Pipeline& pipeline, sink::Options& sink_options);
  RunOutput(const RunOutput&) = delete;
  RunOutput& operator=(const RunOutput&) = delete;

  // What the in-process workers need: the spills and the --line-buffer printer.
  const worker::TaskOutput& worker_output() const { return worker_; }

private:
  core::Spills spills_;
  std::mutex stdout_mutex_;  // --line-buffer: one task's lines at a time
  worker::TaskOutput worker_;
};

}  // namespace zpipe::app
