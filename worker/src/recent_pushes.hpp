#pragma once
// The results a worker pushed to its sink lately, which a result connection that drops
// may have taken with it (the `unsent` message, docs/protocol.md). A drop moves them to
// `suspect`; they are named to the ventilator a moment later unless the batch ended.
// Error style: none (bookkeeping only).

#include <chrono>
#include <deque>
#include <utility>
#include <vector>

#include "zpipe/core/protocol.hpp"
#include "zpipe/core/types.hpp"

namespace zpipe::worker {

class RecentPushes {
public:
  using Clock = std::chrono::steady_clock;
  // How long a worker waits for the batch's `done` before naming the suspect results
  // (a heartbeat, if shorter).
  static constexpr auto kNameAfter = std::chrono::milliseconds(500);

  // `items[from, to)` went into the push socket at `now`; pushes older than `horizon` are
  // forgotten (a connection that held them would have been found dead by then).
  void pushed(const std::vector<core::TaskResult>& items, std::size_t from, std::size_t to, Clock::time_point now,
              Clock::time_point horizon) {
    for (std::size_t i = from; i < to; ++i) recent_.emplace_back(now, items[i].id);
    while (!recent_.empty() && recent_.front().first < horizon) recent_.pop_front();
  }
  bool any_recent() const { return !recent_.empty(); }
  // The connection dropped: what it may have held becomes suspect.
  void connection_dropped() {
    for (const auto& [when, id] : recent_) suspect_.ids.push_back(id);
    recent_.clear();
  }
  // The batch is complete: the sink has every result, nothing is suspect.
  void forget() {
    recent_.clear();
    suspect_.ids.clear();
  }
  bool any_suspect() const { return !suspect_.ids.empty(); }
  // The `unsent` message to send, emptied.
  core::Unsent take_suspect() { return std::exchange(suspect_, core::Unsent{}); }

private:
  std::deque<std::pair<Clock::time_point, core::TaskId>> recent_;
  core::Unsent suspect_;
};

}  // namespace zpipe::worker
