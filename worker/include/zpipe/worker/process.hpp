#pragma once
// Runs one child process: posix_spawn (no shell unless argv says so), its own process
// group, stdout/stderr captured through pipes with a bound, a timeout that kills the
// whole process group (grandchildren included).
//
// Error style: a failure to start the program (ENOENT, EACCES) is a result
// (exit_code 127/126 and a message in `error`), like a shell would report;
// exceptions only for broken system calls (pipe/poll failing).

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

namespace zpipe::worker {

struct ProcessResult {
  std::optional<int> exit_code;  // exit status; nullopt when killed by a signal
  int term_signal = 0;           // signal that ended it, 0 if it exited
  bool timed_out = false;        // killed by us because the timeout passed
  bool truncated = false;        // stdout or stderr was longer than max_output
  std::string out;
  std::string error;
};

// timeout == 0 means none. max_output bounds each of out and error.
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          std::size_t max_output);

// Kills (SIGKILL) the process group of every child run_process is running now, in any
// thread; those calls then return as killed. For a worker that must leave at once: every
// child started afterwards in this process is killed as soon as it is spawned.
void kill_running_processes();

}  // namespace zpipe::worker
