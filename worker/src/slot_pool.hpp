#pragma once
// `slots` threads that run tasks from a shared queue and hand results back to the
// worker's event loop through an eventfd it can poll beside its ZeroMQ sockets.
// Private to the worker library.

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "executor.hpp"

namespace zpipe::worker {

class SlotPool final : public Executor {
public:
  // May take the input. `slot` (1..slots) is the lowest slot free when the task started,
  // as GNU parallel numbers its job slots ({%}).
  using Runner = std::function<core::TaskResult(core::TaskItem&&, unsigned slot)>;
  SlotPool(unsigned slots, Runner runner);
  ~SlotPool();  // stops taking tasks, finishes the running ones, joins
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;

  void submit(std::vector<core::TaskItem>&& items) override;
  std::vector<core::TaskItem> take_queued() override;
  void take_results(std::vector<core::TaskResult>& out) override;
  int event_fd() const override { return event_fd_; }

private:
  void serve();
  unsigned take_slot();              // under mutex_
  void free_slot(unsigned slot);     // under mutex_

  Runner runner_;
  std::size_t slots_;
  int event_fd_ = -1;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<core::TaskItem> queue_;
  std::vector<core::TaskResult> results_;
  std::vector<bool> slot_busy_;  // [i]: slot i + 1 runs a task
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace zpipe::worker
