#pragma once
// Built-ins that finish at once (noop, echo: no waiting, work proportional to the input)
// run on the worker's loop thread as they arrive. Handing each to a slot thread would cost
// more than running it: a lock, a queue and a wake-up per batch, and two threads sharing
// what one does alone (with noop, the slot threads were a fifth of the CPU time).
// Private to the worker library. Not thread-safe: the worker's loop thread calls it.

#include "executor.hpp"

namespace zpipe::worker {

class InlineExecutor final : public Executor {
public:
  explicit InlineExecutor(const config::TaskSpec& spec);
  ~InlineExecutor() override;
  InlineExecutor(const InlineExecutor&) = delete;
  InlineExecutor& operator=(const InlineExecutor&) = delete;

  void submit(std::vector<core::TaskItem>&& items) override;
  std::vector<core::TaskItem> take_queued() override { return {}; }  // nothing ever waits
  void take_results(std::vector<core::TaskResult>& out) override;
  int event_fd() const override { return event_fd_; }

  // True for the built-ins this executor may run.
  static bool runs(const config::TaskSpec& spec);

private:
  const config::TaskSpec& spec_;
  int event_fd_ = -1;
  std::vector<core::TaskResult> results_;
};

}  // namespace zpipe::worker
