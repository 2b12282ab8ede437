#pragma once
// The one place failures become exit codes (docs/config.md repeats this table).
//   0 every task ok · 1 a task failed or timed out · 2 usage or configuration error · 3 runtime error

#include <functional>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/sink/sink.hpp"

namespace zpipe::app {

class SignalWatcher;

enum ExitCode : int { kOk = 0, kTaskFailed = 1, kUsage = 2, kRuntime = 3 };

// Runs a subcommand body, turning exceptions into a message on stderr and an exit code:
// config::ConfigError and sink::OutputExists -> 2, anything else (zmq::error_t, std::runtime_error) -> 3.
int guarded(const std::function<int()>& body);

// The exit code of a batch as its sink saw it: ended by a signal -> 128 + signal; halted
// by the halt policy or a task failed -> 1; stopped before the end -> 3; else 0.
int exit_code_for(const sink::Summary& summary, const SignalWatcher& signals);

sink::Fsync to_sink_fsync(config::FsyncPolicy policy);

}  // namespace zpipe::app
