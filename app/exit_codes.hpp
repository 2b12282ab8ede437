#pragma once
// The one place failures become exit codes (docs/config.md repeats this table).
//   0 every task ok · 1 a task failed or timed out · 2 usage or configuration error · 3 runtime error

#include <functional>

namespace zpipe::app {

enum ExitCode : int { kOk = 0, kTaskFailed = 1, kUsage = 2, kRuntime = 3 };

// Runs a subcommand body, turning exceptions into a message on stderr and an exit code:
// config::ConfigError -> 2, anything else (zmq::error_t, std::runtime_error) -> 3.
int guarded(const std::function<int()>& body);

}  // namespace zpipe::app
