#pragma once
// The processes of one run: spawned with posix_spawn into one process group of their own
// (a Ctrl-C on the terminal reaches the sweep, which then ends them all), reaped with wait4
// for their CPU time and peak RSS, waited for through pidfds so that a stop request or a
// deadline wakes the wait at once.
// Error style: exceptions (std::system_error) when a process cannot be spawned; the
// destructor SIGKILLs and reaps whatever still runs, so no child outlives its run.

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace zpipe::experiment::detail {

struct ChildExit {
  bool ended = false;
  int code = -1;             // exit status, or 128 + signal
  double cpu_seconds = 0;    // user + system
  long max_rss_kb = 0;       // peak resident set size
};

class ProcessGroup {
public:
  ProcessGroup() = default;
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  // Starts argv (argv[0] a path) with stdin from /dev/null, stdout and stderr to files,
  // default signal dispositions and an empty signal mask (the sweep blocks SIGINT/SIGTERM
  // for its signalfd; its children must not inherit that). With `stderr_pipe`, stderr goes
  // to a pipe instead, whose read end (non-blocking, owned by the caller) is stored there.
  // Returns the child's index.
  std::size_t spawn(const std::vector<std::string>& argv, const std::filesystem::path& out,
                    const std::filesystem::path& err, int* stderr_pipe = nullptr);

  // Children started from now on get the environment without these variables.
  void unset_environment(std::vector<std::string> names) { unset_ = std::move(names); }

  // Another file descriptor the wait watches; `ready(revents)` returning false ends the wait.
  struct Watch {
    int fd = -1;
    short events = 0;  // 0: not watched this time
    std::function<bool(short)> ready;
  };
  enum class Waited { all_ended, stopped_early, deadline };
  // Waits until every child ended (all_ended), `on_exit(index)` or a watch's `ready`
  // returned false (stopped_early: a role failed, the batch is over, a stop was asked), or
  // the deadline passed. `watches` is asked anew before every poll (events may change).
  Waited wait(std::chrono::steady_clock::time_point deadline, const std::function<std::vector<Watch>()>& watches,
              const std::function<bool(std::size_t)>& on_exit);
  // SIGKILL to the whole group, then reaps every child.
  void kill_all();

  const ChildExit& exit_of(std::size_t index) const { return children_.at(index).exit; }
  std::size_t size() const { return children_.size(); }

private:
  struct Child {
    pid_t pid = -1;
    int pidfd = -1;
    ChildExit exit;
  };
  void reap(Child& child, bool block);
  pid_t group_ = 0;  // the first child's pid once spawned
  std::vector<std::string> unset_;
  std::vector<Child> children_;
};

}  // namespace zpipe::experiment::detail
