#pragma once
// Runs one task as the pipeline's TaskSpec says: shell, argv or a built-in, with retries.
// Error style: never throws for a task's own failure; it becomes a failed/timeout result.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/core/protocol.hpp"
#include "zpipe/core/types.hpp"
#include "zpipe/worker/process.hpp"

namespace zpipe::worker {

// Where a task's output may go besides its result: zpipe run's in-process worker and sink.
struct TaskOutput {
  // Output beyond core::Spills::kMemoryBound (per stream) goes to files put here under the
  // task's id, for the sink to take; null: all of it in the result, cut at max_output.
  core::Spills* spills = nullptr;
  // --line-buffer: the task's complete stdout lines as they come (and its unterminated last
  // one at the end), with the task they are of; the result's output is then empty.
  std::function<void(const core::TaskResult& task, std::string_view lines)> stdout_lines;
};

// Runs the task up to 1 + spec.retries times until one attempt is ok.
// `earlier_attempts` counts executions in previous deliveries (attempt - 1 on the wire);
// the result's attempts = earlier_attempts + executions here. The input ends up in the
// result (moved, not copied: inputs can be large). Child processes run in `groups`.
core::TaskResult run_task(const config::TaskSpec& spec, core::TaskId id, std::string input,
                          std::uint32_t earlier_attempts, ProcessGroups& groups = ProcessGroups::unowned());

// The same for a task as it arrived (earlier attempts = its attempt - 1), with its argument
// list if it has one, run in `slot` (the value of {%}).
core::TaskResult run_task(const config::TaskSpec& spec, core::TaskItem&& item, unsigned slot,
                          ProcessGroups& groups = ProcessGroups::unowned(), const TaskOutput& output = {});

}  // namespace zpipe::worker
