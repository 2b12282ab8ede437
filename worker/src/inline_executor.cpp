#include "inline_executor.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <system_error>

#include "zpipe/worker/task_runner.hpp"

namespace zpipe::worker {

InlineExecutor::InlineExecutor(const config::TaskSpec& spec) : spec_(spec) {
  event_fd_ = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (event_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

InlineExecutor::~InlineExecutor() { ::close(event_fd_); }

bool InlineExecutor::runs(const config::TaskSpec& spec) {
  return spec.kind == config::TaskKind::builtin &&
         (spec.builtin == config::Builtin::noop || spec.builtin == config::Builtin::echo);
}

void InlineExecutor::submit(std::vector<core::TaskItem>&& items) {
  const bool was_empty = results_.empty();
  for (auto& item : items) results_.push_back(run_task(spec_, std::move(item), 1));
  if (was_empty && !results_.empty()) {
    // The loop polls this fd like any executor's: it becomes readable now.
    const std::uint64_t one = 1;
    if (::write(event_fd_, &one, sizeof one) != sizeof one)
      throw std::system_error(errno, std::generic_category(), "eventfd write");
  }
}

void InlineExecutor::take_results(std::vector<core::TaskResult>& out) {
  std::uint64_t ignored = 0;
  [[maybe_unused]] const ssize_t n = ::read(event_fd_, &ignored, sizeof ignored);  // EAGAIN: already clear
  out.clear();
  out.swap(results_);
}

}  // namespace zpipe::worker
