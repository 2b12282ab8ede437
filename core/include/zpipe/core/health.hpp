#pragma once
// What a role tells a probe on another thread (the HTTP face, docs/http.md): whether its
// loop still turns (liveness) and whether it serves its peers (readiness). The loop thread
// writes, any thread reads, through atomics only: a probe never waits for the loop, and the
// loop never waits for a probe.
//
// Error style: no exceptions; a stuck loop is a value (LoopPulse::stuck_for).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

namespace zpipe::core {

using Clock = std::chrono::steady_clock;

// Whether a role serves its peers, and if not, why.
enum class Readiness : std::uint8_t {
  starting,                // its loop has not started yet
  waiting_for_ventilator,  // a worker or sink not (or no longer) in session with the ventilator
  ready,
  draining,                // asked to end (SIGTERM, a halt): finishing what is in flight
  finished,                // its batch is over: it is about to exit
};

// "ready", "starting", "waiting for the ventilator", "draining", "finished".
std::string_view describe(Readiness readiness);

// A loop's sign of life: the loop stamps it every turn; a probe asks whether the last
// stamp is older than the limit. A loop that is not running (before its start, after its
// end) is resting, never stuck: its role is starting or exiting, which readiness tells.
class LoopPulse {
public:
  // The default limit, for a loop whose role did not set one.
  static constexpr Clock::duration kDefaultLimit = std::chrono::seconds(5);

  // Loop thread: the loop turned at `now`.
  void beat(Clock::time_point now) noexcept { last_turn_.store(now.time_since_epoch().count(), kOrder); }
  // Loop thread: the loop ended.
  void rest() noexcept { last_turn_.store(kResting, kOrder); }
  // Any thread: the longest pause between two turns that still counts as alive.
  void set_limit(Clock::duration limit) noexcept { limit_.store(limit.count(), kOrder); }
  Clock::duration limit() const noexcept { return Clock::duration(limit_.load(kOrder)); }
  // Any thread: how long the loop has not turned, when that is longer than the limit;
  // nullopt while it turns, and while it rests.
  std::optional<Clock::duration> stuck_for(Clock::time_point now) const noexcept;

private:
  // Nothing else is published through these: relaxed is enough.
  static constexpr std::memory_order kOrder = std::memory_order_relaxed;
  static constexpr Clock::rep kResting = std::numeric_limits<Clock::rep>::min();
  std::atomic<Clock::rep> last_turn_{kResting};
  std::atomic<Clock::rep> limit_{kDefaultLimit.count()};
};

// The pause after which a role's loop counts as stuck: its silence limit (heartbeat ×
// liveness, after which its peers presume it dead), and never less than a second: one busy
// turn (a burst of results, an fsync) may take a good part of one, and a liveness failure
// restarts the process.
inline Clock::duration stuck_limit(Clock::duration silence_limit) {
  return std::max<Clock::duration>(silence_limit, std::chrono::seconds(1));
}

// A role's health at one moment, as its HTTP face reports it.
struct Health {
  Readiness readiness = Readiness::starting;
  std::optional<Clock::duration> stuck_for;  // the loop has not turned for this long (past its limit)
  Clock::duration limit{};                   // the pause that counts as stuck
};

}  // namespace zpipe::core
