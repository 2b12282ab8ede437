#include "zpipe/core/wait_warnings.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

namespace zpipe::core {
namespace {

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

}  // namespace

WaitWarnings::WaitWarnings(std::string what, std::string hint, std::string back,
                           std::optional<Clock::duration> limit)
    : what_(std::move(what)), hint_(std::move(hint)), back_(std::move(back)), limit_(limit) {}

Clock::time_point WaitWarnings::check(Clock::time_point since, Clock::duration first) {
  const auto now = Clock::now();
  const auto waited = now - since;
  if (limit_ && waited >= *limit_)
    throw WaitTimeout(fmt::format("{} for {:.1f} s (connect timeout)", what_, seconds(waited)));
  if (next_ == Clock::duration::zero()) next_ = first;
  if (waited >= next_) {
    spdlog::warn("{} for {:.0f} s; {}", what_, seconds(waited), hint_);
    warned_ = true;
    next_ = std::min(waited * 2, waited + kMaxGap);
  }
  Clock::duration after = next_;
  if (limit_) after = std::min(after, *limit_);
  return std::max(since + after, now + std::chrono::milliseconds(1));
}

void WaitWarnings::over(Clock::time_point since) {
  if (warned_) spdlog::info("{} after {:.1f} s", back_, seconds(Clock::now() - since));
  next_ = Clock::duration::zero();
  warned_ = false;
}

}  // namespace zpipe::core
