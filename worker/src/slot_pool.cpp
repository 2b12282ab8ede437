#include "slot_pool.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

namespace zpipe::worker {

SlotPool::SlotPool(unsigned slots, Runner runner) : runner_(std::move(runner)) {
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
  threads_.reserve(slots);
  for (unsigned i = 0; i < slots; ++i) threads_.emplace_back([this] { serve(); });
}

SlotPool::~SlotPool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    queue_.clear();
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
  ::close(event_fd_);
}

void SlotPool::submit(std::vector<core::TaskItem>&& items) {
  {
    std::lock_guard lock(mutex_);
    for (auto& item : items) queue_.push_back(std::move(item));
  }
  if (items.size() == 1) {
    wake_.notify_one();
  } else {
    wake_.notify_all();
  }
}

std::vector<core::TaskResult> SlotPool::take_results() {
  std::vector<core::TaskResult> out;
  std::lock_guard lock(mutex_);
  std::uint64_t ignored = 0;
  // Read under the lock: a result pushed after this read re-arms the fd (see serve()).
  [[maybe_unused]] const ssize_t n = ::read(event_fd_, &ignored, sizeof ignored);
  out.swap(results_);
  return out;
}

void SlotPool::serve() {
  for (;;) {
    core::TaskItem item;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      item = std::move(queue_.front());
      queue_.pop_front();
    }
    core::TaskResult result = runner_(item);
    std::lock_guard lock(mutex_);
    const bool was_empty = results_.empty();
    results_.push_back(std::move(result));
    if (was_empty) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t n = ::write(event_fd_, &one, sizeof one);
    }
  }
}

}  // namespace zpipe::worker
