#include "result_fit.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "zpipe/core/messaging.hpp"

namespace zpipe::worker {
namespace {

constexpr std::size_t kMaxResultBytes = static_cast<std::size_t>(core::kMaxMessageBytes) - (1u << 20);

}  // namespace

void fit_in_one_message(core::TaskResult& r) {
  std::size_t fixed = r.input.size();
  for (const auto& a : r.args) fixed += a.size() + 8;
  if (fixed + r.output.size() + r.error.size() <= kMaxResultBytes) return;
  const std::size_t room = kMaxResultBytes > fixed ? kMaxResultBytes - fixed : 0;
  const std::size_t error_room = std::min(r.error.size(), room / 16);  // stderr keeps a little
  const std::size_t before = r.output.size() + r.error.size();
  r.error.resize(error_room);
  r.output.resize(std::min(r.output.size(), room - error_room));
  r.truncated = true;
  spdlog::warn("task {}: output cut from {} to {} bytes: one result travels in one message of at most {} MiB "
               "(task.max_output beyond that needs the workers of `zpipe run`, in the sink's process)",
               r.id, before, r.output.size() + r.error.size(), core::kMaxMessageBytes >> 20);
}

}  // namespace zpipe::worker
