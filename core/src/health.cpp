#include "zpipe/core/health.hpp"

namespace zpipe::core {

std::string_view describe(Readiness readiness) {
  switch (readiness) {
    case Readiness::starting: return "starting";
    case Readiness::waiting_for_ventilator: return "waiting for the ventilator";
    case Readiness::ready: return "ready";
    case Readiness::draining: return "draining";
    case Readiness::finished: return "finished";
  }
  return "unknown";
}

std::optional<Clock::duration> LoopPulse::stuck_for(Clock::time_point now) const noexcept {
  const Clock::rep last = last_turn_.load(kOrder);
  if (last == kResting) return std::nullopt;
  const Clock::duration since = now - Clock::time_point(Clock::duration(last));
  if (since <= limit()) return std::nullopt;
  return since;
}

}  // namespace zpipe::core
