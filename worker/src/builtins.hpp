#pragma once
// Built-in tasks (noop, echo, sleep, spin, sha256): run in the worker's own thread, no
// process. They exist for benchmarks and tests of the pipeline itself, where spawning a
// process would dominate the cost being measured.
// Private to the worker library.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/core/types.hpp"

namespace zpipe::worker {

struct BuiltinOutcome {
  core::TaskStatus status = core::TaskStatus::ok;
  std::string output;
  std::string error;
  bool truncated = false;  // output or error was cut at spec.max_output
};

// Runs spec.builtin on `input`. Never throws for bad input: that is a failed outcome.
// The outcome is bounded (see bound_outcome).
BuiltinOutcome run_builtin(const config::TaskSpec& spec, std::string_view input);

// What a built-in's record holds, exactly as a process's would: its output and its error
// text (the built-in's stdout and stderr) each cut at spec.max_output bytes, `truncated`
// set when either was longer; then, like a process that timed out without a word on
// stderr, "timed out after N ms" when the timeout cut it short. That note is zpipe's, not
// the task's, so it is not cut (max_output 0 keeps it too). Apply once per attempt.
void bound_outcome(const config::TaskSpec& spec, BuiltinOutcome& outcome);

// A built-in's exit code in its record, as a process would have it: 0 when ok, 1 when
// failed, none when the timeout cut it short (a killed process has no exit code).
std::optional<std::int32_t> builtin_exit_code(core::TaskStatus status);

// The built-in sleep in two halves, for executors that wait without a thread: what one
// attempt will do (how long, whether the timeout cuts it short; or the failure when the
// input is not a number), then its outcome once that time has passed. Both outcomes are
// bounded (see bound_outcome).
struct SleepPlan {
  std::chrono::milliseconds duration{0};
  bool times_out = false;
  std::optional<BuiltinOutcome> failure;  // set: the attempt fails at once
};
SleepPlan plan_sleep(const config::TaskSpec& spec, std::string_view input);
BuiltinOutcome finish_sleep(const config::TaskSpec& spec, const SleepPlan& plan);

}  // namespace zpipe::worker
