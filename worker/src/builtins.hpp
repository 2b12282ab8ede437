#pragma once
// Built-in tasks (noop, echo, sleep, spin, sha256): run in the worker's own thread, no
// process. They exist for benchmarks and tests of the pipeline itself, where spawning a
// process would dominate the cost being measured.
// Private to the worker library.

#include <string>
#include <string_view>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/core/types.hpp"

namespace zpipe::worker {

struct BuiltinOutcome {
  core::TaskStatus status = core::TaskStatus::ok;
  std::string output;
  std::string error;
};

// Runs spec.builtin on `input`. Never throws for bad input: that is a failed outcome.
BuiltinOutcome run_builtin(const config::TaskSpec& spec, std::string_view input);

}  // namespace zpipe::worker
