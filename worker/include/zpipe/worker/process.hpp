#pragma once
// Runs one child process: posix_spawn (no shell unless argv says so), its own process
// group, stdout/stderr captured through pipes with a bound, a timeout that kills the
// whole process group (grandchildren included).
//
// Error style: a failure to start the program (ENOENT, EACCES) is a result
// (exit_code 127/126 and a message in `error`), like a shell would report;
// exceptions only for broken system calls (pipe/poll failing).

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "zpipe/core/spill.hpp"

namespace zpipe::worker {

struct ProcessResult {
  std::optional<int> exit_code;  // exit status; nullopt when killed by a signal
  int term_signal = 0;           // signal that ended it, 0 if it exited
  bool core_dumped = false;      // with term_signal: it left a core dump
  bool timed_out = false;        // killed by us because the timeout passed
  bool truncated = false;        // stdout or stderr was longer than max_output
  int spawn_error = 0;           // errno of a failed posix_spawnp: the program never ran
  std::string out;
  std::string error;
  core::SpilledStreams spilled;  // with OutputRoute::spill: what came beyond the memory bound
};

// Where a child's output goes besides ProcessResult's strings (zpipe run's in-process worker).
struct OutputRoute {
  // Each stream keeps core::Spills::kMemoryBound bytes in memory and the rest (up to
  // max_output) in ProcessResult::spilled.
  bool spill = false;
  // --line-buffer: stdout's complete lines as soon as they are read, and its last
  // unterminated line at the end; none of it is kept in `out`.
  std::function<void(std::string_view)> stdout_lines;
};

// The process groups of the children some owner (a worker) is running now, so that it
// can kill them all when it must leave at once. A group leaves the set before its leader
// is reaped, so a reused pid is never hit. After kill_all(), a child started later through
// this set (a retry of a killed task, a task taken from the queue meanwhile) is killed as
// soon as it is spawned: leaving must not wait for new tasks.
class ProcessGroups {
public:
  // Every child of this process not run through a set of its own owner.
  static ProcessGroups& unowned();

  void kill_all();
  // For run_process: a child's group starts and stops running.
  void add(pid_t group);
  void remove(pid_t group);

private:
  std::mutex mutex_;
  std::set<pid_t> groups_;
  bool killed_all_ = false;
};

// timeout == 0 means none. max_output bounds each of out and error. The child's group is
// in `groups` while it runs. `environment` (null-terminated) replaces this process's environ.
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout,
                          std::size_t max_output, ProcessGroups& groups = ProcessGroups::unowned(),
                          char* const* environment = nullptr, const OutputRoute& route = {});

}  // namespace zpipe::worker
