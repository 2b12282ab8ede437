#include "slot_pool.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <system_error>

namespace zpipe::worker {
namespace {
// Most tasks a slot takes from the queue at once.
constexpr std::size_t kMaxTake = 64;
}  // namespace

SlotPool::SlotPool(unsigned slots, Runner runner)
    : runner_(std::move(runner)), slots_(std::max(1u, slots)), slot_busy_(slots_, false) {
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

std::vector<core::TaskItem> SlotPool::take_queued() {
  std::lock_guard lock(mutex_);
  std::vector<core::TaskItem> out(std::make_move_iterator(queue_.begin()), std::make_move_iterator(queue_.end()));
  queue_.clear();
  return out;
}

void SlotPool::take_results(std::vector<core::TaskResult>& out) {
  // Buffers go back and forth instead of being allocated per call: freeing a large one
  // lets malloc return its pages, and touching them again costs a page fault each.
  out.clear();
  std::lock_guard lock(mutex_);
  std::uint64_t ignored = 0;
  // Read under the lock: a result pushed after this read re-arms the fd (see serve()).
  [[maybe_unused]] const ssize_t n = ::read(event_fd_, &ignored, sizeof ignored);
  out.swap(results_);
}

unsigned SlotPool::take_slot() {
  // At most `slots` threads run tasks at once, so one is always free here.
  const auto free = std::find(slot_busy_.begin(), slot_busy_.end(), false);
  *free = true;
  return static_cast<unsigned>(free - slot_busy_.begin()) + 1;
}

void SlotPool::free_slot(unsigned slot) { slot_busy_[slot - 1] = false; }

void SlotPool::serve() {
  std::vector<core::TaskItem> items;
  std::vector<core::TaskResult> done;
  for (;;) {
    unsigned slot = 0;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      // Take a fair share of a deep queue at once: tiny tasks then cost one lock and one
      // wake-up per batch, while a shallow queue still spreads one task per slot.
      const std::size_t share = std::clamp<std::size_t>(queue_.size() / slots_, 1, kMaxTake);
      for (std::size_t i = 0; i < share; ++i) {
        items.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
      slot = take_slot();
    }
    for (auto& item : items) done.push_back(runner_(std::move(item), slot));
    items.clear();
    std::lock_guard lock(mutex_);
    free_slot(slot);
    const bool was_empty = results_.empty();
    std::move(done.begin(), done.end(), std::back_inserter(results_));
    done.clear();
    if (was_empty) {
      const std::uint64_t one = 1;
      [[maybe_unused]] const ssize_t n = ::write(event_fd_, &one, sizeof one);
    }
  }
}

}  // namespace zpipe::worker
