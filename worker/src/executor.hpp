#pragma once
// Where a worker's tasks run. The worker's event loop hands tasks over with submit() and
// polls event_fd() beside its ZeroMQ sockets; when it is readable, take_results() returns
// what finished. At most `slots` tasks run at once; the rest wait in submission order.
// Three kinds: SlotPool (a thread per slot: processes and CPU-bound built-ins),
// SleepTimers (built-in sleep as timers on the loop's own thread: waiting needs no thread)
// and InlineExecutor (noop and echo, run on the loop's thread as they arrive).
// Private to the worker library.

#include <memory>
#include <vector>

#include "zpipe/config/pipeline.hpp"
#include "zpipe/core/metrics.hpp"
#include "zpipe/core/protocol.hpp"
#include "zpipe/worker/process.hpp"
#include "zpipe/worker/task_runner.hpp"

namespace zpipe::worker {

class Executor {
public:
  virtual ~Executor() = default;
  virtual void submit(std::vector<core::TaskItem>&& items) = 0;
  // Removes the tasks not started yet and returns them (a leaving worker hands them back).
  virtual std::vector<core::TaskItem> take_queued() = 0;
  // Swaps every result finished since the last call into `out` (its old contents are
  // dropped; its capacity is reused); re-arms event_fd() for what is still running.
  virtual void take_results(std::vector<core::TaskResult>& out) = 0;
  // Readable while results are waiting.
  virtual int event_fd() const = 0;
};

// The executor for `spec` with `slots` concurrent tasks; child processes run in `groups`,
// their output goes to `output` too. `retried` (if set) counts executions after a failed
// attempt (the inline built-ins, noop and echo, never fail).
std::unique_ptr<Executor> make_executor(const config::TaskSpec& spec, unsigned slots, ProcessGroups& groups,
                                        const TaskOutput& output, core::Counter* retried = nullptr);

}  // namespace zpipe::worker
